"""Streaming article readers: a folder of .txt/.html files, HTML, WARC, JSON Lines, CSV, Parquet, or stdin.

Each yields :class:`Article` or :class:`BadRecord` (with file and line/row/record) in input
order, never holding more than one record (or one Parquet batch) in memory. HTML (files, WARC
responses, or an ``html`` field instead of ``text``) goes through :mod:`sikap.text.html_input`.
"""

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from sikap.batch.articles import Article, BadRecord
from sikap.batch.formats import EXTENSIONS
from sikap.batch.warc import read_warc
from sikap.errors import InputError
from sikap.text.html_input import ExtractionError, decode_html, extract

OPTIONAL = ("title", "date", "outlet", "url")
INPUT_FORMATS = ("txt", "html", "warc", "jsonl", "csv", "parquet")
PAGE_SUFFIXES = {".txt": "txt", ".html": "html", ".htm": "html"}


@dataclass
class _Seen:
    ids: set[str] = field(default_factory=set)


def input_format(path: str) -> str:
    if path == "-":
        return "jsonl"
    p = Path(path)
    if p.is_dir():
        return "txt"
    name = p.name.lower()
    fmt = "warc" if name.endswith((".warc", ".warc.gz")) else {**EXTENSIONS, **PAGE_SUFFIXES}.get(p.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown input type; give a folder of .txt/.html files, or a .html, .warc(.gz), "
            ".jsonl, .csv or .parquet file"
        )
    if not p.exists():
        raise InputError(f"{path}: no such file or folder")
    return fmt


def _article(record: object, source: str, line: int) -> Article | BadRecord:
    if not isinstance(record, dict):
        return BadRecord(source, line, f"expected an object with id and text, found {type(record).__name__}")
    raw_id, text, html = record.get("id"), record.get("text"), record.get("html")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()) or not isinstance(raw_id, str | int):
        return BadRecord(source, line, "missing or invalid 'id' (a non-empty string or a number)")
    has_html = isinstance(html, str) and bool(html.strip())
    if (not isinstance(text, str) or not text.strip()) and not has_html:
        return BadRecord(source, line, "missing or empty 'text' (or 'html')")
    extras = {}
    for key in OPTIONAL:
        value = record.get(key)
        if value is not None and value != "" and not isinstance(value, str | int | float):
            return BadRecord(source, line, f"'{key}' must be a string")
        extras[key] = None if value in (None, "") else str(value)
    if isinstance(text, str) and text.strip():
        return Article(str(raw_id), text, **extras, source=source, line=line)
    try:
        page = extract(html, extras["url"])
    except ExtractionError as exc:
        return BadRecord(source, line, f"'html': {exc}")
    extras["title"] = extras["title"] or page.title
    extras["date"] = extras["date"] or page.date
    return Article(str(raw_id), page.text, **extras, source=source, line=line)


def _read_jsonl(path: str) -> Iterator[Article | BadRecord]:
    name = "<stdin>" if path == "-" else path
    with nullcontext(sys.stdin.buffer) if path == "-" else Path(path).open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield BadRecord(name, number, f"not UTF-8 (byte {exc.start})")
                continue
            except json.JSONDecodeError as exc:
                yield BadRecord(name, number, f"invalid JSON ({exc.msg}, column {exc.colno})")
                continue
            yield _article(record, name, number)


def _read_csv(path: str) -> Iterator[Article | BadRecord]:
    csv.field_size_limit(1 << 30)
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"id", "text"} - set(reader.fieldnames or [])
            if missing:
                yield BadRecord(
                    path,
                    1,
                    f"CSV header lacks column(s) {', '.join(sorted(missing))}; "
                    f"found {', '.join(reader.fieldnames or []) or 'no header'}",
                )
                return
            for row in reader:
                if None in row:
                    yield BadRecord(path, reader.line_num, "more fields than the header has")
                    continue
                yield _article(row, path, reader.line_num)
    except UnicodeDecodeError as exc:
        yield BadRecord(path, 0, f"not UTF-8 (byte {exc.start}); re-encode the file as UTF-8")
    except csv.Error as exc:
        yield BadRecord(path, 0, f"malformed CSV ({exc})")


def _read_parquet(path: str) -> Iterator[Article | BadRecord]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        yield BadRecord(path, 0, f"not a readable Parquet file ({exc})")
        return
    missing = {"id", "text"} - set(parquet.schema_arrow.names)
    if missing:
        yield BadRecord(path, 0, f"Parquet file lacks column(s) {', '.join(sorted(missing))}")
        return
    row = 0
    for batch in parquet.iter_batches(batch_size=2048):
        for record in batch.to_pylist():
            row += 1
            yield _article(record, path, row)


def _page_files(root: Path) -> list[Path]:
    """The .txt/.html/.htm files of a folder (sorted), or the file itself."""
    if not root.is_dir():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file())


def _page_id(file: Path, root: Path) -> str:
    return str(file.relative_to(root).with_suffix("")) if root.is_dir() else file.stem


def _read_html_file(file: Path, root: Path) -> Article | BadRecord:
    name = str(file)
    try:
        page = extract(decode_html(file.read_bytes()))
    except ExtractionError as exc:
        return BadRecord(name, 1, str(exc))
    return Article(_page_id(file, root), page.text, title=page.title, date=page.date, source=name, line=1)


def _read_txt_dir(path: str) -> Iterator[Article | BadRecord]:
    root = Path(path)
    for file in _page_files(root):
        name = str(file)
        if PAGE_SUFFIXES[file.suffix.lower()] == "html":
            yield _read_html_file(file, root)
            continue
        try:
            content = file.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            yield BadRecord(name, 1, f"not UTF-8 (byte {exc.start}); re-encode the file as UTF-8")
            continue
        title, _, body = content.partition("\n")
        if not body.strip():
            yield BadRecord(name, 1, "empty article: a .txt file needs a title line and a body")
            continue
        yield Article(_page_id(file, root), body, title=title.strip() or None, source=name, line=1)


READERS = {
    "jsonl": _read_jsonl,
    "csv": _read_csv,
    "parquet": _read_parquet,
    "txt": _read_txt_dir,
    "html": _read_txt_dir,
    "warc": read_warc,
}


def iter_articles(inputs: list[str]) -> Iterator[Article | BadRecord]:
    """Articles from every input in turn; a repeated id is a bad record (ids key the output and resume)."""
    seen = _Seen()
    for path in inputs:
        for item in READERS[input_format(path)](path):
            if isinstance(item, Article):
                if item.id in seen.ids:
                    item = BadRecord(item.source, item.line, f"duplicate article id {item.id!r}")
                else:
                    seen.ids.add(item.id)
            yield item


def count_articles(inputs: list[str]) -> int | None:
    """A cheap total for the progress bar (line/row/file counts), or ``None`` when not knowable (stdin)."""
    total = 0
    for path in inputs:
        fmt = input_format(path)
        if path == "-":
            return None
        if fmt in ("txt", "html"):
            total += len(_page_files(Path(path)))
        elif fmt == "warc":
            return None
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            try:
                total += pq.ParquetFile(path).metadata.num_rows
            except Exception:
                return None
        else:
            with Path(path).open("rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            total += max(lines - (fmt == "csv"), 0)
    return total
