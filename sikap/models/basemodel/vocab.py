"""Trim e5-small's 250,002-piece XLM-R vocabulary to the pieces Indonesian and English news need.

Kept (:data:`KEEP_RULE`): every piece the original tokenizer uses on a corpus (the ``text``
of every label in ``labels/**/*.jsonl``, the bundled word list ``data/news_words.txt.gz`` in
three casings, CLDR country and city names, generated numbers and dates), the special tokens,
every single-character piece (so an unseen word falls back to its characters, not to
``<unk>``), every ASCII piece of at most three characters (``▁`` not counted), and the
lowest-scoring piece (the Unigram model scores ``<unk>`` relative to it).

Why tokenization stays the same: Unigram picks the best-scoring segmentation. Every piece of
a corpus text's best segmentation is kept with its score, and the trimmed vocabulary offers
only segmentations the full one offered, so the best stays the best (ties too: the kept
pieces keep their order). Kept pieces keep their original order, so ``<s> <pad> </s> <unk>``
keep ids 0-3. A word outside the corpus may split into smaller pieces than before.
"""

import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from sikap.errors import SikapError
from sikap.models.basemodel.reader import E5File
from sikap.models.basemodel.tokenizer import SPECIALS

SHORT_ASCII = 3
WORDS_FILE = Path(__file__).parent / "data" / "news_words.txt.gz"
WORDS_SOURCE = "wordfreq 3.1.1 (CC BY-SA 4.0): all Indonesian and Malay 'small' words, first 50,000 English 'large'"
KEEP_RULE = (
    "pieces the original tokenizer uses on the corpus (label texts, bundled words, place names, numbers, dates) "
    "+ special tokens + every single-character piece "
    f"+ every ASCII piece of at most {SHORT_ASCII} characters (leading ▁ not counted) + the lowest-scoring piece"
)
_BATCH = 8192


@dataclass(frozen=True)
class Corpus:
    """Texts whose tokenization must not change; ``sentences`` (real text) are checked after the trim."""

    texts: list[str]
    sentences: list[str]
    description: dict


@dataclass(frozen=True)
class VocabularyTrim:
    """The kept original ids, ascending (kept piece ``keep[i]`` gets id ``i``), and how they were chosen."""

    keep: list[int]
    total: int
    by_rule: dict[str, int]
    corpus: dict
    pieces_sha256: str

    def provenance(self, label_check: str) -> dict:
        return {
            "trimmed": True,
            "pieces": len(self.keep),
            "of": self.total,
            "rule": KEEP_RULE,
            "by_rule": self.by_rule,
            "corpus": self.corpus,
            "kept_pieces_sha256": self.pieces_sha256,
            "label_sentences_tokenized_alike": label_check,
        }


def pieces_sha256(pieces: Sequence[str]) -> str:
    """sha256 of the piece list in id order (as a JSON array, UTF-8)."""
    return hashlib.sha256(json.dumps(list(pieces), ensure_ascii=False).encode("utf-8")).hexdigest()


def label_texts(directory: Path) -> tuple[list[str], list[Path]]:
    """The ``text`` of every record in ``directory/**/*.jsonl`` and the files read."""
    files = sorted(Path(directory).rglob("*.jsonl"))
    texts: list[str] = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise SikapError(f"{path}:{number}: not a JSON record ({exc}); run `sikap labels check`") from None
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                texts.append(record["text"])
    return texts, files


def read_words(path: Path = WORDS_FILE) -> list[str]:
    try:
        return gzip.decompress(path.read_bytes()).decode("utf-8").split()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise SikapError(f"{path}: cannot read the vocabulary word list ({exc})") from None


def word_forms(words: Iterable[str]) -> list[str]:
    """Each word lowercase, Title and UPPER, once after a space (``▁word``) and once after ``(``."""
    lines = []
    for word in words:
        for form in dict.fromkeys((word, word[:1].upper() + word[1:], word.upper())):
            lines.append(f"{form} ({form})")
    return lines


def number_forms() -> list[str]:
    """0-9999 alone, bracketed, with punctuation; times and decimals (``7.05``, ``07:05``, ``7,05``) below 100;
    every day of 1990-2035 as news and page furniture write dates; year ranges."""
    lines = [f"{i} ({i}) {i}, {i}. -{i} {i}%" for i in range(10_000)]
    lines += [f"{a}.{b:02} {a}:{b:02} {a},{b:02} {a:02}.{b:02} {a:02}:{b:02}" for a in range(100) for b in range(100)]
    day, minute = date(1990, 1, 1), 0
    while day.year <= 2035:
        d, m, y = day.day, day.month, day.year
        hh, mm = divmod(minute % 1440, 60)
        lines.append(
            f"{d}/{m}/{y} {d:02}/{m:02}/{y}, {d:02}-{m:02}-{y} {d:02}.{m:02}.{y} "
            f"{y}-{m:02}-{d:02} {y}-{m:02}-{d:02}T{hh:02}:{mm:02}:00Z"
        )
        day, minute = day + timedelta(days=1), minute + 37
    lines += [f"({a}–{b}) {a}-{b} {a}/{b % 100:02}" for a in range(1900, 2036) for b in range(a + 1, a + 31)]
    return lines


