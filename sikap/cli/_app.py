"""The ``sikap`` Typer app, its sub-apps and the error edge shared by every command."""

import typer
from rich.console import Console

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Sentiment and stance toward NATO, Russia and Ukraine in Indonesian news.",
)
labels_app = typer.Typer(no_args_is_help=True, help="Check and describe the labeled data in labels/.")
models_app = typer.Typer(no_args_is_help=True, help="List, export, import and build models in the store.")
app.add_typer(labels_app, name="labels")
app.add_typer(models_app, name="models")
console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> None:
    """Print one clear error line and exit with status 1 (library code raises; only the CLI exits)."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
