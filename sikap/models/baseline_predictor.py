"""The embedded default as served: its frozen pipelines (:mod:`sikap.models.frozen_tfidf`), masking and storage.

Loading and running a default stored since December 2026 imports no scikit-learn; older artifacts (fitted
scikit-learn pipelines, pickled or written with joblib) are still read, and frozen as they load. Training:
:mod:`sikap.models.baseline`.
"""

import gzip
import pickle
import shutil
from pathlib import Path

import numpy as np

from sikap.models.frozen_tfidf import FrozenPipeline
from sikap.models.predictor import Predictor
from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.text.targets import OTHER_SLOT, TARGET_SLOT, Mention, Target, load_targets

# The frozen pipelines' states (plain arrays, lists and words), pickled with the C pickler and gzipped.
ARTIFACT = "baseline-frozen.pickle.gz"
# Defaults stored before: the fitted scikit-learn pipelines, pickled and gzipped (early December 2026), or
# written with joblib (before December 2026; joblib's pickler, written in Python, read them 9× slower).
PIPELINES_ARTIFACT = "baseline.pickle.gz"
LEGACY_ARTIFACT = "baseline.joblib"
# The mask words of defaults stored before December 2026, whose artifact does not name its own.
LEGACY_SLOTS = ("sasaran", "pihaklain")


def _ordered_proba(pipe, texts: list[str], classes: tuple[str, ...]) -> np.ndarray:
    """Probabilities with columns in ``classes`` order (a class unseen in training gets 0)."""
    raw = pipe.predict_proba(texts)
    out = np.zeros((len(texts), len(classes)))
    for j, cls in enumerate(pipe.classes_):
        out[:, classes.index(cls)] = raw[:, j]
    return out


def _frozen(pipe) -> FrozenPipeline:
    if isinstance(pipe, FrozenPipeline):
        return pipe
    from sikap.models.frozen_tfidf import freeze

    return freeze(pipe)


class BaselinePredictor(Predictor):
    """Sentiment from the raw sentence; stance per target from the sentence with the target's mentions masked.

    Fitted scikit-learn pipelines given to it are frozen: every default predicts through the same code."""

    kind = "baseline"

    def __init__(
        self,
        tag: str,
        targets: list[Target],
        sentiment,
        stance: dict,
        metadata: dict | None = None,
        slots: tuple[str, str] = (TARGET_SLOT, OTHER_SLOT),
    ):
        super().__init__(tag, targets, metadata)
        self.sentiment = _frozen(sentiment)
        self.stance = {name: _frozen(pipe) for name, pipe in stance.items()}  # target name -> pipeline
        self.slots = slots  # the words the stance pipelines were trained to see in place of mentions

    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        out = {}
        own, other = (f" {slot} " for slot in self.slots)
        for name in self.target_names:
            probs = np.zeros((len(texts), len(MENTIONED_STANCES)))
            rows = [i for i, m in enumerate(mentions) if m[name]]
            if rows:
                masked = [self.detector.mask(texts[i], name, own, other, mentions[i]) for i in rows]
                probs[rows] = _ordered_proba(self.stance[name], masked, MENTIONED_STANCES)
            out[name] = probs
        return _ordered_proba(self.sentiment, texts, SENTIMENTS), out

    def save(self, directory: Path, targets_path: Path) -> None:
        parts = {
            "sentiment": self.sentiment.state(),
            "stance": {name: pipe.state() for name, pipe in self.stance.items()},
            "slots": list(self.slots),
        }
        (directory / ARTIFACT).write_bytes(gzip.compress(pickle.dumps(parts, protocol=5), compresslevel=3))
        shutil.copy(targets_path, directory / "targets.yaml")

    @classmethod
    def load(cls, tag: str, directory: Path, metadata: dict | None = None) -> "BaselinePredictor":
        parts = read_artifact(directory)
        if isinstance(parts["sentiment"], dict):  # frozen states (ARTIFACT); else fitted pipelines, frozen below
            sentiment = FrozenPipeline.from_state(parts["sentiment"])
            stance = {name: FrozenPipeline.from_state(state) for name, state in parts["stance"].items()}
            slots = tuple(parts["slots"])
        else:
            sentiment, stance = parts["sentiment"], parts["stance"]
            slots = tuple(parts.get("slots") or _slots_of_unnamed(stance))
        return cls(tag, load_targets(directory / "targets.yaml"), sentiment, stance, metadata, slots)


def read_artifact(directory: Path) -> dict:
    """The stored parts of a default: the frozen pipelines' states (``ARTIFACT``), else the fitted scikit-learn
    pipelines of an older one (``PIPELINES_ARTIFACT``, or ``LEGACY_ARTIFACT`` written with joblib)."""
    for name in (ARTIFACT, PIPELINES_ARTIFACT):
        if (directory / name).exists():
            return pickle.loads(gzip.decompress((directory / name).read_bytes()))
    import joblib

    return joblib.load(directory / LEGACY_ARTIFACT)


def _slots_of_unnamed(stance: dict) -> tuple[str, str]:
    """The mask words of an artifact that does not name them: those of the slot window where the stance
    features have one (December 2026 on), else the legacy words."""
    steps = [dict(p.named_steps["features"].transformer_list) for p in stance.values()]
    return (TARGET_SLOT, OTHER_SLOT) if any("slot_window" in s for s in steps) else LEGACY_SLOTS
