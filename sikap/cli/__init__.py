"""The ``sikap`` command line: one module per command group, each a thin wrapper over library functions."""

from sikap.cli import (  # noqa: F401  (registers)
    base_model,
    classify,
    ensemble,
    export,
    label_loop,
    labels,
    models,
    report,
    score,
    train,
)
from sikap.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
