"""The furniture line classifier: logistic regression over :mod:`sikap.text.furniture.features`.

Trained on page mock-ups (:mod:`sikap.text.furniture.mockups`) and shipped as a small JSON artifact
(``detector.json``: feature weights per class, rounded), so serving never trains.
``python -m sikap.text.furniture.model`` rebuilds it deterministically from the same seed; a test
checks the shipped file equals a rebuild.

A line that repeats an earlier line of the page is a ``duplicate``; one that matches a fixed
pattern (:mod:`sikap.text.furniture.rules`) is furniture of that kind; otherwise a line is furniture only when the model gives content a probability below ``threshold``
(chosen on validation styles so that real sentences are practically never set aside);
its kind is the most probable furniture class.
"""

import argparse
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sikap.text.furniture.features import SENTENCE_END, clean_line, duplicate_key, page_features, words_of
from sikap.text.furniture.mockups import CONTENT, make_pages
from sikap.text.furniture.rules import furniture_reason

ARTIFACT = Path(__file__).with_name("detector.json")
TRAIN_PAGES = 1200
TRAIN_STYLES = 40
SEED = 0
MIN_COUNT = 3
DECIMALS = 4
CONTENT_KEPT = 0.999  # the validation content recall the threshold is set for
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Detector:
    """Per-class feature weights and biases; ``threshold`` on the content probability."""

    classes: tuple[str, ...]
    weights: dict[str, list[float]]
    threshold: float

    def probabilities(self, features: dict[str, float]) -> list[float]:
        scores = [0.0] * len(self.classes)
        for name, value in features.items():
            row = self.weights.get(name)
            if row is not None:
                for k, w in enumerate(row):
                    scores[k] += w * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def kind(self, features: dict[str, float], threshold: float | None = None) -> str | None:
        """The furniture kind of a line, or ``None`` for content (``threshold`` overrides the detector's)."""
        probs = self.probabilities(features)
        content = self.classes.index(CONTENT)
        if probs[content] >= (self.threshold if threshold is None else threshold):
            return None
        return max((p, c) for c, p in zip(self.classes, probs, strict=True) if c != CONTENT)[1]

    def to_json(self) -> str:
        body = {"classes": list(self.classes), "threshold": self.threshold, "weights": self.weights}
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Detector":
        body = json.loads(text)
        return cls(tuple(body["classes"]), body["weights"], body["threshold"])


def repeated_later(lines: list[str]) -> list[bool]:
    """Whether each line is the first of several copies in the page (a headline the body repeats)."""
    keys = [duplicate_key(line) for line in lines]
    counts = Counter(keys)
    seen: set[str] = set()
    out = []
    for key in keys:
        out.append(len(key.split()) >= 3 and counts[key] > 1 and key not in seen)
        seen.add(key)
    return out


