"""The ``sikap`` command line. Each command is a thin wrapper over a library function."""

import json
import os
import subprocess
import sys
from contextlib import nullcontext
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sikap.errors import SikapError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
labels_app = typer.Typer(no_args_is_help=True, help="Check and describe the labeled data in labels/.")
models_app = typer.Typer(no_args_is_help=True, help="List, export and import models in the store.")
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")
console = Console(stderr=True)

CHUNK = 256


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def classify(
    input: Annotated[
        str, typer.Option("--input", "-i", help="JSON Lines {id, text} or plain text; '-' = stdin.")
    ] = "-",
    output: Annotated[str, typer.Option("--output", "-o", help="JSON Lines output file; '-' = stdout.")] = "-",
    model: Annotated[str | None, typer.Option(help="Model tag (default: what the service would serve).")] = None,
) -> None:
    """Classify sentences into the output contract, one JSON line per input sentence, in order."""
    from tqdm import tqdm

    from sikap.io import atomic_open
    from sikap.loading import ensure_predictor
    from sikap.records import read_sentences

    try:
        predictor = ensure_predictor(model, console)
        rows = read_sentences(input)
        handle_ctx = atomic_open(Path(output)) if output != "-" else nullcontext(sys.stdout)
        with handle_ctx as handle, tqdm(unit=" sentences", disable=output == "-" or None, file=sys.stderr) as bar:
            while chunk := list(islice(rows, CHUNK)):
                ids, texts = zip(*chunk, strict=True)
                for record in predictor.predict(list(texts), list(ids)):
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                bar.update(len(chunk))
    except SikapError as exc:
        _fail(str(exc))


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "0.0.0.0",
    model: Annotated[str | None, typer.Option(help="Model tag to serve (sets SIKAP_MODEL).")] = None,
) -> None:
    """Start the HTTP service (same as `bentoml serve` from the repository root)."""
    from sikap.loading import ensure_predictor
    from sikap.paths import REPO_ROOT, use_sikap_home

    use_sikap_home()
    if model:
        os.environ["SIKAP_MODEL"] = model
    try:
        predictor = ensure_predictor(model, console)  # builds the default model up front, with progress
    except SikapError as exc:
        _fail(str(exc))
    console.log(f"serving {predictor.tag} on http://{host}:{port} (OpenAPI at /docs)")
    command = [sys.executable, "-m", "bentoml", "serve", "serving.service:Sikap", "--host", host, "--port", str(port)]
    raise typer.Exit(subprocess.call(command, cwd=REPO_ROOT))


@labels_app.command("check")
def labels_check() -> None:
    """Validate every label file; print problems as file:line: message and exit 1 if there are any."""
    from sikap.labels import load_labels

    try:
        labels = load_labels()
    except SikapError as exc:
        _fail(str(exc))
    for problem in labels.problems:
        print(problem)
    if labels.errors:
        _fail(f"{len(labels.errors)} error(s) and {len(labels.warnings)} warning(s) in labels/")
    warned = f", {len(labels.warnings)} warning(s)" if labels.warnings else ", no problems"
    console.print(f"[green]ok[/]: {len(labels.sentences)} labeled sentences{warned}")


@labels_app.command("stats")
def labels_stats(
    markdown: Annotated[bool, typer.Option(help="Print a Markdown table (as in labels/CARD.md).")] = False,
) -> None:
    """Print the counts table: classes per target, sentiment, coverage measures, per split."""
    from sikap.labels import load_labels, stats_rows
    from sikap.targets import load_targets

    try:
        targets = load_targets()
        labels = load_labels(targets=targets)
    except SikapError as exc:
        _fail(str(exc))
    table = stats_rows(labels.sentences, [t.name for t in targets])
    keys = list(dict.fromkeys(k for split in table.values() for k in split))
    if markdown:
        print("| count | " + " | ".join(table) + " |")
        print("|---|" + "---|" * len(table))
        for key in keys:
            print(f"| {key} | " + " | ".join(str(table[s].get(key, 0)) for s in table) + " |")
        return
    rich_table = Table("count", *table)
    for key in keys:
        rich_table.add_row(key, *(str(table[s].get(key, 0)) for s in table))
    Console().print(rich_table)


