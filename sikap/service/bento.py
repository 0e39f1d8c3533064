"""What a Bento packs: the service served from a Bento serves the model it was built with, and only that."""

from pathlib import Path

import yaml

from sikap.paths import bento_root


def packed_models(root: Path | None = None) -> list[str] | None:
    """Tags of the models packed in the Bento at ``root`` (default: the one this code runs from), from its
    ``bento.yaml``; None outside a Bento or when it packs no model."""
    root = root or bento_root()
    if root is None:
        return None
    info = yaml.safe_load((root / "bento.yaml").read_text(encoding="utf-8")) or {}
    entries = [*info.get("models", []), *(m for s in info.get("services", []) for m in s.get("models", []))]
    return sorted({m["tag"] for m in entries}) or None
