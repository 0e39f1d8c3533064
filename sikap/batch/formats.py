"""Scored-output formats: nested JSON Lines (canonical), and flat CSV / Parquet columns.

Sentence rows carry the output contract plus ``article_id``, ``index``, ``field``,
``start``, ``end``, ``skipped`` and ``reason``. Flat rows spell every score as a
column (``sentiment_positive``, ``NATO_support``, …) and join mentions with ``|``.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from sikap.errors import InputError
from sikap.schema import SENTIMENTS, STANCES

FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
SENTENCE_BASE = ["article_id", "index", "field", "start", "end", "text", "skipped", "reason", "model"]


def format_of(path: Path, explicit: str | None = None) -> str:
    """The format named by ``explicit`` or by the file extension."""
    fmt = explicit or EXTENSIONS.get(path.suffix.lower())
    if fmt not in FORMATS:
        raise InputError(
            f"{path}: cannot tell the format from the extension; use .jsonl, .csv or .parquet, or pass --format"
        )
    return fmt


def sentence_columns(targets: list[str]) -> list[str]:
    columns = [*SENTENCE_BASE, "sentiment", *(f"sentiment_{c}" for c in SENTIMENTS)]
    for t in targets:
        columns += [t, *(f"{t}_{c}" for c in STANCES), f"{t}_mentions"]
    return columns


def flatten_sentence(row: dict, targets: list[str]) -> dict:
    flat = {k: row.get(k) for k in SENTENCE_BASE}
    sentiment = row.get("sentiment") or {}
    flat["sentiment"] = sentiment.get("label")
    for c in SENTIMENTS:
        flat[f"sentiment_{c}"] = (sentiment.get("scores") or {}).get(c)
    for t in targets:
        stance = (row.get("stance") or {}).get(t) or {}
        flat[t] = stance.get("label")
        for c in STANCES:
            flat[f"{t}_{c}"] = (stance.get("scores") or {}).get(c)
        flat[f"{t}_mentions"] = "|".join(stance.get("mentions", [])) if stance else None
    return flat


def _number(value: object, kind: type) -> object:
    if value in (None, ""):
        return None
    return kind(value)


def unflatten_sentence(flat: dict, targets: list[str]) -> dict:
    """Inverse of :func:`flatten_sentence` (CSV strings are converted back to numbers and booleans)."""
    row = {k: flat.get(k) for k in SENTENCE_BASE}
    for key in ("index", "start", "end"):
        row[key] = _number(row[key], int)
    if isinstance(row["skipped"], str):
        row["skipped"] = row["skipped"].lower() == "true"
    row["reason"] = row["reason"] or None
    if row["skipped"]:
        row["sentiment"] = row["stance"] = None
        return row
    row["sentiment"] = {
        "label": flat.get("sentiment"),
        "scores": {c: _number(flat.get(f"sentiment_{c}"), float) for c in SENTIMENTS},
    }
    row["stance"] = {
        t: {
            "label": flat.get(t),
            "scores": {c: _number(flat.get(f"{t}_{c}"), float) for c in STANCES},
            "mentions": [m for m in (flat.get(f"{t}_mentions") or "").split("|") if m],
        }
        for t in targets
    }
    return row


def summary_columns(targets: list[str]) -> list[str]:
    columns = ["article_id", "title", "date", "outlet", "url", "sentences", "skipped", "skipped_reasons", "model"]
    for t in targets:
        columns += [
            *(f"{t}_{c}" for c in STANCES),
            f"{t}_mentioned",
            f"{t}_net_stance",
            f"{t}_mean_confidence",
            f"{t}_top_support",
            f"{t}_top_oppose",
        ]
    columns += [f"sentiment_{c}" for c in SENTIMENTS]
    return columns


def flatten_summary(row: dict, targets: list[str]) -> dict:
    flat = {k: row.get(k) for k in ("article_id", "title", "date", "outlet", "url", "sentences", "skipped", "model")}
    reasons = row.get("skipped_reasons") or {}
    flat["skipped_reasons"] = "|".join(f"{r}:{n}" for r, n in reasons.items()) if isinstance(reasons, dict) else reasons
    for t in targets:
        summary = row["targets"][t]
        for c in STANCES:
            flat[f"{t}_{c}"] = summary["counts"][c]
        flat[f"{t}_mentioned"] = summary["mentioned"]
        flat[f"{t}_net_stance"] = summary["net_stance"]
        flat[f"{t}_mean_confidence"] = summary["mean_confidence"]
        for label in ("support", "oppose"):
            top = summary.get("evidence", {}).get(label) or []
            flat[f"{t}_top_{label}"] = top[0]["text"] if top else None
    for c in SENTIMENTS:
        flat[f"sentiment_{c}"] = row["sentiment"]["counts"][c]
    return flat


def read_records(path: Path, fmt: str | None = None) -> Iterator[dict]:
    """Stream rows of a scored file as dicts (flat for CSV/Parquet, nested for JSON Lines)."""
    fmt = format_of(path, fmt)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
    elif fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
            yield from batch.to_pylist()


def read_sentences(path: Path, targets: list[str], fmt: str | None = None) -> Iterator[dict]:
    """Nested sentence rows from any scored format."""
    fmt = format_of(path, fmt)
    for row in read_records(path, fmt):
        yield row if fmt == "jsonl" else unflatten_sentence(row, targets)


def arrow_schema(columns: list[str], integers: set[str], floats: set[str], booleans: set[str]):
    import pyarrow as pa

    def kind(c: str):
        return (
            pa.int64()
            if c in integers
            else pa.float64()
            if c in floats
            else pa.bool_()
            if c in booleans
            else pa.string()
        )

    return pa.schema([(c, kind(c)) for c in columns])


def sentence_schema(targets: list[str]):
    columns = sentence_columns(targets)
    floats = {f"sentiment_{c}" for c in SENTIMENTS} | {f"{t}_{c}" for t in targets for c in STANCES}
    return arrow_schema(columns, {"index", "start", "end"}, floats, {"skipped"})


def summary_schema(targets: list[str]):
    columns = summary_columns(targets)
    integers = {"sentences", "skipped", *(f"sentiment_{c}" for c in SENTIMENTS)}
    integers |= {f"{t}_{c}" for t in targets for c in STANCES} | {f"{t}_mentioned" for t in targets}
    floats = {f"{t}_{k}" for t in targets for k in ("net_stance", "mean_confidence")}
    return arrow_schema(columns, integers, floats, set())


def write_flat(rows: Iterable[dict], path: Path, fmt: str, schema) -> int:
    """Write flat rows to CSV or Parquet (``schema``: a pyarrow schema naming the columns), atomically."""
    from sikap.io import atomic_open

    columns = schema.names
    count = 0
    if fmt == "csv":
        with atomic_open(path, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                count += 1
        return count
    import pyarrow as pa
    import pyarrow.parquet as pq

    with atomic_open(path, "wb") as handle, pq.ParquetWriter(handle, schema) as writer:
        chunk: list[dict] = []
        for row in rows:
            chunk.append(row)
            count += 1
            if len(chunk) >= 8192:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk.clear()
        writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return count
