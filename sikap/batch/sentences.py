"""Reading sentences to classify: JSON Lines ``{"id", "text"}`` or plain text, one sentence a line."""

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

from sikap.errors import InputError
from sikap.schema import MAX_SENTENCE_CHARS


def _lines(path: str) -> Iterator[tuple[int, str]]:
    name = "<stdin>" if path == "-" else path
    if path != "-" and not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    with nullcontext(sys.stdin.buffer) if path == "-" else Path(path).open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{name}:{number}: not UTF-8 (byte {exc.start} of the line); re-encode the file as UTF-8"
                ) from None


def read_sentences(path: str) -> Iterator[tuple[str | None, str]]:
    """Yield ``(id, text)`` from a JSON Lines or plain-text file (``-`` = stdin).

    The format is JSON Lines when the first non-blank line starts with ``{``. Blank lines
    of a plain-text file are skipped; every other problem raises :class:`InputError` naming ``file:line``.
    """
    name = "<stdin>" if path == "-" else path
    is_jsonl: bool | None = None
    for number, line in _lines(path):
        if not line.strip():
            continue
        if is_jsonl is None:
            is_jsonl = line.lstrip().startswith("{")
        if is_jsonl:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}:{number}: invalid JSON ({exc.msg}, column {exc.colno})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise InputError(f'{name}:{number}: expected an object with a string "text" field')
            text, sid = record["text"], record.get("id")
            if sid is not None and not isinstance(sid, str | int):
                raise InputError(f'{name}:{number}: "id" must be a string or a number')
            sid = None if sid is None else str(sid)
        else:
            text, sid = line, None
        if not text.strip():
            raise InputError(f'{name}:{number}: "text" is empty')
        if len(text) > MAX_SENTENCE_CHARS:
            raise InputError(
                f"{name}:{number}: sentence has {len(text)} characters, more than {MAX_SENTENCE_CHARS}; "
                "split articles into sentences first (see `sikap score`)"
            )
        yield sid, text.strip()
