"""`sikap labels check|stats`."""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sikap.cli._app import console, fail, labels_app
from sikap.errors import SikapError


@labels_app.command("check")
def labels_check() -> None:
    """Validate every label file; print problems as file:line: message and exit 1 if there are any."""
    from sikap.data.labels import load_labels

    try:
        labels = load_labels()
    except SikapError as exc:
        fail(str(exc))
    for problem in labels.problems:
        print(problem)
    if labels.errors:
        fail(f"{len(labels.errors)} error(s) and {len(labels.warnings)} warning(s) in labels/")
    warned = f", {len(labels.warnings)} warning(s)" if labels.warnings else ", no problems"
    console.print(f"[green]ok[/]: {len(labels.sentences)} labeled sentences{warned}")


@labels_app.command("stats")
def labels_stats(
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table (as in labels/CARD.md).")] = False,
) -> None:
    """Print the counts table (classes per target, sentiment, coverage, per split) and the realism table."""
    from sikap.data.labels import load_labels, realism_rows, stats_rows
    from sikap.text.targets import load_targets

    try:
        targets = load_targets()
        labels = load_labels(targets=targets)
    except SikapError as exc:
        fail(str(exc))
    counts = stats_rows(labels.sentences, [t.name for t in targets])
    _print_table("count", {split: {k: str(v) for k, v in rows.items()} for split, rows in counts.items()}, markdown)
    print()
    _print_table("realism (share of sentences unless a mean)", realism_rows(labels.sentences), markdown)


def _print_table(title: str, table: dict[str, dict[str, str]], markdown: bool) -> None:
    """One row per key, one column per split; Markdown or a rich table."""
    keys = list(dict.fromkeys(k for split in table.values() for k in split))
    if markdown:
        print(f"| {title} | " + " | ".join(table) + " |")
        print("|---|" + "---|" * len(table))
        for key in keys:
            print(f"| {key.strip()} | " + " | ".join(table[s].get(key, "–") for s in table) + " |")
        return
    rich_table = Table(title, *table)
    for key in keys:
        rich_table.add_row(key, *(table[s].get(key, "–") for s in table))
    Console().print(rich_table)
