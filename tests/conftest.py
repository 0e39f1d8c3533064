"""Shared fixtures: small label files written per test, and an isolated model store."""

import json
from pathlib import Path

import pytest

from sikap.targets import load_targets


def record(id: str, text: str, sentiment: str = "neutral", **stance: str) -> dict:
    """A label record; targets not given are ``none``."""
    return {
        "id": id,
        "text": text,
        "sentiment": sentiment,
        "stance": {"NATO": "none", "Russia": "none", "Ukraine": "none", **stance},
    }


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="session")
def targets():
    return load_targets()
