"""The predictor interface and the output contract every backend returns."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.text.targets import Mention, MentionDetector, Target

if TYPE_CHECKING:
    from sikap.data.labels import LabeledSentence


def _scores(labels: Sequence[str], probabilities: np.ndarray) -> dict[str, float]:
    return {label: round(float(p), 4) for label, p in zip(labels, probabilities, strict=True)}


class Predictor(ABC):
    """Turns sentences into contract records; backends supply only class probabilities.

    A target with no mention is ``none`` with probability 1, whatever the backend says,
    so ``none`` always agrees with mention detection.
    """

    kind: str = "abstract"
    context_mode: str = "none"  # which article context the model reads (see sikap.text.sentence_context)

    def __init__(self, tag: str, targets: list[Target], metadata: dict | None = None):
        self.tag = tag
        self.targets = targets
        self.detector = MentionDetector(targets)
        self.metadata = metadata or {}

    @property
    def target_names(self) -> list[str]:
        return [t.name for t in self.targets]

    @abstractmethod
    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Sentiment probabilities, shape (n, 3) in :data:`SENTIMENTS` order, and per target
        stance probabilities, shape (n, 3) in :data:`MENTIONED_STANCES` order (rows of
        sentences that do not mention the target are ignored). ``contexts``: each sentence's
        article context (models whose ``context_mode`` is ``none`` ignore it)."""

    def predict(
        self,
        texts: list[str],
        ids: Sequence[str | None] | None = None,
        mentions: Sequence[dict[str, list[Mention]]] | None = None,
        contexts: Sequence[str] | None = None,
    ) -> list[dict]:
        """Contract records for ``texts``, in order; ``mentions`` (e.g. resolved in article context by
        :class:`sikap.text.context_mentions.ContextMentionDetector`) replace sentence-level alias detection;
        ``contexts`` are the sentences' article contexts for :attr:`context_mode` (none: sentences alone).

        >>> predictor.predict(["Kremlin mengecam NATO."])[0]["stance"]["NATO"]["label"]  # doctest: +SKIP
        'oppose'
        """
        if not texts:
            return []
        if mentions is None:
            mentions = [self.detector.find(text) for text in texts]
        elif len(mentions) != len(texts):
            raise ValueError(f"{len(mentions)} mention sets for {len(texts)} texts")
        mentions = list(mentions)
        if contexts is not None and len(contexts) != len(texts):
            raise ValueError(f"{len(contexts)} contexts for {len(texts)} texts")
        sentiment, stance = self.probabilities(texts, mentions, list(contexts) if contexts is not None else None)
        return self.records(texts, mentions, sentiment, stance, ids)

    def records(
        self,
        texts: list[str],
        mentions: list[dict[str, list[Mention]]],
        sentiment: np.ndarray,
        stance: dict[str, np.ndarray],
        ids: Sequence[str | None] | None = None,
    ) -> list[dict]:
        """Contract records from probabilities already computed (as :meth:`probabilities` returns them)."""
        ids = ids if ids is not None else [None] * len(texts)
        results = []
        for i, text in enumerate(texts):
            record = {
                "id": ids[i],
                "text": text,
                "sentiment": {
                    "label": SENTIMENTS[int(np.argmax(sentiment[i]))],
                    "scores": _scores(SENTIMENTS, sentiment[i]),
                },
                "stance": {},
                "model": self.tag,
            }
            for name in self.target_names:
                found = mentions[i][name]
                if found:
                    probs = stance[name][i]
                    label = MENTIONED_STANCES[int(np.argmax(probs))]
                    scores = {**_scores(MENTIONED_STANCES, probs), "none": 0.0}
                else:
                    label, scores = "none", {**dict.fromkeys(MENTIONED_STANCES, 0.0), "none": 1.0}
                record["stance"][name] = {"label": label, "scores": scores, "mentions": [m.text for m in found]}
            results.append(record)
        return results

    def predict_labeled(self, rows: "Sequence[LabeledSentence]") -> list[dict]:
        """Contract records for labeled sentences, with mentions and contexts taken from their articles."""
        from sikap.data.labels import label_contexts, label_mentions

        rows = list(rows)
        return self.predict(
            [s.text for s in rows],
            [s.id for s in rows],
            label_mentions(rows, self.detector),
            label_contexts(rows, self.context_mode),
        )

    def describe(self) -> dict:
        """What ``/metadata`` shows about this model."""
        return {"tag": self.tag, "kind": self.kind, "targets": self.target_names, **self.metadata}