@app.command()
def train(
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Rebuild the embedded default (scikit-learn) model.")
    ] = False,
    base_model: Annotated[str | None, typer.Option(help="Hugging Face id or save_pretrained directory.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with any TrainConfig setting.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Encoder learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Sentences per batch.")] = None,
    gradient_accumulation: Annotated[int | None, typer.Option(help="Batches per optimizer step.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Truncate sentences to this many tokens.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    pooling: Annotated[str | None, typer.Option(help="Stance head input: cls, span or cls+span.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda or mps.")] = None,
    limit: Annotated[int | None, typer.Option(help="Use at most this many sentences per split (smoke runs).")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Checkpoint directory of this run (default models/runs/<base>).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint of this run.")] = False,
) -> None:
    """Fine-tune a transformer (IndoBERT by default) on labels/, or rebuild the embedded default with --baseline.

    The new model is saved in the store as sikap:<version> only when training finishes;
    Ctrl-C or a crash leaves the served model as it was, and --resume continues.
    """
    from sikap.loading import build_default_model

    try:
        if baseline:
            print(build_default_model(console))
            return
        from sikap.labels import load_labels
        from sikap.paths import targets_file
        from sikap.targets import load_targets
        from sikap.transformer.config import TrainConfig
        from sikap.transformer.train import train_transformer

        settings = TrainConfig.load(
            config,
            base_model=base_model,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            gradient_accumulation=gradient_accumulation,
            max_length=max_length,
            seed=seed,
            pooling=pooling,
            device=device,
            limit=limit,
            run_dir=str(output) if output else None,
        )
        targets = load_targets()
        labels = load_labels(targets=targets)
        if labels.errors:
            _fail(f"labels/ has {len(labels.errors)} error(s); run `sikap labels check`")
        print(train_transformer(settings, labels, targets, targets_file(), resume=resume, console=console))
    except KeyboardInterrupt:
        _fail("interrupted: the model store is unchanged; `sikap train --resume` continues from the last epoch")
    except SikapError as exc:
        _fail(str(exc))


@app.command()
def evaluate(
    model: Annotated[str | None, typer.Option(help="Model tag (default: the one the service would serve).")] = None,
    data: Annotated[
        Path | None, typer.Option(help="Labeled JSON Lines file (default: the test split of labels/).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Report directory (default reports/<tag>/<data>).")] = None,
) -> None:
    """Score a model on labeled data: metrics.json, report.md and confusion-matrix PNGs."""
    from sikap.evaluation import evaluate_model_on

    try:
        print(evaluate_model_on(model, data, output, console))
    except SikapError as exc:
        _fail(str(exc))


@models_app.command("list")
def models_list() -> None:
    """Show the models in the store, newest first, with headline dev metrics."""
    from sikap.store import list_models

    table = Table("kind", "created", "dev metrics")
    table.add_column("tag", no_wrap=True)
    for m in list_models():
        dev = m.metadata.get("metrics", {}).get("dev", {})
        table.add_row(m.kind, f"{m.created:%Y-%m-%d %H:%M}", ", ".join(f"{k} {v}" for k, v in dev.items()), m.tag)
    Console(width=200).print(table)


@models_app.command("export")
def models_export(
    tag: Annotated[str, typer.Argument(help="Model tag, e.g. sikap:20261123-101500-abcd1234.")],
    path: Annotated[Path, typer.Argument(help="Target file (.bentomodel).")],
) -> None:
    """Write a model to one file that `sikap models import` reads."""
    from sikap.store import export_model

    try:
        print(export_model(tag, path))
    except SikapError as exc:
        _fail(str(exc))


@models_app.command("import")
def models_import(path: Annotated[Path, typer.Argument(help="File written by `sikap models export`.")]) -> None:
    """Add an exported model to the store."""
    from sikap.store import import_model

    try:
        print(import_model(path))
    except SikapError as exc:
        _fail(str(exc))


def main() -> None:
    app()
