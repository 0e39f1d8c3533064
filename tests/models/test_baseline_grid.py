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


class Recorder:
    """A stand-in pipeline: records what it is given, answers the first class."""

    classes_ = np.array(["support", "oppose", "neutral"])

    def __init__(self) -> None:
        self.seen: list[str] = []

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.tile([1.0, 0.0, 0.0], (len(texts), 1))


def test_a_stored_default_masks_mentions_with_the_words_it_was_trained_on(default_tag: str, tmp_path: Path) -> None:
    """Defaults stored before the mask words changed (no slot window, no ``slots``) still see "sasaran" and
    "pihaklain"; new ones name theirs."""
    import joblib

    from sikap.models.store import get_model
    from sikap.text.targets import OTHER_SLOT, TARGET_SLOT

    stored = Path(get_model(default_tag).path)
    assert baseline.BaselinePredictor.load("new", stored).slots == (TARGET_SLOT, OTHER_SLOT)
    legacy = tmp_path / "legacy"  # as stored before December 2026: joblib, and no mask words named
    legacy.mkdir()
    parts = baseline.read_artifact(stored)
    del parts["slots"]
    (legacy / "targets.yaml").write_bytes((stored / "targets.yaml").read_bytes())
    joblib.dump(parts, legacy / baseline.LEGACY_ARTIFACT)
    assert baseline.BaselinePredictor.load("unnamed", legacy).slots == (TARGET_SLOT, OTHER_SLOT)  # has a window
    for pipe in parts["stance"].values():
        features = pipe.named_steps["features"]
        features.transformer_list = [(n, t) for n, t in features.transformer_list if n != "slot_window"]
    joblib.dump(parts, legacy / baseline.LEGACY_ARTIFACT)
    old = baseline.BaselinePredictor.load("old", legacy)
    assert old.slots == baseline.LEGACY_SLOTS
    old.stance = {name: Recorder() for name in old.stance}
    old.predict(["Rusia menuding NATO memperluas pengaruh."])
    assert old.stance["NATO"].seen == [" pihaklain  menuding  sasaran  memperluas pengaruh."]
    assert old.stance["Russia"].seen == [" sasaran  menuding  pihaklain  memperluas pengaruh."]


def test_a_default_stored_with_joblib_predicts_as_the_pickled_one(default_tag: str, tmp_path: Path) -> None:
    import joblib

    from sikap.models.store import get_model

    stored = Path(get_model(default_tag).path)
    assert (stored / baseline.ARTIFACT).exists() and not (stored / baseline.LEGACY_ARTIFACT).exists()
    (tmp_path / "targets.yaml").write_bytes((stored / "targets.yaml").read_bytes())
    joblib.dump(baseline.read_artifact(stored), tmp_path / baseline.LEGACY_ARTIFACT, compress=3)
    texts = ["Rusia menuding NATO memperluas pengaruh.", "Ukraina menerima bantuan dari negara anggota NATO."]
    new, legacy = (baseline.BaselinePredictor.load("t", d) for d in (stored, tmp_path))
    assert legacy.predict(texts) == new.predict(texts)
