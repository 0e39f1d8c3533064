"""Score any predictor on labeled rows: the evaluation splits, an ensemble's members side by side, tables."""

from typing import TYPE_CHECKING

import numpy as np
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sikap.models.predictor import Predictor

from sikap.data.labels import EVALUATION_SPLITS, LabeledSentence, LabelSet, label_contexts, label_mentions
from sikap.evaluation.metrics import evaluate_predictions

COLUMNS = ("stance macro-F1", "stance F_avg", "sentiment macro-F1")


def evaluation_sets(labels: LabelSet) -> list[tuple[str, list[LabeledSentence]]]:
    """The non-empty evaluation splits (dev, test, realistic), then any other split but train the labels hold."""
    present = {s.split for s in labels.sentences}
    names = [*EVALUATION_SPLITS, *sorted(present - {*EVALUATION_SPLITS, "train"})]
    return [(name, rows) for name in names if (rows := labels.split(name))]


def score_models(predictor: "Predictor", rows: list[LabeledSentence]) -> dict[str, dict]:
    """Metrics on ``rows`` keyed by model: for an ensemble ``ensemble`` and each member (members run once),
    else the model's kind. Mentions are resolved through each row's article, as in training."""
    texts = [s.text for s in rows]
    mentions = label_mentions(rows, predictor.detector)
    contexts = label_contexts(rows, predictor.context_mode)
    names = predictor.target_names
    members = getattr(predictor, "members", None)
    if members is None:
        return {
            predictor.kind: evaluate_predictions(
                rows, predictor.records(texts, mentions, *predictor.probabilities(texts, mentions, contexts)), names
            )
        }
    probabilities = predictor.member_probabilities(texts, mentions, contexts)
    result = {
        "ensemble": evaluate_predictions(
            rows, predictor.records(texts, mentions, *predictor.combine(probabilities)), names
        )
    }
    for name, member in members.items():
        result[name] = evaluate_predictions(rows, member.records(texts, mentions, *probabilities[name]), names)
    return result


def summary(metrics: dict) -> dict[str, float]:
    """Stance macro-F1 and F_avg averaged over targets, sentiment macro-F1, and macro-F1 per target."""
    targets = metrics["targets"]
    return {
        "stance macro-F1": round(float(np.mean([t["macro_f1"] for t in targets.values()])), 4),
        "stance F_avg": round(float(np.mean([t["f_avg"] for t in targets.values()])), 4),
        "sentiment macro-F1": round(metrics["sentiment"]["macro_f1"], 4),
        **{f"{name} F1": round(t["macro_f1"], 4) for name, t in targets.items()},
    }


def comparison_markdown(results: dict[str, dict[str, dict]], tags: dict[str, str]) -> str:
    """A Markdown table, one row per model and data set: ``results[data][model] = metrics``."""
    first = next(iter(next(iter(results.values())).values()))
    columns = [*COLUMNS, *(f"{name} F1" for name in first["targets"])]
    lines = ["| model | data | n | " + " | ".join(columns) + " |", "|---" * (len(columns) + 3) + "|"]
    for data, by_model in results.items():
        for model, metrics in by_model.items():
            row = summary(metrics)
            cells = " | ".join(f"{row[c]:.3f}" for c in columns)
            lines.append(f"| {model} `{tags[model]}` | {data} | {metrics['n']} | {cells} |")
    return "\n".join(lines) + "\n"


def print_table(results: dict[str, dict[str, dict]], tags: dict[str, str], console: Console) -> None:
    table = Table("model", "data", "n", *COLUMNS, title="macro-F1 by model and data set")
    for data, by_model in results.items():
        for model, metrics in by_model.items():
            row = summary(metrics)
            table.add_row(model, data, str(metrics["n"]), *(f"{row[c]:.3f}" for c in COLUMNS))
    console.print(table)
    for model, tag in tags.items():
        console.print(f"{model}: {tag}", highlight=False, soft_wrap=True)
