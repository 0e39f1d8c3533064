"""Articles from WARC files (``.warc`` / ``.warc.gz``, read with warcio): one per HTML response record.

Other records (requests, metadata, images, ...) are not articles and are passed over. The article
id is the target URI (``URI#2`` for its second capture); a record whose page does not decode or
holds no article text is a bad record naming the file and the record number.
"""

from collections import Counter
from collections.abc import Iterator

HTML_TYPES = ("text/html", "application/xhtml+xml")


def read_warc(path: str) -> Iterator:
    """Yield ``Article`` or ``BadRecord`` (see :mod:`sikap.batch.readers`) per HTML response of ``path``."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    from sikap.batch.articles import Article, BadRecord
    from sikap.text.html_input import ExtractionError, decode_html, extract

    seen: Counter = Counter()
    number = 0
    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                number += 1
                if record.http_headers is None and not record.rec_headers.get_header("WARC-Target-URI"):
                    yield BadRecord(path, number, "response record without target URI or HTTP headers (not a WARC?)")
                    continue
                content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
                if not content_type or content_type.split(";")[0].strip().lower() not in HTML_TYPES:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or f"record-{number}"
                seen[url] += 1
                article_id = url if seen[url] == 1 else f"{url}#{seen[url]}"
                try:
                    page = extract(decode_html(record.content_stream().read(), content_type), url)
                except ExtractionError as exc:
                    yield BadRecord(path, number, f"{url}: {exc}")
                    continue
                yield Article(
                    article_id, page.text, title=page.title, date=page.date, url=url, source=path, line=number
                )
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, AttributeError) as exc:  # warcio on broken input
        yield BadRecord(
            path, number + 1, f"unreadable WARC record ({type(exc).__name__}: {exc}); the rest of the file is skipped"
        )
