"""`sikap score`: batch scoring of articles."""

from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError


@app.command()
def score(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Folders of .txt (first line = title) or .html files, .html or .warc(.gz) files, .jsonl, .csv or "
            ".parquet files with id, text or html [title, date, outlet, url]; '-' = stdin."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Sentence rows: .jsonl, .csv or .parquet.")],
    summary: Annotated[Path | None, typer.Option(help="Article summaries (default <output>.articles.<ext>).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, csv or parquet (default: by extension).")] = None,
    model: Annotated[str | None, typer.Option(help="Model tag (default: what the service would serve).")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run: skip articles already scored.")] = False,
    strict: Annotated[bool, typer.Option(help="Stop at the first malformed record instead of skipping it.")] = False,
    repeated: Annotated[
        bool,
        typer.Option(help="Set aside lines repeated across many articles of an outlet (reads the inputs twice)."),
    ] = True,
    engine: Annotated[
        str, typer.Option(help="local, or ray to run on a Ray cluster (needs `pip install ray`).")
    ] = "local",
) -> None:
    """Score articles: every sentence in the output contract, plus a summary per article."""
    from sikap.batch.scorer import OutputPaths
    from sikap.models.loading import ensure_predictor

    try:
        paths = OutputPaths.for_output(output, summary, fmt)
        predictor = ensure_predictor(model, console)
        if engine == "local":
            from sikap.batch.scorer import score as run
        elif engine == "ray":
            from sikap.batch.ray_engine import score as run
        else:
            fail(f"unknown engine {engine!r}; use local or ray")
        stats = run(inputs, paths, predictor, resume=resume, strict=strict, console=console, repeated=repeated)
    except KeyboardInterrupt:
        fail("interrupted: finished articles are kept; run the same command with --resume to continue")
    except SikapError as exc:
        fail(str(exc))
    console.print(
        f"scored {stats.articles} article(s), {stats.sentences} sentence(s) in {stats.seconds:.1f} s "
        f"({stats.articles_per_second:.1f} articles/s, {stats.sentences_per_second:.0f} sentences/s); "
        f"{stats.resumed} already done, {len(stats.bad)} malformed record(s) skipped",
        highlight=False,
    )
    if stats.skipped_segments:
        reasons = ", ".join(f"{r} {n}" for r, n in stats.skip_reasons.most_common())
        console.print(f"set aside {stats.skipped_segments} segment(s) as page furniture: {reasons}", highlight=False)
    for record in stats.bad[:20]:
        console.print(f"  skipped {record}", highlight=False, soft_wrap=True)
    console.print(f"wrote {paths.sentences} and {paths.summary}", highlight=False)
