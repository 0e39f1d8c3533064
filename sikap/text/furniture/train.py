"""Training the shipped furniture detector from page mock-ups, deterministically.

    python -m sikap.text.furniture.train [--out detector.json] [--pages 1200]

The training styles are split in two folds. Each fold's first-stage probabilities come from a
first stage fit on the other fold (as on pages never seen), the second stage learns from them;
second stages fit on one fold score the other fold's content lines, which set the content
threshold; then both stages are refit on all pages. A test checks the shipped file equals a rebuild.
"""

import argparse
import math
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from sikap.text.furniture.context import add_context
from sikap.text.furniture.features import clean_line, duplicates, page_features, repeated_later
from sikap.text.furniture.mockups import CONTENT, make_pages
from sikap.text.furniture.model import ARTIFACT, DUPLICATE, STRONG, Detector, first_stage_view, fixed_kinds, protected
from sikap.text.furniture.sequence import stage2_features

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

TRAIN_PAGES = 1200
TRAIN_STYLES = 40
SEED = 0
MIN_COUNT = 3
DECIMALS = 4
CONTENT_KEPT = 0.998  # the validation content recall the threshold is set for (held-out target: 0.995)

Page = tuple[list[str], list[str], list[dict], list[bool]]  # texts, labels, first-stage features, duplicate


def prepare(page: list[tuple[str, str]]) -> Page:
    """Cleaned non-blank lines of a mock-up page with labels, first-stage features and duplicate flags."""
    rows = [(clean_line(text), label) for text, label in page if clean_line(text)]
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    return texts, labels, add_context(texts, page_features(texts)), duplicates(texts)


def examples(pages: list[Page], stage: list[list[dict]] | None = None) -> tuple[list[dict], list[str]]:
    """Feature dicts (first stage, or ``stage`` per page) and labels of every non-duplicate line."""
    features, labels = [], []
    for n, (_, page_labels, first, dup) in enumerate(pages):
        rows = first if stage is None else stage[n]
        for f, label, is_dup in zip(rows, page_labels, dup, strict=True):
            if not is_dup and label != DUPLICATE:
                features.append(f)
                labels.append(label)
    return features, labels


def vectorize(features: list[dict], keep: set[str]) -> tuple["csr_matrix", list[str]]:
    """The rows of ``features`` (numeric values) over the names in ``keep``, sorted: sklearn's ``DictVectorizer``
    on the features in ``keep``, without its per-value type checks (a sixth of the build's CPU)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    names = sorted(keep)
    column = {name: j for j, name in enumerate(names)}
    indices: list[int] = []
    values: list[float] = []
    indptr = [0]
    for row in features:
        for name, value in row.items():
            if (j := column.get(name)) is not None:
                indices.append(j)
                values.append(value)
        indptr.append(len(indices))
    x = csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(features), len(names)),
    )
    x.sort_indices()
    return x, names


def fit(features: list[dict], labels: list[str]) -> tuple[tuple[str, ...], dict[str, list[float]]]:
    """Multinomial logistic regression on features seen at least ``MIN_COUNT`` times: classes and weights."""
    from sklearn.linear_model import LogisticRegression

    counts = Counter(name for f in features for name in f)
    x, names = vectorize(features, {name for name, n in counts.items() if n >= MIN_COUNT})
    model = LogisticRegression(C=1.0, solver="newton-cg", max_iter=300, class_weight="balanced")
    model.fit(x, labels)
    weights = {
        str(name): [round(float(w), DECIMALS) for w in model.coef_[:, j]]
        for j, name in enumerate(names)
        if any(abs(w) >= 10**-DECIMALS for w in model.coef_[:, j])
    }
    weights["bias"] = [
        round(float(b) + w, DECIMALS)
        for b, w in zip(model.intercept_, weights.get("bias", [0.0] * len(model.classes_)), strict=True)
    ]
    return tuple(str(c) for c in model.classes_), weights


def second_stage(first: Detector, pages: list[Page]) -> tuple[list[list[dict]], list[list[float]]]:
    """Second-stage features of each page from ``first``'s probabilities, and its content probabilities."""
    features, contents = [], []
    for texts, _, page_first, _ in pages:
        content, kinds = first_stage_view(first.classes, [first.probabilities(f) for f in page_first])
        features.append(stage2_features(texts, page_first, content, kinds, fixed_kinds(texts), repeated_later(texts)))
        contents.append(content)
    return features, contents


def content_scores(
    detector: Detector, pages: list[Page], stage: tuple[list[list[dict]], list[list[float]]]
) -> list[float]:
    """The content probability of each content line, scaled as :func:`classify_lines` compares it.

    A line the rules settle does not count; a protected line counts with the larger content probability
    of the two stages and a repeated headline with its own, each against a tenth of the threshold.
    """
    content = detector.classes.index(CONTENT)
    scores = []
    for (texts, labels, first, _), second, first_content in zip(pages, *stage, strict=True):
        rows = zip(labels, first, second, first_content, fixed_kinds(texts), repeated_later(texts), strict=True)
        for label, f1, f2, p1, fixed, first_copy in rows:
            if label == CONTENT and not fixed:
                p = detector.probabilities(f2, detector.context)[content]
                scores.append(max(p, p1) / STRONG if protected(f1) else p / STRONG if first_copy else p)
    return scores


def content_threshold(scores: list[float], kept: float = CONTENT_KEPT) -> float:
    """The largest threshold keeping at least ``kept`` of the content ``scores``, rounded down to 0.01."""
    lowest_kept = sorted(scores)[int(len(scores) * (1 - kept))]
    return max(0.01, math.floor(lowest_kept * 100) / 100)


def build(pages: int = TRAIN_PAGES, styles: int = TRAIN_STYLES, seed: int = SEED) -> Detector:
    """Both stages from the training mock-ups (see the module docstring)."""
    prepared = [prepare(p) for p in make_pages("train", pages, styles, seed)]
    folds = [[p for i, p in enumerate(prepared) if i % styles % 2 == k] for k in (0, 1)]
    oof = []
    for k in (0, 1):
        classes, weights = fit(*examples(folds[1 - k]))
        oof.append(second_stage(Detector(classes, weights, 0.5), folds[k]))
    scores = []
    for k in (0, 1):  # a second stage fit on one fold scores the other's content lines
        classes, context = fit(*examples(folds[k], oof[k][0]))
        scores += content_scores(Detector(classes, {}, 0.5, context), folds[1 - k], oof[1 - k])
    threshold = content_threshold(scores)
    classes, weights = fit(*examples(prepared))
    classes2, context = fit(*examples(folds[0] + folds[1], oof[0][0] + oof[1][0]))
    assert classes2 == classes
    return Detector(classes, weights, threshold, context)


def main() -> None:
    from sikap.io import write_atomic

    parser = argparse.ArgumentParser(description="Rebuild the shipped furniture detector from page mock-ups.")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--pages", type=int, default=TRAIN_PAGES)
    args = parser.parse_args()
    detector = build(args.pages)
    write_atomic(args.out, detector.to_json())
    print(
        f"{args.out}: {len(detector.weights)} + {len(detector.context or {})} features, "
        f"{len(detector.classes)} classes, threshold {detector.threshold}"
    )


if __name__ == "__main__":
    main()
