"""Evaluate a stored model on a labeled JSON Lines file (default: the test split of labels/)."""

import re
from pathlib import Path

from rich.console import Console

from sikap.errors import InputError
from sikap.labels import load_labels
from sikap.loading import load_stored
from sikap.metrics import evaluate_predictions, headline, write_report
from sikap.paths import REPO_ROOT
from sikap.store import get_model, resolve


def evaluate_model_on(tag: str | None, data: Path | None, output: Path | None, console: Console | None = None) -> Path:
    """Write ``metrics.json``, ``report.md`` and confusion matrices; returns the report path."""
    console = console or Console(stderr=True)
    stored = get_model(tag) if tag else resolve()
    if stored is None:
        raise InputError("no model in the store; train one first (`sikap train --baseline`)")
    predictor = load_stored(stored)
    labels = load_labels([data] if data else None, predictor.targets)
    if labels.errors:
        shown = "\n".join(str(p) for p in labels.errors[:20])
        raise InputError(f"{len(labels.errors)} error(s) in the evaluation data:\n{shown}")
    rows = labels.sentences if data else labels.split("test")
    if not rows:
        raise InputError(f"{data or 'labels/'}: no labeled sentences to evaluate")
    with console.status(f"evaluating {stored.tag} on {len(rows)} sentences"):
        metrics = evaluate_predictions(rows, predictor.predict_labeled(rows), predictor.target_names)
    name = data.stem if data else "test"
    output = output or REPO_ROOT / "reports" / re.sub(r"[^\w.-]", "_", stored.tag) / name
    report = write_report(metrics, output, f"{stored.tag} on {data or 'the test split'}")
    console.log(f"{stored.tag}: {headline(metrics)}; report at {report}")
    return report
