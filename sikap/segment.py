"""Sentence segmentation for Indonesian news, with page furniture marked instead of dropped.

Every character range of the input that holds text ends up in exactly one
:class:`Segment`: either a sentence to classify or a skipped piece of page
furniture (byline, date, "BACA JUGA" link, photo credit, copyright, share or ad
line, "loading...") with the reason it was skipped.
"""

import re
from dataclasses import dataclass

# Abbreviations after which a period does not end a sentence (compared lowercased, without the dot).
ABBREVIATIONS = frozenset(
    """
    dr drs dra prof ir h hj kh no nomor jl jln tgl a.n u.p a.s s.h s.e s.t m.m m.si m.a ph.d st sdr sdri
    bpk yth dkk dll dsb dst sbb tsb kol let jen mayjen brigjen letjen laksda marsda kapt kompol aipda
    bripka mr mrs ms jr sr vs etc inc ltd co corp gen lt col sgt rp hlm vol
    """.split()  # noqa: SIM905
)

# A run of terminators (".", "...", "…", "!", "?") with closing quotes/brackets, before whitespace or the end.
# The lookbehind and possessive quantifiers keep a long run of dots from being rescanned at every position.
_TERMINATOR = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+(?=\s|$)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s++[\"'“‘(\[]*+[A-Z0-9À-Þ]")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Za-z.\-]*(?:\s+[A-Z][A-Za-z.\-]*){0,3}),?\s*"
    r"(?:\((?:ANTARA|Antara|AFP|Reuters|AP|[A-Z][A-Za-z]{1,12})\)|[A-Z][A-Za-z]*\.(?:com|id|co\.id))?\s*[-–—]+\s+"
)
_DATELINE_CAPS = re.compile(r"^[A-Z]{3,}")

_MONTHS = (
    r"(?:januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember"
    r"|jan|feb|mar|apr|jun|jul|agu|agt|sep|okt|nov|des)"
)
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu)"

# (reason, pattern) — a line that matches is page furniture. Order matters only for the reason shown.
FURNITURE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("related-link", re.compile(r"^\W*(baca\s+juga|simak\s+juga|lihat\s+juga|tonton\s+juga|berita\s+terkait)\b", re.I)),
    ("loading", re.compile(r"^\W*(loading|memuat)\s*\.{0,3}\W*$", re.I)),
    ("copyright", re.compile(r"(^\W*(copyright|hak\s+cipta)\b|©)", re.I)),
    ("photo-credit", re.compile(r"^\W*(foto|photo|ilustrasi|sumber\s+foto|dok(umentasi)?|gambar|video)\s*[:/]", re.I)),
    ("byline", re.compile(r"^\W*(oleh|penulis|reporter|pewarta|editor|penyunting|redaktur|kontributor)\s*:", re.I)),
    ("byline", re.compile(r"^\(\s*[a-z]{2,5}(\s*/\s*[a-z]{2,5})*\s*\)$", re.I)),
    (
        "date",
        re.compile(
            rf"^\W*(({_DAYS}),?\s+)?\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}(\s*[,|-]?\s*\d{{1,2}}[:.]\d{{2}}(\s*(wib|wita|wit))?)?\W*$",
            re.I,
        ),
    ),
    ("date", re.compile(r"^\W*(diperbarui|dipublikasikan|diterbitkan|updated|published)\b.{0,60}$", re.I)),
    ("date", re.compile(r"^\W*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(\s+\d{1,2}[:.]\d{2}(\s*(wib|wita|wit))?)?\W*$", re.I)),
    (
        "share-or-ad",
        re.compile(
            r"^\W*(bagikan|share|advertisement|iklan|scroll\s+to\s+continue|gulir\s+untuk|ikuti\s+(kami|berita)"
            r"|follow\s+us|dapatkan\s+(update|berita)|klik\s+di\s?sini|download\s+aplikasi|unduh\s+aplikasi)\b",
            re.I,
        ),
    ),
    ("share-or-ad", re.compile(r"^\W*((facebook|twitter|whatsapp|telegram|linkedin|line|email|x)\W*){2,}$", re.I)),
    ("tags", re.compile(r"^\W*(tags?|topik|kata\s+kunci)\s*:", re.I)),
)


@dataclass(frozen=True)
class Segment:
    """A sentence or a skipped piece of text, with character offsets into the segmented string."""

    start: int
    end: int
    text: str
    skipped: bool = False
    reason: str | None = None


def furniture_reason(line: str) -> str | None:
    """The kind of page furniture ``line`` is, or ``None`` if it is content."""
    stripped = line.strip()
    for reason, pattern in FURNITURE:
        if pattern.search(stripped):
            return reason
    return None


def _word_start(text: str, dot: int) -> int:
    """Start of the run of word characters and periods that ends at ``text[dot]`` (scans back only that run)."""
    start = dot
    while start > 0 and (text[start - 1] == "." or text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``text[dot]`` closes an abbreviation, an initial or a number."""
    start = _word_start(text, dot)
    if start == dot:
        return False
    token = text[start:dot].lower()
    return token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or bool(re.fullmatch(r"(\w\.)+\w", token))


def split_sentences(text: str, offset: int = 0) -> list[Segment]:
    """Split one paragraph into sentences; offsets are shifted by ``offset``.

    Linear in ``len(text)``: every test looks only at the characters around a terminator.
    """
    segments, start = [], 0
    content_end = len(text.rstrip())  # no sentence can start at or after this
    for match in _TERMINATOR.finditer(text):
        end = match.end()
        if end < content_end and not _NEXT_STARTS_SENTENCE.match(text, end):
            continue  # "… tiba di Kyiv... dan langsung" or a lowercase continuation
        if (
            match.group().startswith(".")
            and not match.group().startswith("...")
            and _is_abbreviation(text, match.start())
        ):
            continue
        _append(segments, text, start, end, offset)
        start = end
    _append(segments, text, start, len(text), offset)
    return segments


def _append(segments: list[Segment], text: str, start: int, end: int, offset: int) -> None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    piece = piece.strip()
    if piece:
        segments.append(Segment(offset + start + lead, offset + start + lead + len(piece), piece))


def _split_dateline(line: str, offset: int) -> tuple[list[Segment], str, int]:
    """Separate a leading dateline ("JAKARTA (ANTARA) - ") from the first sentence of a paragraph."""
    match = _DATELINE.match(line)
    if not match or not _DATELINE_CAPS.match(line) or match.end() >= len(line):
        return [], line, offset
    dateline = line[: match.end()].rstrip()
    return (
        [Segment(offset, offset + len(dateline), dateline, True, "dateline")],
        line[match.end() :],
        offset + match.end(),
    )


def segment_text(text: str) -> list[Segment]:
    """Segment an article body (or a title) into sentences and skipped furniture, in order.

    Paragraphs are lines; a line without final punctuation (a headline, a subheading)
    is one sentence.

    >>> [s.text for s in segment_text("Dr. Andi tiba pukul 10.30. Ia bertemu Lavrov.")]
    ['Dr. Andi tiba pukul 10.30.', 'Ia bertemu Lavrov.']
    """
    segments: list[Segment] = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, offset = line_match.group(), line_match.start()
        if not line.strip():
            continue
        reason = furniture_reason(line)
        if reason:
            lead = len(line) - len(line.lstrip())
            segments.append(Segment(offset + lead, offset + lead + len(line.strip()), line.strip(), True, reason))
            continue
        dateline, line, offset = _split_dateline(line, offset)
        segments.extend(dateline)
        segments.extend(split_sentences(line, offset))
    return segments
