"""Evaluate a stored model of any kind on labeled data: every split but train (or one file), an ensemble's
members side by side; writes reports and a comparison table."""

import re
from pathlib import Path

from rich.console import Console

from sikap.data.labels import load_labels
from sikap.errors import InputError
from sikap.evaluation.metrics import write_report
from sikap.evaluation.scoring import comparison_markdown, evaluation_sets, print_table, score_models
from sikap.io import write_atomic
from sikap.models.loading import load_stored
from sikap.models.store import get_model, resolve
from sikap.paths import REPO_ROOT


def evaluate_model_on(tag: str | None, data: Path | None, output: Path | None, console: Console | None = None) -> Path:
    """Score a model (default: the one served) on ``data`` or on every split but train; for an ensemble,
    its members too. Writes ``metrics.json``, ``report.md`` and confusion matrices per model and data set,
    and ``comparison.md``; returns the path of ``comparison.md``."""
    console = console or Console(stderr=True)
    stored = get_model(tag) if tag else resolve()
    if stored is None:
        raise InputError("no model in the store; train one first (`sikap train --baseline`)")
    predictor = load_stored(stored)
    labels = load_labels([data] if data else None, predictor.targets)
    if labels.errors:
        shown = "\n".join(str(p) for p in labels.errors[:20])
        raise InputError(f"{len(labels.errors)} error(s) in the evaluation data:\n{shown}")
    sets = [(data.stem, labels.sentences)] if data else evaluation_sets(labels)
    if not any(rows for _, rows in sets):
        raise InputError(f"{data or 'labels/'}: no labeled sentences to evaluate")
    members = getattr(predictor, "members", {})
    tags = (
        {"ensemble": stored.tag, **{name: m.tag for name, m in members.items()}}
        if members
        else {stored.kind: stored.tag}
    )
    base = output or REPO_ROOT / "reports" / re.sub(r"[^\w.-]", "_", stored.tag)
    results: dict[str, dict[str, dict]] = {}
    for name, rows in sets:
        with console.status(f"evaluating {stored.tag} on {name} ({len(rows)} sentences)"):
            results[name] = score_models(predictor, rows)
        directory = output if data and output else base / name
        for model, metrics in results[name].items():
            target = directory / model if members else directory
            write_report(metrics, target, f"{tags[model]} on {data or f'the {name} split'}")
    comparison = base / "comparison.md"
    write_atomic(comparison, f"# {stored.tag}\n\n" + comparison_markdown(results, tags))
    print_table(results, tags, console)
    return comparison
