"""Neighbourhood features of a line: credits on it or next to it, distance to the title and to the body's ends.

They extend :func:`sikap.text.furniture.features.page_features` for the first stage of the
detector: a caption is often a plain sentence whose next line is a photo credit, a byline a bare
name just under the title, a promo a sentence after the last paragraph.
"""

import re

from sikap.text.furniture.features import SENTENCE_END, is_paragraph, repeated_later, words_of

# A photo or picture credit: "Foto:", "ANTARA FOTO/…", "REUTERS/…", "AFP/…", "Dok.", "Istimewa", "Photo by".
CREDIT = re.compile(
    r"(?:\b(?:[Ff]oto|FOTO|[Pp]hoto|PHOTO|[Ii]lustrasi|[Gg]ambar)\s*(?:by\s*)?[:/]"
    r"|\bANTARA\s+FOTO\b|\b(?:REUTERS|Reuters|AFP|AP|EPA|ANTARA|Antara|Xinhua|Getty\s+Images|Shutterstock)\s*/"
    r"|\bDok\.|\bDok\s*:|\(\s*[Ii]stimewa\s*\)|^\s*[Ii]stimewa\b|\b[Pp]hoto\s+by\b|\bShutterstock\b)"
)
PRICE = re.compile(r"\bRp\.?\s?\d|\b\d{1,3}(?:[.,]\d{3})+\s*(?:rupiah|ribu)\b|\bdiskon\b|\bcicilan\b|\bongkir\b", re.I)
_VERB = re.compile(r"^(?:me[mny]?|meng|ber|ter|di)[a-z]{3,}$|^[a-z]{4,}(?:kan)$")


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"


def has_predicate(line: str) -> bool:
    """A sentence with a verb: six words or more in sentence case (not a title-case headline), a verb-like word."""
    words = words_of(line)
    alpha = [w for w in words if w[0].isalpha()]
    if len(words) < 6 or not alpha or sum(w[0].isupper() for w in alpha) > 0.5 * len(alpha):
        return False
    return any(_VERB.match(w.casefold()) for w in words)


def is_credit(line: str) -> bool:
    """A short line that is a photo credit (or ends in one)."""
    return len(words_of(line)) <= 8 and bool(CREDIT.search(line))


def add_context(lines: list[str], features: list[dict[str, float]]) -> list[dict[str, float]]:
    """Add neighbourhood features to each line's ``features`` (in place; returned for chaining)."""
    n = len(lines)
    paragraphs = [i for i, line in enumerate(lines) if is_paragraph(line)]
    first, last = (paragraphs[0], paragraphs[-1]) if paragraphs else (0, n - 1)
    title = next((i for i, line in enumerate(lines) if len(words_of(line)) >= 4), 0)
    credits = [is_credit(line) for line in lines]
    first_copies = repeated_later(lines)
    after = [0] * n  # paragraphs after each line
    count = 0
    for i in range(n - 1, -1, -1):
        after[i] = count
        count += i in paragraphs
    for i, (line, f) in enumerate(zip(lines, features, strict=True)):
        match = CREDIT.search(line)
        if match:
            f["credit"] = 1
            f["credit_after_text" if len(words_of(line[: match.start()])) >= 3 else "credit_at_start"] = 1
        if i + 1 < n and credits[i + 1]:
            f["next:credit"] = 1
        if i > 0 and credits[i - 1]:
            f["prev:credit"] = 1
        if first_copies[i]:
            f["first_copy"] = 1
        if PRICE.search(line):
            f["price"] = 1
        predicate = has_predicate(line)
        if predicate:
            f["predicate"] = 1
        elif len(words_of(line)) >= 8 and not SENTENCE_END.search(line):
            f["long_open"] = 1  # a long line without final punctuation: a headline or a caption
        if i == title:
            f["title"] = 1
        elif i > title:
            f[f"after_title{_bucket(i - title, (1, 2, 3, 5, 8))}"] = 1
            if i < first:
                f["title_to_body"] = 1
                if "long_open" in f:
                    f["title_to_body&long_open"] = 1
        else:
            f["before_title"] = 1
        f[f"paragraphs_after{_bucket(after[i], (0, 1, 2))}"] = 1
        if i > last:
            f[f"past_body{_bucket(i - last, (1, 2, 4, 8))}"] = 1
        elif i == last and paragraphs:
            f["last_paragraph"] = 1
            if predicate and f.get("ui_words<=0") is None:
                f["last_paragraph&ui"] = 1
    return features
