"""The embedded default model: TF-IDF features and logistic regression, trained offline in seconds.

Sentiment reads the raw sentence. Stance reads the sentence with the target's mentions
replaced by a placeholder and other targets' mentions by another, so the model learns
*what is said about the slot* rather than which country fills it; beside the sentence's
n-grams it reads the words on either side of the slot (:mod:`sikap.models.slot_window`).
One stance classifier per target.
"""

import gzip
import pickle
import shutil
import time
from pathlib import Path

import joblib
import numpy as np
from rich.console import Console
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from sikap.cpu import free_cores
from sikap.data.labels import EVALUATION_SPLITS, LabeledSentence, LabelSet, label_mentions, labels_hash
from sikap.evaluation.metrics import evaluate_predictions, headline
from sikap.models import lean_pipeline
from sikap.models.char_ngrams import CharNgramVectorizer
from sikap.models.predictor import Predictor
from sikap.models.slot_window import SlotWindow
from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.text.targets import OTHER_SLOT, TARGET_SLOT, Mention, MentionDetector, Target, load_targets

# The fitted pipelines, pickled (the C pickler) and gzipped. joblib's pickler is written in Python: for the
# default's vocabularies (over a million entries) it took 2.5 s to write and 2.1 s to read, against 0.75 and 0.24.
ARTIFACT = "baseline.pickle.gz"
LEGACY_ARTIFACT = "baseline.joblib"  # defaults stored before December 2026 (still read)
# The mask words of defaults stored before December 2026, whose artifact does not name its own.
LEGACY_SLOTS = ("sasaran", "pihaklain")
# The C values tried per classifier, the best on dev kept. 16 was tried too until December 2026: it never won
# (dev macro-F1 by C for sentiment / NATO / Russia / Ukraine: 0.777 / 0.853 / 0.766 / 0.791 at the chosen 4 / 1 / 4 / 1,
# 0.774 / 0.852 / 0.757 / 0.781 at 16) and took a third of the fits (22 of 58 CPU-s on the shipped labels).
C_GRID = (1.0, 4.0)
SLOT_WIDTH = 15  # stance: tokens each side of the slot; chosen on dev (benchmarks/default_ablation.py)
PARALLEL_GRID_ROWS = 5000  # a fit on fewer sentences takes about as long as starting two worker processes


def make_features(slot_width: int = 0) -> FeatureUnion:
    """Word 1-2-grams and character 2-5-grams (counted per word: :mod:`sikap.models.char_ngrams`), TF-IDF weighted;
    with a ``slot_width`` (stance), also the side-tagged words and bigrams within that many tokens of the slot."""
    parts = [
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
        (
            "chars",
            CharNgramVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=60000
            ),
        ),
    ]
    if slot_width:
        parts.append(("slot_window", TfidfVectorizer(analyzer=SlotWindow(slot_width), sublinear_tf=True, min_df=2)))
    return FeatureUnion(parts)


def grid_workers(rows: int) -> int:
    """Processes for the C grid of a fit on ``rows`` sentences: one per C value, at most the cores not already
    busy; one below ``PARALLEL_GRID_ROWS``, where starting worker processes costs more than the fits."""
    if rows < PARALLEL_GRID_ROWS:
        return 1
    return max(1, min(len(C_GRID), free_cores()))


def make_classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000)


