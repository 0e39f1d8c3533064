"""HTML pages in: main text, title and publication date via trafilatura (and htmldate), never a hand-made parser.

Bytes are decoded with the charset the HTTP header or the page declares (UTF-8 when none);
bytes that do not decode are an :class:`ExtractionError` naming the encoding and the byte, as is a
page where no article text is found. HTML tags that survive into a text field are removed.
"""

import re
from dataclasses import dataclass

from sikap.text.furniture.features import TAG

_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)
MAX_HTML_BYTES = 20_000_000


class ExtractionError(ValueError):
    """A page that gives no article: undecodable bytes, not HTML, or no main text."""


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    date: str | None
    url: str | None


def strip_tags(text: str) -> str:
    """``text`` without HTML tags, each line's spaces collapsed; empty lines dropped."""
    lines = (" ".join(TAG.sub(" ", line).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset named by a Content-Type header, else by a ``<meta>`` tag in the first 4 KB."""
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        return match.group(1)
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode page bytes with their declared charset (UTF-8 by default); a clear error if they do not decode."""
    if len(data) > MAX_HTML_BYTES:
        raise ExtractionError(f"page is {len(data):,} bytes, more than the {MAX_HTML_BYTES:,} accepted")
    charset = declared_charset(data, content_type) or "utf-8"
    try:
        return data.decode(charset.lower().replace("utf8", "utf-8"))
    except LookupError:
        raise ExtractionError(f"unknown charset {charset!r} declared by the page") from None
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"bytes are not valid {charset} (byte {exc.start}); the page declares no other charset"
        ) from None


def extract(html: str, url: str | None = None) -> Extracted:
    """Main text, title and date of a page; :class:`ExtractionError` when there is no article text."""
    import trafilatura
    from htmldate import find_date

    if "<" not in html:
        raise ExtractionError("not HTML (no tags); send plain text as 'text' instead")
    try:
        document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    except Exception as exc:  # lxml and trafilatura raise many types on broken markup
        raise ExtractionError(f"unreadable HTML ({type(exc).__name__}: {exc})") from None
    if document is None:
        raise ExtractionError("no article text found in the HTML")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = strip_tags(data.get("text") or "")
    if not text:
        raise ExtractionError("no article text found in the HTML")
    title = strip_tags(data.get("title") or "") or None
    date = data.get("date")
    if not date:
        try:
            date = find_date(html, url=url, outputformat="%Y-%m-%d")
        except Exception:  # htmldate on odd markup: no date rather than no article
            date = None
    return Extracted(text, title, date or None, url or data.get("url"))
