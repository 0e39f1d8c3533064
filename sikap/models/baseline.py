"""The embedded default model: TF-IDF features and logistic regression, trained offline in seconds (served
through :mod:`sikap.models.baseline_predictor`, without scikit-learn).

Sentiment reads the raw sentence. Stance reads the sentence with the target's mentions
replaced by a placeholder and other targets' mentions by another, so the model learns
*what is said about the slot* rather than which country fills it; beside the sentence's
n-grams it reads the words on either side of the slot (:mod:`sikap.models.slot_window`).
One stance classifier per target.
"""

import time
from pathlib import Path

import joblib
from rich.console import Console
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from sikap.cpu import free_cores
from sikap.data.labels import EVALUATION_SPLITS, LabeledSentence, LabelSet, label_mentions, labels_hash
from sikap.evaluation.metrics import evaluate_predictions, headline
from sikap.models.baseline_predictor import BaselinePredictor
from sikap.models.char_ngrams import CharNgramVectorizer
from sikap.models.slot_window import SlotWindow
from sikap.text.targets import MentionDetector, Target

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


# Newton-CG since December 2026: it reaches the optimum in 4-6 Newton steps where L-BFGS stopped at its tolerance
# after 39-84 iterations, short of it. On the shipped labels the six fits took 37 CPU-s with the features instead of
# 78 (sentiment alone: 11.6 against 31.8), and the chosen heads scored the same on dev within noise (macro-F1
# sentiment 0.773 vs 0.776, NATO 0.853 both, Russia 0.766 both, Ukraine 0.787 vs 0.791).
SOLVER = "newton-cg"


def make_classifier(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000, solver=SOLVER)


def fit_classifier(c: float, features, labels: list[str]) -> LogisticRegression:
    """One classifier of the C grid, fitted with one BLAS thread: the same weights in a worker process as in
    this one, however many workers the free cores allow."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return make_classifier(c).fit(features, labels)


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
    """Fit on train, select each classifier's C on dev; returns the predictor (its pipelines frozen) and a
    selection log.

    ``slot_width``: the stance classifiers' window around the target's slot (0: the sentence's n-grams only)."""
    sentiment, per_target, log = fit_pipelines(labels, targets, console, slot_width)
    return BaselinePredictor("unsaved", targets, sentiment, per_target), log


def fit_pipelines(
    labels: LabelSet, targets: list[Target], console: Console | None = None, slot_width: int = SLOT_WIDTH
) -> tuple[Pipeline, dict[str, Pipeline], dict]:
    """:func:`fit_baseline`'s fitted scikit-learn pipelines: sentiment, stance by target, and the selection log."""
    console = console or Console(stderr=True)
    detector = MentionDetector(targets)
    names = [t.name for t in targets]
    train, dev = labels.split("train"), labels.split("dev")
    train_stance, dev_stance = _stance_data(train, detector, names), _stance_data(dev, detector, names)
    log: dict = {"sentiment": {}, "stance": {}, "slot_width": slot_width}
    parallel = False  # whether a grid ran in joblib's worker processes

    def best_c(
        x: list[str], y: list[str], dx: list[str], dy: list[str], scores: dict, width: int = 0
    ) -> tuple[float, Pipeline]:
        """Features fitted once, then one classifier per C in ``C_GRID``; the best on dev wins (``scores``:
        dev macro-F1 by C)."""
        from sklearn.metrics import f1_score

        features = make_features(width)
        features_x = features.fit_transform(x)  # one pass over the texts (fit, then transform, read them twice)
        features_dx = features.transform(dx) if dx else None
        nonlocal parallel
        workers = grid_workers(len(y))
        parallel |= workers > 1
        fitted = joblib.Parallel(n_jobs=workers)(joblib.delayed(fit_classifier)(c, features_x, y) for c in C_GRID)
        scored = []
        for c, classifier in zip(C_GRID, fitted, strict=True):
            score = f1_score(dy, classifier.predict(features_dx), average="macro", zero_division=0) if dx else 0.0
            scores[str(c)] = round(float(score), 4)
            scored.append((score, c, classifier))
        score, c, classifier = max(scored, key=lambda t: t[0])
        return c, Pipeline([("features", features), ("classifier", classifier)])

    try:
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
    finally:
        if parallel:
            stop_grid_workers()
    return sentiment, per_target, log


def stop_grid_workers() -> None:
    """Stop joblib's worker processes. joblib keeps them for reuse, idle for five minutes: a process that fitted
    the default in parallel would otherwise leave them behind, or wait for them when it exits (a
    ``multiprocessing`` child does). ``reuse=True``: the executor the grid ran on, not a new one."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(reuse=True).shutdown(wait=True)


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
