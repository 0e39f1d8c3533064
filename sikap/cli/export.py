"""`sikap export`: a stored transformer as a validated ONNX model (fp32 or int8)."""

from typing import Annotated

import typer

from sikap.cli._app import app, console, fail
from sikap.errors import SikapError


@app.command()
def export(
    model: Annotated[str | None, typer.Option(help="Transformer tag (default: the newest in the store).")] = None,
    onnx: Annotated[bool, typer.Option("--onnx", help="Export to ONNX (the only format so far).")] = False,
    int8: Annotated[bool, typer.Option("--int8", help="Quantize weights to int8 (dynamic quantization).")] = False,
    min_agreement: Annotated[
        float, typer.Option(help="Refuse below this % of dev sentences labeled like the source (all fields).")
    ] = 98.0,
    keep_fp32: Annotated[
        list[str] | None,
        typer.Option(
            "--int8-keep-fp32",
            help="With --int8: leave MatMuls whose node name matches this regular expression in float32 (repeatable; "
            "default for e5-small: the built-in recipe).",
        ),
    ] = None,
    int8_method: Annotated[
        str | None,
        typer.Option(
            help="With --int8: dynamic (per-tensor activations) or blockwise (MatMulNBits, blocks of 32); "
            "default: blockwise for e5-small, dynamic otherwise."
        ),
    ] = None,
    max_f1_drop: Annotated[
        float, typer.Option(help="Refuse if any target's dev macro-F1 drops by more than this many points.")
    ] = 1.5,
) -> None:
    """Export a fine-tuned transformer for fast CPU inference with ONNX Runtime.

    The export is validated on the dev split of labels/ against its source and saved as
    sikap-onnx:<version>-<precision> only if it passes; it then becomes the served model
    (the newest fine-tuned model wins). Prints the new tag.
    """
    if not onnx:
        fail("choose a format: --onnx (add --int8 for int8 weights)")
    from sikap.models.onnx.export import export_onnx

    try:
        print(
            export_onnx(
                model,
                "int8" if int8 else "fp32",
                min_agreement=min_agreement,
                max_f1_drop=max_f1_drop,
                console=console,
                keep_fp32=tuple(keep_fp32) if keep_fp32 else None,
                int8_method=int8_method,
            )
        )
    except KeyboardInterrupt:
        fail("interrupted: nothing was saved")
    except SikapError as exc:
        fail(str(exc))
