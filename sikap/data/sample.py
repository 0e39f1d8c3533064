"""A small labels folder cut from the shipped one, for smoke tests and benchmarks that need a model in seconds."""

import json
import shutil
from pathlib import Path

from sikap.paths import labels_dir


def _first_articles(path: Path, articles: int) -> list[str]:
    """The lines of the first ``articles`` articles of a label file (rows without an article count as one each)."""
    lines: list[str] = []
    seen: set[str] = set()
    for line in filter(str.strip, path.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        seen.add(record.get("article") or record["id"])
        if len(seen) > articles:
            break
        lines.append(line)
    return lines


def write_sample_labels(directory: Path, articles: int = 30, dev_articles: int = 6) -> Path:
    """``directory`` becomes a labels folder: the shipped targets, the first ``articles`` articles of the first
    news file in ``labels/data/`` and the first ``dev_articles`` of each ``labels/dev/`` file. Returns it."""
    source = labels_dir()
    (directory / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "targets.yaml", directory / "targets.yaml")
    news = sorted((source / "data").glob("news-*.jsonl"))[0]
    (directory / "data" / news.name).write_text("\n".join(_first_articles(news, articles)) + "\n", encoding="utf-8")
    for path in sorted((source / "dev").glob("*.jsonl")):
        (directory / "dev").mkdir(exist_ok=True)
        (directory / "dev" / path.name).write_text(
            "\n".join(_first_articles(path, dev_articles)) + "\n", encoding="utf-8"
        )
    return directory
