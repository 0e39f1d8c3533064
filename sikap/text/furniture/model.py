"""The furniture line classifier: two stacked logistic regressions over a page's lines.

The first stage scores each line from its shape, place and neighbourhood
(:mod:`sikap.text.furniture.features`, :mod:`sikap.text.furniture.context`); the second
(:mod:`sikap.text.furniture.sequence`) rescores it from the first stage's view of the lines around
it. Both are trained on page mock-ups (:mod:`sikap.text.furniture.train`) and shipped as
``detector.json`` (feature weights per class, rounded), so serving never trains. An artifact
without a second stage (the first, single-stage detector) is still read and applied as it was.

A line that repeats an earlier line of the page is a ``duplicate``; one that matches a fixed
pattern (:mod:`sikap.text.furniture.rules`) is furniture of that kind; otherwise a line is
furniture only when the model gives content a probability below ``threshold`` (chosen on
validation styles so that real sentences are practically never set aside), and a sentence with a
verb in the middle of the body only below a tenth of it; its kind is the most probable
furniture class.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sikap.text.furniture.context import add_context
from sikap.text.furniture.features import (
    SENTENCE_END,
    clean_line,
    duplicates,
    page_features,
    repeated_later,
    words_of,
)
from sikap.text.furniture.mockups import CONTENT
from sikap.text.furniture.rules import furniture_reason
from sikap.text.furniture.sequence import stage2_features

ARTIFACT = Path(__file__).with_name("detector.json")
DUPLICATE = "duplicate"
STRONG = 0.1  # a protected line (or a headline the page repeats) needs this share of the threshold


@dataclass(frozen=True)
class Detector:
    """Per-class feature weights of both stages (``context`` is ``None`` for a single-stage detector)."""

    classes: tuple[str, ...]
    weights: dict[str, list[float]]
    threshold: float
    context: dict[str, list[float]] | None = None

    def probabilities(self, features: dict[str, float], weights: dict[str, list[float]] | None = None) -> list[float]:
        weights = self.weights if weights is None else weights
        rows = []
        for name, value in features.items():
            row = weights.get(name)
            if row is not None:
                rows.append(row if value == 1 else [w * value for w in row])
        # Column sums in feature order: the same floating-point result as adding row by row, faster.
        scores = [sum(column) for column in zip(*rows, strict=True)] if rows else [0.0] * len(self.classes)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def decide(self, probs: list[float], threshold: float | None = None) -> str | None:
        """The furniture kind for class ``probs``, or ``None`` for content (``threshold`` overrides the detector's)."""
        content = self.classes.index(CONTENT)
        if probs[content] >= (self.threshold if threshold is None else threshold):
            return None
        return max((p, c) for c, p in zip(self.classes, probs, strict=True) if c != CONTENT)[1]

    def kind(self, features: dict[str, float], threshold: float | None = None) -> str | None:
        """The first-stage furniture kind of a line, or ``None`` for content."""
        return self.decide(self.probabilities(features), threshold)

    def page_probabilities(
        self, texts: list[str], fixed: list[str | None], first_copies: list[bool]
    ) -> tuple[list[dict[str, float]], list[list[float]], list[list[float]]]:
        """Features, first-stage and final class probabilities of each (cleaned, non-empty) line of a page.

        ``fixed`` and ``first_copies`` as :func:`sikap.text.furniture.sequence.stage2_features` takes them.
        """
        features = page_features(texts)
        if self.context is None:
            first = [self.probabilities(f) for f in features]
            return features, first, first
        add_context(texts, features)
        first = [self.probabilities(f) for f in features]
        content, kinds = first_stage_view(self.classes, first)
        second = stage2_features(texts, features, content, kinds, fixed, first_copies)
        return features, first, [self.probabilities(f, self.context) for f in second]

    def to_json(self) -> str:
        body = {"classes": list(self.classes), "threshold": self.threshold, "weights": self.weights}
        if self.context is not None:
            body["context"] = self.context
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Detector":
        body = json.loads(text)
        return cls(tuple(body["classes"]), body["weights"], body["threshold"], body.get("context"))


def first_stage_view(classes: tuple[str, ...], probs: list[list[float]]) -> tuple[list[float], list[str]]:
    """Content probability and most likely kind (``content`` when content is at least even) of each line."""
    k = classes.index(CONTENT)
    content = [p[k] for p in probs]
    kinds = [
        CONTENT if p[k] >= 0.5 else max((q, c) for c, q in zip(classes, p, strict=True) if c != CONTENT)[1]
        for p in probs
    ]
    return content, kinds


def protected(features: dict[str, float]) -> bool:
    """A sentence with a verb between the first and the last paragraph: set aside only on strong evidence."""
    return "predicate" in features and "in_body" in features and "last_paragraph" not in features


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
    fixed = fixed_kinds(texts)
    # The first copy of a line the page repeats is most often its headline: the model must be ten times surer.
    first_copies = repeated_later(texts)
    if use_model:
        features, first, final = detector.page_probabilities(texts, fixed, first_copies)
    content = detector.classes.index(CONTENT)
    for n, (i, kind) in enumerate(zip(kept, fixed, strict=True)):
        if kind or not use_model:
            out[i] = kind
        elif detector.context is not None and protected(features[n]):
            # Strong evidence: both stages must find the line unlike content, against a tenth of the threshold.
            probs = max(first[n], final[n], key=lambda p: p[content])
            out[i] = detector.decide(probs, detector.threshold * STRONG)
        elif first_copies[n]:
            out[i] = detector.decide(final[n], detector.threshold * STRONG)
        else:
            out[i] = detector.decide(final[n])
    return out


def fixed_kinds(texts: list[str]) -> list[str | None]:
    """The kind the duplicate rule or a fixed pattern gives each line, ``None`` where the model decides."""
    return [DUPLICATE if dup else furniture_reason(text) for text, dup in zip(texts, duplicates(texts), strict=True)]


@lru_cache(maxsize=2)
def load_detector(path: Path = ARTIFACT) -> Detector:
    return Detector.from_json(path.read_text(encoding="utf-8"))
