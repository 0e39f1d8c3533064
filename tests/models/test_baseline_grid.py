"""The embedded default's C grid: fitted in parallel on the free cores, with the same result as one at a time."""

import copy
from pathlib import Path

import numpy as np
import psutil
import pytest
from rich.console import Console

from sikap.data.labels import load_labels
from sikap.models import baseline
from sikap.models.baseline_predictor import (
    ARTIFACT,
    LEGACY_ARTIFACT,
    LEGACY_SLOTS,
    PIPELINES_ARTIFACT,
    BaselinePredictor,
)
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
    # joblib's workers are stopped once the grids are done, not kept idle for reuse (minutes); its resource
    # tracker stays, and ends with this process
    workers = [p for p in psutil.Process().children(recursive=True) if "LokyProcess" in " ".join(p.cmdline())]
    assert not workers, [" ".join(p.cmdline())[:200] for p in workers]
    assert first_log == second_log
    classifiers = [(p.sentiment, *p.stance.values()) for p in (first, second)]
    for one, two in zip(*classifiers, strict=True):
        np.testing.assert_array_equal(one.coef, two.coef)


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


@pytest.fixture(scope="module")
def pipelines(sample_labels: Path) -> tuple:
    """Fitted scikit-learn pipelines of the default (sentiment, stance by target), as older defaults stored them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIKAP_LABELS", str(sample_labels))
        targets = load_targets()
        sentiment, stance, _ = baseline.fit_pipelines(load_labels(targets=targets), targets, Console(quiet=True))
    return sentiment, stance


def store_legacy(directory: Path, parts: dict, writer: str, targets_from: Path) -> Path:
    """A default as stored before its pipelines were frozen: pickled and gzipped, or written with joblib."""
    import gzip
    import pickle

    import joblib

    directory.mkdir()
    (directory / "targets.yaml").write_bytes((targets_from / "targets.yaml").read_bytes())
    if writer == "pickle":
        (directory / PIPELINES_ARTIFACT).write_bytes(gzip.compress(pickle.dumps(parts)))
    else:
        joblib.dump(parts, directory / LEGACY_ARTIFACT, compress=3)
    return directory


def test_a_stored_default_masks_mentions_with_the_words_it_was_trained_on(
    default_tag: str, pipelines: tuple, tmp_path: Path
) -> None:
    """Defaults stored before the mask words changed (no slot window, no ``slots``) still see "sasaran" and
    "pihaklain"; new ones name theirs."""
    from sikap.models.store import get_model
    from sikap.text.targets import OTHER_SLOT, TARGET_SLOT

    stored = Path(get_model(default_tag).path)
    assert BaselinePredictor.load("new", stored).slots == (TARGET_SLOT, OTHER_SLOT)
    sentiment, stance = pipelines
    unnamed = store_legacy(tmp_path / "unnamed", {"sentiment": sentiment, "stance": stance}, "joblib", stored)
    assert BaselinePredictor.load("unnamed", unnamed).slots == (TARGET_SLOT, OTHER_SLOT)  # has a window
    windowless = copy.deepcopy(stance)
    for pipe in windowless.values():
        features = pipe.named_steps["features"]
        features.transformer_list = [(n, t) for n, t in features.transformer_list if n != "slot_window"]
    legacy = store_legacy(tmp_path / "legacy", {"sentiment": sentiment, "stance": windowless}, "joblib", stored)
    old = BaselinePredictor.load("old", legacy)
    assert old.slots == LEGACY_SLOTS
    old.stance = {name: Recorder() for name in old.stance}
    old.predict(["Rusia menuding NATO memperluas pengaruh."])
    assert old.stance["NATO"].seen == [" pihaklain  menuding  sasaran  memperluas pengaruh."]
    assert old.stance["Russia"].seen == [" sasaran  menuding  pihaklain  memperluas pengaruh."]


@pytest.mark.parametrize("writer", ["pickle", "joblib"])
def test_a_default_stored_as_fitted_pipelines_predicts_as_the_frozen_one(
    default_tag: str, pipelines: tuple, tmp_path: Path, writer: str
) -> None:
    from sikap.models.store import get_model
    from sikap.text.targets import load_targets

    stored = Path(get_model(default_tag).path)
    assert (stored / ARTIFACT).exists() and not (stored / PIPELINES_ARTIFACT).exists()
    sentiment, stance = pipelines
    slots = list(BaselinePredictor.load("t", stored).slots)
    old = store_legacy(tmp_path / writer, {"sentiment": sentiment, "stance": stance, "slots": slots}, writer, stored)
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    BaselinePredictor("t", load_targets(), sentiment, stance).save(frozen, stored / "targets.yaml")
    texts = ["Rusia menuding NATO memperluas pengaruh.", "Ukraina menerima bantuan dari negara anggota NATO."]
    new, legacy = (BaselinePredictor.load("t", d) for d in (frozen, old))
    assert legacy.predict(texts) == new.predict(texts)
