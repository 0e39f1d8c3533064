"""`sikap report`: an HTML and Markdown report from scored output."""

import time
from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError


@app.command()
def report(
    sentences: Annotated[
        Path,
        typer.Option("--sentences", "-s", help="Sentence rows written by `sikap score` (.jsonl, .csv or .parquet)."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for report.html, report.md and the PNGs.")],
    articles: Annotated[
        Path | None,
        typer.Option("--articles", "-a", help="Article summaries (default: <sentences>.articles.<ext> beside them)."),
    ] = None,
    title: Annotated[str, typer.Option(help="Title of the report.")] = "Sikap report",
    examples: Annotated[
        int, typer.Option(min=0, help="Example sentences per target and class (most confident first; 0 = none).")
    ] = 5,
) -> None:
    """Report on scored output: stance per target, outlet and month, sentiment, and example sentences."""
    from sikap.reporting import build_report, default_articles

    started = time.perf_counter()
    try:
        articles = articles or default_articles(sentences)
        with console.status(f"reading {sentences} and {articles}"):
            result = build_report(sentences, articles, output, title=title, examples=examples)
    except SikapError as exc:
        fail(str(exc))
    data = result.data
    console.log(
        f"{data.articles:,} article(s), {data.sentences:,} sentence(s), {data.skipped:,} skipped segment(s); "
        f"wrote {result.html} and {result.markdown} in {time.perf_counter() - started:.1f} s"
    )
