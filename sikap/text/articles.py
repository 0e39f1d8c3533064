"""Article-level analysis: segment, classify the real sentences, and summarize stance per target."""

from collections import Counter

from sikap.schema import SENTIMENTS, STANCES
from sikap.text.context_mentions import ContextMentionDetector
from sikap.text.segment import segment_article
from sikap.text.sentence_context import article_contexts
from sikap.text.targets import Mention


def article_segments(title: str | None, text: str, repeated: frozenset[int] = frozenset()) -> list[dict]:
    """Sentences and skipped furniture of an article, title first; ``field`` says which string offsets index.

    ``repeated``: body line indices that are corpus boilerplate (see :mod:`sikap.batch.boilerplate`).
    """
    rows = []
    for field, segments in zip(("title", "text"), segment_article(title, text, repeated), strict=True):
        for seg in segments:
            rows.append(
                {
                    "index": len(rows),
                    "field": field,
                    "start": seg.start,
                    "end": seg.end,
                    "text": seg.text,
                    "skipped": seg.skipped,
                    "reason": seg.reason,
                }
            )
    return rows


def summarize(sentences: list[dict], target_names: list[str]) -> dict:
    """Per target: counts per stance class, sentences mentioning it, net stance; sentiment distribution.

    Net stance is ``(support - oppose) / mentioned``, in [-1, 1], ``None`` when never mentioned.
    """
    classified = [s for s in sentences if not s["skipped"]]
    targets = {}
    for name in target_names:
        counts = Counter({label: 0 for label in STANCES})
        counts.update(s["stance"][name]["label"] for s in classified)
        mentioned = sum(bool(s["stance"][name]["mentions"]) for s in classified)
        confidences = [
            s["stance"][name]["scores"][s["stance"][name]["label"]] for s in classified if s["stance"][name]["mentions"]
        ]
        targets[name] = {
            "counts": dict(counts),
            "mentioned": mentioned,
            "net_stance": round((counts["support"] - counts["oppose"]) / mentioned, 4) if mentioned else None,
            "mean_confidence": round(sum(confidences) / len(confidences), 4) if confidences else None,
        }
    sentiment = Counter({label: 0 for label in SENTIMENTS})
    sentiment.update(s["sentiment"]["label"] for s in classified)
    total = len(classified)
    reasons = Counter(s["reason"] or "other" for s in sentences if s["skipped"])
    return {
        "sentences": total,
        "skipped": len(sentences) - total,
        "skipped_reasons": dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        "targets": targets,
        "sentiment": {
            "counts": dict(sentiment),
            "share": {k: round(v / total, 4) if total else 0.0 for k, v in sentiment.items()},
        },
    }


def attach_predictions(segments: list[dict], predictions: list[dict]) -> list[dict]:
    """Merge contract records into the non-skipped segments, in order; skipped ones get nulls."""
    it = iter(predictions)
    out = []
    for seg in segments:
        if seg["skipped"]:
            out.append({**seg, "sentiment": None, "stance": None, "model": None})
        else:
            pred = next(it)
            out.append({**seg, "sentiment": pred["sentiment"], "stance": pred["stance"], "model": pred["model"]})
    return out


def sentences_to_classify(segmented: list[list[dict]]) -> list[str]:
    """The texts of all non-skipped segments of several articles, in order."""
    return [s["text"] for segs in segmented for s in segs if not s["skipped"]]


def article_mentions(segmented: list[list[dict]], resolver: ContextMentionDetector) -> list[dict[str, list[Mention]]]:
    """Mentions for :func:`sentences_to_classify`'s texts, with anaphors resolved within each article."""
    return [
        found for segs in segmented for found in resolver.find_in_article([s["text"] for s in segs if not s["skipped"]])
    ]


def article_sentence_contexts(segmented: list[list[dict]]) -> list[str]:
    """Contexts for :func:`sentences_to_classify`'s texts: the headline and the previous sentence of each
    (see :mod:`sikap.text.sentence_context`), skipped furniture left out."""
    contexts = []
    for segs in segmented:
        kept = [s for s in segs if not s["skipped"]]
        first_is_title = bool(kept) and kept[0]["field"] == "title"
        contexts += article_contexts([s["text"] for s in kept], first_is_title)
    return contexts


def assemble(
    articles: list[dict], segmented: list[list[dict]], predictions: list[dict], target_names: list[str]
) -> list[dict]:
    """Per-article results from segments and the predictions for :func:`sentences_to_classify`."""
    it = iter(predictions)
    results = []
    for article, segs in zip(articles, segmented, strict=True):
        n = sum(not s["skipped"] for s in segs)
        sentences = attach_predictions(segs, [next(it) for _ in range(n)])
        results.append({"id": article.get("id"), "sentences": sentences, "summary": summarize(sentences, target_names)})
    return results