def fit_classifier(c: float, features, labels: list[str]) -> LogisticRegression:
    """One classifier of the C grid, fitted with one BLAS thread: the same weights in a worker process as in
    this one, however many workers the free cores allow."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return make_classifier(c).fit(features, labels)


def _ordered_proba(pipe: Pipeline, texts: list[str], classes: tuple[str, ...]) -> np.ndarray:
    """Probabilities with columns in ``classes`` order (a class unseen in training gets 0)."""
    raw = lean_pipeline.predict_proba(pipe, texts)
    out = np.zeros((len(texts), len(classes)))
    for j, cls in enumerate(pipe.classes_):
        out[:, classes.index(cls)] = raw[:, j]
    return out


class BaselinePredictor(Predictor):
    kind = "baseline"

    def __init__(
        self,
        tag: str,
        targets: list[Target],
        sentiment: Pipeline,
        stance: dict[str, Pipeline],
        metadata: dict | None = None,
        slots: tuple[str, str] = (TARGET_SLOT, OTHER_SLOT),
    ):
        super().__init__(tag, targets, metadata)
        self.sentiment = sentiment
        self.stance = stance  # target name -> pipeline
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
        parts = {"sentiment": self.sentiment, "stance": self.stance, "slots": self.slots}
        (directory / ARTIFACT).write_bytes(gzip.compress(pickle.dumps(parts, protocol=5), compresslevel=3))
        shutil.copy(targets_path, directory / "targets.yaml")

    @classmethod
    def load(cls, tag: str, directory: Path, metadata: dict | None = None) -> "BaselinePredictor":
        parts = read_artifact(directory)
        slots = tuple(parts.get("slots") or _slots_of_unnamed(parts["stance"]))
        return cls(tag, load_targets(directory / "targets.yaml"), parts["sentiment"], parts["stance"], metadata, slots)


def read_artifact(directory: Path) -> dict:
    """The pickled parts of a stored default (``ARTIFACT``, or ``LEGACY_ARTIFACT`` written with joblib)."""
    if (directory / ARTIFACT).exists():
        return pickle.loads(gzip.decompress((directory / ARTIFACT).read_bytes()))
    return joblib.load(directory / LEGACY_ARTIFACT)


def _slots_of_unnamed(stance: dict[str, Pipeline]) -> tuple[str, str]:
    """The mask words of an artifact that does not name them: those of the slot window where the stance
    features have one (December 2026 on), else the legacy words."""
    steps = [dict(p.named_steps["features"].transformer_list) for p in stance.values()]
    return (TARGET_SLOT, OTHER_SLOT) if any("slot_window" in s for s in steps) else LEGACY_SLOTS


def _stance_data(rows: list[LabeledSentence], detector: MentionDetector, names: list[str]) -> dict[str, tuple]:
    found = dict(zip((s.id for s in rows), label_mentions(rows, detector), strict=True))
    data = {}
    for name in names:
        kept = [s for s in rows if s.stance[name] != "none"]
        data[name] = ([detector.mask(s.text, name, mentions=found[s.id]) for s in kept], [s.stance[name] for s in kept])
    return data


def fit_baseline(
    labels: LabelSet, targets: list[Target], console: Console | None = None, slot_width: int = SLOT_WIDTH
) -> tuple[BaselinePredictor, dict]:
    """Fit on train, select each classifier's C on dev; returns the predictor and a selection log.

    ``slot_width``: the stance classifiers' window around the target's slot (0: the sentence's n-grams only)."""
    console = console or Console(stderr=True)
    detector = MentionDetector(targets)
    names = [t.name for t in targets]
    train, dev = labels.split("train"), labels.split("dev")
    train_stance, dev_stance = _stance_data(train, detector, names), _stance_data(dev, detector, names)
    log: dict = {"sentiment": {}, "stance": {}, "slot_width": slot_width}

    def best_c(
        x: list[str], y: list[str], dx: list[str], dy: list[str], scores: dict, width: int = 0
    ) -> tuple[float, Pipeline]:
        """Features fitted once, then one classifier per C in ``C_GRID``; the best on dev wins (``scores``:
        dev macro-F1 by C)."""
        from sklearn.metrics import f1_score

        features = make_features(width)
        features_x = features.fit_transform(x)  # one pass over the texts (fit, then transform, read them twice)
        features_dx = features.transform(dx) if dx else None
        fitted = joblib.Parallel(n_jobs=grid_workers(len(y)))(
            joblib.delayed(fit_classifier)(c, features_x, y) for c in C_GRID
        )
        scored = []
        for c, classifier in zip(C_GRID, fitted, strict=True):
            score = f1_score(dy, classifier.predict(features_dx), average="macro", zero_division=0) if dx else 0.0
            scores[str(c)] = round(float(score), 4)
            scored.append((score, c, classifier))
        score, c, classifier = max(scored, key=lambda t: t[0])
        return c, Pipeline([("features", features), ("classifier", classifier)])

    with console.status("Training the embedded default: sentiment…"):
        c, sentiment = best_c(
            [s.text for s in train],
            [s.sentiment for s in train],
            [s.text for s in dev],
            [s.sentiment for s in dev],
            log["sentiment"],
        )
    console.log(f"sentiment: C={c} (dev macro-F1 by C: {log['sentiment']})")

    # One stance classifier per target. A single classifier shared across the targets was also fitted and
    # chosen between on dev until December 2026; it lost every time (last: dev 0.764 vs 0.780) and cost a
    # third of the build.
    with console.status("Training the embedded default: stance, one model per target…"):
        per_target = {}
        for name in names:
            log["stance"][name] = {}
            c, per_target[name] = best_c(*train_stance[name], *dev_stance[name], log["stance"][name], slot_width)
            console.log(f"stance {name}: C={c} (dev macro-F1 by C: {log['stance'][name]})")
    return BaselinePredictor("unsaved", targets, sentiment, per_target), log


def train_baseline(labels: LabelSet, targets: list[Target], targets_path: Path, console: Console | None = None) -> str:
    """Fit, evaluate on dev and test, and save as ``sikap-default:<version>``; returns the tag."""
    from datetime import UTC, datetime

    from sikap.models.store import BASELINE_NAME, new_version, save_model

    console = console or Console(stderr=True)
    started = time.perf_counter()
    predictor, selection = fit_baseline(labels, targets, console)
    names = [t.name for t in targets]
    metrics = {
        split: evaluate_predictions(rows, predictor.predict_labeled(rows), names)
        for split in EVALUATION_SPLITS
        if (rows := labels.split(split))
    }
    data_hash = labels_hash()
    metadata = {
        "kind": "baseline",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "labels_hash": data_hash,
        "train_size": len(labels.split("train")),
        "selection": selection,
        "train_seconds": round(time.perf_counter() - started, 1),
        "metrics": {split: headline(m) for split, m in metrics.items()},
    }

    def write(directory: Path) -> None:
        predictor.save(directory, targets_path)
        from sikap.evaluation.metrics import write_report

        for split, m in metrics.items():
            write_report(m, directory / "reports" / split, f"sikap-default — {split} split")

    tag = save_model(BASELINE_NAME, "baseline", new_version(data_hash), metadata, write)
    console.log(f"saved {tag} in {metadata['train_seconds']} s; metrics {metadata['metrics']}")
    return tag
