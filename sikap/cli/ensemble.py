"""`sikap ensemble build`."""

from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError

ensemble_app = typer.Typer(no_args_is_help=True, help="Combine a fine-tuned transformer with the embedded default.")
app.add_typer(ensemble_app, name="ensemble")


@ensemble_app.command("build")
def build(
    transformer: Annotated[
        str | None,
        typer.Option(help="Fine-tuned member, sikap:… or sikap-onnx:… (default: the newest of either)."),
    ] = None,
    default: Annotated[
        str | None, typer.Option(help="Embedded default member, sikap-default:… (default: the newest; built if none).")
    ] = None,
) -> None:
    """Fit a temperature per member and a mixing weight per head on dev, and store sikap-ensemble:<version>.

    Heads are sentiment and each target's stance. The ensemble is served in preference to
    any other model while its members are in the store. Prints the new tag.
    """
    from sikap.data.labels import load_labels
    from sikap.models.ensemble_builder import build_ensemble
    from sikap.text.targets import load_targets

    try:
        labels = load_labels(targets=load_targets())
        if labels.errors:
            fail(f"labels/ has {len(labels.errors)} error(s); run `sikap labels check`")
        print(build_ensemble(labels, transformer, default, console))
    except KeyboardInterrupt:
        fail("interrupted: nothing was saved")
    except SikapError as exc:
        fail(str(exc))
