"""Evaluation of predictions against gold labels, with a Markdown report and confusion-matrix plots."""

import json
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from sikap.data.labels import LabeledSentence
from sikap.io import write_atomic
from sikap.schema import MENTIONED_STANCES, SENTIMENTS, STANCES


def _per_class(gold: list[str], pred: list[str], classes: tuple[str, ...]) -> dict[str, dict[str, float]]:
    p, r, f, n = precision_recall_fscore_support(gold, pred, labels=list(classes), zero_division=0)
    return {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
        for i, c in enumerate(classes)
    }


def evaluate_predictions(gold: list[LabeledSentence], predictions: list[dict], targets: list[str]) -> dict:
    """Scores per target and for sentiment.

    Per target: macro-F1 over support/oppose/neutral (``none`` counts as an error class
    but is not averaged), ``f_avg`` over support/oppose as in SemEval-2016 Task 6, and
    mention precision/recall (referenced = any label but ``none``).
    """
    result: dict = {"n": len(gold), "targets": {}}
    for name in targets:
        y = [s.stance[name] for s in gold]
        p = [r["stance"][name]["label"] for r in predictions]
        gold_ref = np.array([v != "none" for v in y])
        pred_ref = np.array([v != "none" for v in p])
        true_pos = int((gold_ref & pred_ref).sum())
        result["targets"][name] = {
            "macro_f1": float(f1_score(y, p, labels=list(MENTIONED_STANCES), average="macro", zero_division=0)),
            "f_avg": float(f1_score(y, p, labels=["support", "oppose"], average="macro", zero_division=0)),
            "mention_precision": true_pos / max(int(pred_ref.sum()), 1),
            "mention_recall": true_pos / max(int(gold_ref.sum()), 1),
            "per_class": _per_class(y, p, STANCES),
            "confusion": confusion_matrix(y, p, labels=list(STANCES)).tolist(),
        }
    y = [s.sentiment for s in gold]
    p = [r["sentiment"]["label"] for r in predictions]
    result["sentiment"] = {
        "macro_f1": float(f1_score(y, p, labels=list(SENTIMENTS), average="macro", zero_division=0)),
        "per_class": _per_class(y, p, SENTIMENTS),
        "confusion": confusion_matrix(y, p, labels=list(SENTIMENTS)).tolist(),
    }
    result["stance_macro_f1"] = float(np.mean([t["macro_f1"] for t in result["targets"].values()]))
    return result


def headline(metrics: dict) -> dict[str, float]:
    """The few numbers worth a column: macro-F1 per target and for sentiment."""
    row = {f"{name} F1": round(m["macro_f1"], 3) for name, m in metrics["targets"].items()}
    row["sentiment F1"] = round(metrics["sentiment"]["macro_f1"], 3)
    return row


def _plot_confusion(matrix: list[list[int]], classes: tuple[str, ...], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(4.2, 3.8), dpi=110)
    ConfusionMatrixDisplay(np.array(matrix), display_labels=list(classes)).plot(ax=ax, colorbar=False, cmap="Blues")
    ax.set_title(title)
    # Fixed margins that fit the class names and axis labels: tight_layout() drew the figure a second time to
    # measure them (~40% of the plot's CPU, and every trained model writes twelve plots).
    fig.subplots_adjust(left=0.2, bottom=0.16, right=0.97, top=0.92)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def write_report(metrics: dict, directory: Path, title: str) -> Path:
    """Write ``metrics.json``, ``report.md`` and one confusion-matrix PNG per target and for sentiment."""
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / "metrics.json", json.dumps(metrics, indent=2))
    lines = [
        f"# {title}",
        "",
        f"{metrics['n']} sentences.",
        "",
        "| field | macro-F1 | F_avg (support/oppose) | mention P | mention R |",
        "|---|---|---|---|---|",
    ]
    for name, m in metrics["targets"].items():
        lines.append(
            f"| {name} | {m['macro_f1']:.3f} | {m['f_avg']:.3f} | "
            f"{m['mention_precision']:.3f} | {m['mention_recall']:.3f} |"
        )
    lines.append(f"| sentiment | {metrics['sentiment']['macro_f1']:.3f} | | | |")
    sections = [(name, m, STANCES) for name, m in metrics["targets"].items()]
    sections.append(("sentiment", metrics["sentiment"], SENTIMENTS))
    for name, m, classes in sections:
        png = f"confusion_{name.lower()}.png"
        _plot_confusion(m["confusion"], classes, name, directory / png)
        lines += ["", f"## {name}", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        lines += [
            f"| {c} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | {v['support']} |"
            for c, v in m["per_class"].items()
        ]
        lines += ["", f"![{name} confusion matrix]({png})"]
    report = directory / "report.md"
    write_atomic(report, "\n".join(lines) + "\n")
    return report