def place_names() -> tuple[list[str], str]:
    """Country and city names in Indonesian and English (CLDR via babel), as written and in UPPER
    (datelines); and what they are."""
    try:
        from babel import Locale
        from babel.core import get_global
    except ImportError:
        return [], "babel not installed: none"
    zones = sorted(get_global("zone_territories"))  # time zone ids: "Asia/Jakarta", "Europe/Kyiv", ...
    names: set[str] = set()
    for code in ("id", "en"):
        locale = Locale.parse(code)
        names |= set(locale.territories.values())
        for zone in zones:
            city = locale.time_zones.get(zone, {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
            names.add(city)
    names = {name for name in names if name}
    return sorted(names | {name.upper() for name in names}), "CLDR (babel) id/en territory and city names, UPPER too"


def default_corpus(labels: Path | None = None, words_file: Path = WORDS_FILE) -> Corpus:
    """Label texts (``SIKAP_LABELS`` or ``labels/``), the bundled word list in its forms, place names, numbers."""
    from sikap.paths import labels_dir

    labels = Path(labels) if labels else labels_dir()
    sentences, files = label_texts(labels)
    words = read_words(words_file)
    places, places_source = place_names()
    description = {
        "labels": {
            "directory": str(labels),
            "files": len(files),
            "sentences": len(sentences),
            "texts_sha256": pieces_sha256(sentences),
        },
        "words": {
            "file": words_file.name,
            "count": len(words),
            "sha256": hashlib.sha256(words_file.read_bytes()).hexdigest(),
            "source": WORDS_SOURCE,
            "forms": "lowercase, Title, UPPER; after a space and after '('",
        },
        "places": {"names": len(places), "source": places_source},
        "numbers": "0-9999 alone, bracketed, with , . % and leading -; N.NN N:NN N,NN 0N.NN 0N:NN for N < 100; "
        "each day of 1990-2035 as d/m/yyyy, dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, ISO date and time; year ranges",
    }
    return Corpus(sentences + word_forms(words) + places + number_forms(), sentences, description)


def used_ids(tokenizer, texts: Sequence[str]) -> set[int]:
    """Every token id ``tokenizer`` (a ``tokenizers.Tokenizer`` or fast HF tokenizer) uses on ``texts``."""
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    ids: set[int] = set()
    for start in range(0, len(texts), _BATCH):
        for encoding in backend.encode_batch(list(texts[start : start + _BATCH]), add_special_tokens=False):
            ids.update(encoding.ids)
    return ids


def rule_ids(pieces: Sequence[str], scores: np.ndarray, special_ids: dict[str, int]) -> dict[str, set[int]]:
    """The pieces kept whatever the corpus, by rule."""
    short_ascii = set()
    for i, piece in enumerate(pieces):
        body = piece.removeprefix("▁")
        if 0 < len(body) <= SHORT_ASCII and body.isascii():
            short_ascii.add(i)
    return {
        "special": set(special_ids.values()) | {i for i, p in enumerate(pieces) if p in SPECIALS},
        "single_character": {i for i, p in enumerate(pieces) if len(p) == 1},
        "short_ascii": short_ascii,
        "lowest_score": {int(np.argmin(scores))},
    }


def plan_trim(source: E5File, tokenizer, corpus: Corpus) -> VocabularyTrim:
    """Which of ``source``'s pieces to keep; ``tokenizer`` is the full-vocabulary one."""
    rules = rule_ids(source.pieces, source.scores, source.special_ids)
    rules["corpus"] = used_ids(tokenizer, corpus.texts)
    if max(rules["corpus"], default=0) >= len(source.pieces):
        raise SikapError(f"{source.path}: the tokenizer produced ids beyond the {len(source.pieces)} pieces")
    keep = sorted(set().union(*rules.values()))
    return VocabularyTrim(
        keep=keep,
        total=len(source.pieces),
        by_rule={name: len(ids) for name, ids in rules.items()},
        corpus=corpus.description,
        pieces_sha256=pieces_sha256([source.pieces[i] for i in keep]),
    )


def vocabulary_view(source: E5File, keep: Sequence[int]) -> E5File:
    """``source`` with only the kept pieces, their scores, remapped special ids and ``vocab_rows``.

    For the tokenizer and config only: its tensors are still the full file's.
    """
    new_id = {old: new for new, old in enumerate(keep)}
    missing = [name for name, old in source.special_ids.items() if old not in new_id]
    if missing:
        raise SikapError(f"{source.path}: the trimmed vocabulary lost the special token(s) {', '.join(missing)}")
    return replace(
        source,
        header=replace(source.header, vocab_rows=len(keep)),
        pieces=[source.pieces[i] for i in keep],
        scores=source.scores[np.asarray(keep, dtype=np.int64)],
        special_ids={name: new_id[old] for name, old in source.special_ids.items()},
    )


def differing(original, trimmed, texts: Sequence[str]) -> list[int]:
    """Indices of ``texts`` whose pieces (not ids) differ between two tokenizers."""
    first = getattr(original, "backend_tokenizer", original)
    second = getattr(trimmed, "backend_tokenizer", trimmed)
    found = []
    for start in range(0, len(texts), _BATCH):
        batch = list(texts[start : start + _BATCH])
        pairs = zip(
            first.encode_batch(batch, add_special_tokens=False),
            second.encode_batch(batch, add_special_tokens=False),
            strict=True,
        )
        found += [start + i for i, (a, b) in enumerate(pairs) if a.tokens != b.tokens]
    return found
