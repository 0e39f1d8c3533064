"""``sikap label import``: validate filled labels and add them to ``labels/data/`` as a new file.

Reads the filled ``to_label.csv``, a JSON Lines file in the labels format, or a Label Studio
JSON export. Every record goes through the project's validator; the records are then checked
together with the existing labels exactly as ``sikap labels check`` would check the result
(duplicate ids and texts, mention consistency, near-duplicates leaking across splits), and a
near-duplicate of an existing label is rejected even within one split.
"""

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sikap.data.labels import (
    OPTIONAL_FIELDS,
    REALISTIC,
    SPLITS,
    LabeledSentence,
    LabelSet,
    Problem,
    ProblemsMixin,
    cross_record_problems,
    load_labels,
    near_duplicate_pairs,
    normalize_text,
    parse_record,
)
from sikap.errors import InputError
from sikap.io import write_atomic
from sikap.labeling import EXTRA_KEYS, label_studio
from sikap.paths import labels_dir
from sikap.text.targets import Target, load_targets

SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
KINDS = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class ImportCheck(ProblemsMixin):
    path: Path
    kind: str
    sentences: list[LabeledSentence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    existing_errors: int = 0

    def split_counts(self) -> dict[str, int]:
        counts = Counter(s.split for s in self.sentences)
        return {split: counts[split] for split in SPLITS if split != REALISTIC}  # imports never land there


Row = tuple[str, int, object]  # (source, line, decoded record)


def _decode(path: Path) -> tuple[str | None, list[Problem]]:
    """The file's text (UTF-8, optional BOM), or a problem for every line that is not UTF-8."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        problems = []
        for number, line in enumerate(data.split(b"\n"), 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                message = f"not UTF-8 text (byte {exc.start + 1} of the line): re-save the file as UTF-8"
                problems.append(Problem(str(path), number, message))
        return None, problems


def kind_of(path: Path, text: str) -> str:
    """``csv``, ``jsonl`` or ``label-studio``: by extension, else by content."""
    suffix = path.suffix.lower()
    if suffix in KINDS:
        return KINDS[suffix]
    start = text.lstrip()[:1]
    if start == "{":
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            return "jsonl"  # several records, one per line
        return "jsonl" if "sentiment" in whole or "stance" in whole else "label-studio"
    return "label-studio" if start == "[" or suffix == ".json" else "csv"


def _jsonl_rows(path: Path, text: str) -> tuple[list[Row], list[Problem]]:
    rows: list[Row] = []
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(path), number, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if isinstance(raw, dict):
            raw = {k: v for k, v in raw.items() if k not in EXTRA_KEYS}
        rows.append((str(path), number, raw))
    return rows, problems


def _csv_value(key: str, value: str) -> object:
    """An optional CSV column as its labels-format type (left as is when it does not parse, for the validator)."""
    if key == "rules":
        parts = [p for p in re.split(r"[\s,;|\[\]]+", value) if p]
        return [int(p) for p in parts] if all(p.isdigit() for p in parts) else value
    if key == "year":
        return int(value) if value.isdigit() else value
    return value


def _csv_rows(path: Path, text: str, names: list[str]) -> tuple[list[Row], list[Problem]]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    source = str(path)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        return [], [Problem(source, 1, f"malformed CSV: {exc}")]
    required = ["id", "text", "sentiment", *names]
    missing = [c for c in required if c not in header]
    if missing:
        found = ", ".join(header) or "nothing"
        message = f"CSV header lacks column(s) {', '.join(missing)} (found {found}; expected {', '.join(required)})"
        return [], [Problem(source, 1, message)]
    problems = []
    known = {*required, *EXTRA_KEYS, *OPTIONAL_FIELDS}
    for column in header:
        if column not in known:
            problems.append(Problem(source, 1, f"unknown column {column!r} (allowed: {', '.join(sorted(known))})"))
    rows: list[Row] = []
    line = reader.line_num + 1
    try:
        for fields in reader:
            number, line = line, reader.line_num + 1
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(source, number, f"expected {len(header)} columns, found {len(fields)} (check the quoting)")
                )
                continue
            cells = dict(zip(header, fields, strict=True))
            raw: dict = {
                "id": cells["id"].strip(),
                "text": cells["text"],
                "sentiment": cells["sentiment"].strip().lower(),
                "stance": {name: cells[name].strip().lower() for name in names},
            }
            for key in OPTIONAL_FIELDS:
                if cells.get(key, "").strip():
                    raw[key] = _csv_value(key, cells[key].strip())
            rows.append((source, number, raw))
    except csv.Error as exc:
        problems.append(Problem(source, line, f"malformed CSV: {exc}"))
    return rows, problems


def read_import(path: Path, targets: list[Target]) -> tuple[str, list[Row], list[Problem], int]:
    """Decode ``path``: its kind, the records with where they came from, problems, and skipped tasks."""
    text, problems = _decode(path)
    if text is None:
        return "unknown", [], problems, 0
    kind = kind_of(path, text)
    if kind == "jsonl":
        return kind, *_jsonl_rows(path, text), 0
    if kind == "csv":
        return kind, *_csv_rows(path, text, [t.name for t in targets]), 0
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return kind, [], [Problem(str(path), exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")], 0
    records, problems, skipped = label_studio.export_records(data, str(path))
    return kind, [(where, 0, record) for where, record in records], problems, skipped


def near_existing(existing: list[LabeledSentence], new: list[LabeledSentence]) -> list[Problem]:
    """New sentences that are near-duplicates of an existing label in the same split.

    (Across splits, :func:`sikap.data.labels.cross_record_problems` already reports them as leaks.)
    """
    problems = []
    groups = ["existing"] * len(existing) + ["new"] * len(new)  # existing × new only: i < len(existing) <= j
    for i, j, value in near_duplicate_pairs([s.text for s in existing + new], groups=groups):
        a, b = existing[i], new[j - len(existing)]
        if a.split == b.split and normalize_text(a.text) != normalize_text(b.text):
            problems.append(
                Problem(
                    b.source,
                    b.line,
                    f"near-duplicate (cosine {value:.2f}) of the existing label {a.id!r} ({a.source}:{a.line}): "
                    "it adds little; drop it or choose a genuinely different sentence",
                )
            )
    return problems


def check_import(path: Path, targets: list[Target] | None = None, existing: LabelSet | None = None) -> ImportCheck:
    """Read and validate ``path`` against the standard and the existing labels; problems are collected."""
    path = Path(path)
    targets = targets if targets is not None else load_targets()
    data_dir = labels_dir() / "data"
    if path.resolve().parent == data_dir.resolve():
        raise InputError(f"{path} is already in {data_dir}; import files from elsewhere (or run `sikap labels check`)")
    kind, rows, problems, skipped = read_import(path, targets)
    check = ImportCheck(path, kind, problems=problems, skipped=skipped)
    for source, line, raw in rows:
        sentence, found = parse_record(raw, targets, source, line)
        check.problems.extend(found)
        if sentence:
            check.sentences.append(sentence)
    if not rows and not check.problems:
        unfinished = f" ({skipped} task(s) without a finished annotation)" if skipped else ""
        check.problems.append(Problem(str(path), 0, f"no labeled sentences found{unfinished}"))
    existing = existing if existing is not None else load_labels(targets=targets)
    check.existing_errors = len(existing.errors)
    if check.sentences:
        new = {(s.source, s.line) for s in check.sentences}
        together = cross_record_problems(existing.sentences + check.sentences, targets)
        check.problems.extend(p for p in together if (p.source, p.line) in new)
        check.problems.extend(near_existing(existing.sentences, check.sentences))
    check.problems.sort(key=_position)
    return check


def _position(problem: Problem) -> tuple[int, int]:
    """Sort key: Label Studio task number, then line."""
    task = re.search(r":task (\d+)( \(id .*\))?$", problem.source)
    return (int(task.group(1)) if task else 0, problem.line)


def label_record(s: LabeledSentence) -> dict:
    """The fields of the labels format (optional ones only when set)."""
    record: dict = {"id": s.id, "text": s.text, "sentiment": s.sentiment, "stance": s.stance}
    if s.rules:
        record["rules"] = list(s.rules)
    if s.voice is not None:
        record["voice"] = s.voice
    if s.year is not None:
        record["year"] = s.year
    return record


def write_import(check: ImportCheck, source: str = "import", now: datetime | None = None) -> Path:
    """Write the checked sentences to a new ``labels/data/<source>-<YYYYMMDD-HHMMSS>.jsonl`` (UTC time)."""
    if check.errors:
        raise InputError(f"{check.path} has {len(check.errors)} error(s); nothing was written")
    if not check.sentences:
        raise InputError(f"{check.path}: no labeled sentences to import")
    if not SOURCE_NAME.fullmatch(source):
        raise InputError(f"--source {source!r}: use letters, digits, '-' and '_' (it names the new label file)")
    data_dir = labels_dir() / "data"
    stem = f"{source}-{now or datetime.now(UTC):%Y%m%d-%H%M%S}"
    path, k = data_dir / f"{stem}.jsonl", 2
    while path.exists():
        path, k = data_dir / f"{stem}-{k}.jsonl", k + 1
    write_atomic(path, "".join(json.dumps(label_record(s), ensure_ascii=False) + "\n" for s in check.sentences))
    return path
