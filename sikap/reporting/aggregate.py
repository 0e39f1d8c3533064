"""Stream scored output once and keep only totals, per-outlet and per-month tallies, and top-k examples.

Both nested (JSON Lines) and flat (CSV / Parquet) rows are accepted; targets are read from the
data (``stance`` / ``targets`` keys, or ``<target>_mentions`` / ``<target>_mentioned`` columns).
"""

import csv
import heapq
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sikap.batch.formats import format_of, read_records, unflatten_sentence
from sikap.errors import InputError
from sikap.schema import MENTIONED_STANCES, SENTIMENTS

UNKNOWN_OUTLET = "(no outlet)"
_PUNCTUATION = re.compile(r"[\W_]+")  # texts differing only in punctuation or case are the same example
_MONTH = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})(?!\d)")


@dataclass
class Tally:
    """Stance counts among sentences that mention a target."""

    support: int = 0
    oppose: int = 0
    neutral: int = 0
    mentioned: int = 0

    def add(self, counts: dict, mentioned: int) -> None:
        self.support += counts.get("support", 0)
        self.oppose += counts.get("oppose", 0)
        self.neutral += counts.get("neutral", 0)
        self.mentioned += mentioned

    @property
    def net(self) -> float | None:
        """``(support - oppose) / mentioned``, in [-1, 1]; ``None`` when never mentioned."""
        return (self.support - self.oppose) / self.mentioned if self.mentioned else None

    def share(self, label: str) -> float | None:
        return getattr(self, label) / self.mentioned if self.mentioned else None


@dataclass(frozen=True)
class Example:
    text: str
    score: float
    article_id: str
    index: int | None


class TopK:
    """The ``k`` most confident examples seen so far, one per distinct text (ties keep the earliest).

    Distinct ignores case and punctuation, so a headline and the same sentence with a full stop count
    once (the more confident of the two).
    """

    def __init__(self, k: int):
        self.k = k
        self._heap: list[tuple[float, int, str, Example]] = []
        self._entries: dict[str, tuple[float, int, str, Example]] = {}
        self._seen = 0

    def offer(self, score: float, text: str, article_id: str, index: int | None) -> None:
        if self.k <= 0:
            return
        self._seen += 1
        rank = (score, -self._seen)
        full = len(self._heap) >= self.k
        if full and rank <= self._heap[0][:2]:
            return
        key = " ".join(_PUNCTUATION.sub(" ", text).split()).casefold()
        entry = (*rank, key, Example(text, score, article_id, index))
        if key in self._entries:  # the same text again: keep the more confident one
            if rank <= self._entries[key][:2]:
                return
            self._heap.remove(self._entries[key])
            heapq.heapify(self._heap)
            heapq.heappush(self._heap, entry)
        elif full:
            del self._entries[heapq.heapreplace(self._heap, entry)[2]]
        else:
            heapq.heappush(self._heap, entry)
        self._entries[key] = entry

    def best(self) -> list[Example]:
        return [e[3] for e in sorted(self._heap, key=lambda e: e[:2], reverse=True)]


