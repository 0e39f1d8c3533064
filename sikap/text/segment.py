"""Sentence segmentation for Indonesian news, with page furniture marked instead of dropped.

Every character range of the input that holds text ends up in exactly one
:class:`Segment`: either a sentence to classify or a skipped piece of page
furniture with the reason it was skipped: the kind the line classifier of
:mod:`sikap.text.furniture` gives it (navigation, caption, byline, date, widget, ad,
related-link, tags, ...), a high-precision pattern below, a leading dateline or a
trailing credit such as "(ant/rin)". HTML tags left in the text are blanked out
(offsets still index the original string).
"""

import re
from dataclasses import dataclass

from sikap.text.furniture.features import blank_tags
from sikap.text.furniture.model import classify_lines
from sikap.text.furniture.rules import FURNITURE, furniture_reason

__all__ = ["FURNITURE", "Segment", "furniture_reason", "segment_article", "segment_text", "split_sentences"]

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
_CREDIT_TAIL = re.compile(
    r"[.!?\"”]\s*((?:\(\s*[a-z*]{1,5}(?:\s*/\s*[\w.]{1,20}){0,3}\s*\)|\[\s*[a-z]{1,5}(?:\s*/\s*[\w.]{1,20}){0,3}\s*\])\s*)$"
)


@dataclass(frozen=True)
class Segment:
    """A sentence or a skipped piece of text, with character offsets into the segmented string."""

    start: int
    end: int
    text: str
    skipped: bool = False
    reason: str | None = None


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


def _split_credit_tail(line: str, offset: int) -> tuple[str, list[Segment]]:
    """Separate a trailing credit ("... kata dia. (ant/rin)", "[ah/ft]") from the last sentence of a paragraph."""
    match = _CREDIT_TAIL.search(line)
    if not match:
        return line, []
    start = match.start(1)
    tail = line[start:].rstrip()
    return line[:start], [Segment(offset + start, offset + start + len(tail), tail, True, "byline")]


def _lines(text: str) -> list[re.Match[str]]:
    return list(re.finditer(r"[^\n]+", text))


def segment_text(text: str, kinds: list[str | None] | None = None) -> list[Segment]:
    """Segment an article body (or a title) into sentences and skipped furniture, in order.

    Paragraphs are lines; a line without final punctuation (a headline, a subheading)
    is one sentence. ``kinds`` gives the furniture kind of each line (see
    :func:`segment_article`); by default the lines of ``text`` are classified as one page.

    >>> [s.text for s in segment_text("Dr. Andi tiba pukul 10.30. Ia bertemu Lavrov.")]
    ['Dr. Andi tiba pukul 10.30.', 'Ia bertemu Lavrov.']
    """
    text = blank_tags(text)
    matches = _lines(text)
    if kinds is None:
        kinds = classify_lines([m.group() for m in matches])
    segments: list[Segment] = []
    for line_match, kind in zip(matches, kinds, strict=True):
        line, offset = line_match.group(), line_match.start()
        if not line.strip():
            continue
        if reason := kind:
            lead = len(line) - len(line.lstrip())
            segments.append(Segment(offset + lead, offset + lead + len(line.strip()), line.strip(), True, reason))
            continue
        dateline, line, offset = _split_dateline(line, offset)
        segments.extend(dateline)
        line, tail = _split_credit_tail(line, offset)
        segments.extend(split_sentences(line, offset))
        segments.extend(tail)
    return segments


def segment_article(
    title: str | None, text: str, repeated: frozenset[int] = frozenset()
) -> tuple[list[Segment], list[Segment]]:
    """Segments of a title and a body, their lines classified together as one page (title first).

    ``repeated``: indices of body lines (as :func:`segment_text` counts them) that repeat across
    the outlet's articles; those the classifier keeps become furniture with the reason ``repeated``.
    """
    title = title or ""
    title_lines, text_lines = _lines(blank_tags(title)), _lines(blank_tags(text))
    kinds = classify_lines([m.group() for m in title_lines + text_lines])
    body = kinds[len(title_lines) :]
    body = [kind or ("repeated" if i in repeated else None) for i, kind in enumerate(body)]
    return segment_text(title, kinds[: len(title_lines)]), segment_text(text, body)
