"""`sikap models list|export|import`."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sikap.cli._app import console, fail, models_app
from sikap.errors import SikapError


@models_app.command("list")
def models_list() -> None:
    """Show the models in the store, newest first, with headline dev metrics."""
    from sikap.models.store import list_models

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
    from sikap.models.store import export_model

    try:
        print(export_model(tag, path))
    except SikapError as exc:
        fail(str(exc))


@models_app.command("import")
def models_import(path: Annotated[Path, typer.Argument(help="File written by `sikap models export`.")]) -> None:
    """Add an exported model to the store."""
    from sikap.models.store import import_model

    try:
        print(import_model(path))
    except SikapError as exc:
        fail(str(exc))


@models_app.command("build")
def models_build() -> None:
    """Build the strong model offline, as `make model` does: base model → fine-tuning → ONNX export (int8,
    else fp32) → ensemble, with an ETA. Writes its progress to upgrade.json in the store, which a running
    service shows under `upgrade` in /metadata; the service swaps the ensemble in when it is stored."""
    from sikap.paths import use_sikap_home
    from sikap.service.upgrade import build_strong_model

    home = use_sikap_home()
    if not build_strong_model(home, echo=lambda line: console.print(line, highlight=False)):
        fail("the strong model was not built (see the failed step above); the store keeps what it had")
