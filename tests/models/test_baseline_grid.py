"""The embedded default's C grid: fitted in parallel on the free cores, with the same result as one at a time."""

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from sikap.data.labels import load_labels
from sikap.models import baseline
from sikap.text.targets import load_targets


def test_the_grid_fitted_in_two_processes_equals_the_grid_fitted_in_one(
    sample_labels: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIKAP_LABELS", str(sample_labels))
    targets = load_targets()
    labels = load_labels(targets=targets)
    assert labels.split("train") and labels.split("dev")
    fits = []
    for workers in (1, 2):
        monkeypatch.setattr(baseline, "grid_workers", lambda rows, workers=workers: workers)
        fits.append(baseline.fit_baseline(labels, targets, Console(quiet=True)))
    (first, first_log), (second, second_log) = fits
    assert first_log == second_log
    classifiers = [(p.sentiment, *p.stance.values()) for p in (first, second)]
    for one, two in zip(*classifiers, strict=True):
        np.testing.assert_array_equal(one.named_steps["classifier"].coef_, two.named_steps["classifier"].coef_)


def test_grid_workers_follow_the_free_cores_on_large_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    large = baseline.PARALLEL_GRID_ROWS
    for free, expected in ((1, 1), (2, 2), (16, len(baseline.C_GRID))):
        monkeypatch.setattr(baseline, "free_cores", lambda free=free: free)
        assert baseline.grid_workers(large) == expected
        assert baseline.grid_workers(large - 1) == 1  # small fits stay in this process
