"""`sikap label select|import`: the labeling loop."""

from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError


def say(message: str) -> None:
    console.print(message, highlight=False, soft_wrap=True)


label_app = typer.Typer(
    no_args_is_help=True,
    help="The labeling loop: pick the sentences the model is least sure of, import the corrected labels.",
)
app.add_typer(label_app, name="label")


@label_app.command("select")
def select(
    scored: Annotated[Path, typer.Option(help="Sentence rows from `sikap score` (.jsonl, .csv or .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the files to label.")],
    n: Annotated[int, typer.Option("--n", "-n", help="How many sentences to pick.")] = 200,
    strategy: Annotated[
        str,
        typer.Option(
            help="entropy or margin (most uncertain first, round-robin over targets), "
            "or random (a seeded uniform sample, for comparison)."
        ),
    ] = "entropy",
    seed: Annotated[int, typer.Option(help="Seed of the random strategy.")] = 0,
    per_article: Annotated[int, typer.Option(help="At most this many sentences from one article.")] = 2,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet (default: by extension).")] = None,
) -> None:
    """Pick N sentences to label: the most uncertain, spread across articles and targets, none already labeled.

    Writes to_label.csv and to_label.jsonl (prefilled with the model's labels, to correct), label_studio_tasks.json (with the model's predictions) and label_studio_config.xml.
    """
    from sikap.labeling.selection import select_sentences, write_selection

    try:
        selection = select_sentences(scored, n, strategy, seed, per_article, fmt=fmt)
        if not selection.picked:
            fail(f"{scored}: no unlabeled scored sentence to pick ({selection.rows} row(s) read)")
        paths = write_selection(selection, output)
    except SikapError as exc:
        fail(str(exc))
    groups = ", ".join(f"{group} {count}" for group, count in selection.groups.items())
    say(
        f"read {selection.rows} sentence row(s) in {selection.seconds:.1f} s: {selection.scored} scored, "
        f"{selection.labeled} already labeled; pool of {selection.pool}, "
        f"{selection.near_duplicates} near-duplicate(s) passed over"
    )
    say(f"picked {len(selection.picked)} by {strategy} (by field: {groups})")
    if len(selection.picked) < n:
        say(
            f"[yellow]only {len(selection.picked)} of {n} could be picked[/]: the rest of the pool was near-duplicates "
            "of labels/ or of each other, or over the per-article cap"
        )
    say(f"wrote {', '.join(str(p) for p in paths)}")
    say(f"next: correct the labels, then `sikap label import {paths[0]}` (or the Label Studio export)")


@label_app.command("import")
def import_labels(
    file: Annotated[Path, typer.Argument(help="Filled to_label.csv, labels-format .jsonl, or Label Studio .json.")],
    source: Annotated[str, typer.Option(help="Name of the new file: labels/data/<source>-<time>.jsonl.")] = "import",
) -> None:
    """Validate filled labels and add them to labels/data/ as a new file; on any error, write nothing."""
    from sikap.labeling.importing import check_import, write_import

    try:
        check = check_import(file)
        for problem in check.problems:
            print(problem)
        if check.errors:
            fail(f"{len(check.errors)} error(s) in {file}; nothing was written")
        path = write_import(check, source)
    except SikapError as exc:
        fail(str(exc))
    splits = ", ".join(f"{split} {count}" for split, count in check.split_counts().items())
    say(f"[green]imported[/] {len(check.sentences)} labeled sentence(s) into {path} ({splits})")
    if check.skipped:
        say(f"skipped {check.skipped} Label Studio task(s) without a finished annotation")
    if check.warnings:
        say(f"{len(check.warnings)} warning(s) above: keep those labels only if they are right")
    if check.existing_errors:
        say(f"[yellow]labels/ already had {check.existing_errors} error(s) before this import[/]")
    say("next: `sikap labels check`, then `sikap train` (or `sikap train --baseline`)")