@dataclass(repr=False)
class Aggregate:
    """Everything the report shows, built in one pass over each file."""

    targets: list[str] = field(default_factory=list)
    rows: int = 0
    sentences: int = 0
    skipped: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    sentiment: Counter = field(default_factory=Counter)
    stance: dict[str, Tally] = field(default_factory=dict)
    examples: dict[tuple[str, str], TopK] = field(default_factory=dict)
    models: set[str] = field(default_factory=set)
    articles: int = 0
    summary_sentences: int = 0
    summary_skipped: int = 0
    dated: int = 0
    outlet_articles: Counter = field(default_factory=Counter)
    outlet_sentiment: dict[str, Counter] = field(default_factory=dict)
    by_outlet: dict[tuple[str, str], Tally] = field(default_factory=dict)
    month_articles: Counter = field(default_factory=Counter)
    by_month: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def _target(self, name: str, k: int) -> None:
        if name not in self.stance:
            self.targets.append(name)
            self.stance[name] = Tally()
            for label in MENTIONED_STANCES:
                self.examples[(name, label)] = TopK(k)

    @property
    def outlets(self) -> list[str]:
        """Outlets, most articles first."""
        return [o for o, _ in sorted(self.outlet_articles.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def months(self) -> list[str]:
        return sorted(self.month_articles)


def _records(path: Path) -> Iterator[dict]:
    """Rows of a scored file, with the reader's failures turned into :class:`InputError`."""
    try:
        fmt = format_of(path)
    except InputError:
        raise InputError(
            f"{path}: unknown format; give a .jsonl, .csv or .parquet file written by `sikap score`"
        ) from None
    if fmt == "csv":
        csv.field_size_limit(1 << 30)
    try:
        yield from read_records(path, fmt)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV ({exc})") from None
    except (OSError, ValueError) as exc:  # pyarrow: ArrowInvalid is a ValueError, ArrowIOError an OSError
        raise InputError(f"{path}: not a readable {fmt} file ({exc})") from None


def _flat_targets(row: dict, suffix: str) -> list[str]:
    return [k[: -len(suffix)] for k in row if k.endswith(suffix) and k != suffix]


def _int(value: object) -> int:
    return 0 if value in (None, "") else int(float(value))


def month_of(value: object) -> str | None:
    """``YYYY-MM`` of an ISO-like date (``2022-03-01``, ``2022/03``, a ``date``), else ``None``."""
    if isinstance(value, date):
        return f"{value.year:04d}-{value.month:02d}"
    match = _MONTH.match(str(value)) if value not in (None, "") else None
    if not match or not 1 <= int(match[2]) <= 12:
        return None
    return f"{match[1]}-{int(match[2]):02d}"


def nested_summary(row: dict, targets: list[str]) -> dict:
    """A summary row in the nested shape, from either shape (flat CSV values are converted to numbers)."""
    if "targets" in row:
        return row
    return {
        **{k: row.get(k) for k in ("article_id", "title", "date", "outlet", "url", "model")},
        "sentences": _int(row.get("sentences")),
        "skipped": _int(row.get("skipped")),
        "targets": {
            t: {
                "counts": {c: _int(row.get(f"{t}_{c}")) for c in MENTIONED_STANCES},
                "mentioned": _int(row.get(f"{t}_mentioned")),
            }
            for t in targets
        },
        "sentiment": {"counts": {c: _int(row.get(f"sentiment_{c}")) for c in SENTIMENTS}},
    }


def _kind(row: dict) -> str | None:
    """``sentences`` or ``summaries`` by the keys of a row (nested or flat), else ``None``."""
    if "stance" in row or ("text" in row and _flat_targets(row, "_mentions")):
        return "sentences"
    if "targets" in row or ("article_id" in row and _flat_targets(row, "_mentioned")):
        return "summaries"
    return None


_NAMES = {"sentences": "sentence rows", "summaries": "article summaries"}
_OPTIONS = {"sentences": "--sentences", "summaries": "--articles"}


def _check_kind(row: dict, path: Path, expected: str) -> None:
    kind = _kind(row)
    if kind is None:
        columns = ", ".join(list(row)[:8])
        raise InputError(f"{path}: not {_NAMES[expected]} written by `sikap score` (found: {columns})")
    if kind != expected:
        raise InputError(f"{path}: holds {_NAMES[kind]}, not {_NAMES[expected]}; pass it as {_OPTIONS[kind]}")


def add_sentences(agg: Aggregate, path: Path, examples: int) -> None:
    """Tally the sentence rows of ``path``: stance per target among mentions, sentiment, skips, examples."""
    flat_targets: list[str] | None = None
    for number, row in enumerate(_records(path), 1):
        if number == 1:
            _check_kind(row, path, "sentences")
            if "stance" not in row:
                flat_targets = _flat_targets(row, "_mentions")
        try:
            _add_sentence(agg, row if flat_targets is None else unflatten_sentence(row, flat_targets), examples)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{path}: row {number}: not a scored sentence row ({type(exc).__name__}: {exc})") from None
    if agg.rows == 0:
        raise InputError(f"{path}: no rows; pass the sentence rows written by `sikap score`")


def _add_sentence(agg: Aggregate, row: dict, k: int) -> None:
    agg.rows += 1
    if row["skipped"]:
        agg.skipped += 1
        agg.skip_reasons[row.get("reason") or "other"] += 1
        return
    agg.sentences += 1
    if row.get("model"):
        agg.models.add(row["model"])
    agg.sentiment[row["sentiment"]["label"]] += 1
    for name, stance in (row["stance"] or {}).items():
        agg._target(name, k)
        if not stance["mentions"]:
            continue
        label, tally = stance["label"], agg.stance[name]
        tally.mentioned += 1
        if label in MENTIONED_STANCES:
            setattr(tally, label, getattr(tally, label) + 1)
            top = agg.examples[(name, label)]
            top.offer(stance["scores"][label], row["text"], str(row["article_id"]), row.get("index"))


def add_summaries(agg: Aggregate, path: Path, examples: int) -> None:
    """Tally the article summaries of ``path``: totals, and stance per outlet and per month."""
    flat_targets: list[str] = []
    for number, row in enumerate(_records(path), 1):
        if number == 1:
            _check_kind(row, path, "summaries")
            flat_targets = _flat_targets(row, "_mentioned")
        try:
            _add_summary(agg, nested_summary(row, flat_targets), examples)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"{path}: row {number}: not an article summary ({type(exc).__name__}: {exc})") from None
    if agg.articles == 0:
        raise InputError(f"{path}: no rows; pass the article summaries written by `sikap score`")


def _add_summary(agg: Aggregate, row: dict, k: int) -> None:
    agg.articles += 1
    agg.summary_sentences += _int(row.get("sentences"))
    agg.summary_skipped += _int(row.get("skipped"))
    if row.get("model"):
        agg.models.add(row["model"])
    outlet = str(row.get("outlet") or "").strip() or UNKNOWN_OUTLET
    month = month_of(row.get("date"))
    agg.outlet_articles[outlet] += 1
    agg.outlet_sentiment.setdefault(outlet, Counter()).update(
        {c: _int(v) for c, v in (row.get("sentiment") or {}).get("counts", {}).items()}
    )
    if month:
        agg.dated += 1
        agg.month_articles[month] += 1
    for name, summary in row["targets"].items():
        agg._target(name, k)
        counts, mentioned = summary["counts"], _int(summary["mentioned"])
        counts = {c: _int(counts.get(c)) for c in MENTIONED_STANCES}
        agg.by_outlet.setdefault((outlet, name), Tally()).add(counts, mentioned)
        if month:
            agg.by_month.setdefault((month, name), Tally()).add(counts, mentioned)


def collect(sentences: Path, articles: Path, examples: int = 5) -> Aggregate:
    """Read both files once, streaming, into an :class:`Aggregate`."""
    agg = Aggregate()
    add_sentences(agg, sentences, examples)
    add_summaries(agg, articles, examples)
    return agg
