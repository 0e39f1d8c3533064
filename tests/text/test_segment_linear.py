"""Sentence splitting is linear in the text length and splits exactly as the original (quadratic) splitter did."""

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from sikap.text.segment import ABBREVIATIONS, Segment, split_sentences

# The splitter before it was made linear, kept as the reference for what a split should be.
_OLD_TERMINATOR = re.compile(r"(?:\.{3}|…|[.!?])+[\"'”’)\]]*(?=\s+|$)")
_OLD_NEXT = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9À-Þ]")


def reference_split(text: str) -> list[Segment]:
    def is_abbreviation(dot: int) -> bool:
        word = re.search(r"([\w.]+)$", text[:dot])
        if not word:
            return False
        token = word.group(1).lower()
        return (
            token in ABBREVIATIONS or (len(token) == 1 and token.isalpha()) or bool(re.fullmatch(r"(\w\.)+\w", token))
        )

    def append(start: int, end: int) -> None:
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            segments.append(Segment(start + lead, start + lead + len(piece.strip()), piece.strip()))

    segments, start = [], 0
    for match in _OLD_TERMINATOR.finditer(text):
        end = match.end()
        rest = text[end:]
        if rest.strip() and not _OLD_NEXT.match(rest):
            continue
        if match.group().startswith(".") and not match.group().startswith("...") and is_abbreviation(match.start()):
            continue
        append(start, end)
        start = end
    append(start, len(text))
    return segments


PIECES = ["Dr", "no", "a", "A", "b.c", "NATO", "Rusia", "10", "3.5", "_x", "É", "ü", "…", ".", "...", "!", "?", "?!",
          '"', "'", "”", ")", "]", "(", "“", " ", "  ", "\t", "\u00a0"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_split_matches_the_reference(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert split_sentences(text) == reference_split(text)


def best_time(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        split_sentences(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_time_per_character_is_flat_from_20k_to_400k() -> None:
    sentence = 'Dr. Andi tiba di Kyiv pukul 10.30... lalu bertemu Zelensky. "Kami mendukung," katanya! '
    small, large = sentence * (20_000 // len(sentence)), sentence * (400_000 // len(sentence))
    ratio = (best_time(large) / len(large)) / (best_time(small) / len(small))
    assert ratio < 3, f"time per character grew {ratio:.1f}x from 20k to 400k characters"


def test_pathological_runs_stay_fast() -> None:
    for text in (". " * 100_000, "." * 200_000 + "x", "a" * 200_000 + ". B", "a." * 100_000 + " B", " " * 200_000):
        assert best_time(text) < 0.5, text[:20]