def duplicates(lines: list[str]) -> list[bool]:
    """Whether each line repeats an earlier line of the page (three words or more, ignoring case and punctuation)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = duplicate_key(line)
        out.append(len(key.split()) >= 3 and key in seen)
        seen.add(key)
    return out


def classify_lines(lines: list[str], detector: "Detector | None" = None) -> list[str | None]:
    """The furniture kind of each line of a page, ``None`` for content (blank lines give ``None``)."""
    detector = detector or load_detector()
    cleaned = [clean_line(line) for line in lines]
    kept = [i for i, line in enumerate(cleaned) if line]
    texts = [cleaned[i] for i in kept]
    out: list[str | None] = [None] * len(lines)
    # A page without running text is no scraped page (a title alone, a few short sentences): only the
    # duplicate and fixed-pattern rules apply there, since every cue of position would mislead the model.
    use_model = any(len(words_of(text)) >= 8 and SENTENCE_END.search(text) for text in texts)
    # The first copy of a line the page repeats is most often its headline: the model must be ten times surer.
    first_copies = repeated_later(texts)
    rows = zip(kept, texts, page_features(texts), duplicates(texts), first_copies, strict=True)
    for i, text, features, is_dup, first_copy in rows:
        if is_dup:
            out[i] = DUPLICATE
        elif reason := furniture_reason(text):
            out[i] = reason
        elif use_model:
            out[i] = detector.kind(features, detector.threshold / 10 if first_copy else None)
    return out


@lru_cache(maxsize=1)
def load_detector(path: Path = ARTIFACT) -> Detector:
    return Detector.from_json(path.read_text(encoding="utf-8"))


def examples(pages: list[list[tuple[str, str]]]) -> tuple[list[dict], list[str]]:
    """Feature dicts and labels of every non-blank, non-duplicate line of ``pages``."""
    features, labels = [], []
    for page in pages:
        rows = [(clean_line(text), label) for text, label in page if clean_line(text)]
        texts = [t for t, _ in rows]
        for (_, label), f, dup in zip(rows, page_features(texts), duplicates(texts), strict=True):
            if not dup and label != DUPLICATE:
                features.append(f)
                labels.append(label)
    return features, labels


def fit(features: list[dict], labels: list[str], threshold: float = 0.5) -> Detector:
    """Multinomial logistic regression on features seen at least ``MIN_COUNT`` times."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(name for f in features for name in f)
    keep = {name for name, n in counts.items() if n >= MIN_COUNT}
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([{k: v for k, v in f.items() if k in keep} for f in features])
    model = LogisticRegression(C=1.0, solver="newton-cg", max_iter=300, class_weight="balanced")
    model.fit(x, labels)
    names = vectorizer.get_feature_names_out()
    weights = {
        str(name): [round(float(w), DECIMALS) for w in model.coef_[:, j]]
        for j, name in enumerate(names)
        if any(abs(w) >= 10**-DECIMALS for w in model.coef_[:, j])
    }
    weights["bias"] = [
        round(float(b) + w, DECIMALS)
        for b, w in zip(model.intercept_, weights.get("bias", [0.0] * len(model.classes_)), strict=True)
    ]
    return Detector(tuple(str(c) for c in model.classes_), weights, threshold)


def content_threshold(detector: Detector, features: list[dict], labels: list[str], kept: float = CONTENT_KEPT) -> float:
    """The largest threshold keeping at least ``kept`` of the content lines, rounded down to 0.01."""
    content = detector.classes.index(CONTENT)
    scores = sorted(detector.probabilities(f)[content] for f, y in zip(features, labels, strict=True) if y == CONTENT)
    lowest_kept = scores[int(len(scores) * (1 - kept))]
    return max(0.01, math.floor(lowest_kept * 100) / 100)


def build(pages: int = TRAIN_PAGES, styles: int = TRAIN_STYLES, seed: int = SEED) -> Detector:
    """Train on three quarters of the training styles, set the threshold on the last quarter, refit on all."""
    all_pages = make_pages("train", pages, styles, seed)
    fit_pages = [p for i, p in enumerate(all_pages) if i % styles < styles * 3 // 4]
    val_pages = [p for i, p in enumerate(all_pages) if i % styles >= styles * 3 // 4]
    first = fit(*examples(fit_pages))
    threshold = content_threshold(first, *examples(val_pages))
    final = fit(*examples(all_pages), threshold=threshold)
    return final


def main() -> None:
    from sikap.io import write_atomic

    parser = argparse.ArgumentParser(description="Rebuild the shipped furniture detector from page mock-ups.")
    parser.add_argument("--out", type=Path, default=ARTIFACT)
    parser.add_argument("--pages", type=int, default=TRAIN_PAGES)
    args = parser.parse_args()
    detector = build(args.pages)
    write_atomic(args.out, detector.to_json())
    print(
        f"{args.out}: {len(detector.weights)} features, {len(detector.classes)} classes, threshold {detector.threshold}"
    )


if __name__ == "__main__":
    main()
