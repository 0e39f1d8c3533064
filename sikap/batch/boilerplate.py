"""Corpus-level boilerplate: lines that repeat across many articles of the same outlet.

A first pass over the inputs counts, per outlet (the ``outlet`` field, else the URL's host,
else the input file or folder), in how many articles each normalised line occurs. Counts live
in a count-min sketch with conservative update (4 rows × 2^20 uint32 counters, 16 MiB, whatever
the corpus size): an exact table would grow with the number of distinct lines, which on a
large crawl is tens of millions. The sketch can only over-count, so a line is set aside only
when its estimate reaches both ``MIN_ARTICLES`` and ``MIN_SHARE`` of its outlet's articles;
at that share, collisions would need thousands of articles' worth of other lines in the same
counters of all four rows. Lines longer than ``MAX_WORDS`` words are never boilerplate.
"""

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

import numpy as np

from sikap.text.furniture.features import clean_line, duplicate_key

DEPTH = 4
WIDTH_BITS = 20
MIN_ARTICLES = 3
MIN_SHARE = 0.05
MAX_WORDS = 20
_LINE = re.compile(r"[^\n]+")


def corpus_key(outlet: str | None, url: str | None, source: str) -> str:
    """The group an article's boilerplate is counted in."""
    if outlet:
        return f"outlet:{outlet.casefold()}"
    if url and (host := urlsplit(url).hostname):
        return f"host:{host.removeprefix('www.')}"
    page_file = source.lower().endswith((".txt", ".html", ".htm"))
    return f"source:{source.rsplit('/', 1)[0] if page_file else source}"


def body_lines(text: str) -> list[str]:
    """The lines of an article body, indexed as :func:`sikap.text.segment.segment_text` indexes them."""
    return [m.group() for m in _LINE.finditer(text)]


class RepeatedLines:
    """Count-min sketch of (outlet, line) article counts, and the articles counted per outlet."""

    def __init__(self, depth: int = DEPTH, width_bits: int = WIDTH_BITS):
        self.table = np.zeros((depth, 1 << width_bits), dtype=np.uint32)
        self.mask = (1 << width_bits) - 1
        self.articles: Counter = Counter()

    def _cells(self, key: str, line_key: str) -> tuple[np.ndarray, np.ndarray]:
        digest = hashlib.blake2b(f"{key}\x00{line_key}".encode(), digest_size=8 * self.table.shape[0]).digest()
        columns = [int.from_bytes(digest[8 * r : 8 * r + 8], "little") & self.mask for r in range(self.table.shape[0])]
        return np.arange(self.table.shape[0]), np.array(columns)

    @staticmethod
    def _keys(text: str) -> list[str | None]:
        keys = []
        for line in body_lines(text):
            key = duplicate_key(clean_line(line))
            keys.append(key if key and len(key.split()) <= MAX_WORDS else None)
        return keys

    def add(self, key: str, text: str) -> None:
        """Count one article: each distinct line once (conservative update: raise only the minimum cells)."""
        self.articles[key] += 1
        for line_key in {k for k in self._keys(text) if k}:
            rows, cols = self._cells(key, line_key)
            current = self.table[rows, cols]
            target = current.min() + 1
            self.table[rows, cols] = np.maximum(current, target)

    def count(self, key: str, line_key: str) -> int:
        rows, cols = self._cells(key, line_key)
        return int(self.table[rows, cols].min())

    def threshold(self, key: str) -> int:
        return max(MIN_ARTICLES, math.ceil(MIN_SHARE * self.articles[key]))

    def repeated(self, key: str, text: str) -> frozenset[int]:
        """Indices of the body lines of an article that are boilerplate of its outlet."""
        limit = self.threshold(key)
        if self.articles[key] < limit:
            return frozenset()
        return frozenset(
            i for i, line_key in enumerate(self._keys(text)) if line_key and self.count(key, line_key) >= limit
        )


def count_corpus(articles: Iterable) -> RepeatedLines:
    """The first pass: a sketch over every readable article (``Article`` objects; bad records ignored)."""
    sketch = RepeatedLines()
    for article in articles:
        if hasattr(article, "text"):
            sketch.add(corpus_key(article.outlet, article.url, article.source), article.text)
    return sketch
