"""The ``sikap`` command line: one module per command group, each a thin wrapper over library functions."""

from sikap.cli import classify, labels, models, train  # noqa: F401  (registers the commands)
from sikap.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
