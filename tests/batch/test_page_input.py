"""Real pages in: HTML files, WARC archives, html fields, corpus boilerplate and skip reasons in summaries."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from rich.console import Console

from sikap.batch.articles import Article, BadRecord
from sikap.batch.boilerplate import MIN_ARTICLES, RepeatedLines, corpus_key
from sikap.batch.readers import iter_articles
from sikap.batch.scorer import OutputPaths, run_scoring, score_articles
from sikap.models.predictor import Predictor
from sikap.service.api_models import Article as ApiArticle
from sikap.text.html_input import ExtractionError, decode_html, extract
from sikap.text.targets import load_targets

TARGETS = ["NATO", "Russia", "Ukraine"]
PARAGRAPHS = [
    "Pemerintah Rusia menolak tuduhan NATO bahwa peretas yang didukung negara menyerang jaringan listrik di Eropa "
    "timur pekan lalu, kata juru bicara Kremlin kepada wartawan.",
    "Menurut dia, tuduhan itu tidak berdasar dan hanya bertujuan memperburuk hubungan yang sudah tegang sejak "
    "perang di Ukraina dimulai.",
    "Sementara itu, para menteri pertahanan NATO dijadwalkan bertemu di Brussel pekan depan untuk membahas "
    "bantuan bagi Ukraina.",
]


def page_html(title: str, paragraphs: list[str] = PARAGRAPHS, charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>'
        '<meta property="article:published_time" content="2024-11-25T10:00:00+07:00"></head>'
        f'<body><nav><a href="/">Beranda</a> <a href="/dunia">Dunia</a></nav>'
        f"<article><h1>{title}</h1>{body}</article><footer>Copyright 2024 Contoh</footer></body></html>"
    )


class StubPredictor(Predictor):
    """Contract records without a model: every class equally likely."""

    kind = "stub"

    def probabilities(self, texts, mentions, contexts=None):
        uniform = np.full((len(texts), 3), 1 / 3)
        return uniform, {name: uniform for name in self.target_names}


def test_extract_gives_text_title_and_date() -> None:
    page = extract(page_html("Rusia Tolak Tuduhan NATO"), "https://contoh.id/a/1")
    assert page.title == "Rusia Tolak Tuduhan NATO"
    assert page.date == "2024-11-25"
    assert PARAGRAPHS[0] in page.text and "Beranda" not in page.text
    assert "<" not in page.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><body></body></html>", "no article text"),
        (b"plain words only", "not HTML"),
        ('<meta charset="utf-8"><p>caf\xe9</p>'.encode("latin-1"), "not valid utf-8"),
        (b'<meta charset="no-such-charset"><p>x</p>', "unknown charset"),
    ],
)
def test_bad_pages_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract(decode_html(data))


def test_declared_charset_is_used() -> None:
    html = page_html("Kafé di Kyiv", charset="iso-8859-1").encode("latin-1")
    assert "Kafé" in decode_html(html)


def test_html_folder_and_jsonl_html_field(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text(page_html("Rusia Tolak Tuduhan NATO"), encoding="utf-8")
    (pages / "b.htm").write_bytes(b"<html><body></body></html>")
    (pages / "c.txt").write_text("Judul\nIsi berita pertama.\n", encoding="utf-8")
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"id": "x", "html": page_html("Ukraina Minta Bantuan"), "url": "https://contoh.id/x"})
        + "\n"
        + json.dumps({"id": "y", "html": "<p></p>"})
        + "\n",
        encoding="utf-8",
    )
    items = list(iter_articles([str(pages), str(records)]))
    assert [type(i).__name__ for i in items] == ["Article", "BadRecord", "Article", "Article", "BadRecord"]
    a, bad_file, c, x, bad_field = items
    assert (a.id, a.title, a.date) == ("a", "Rusia Tolak Tuduhan NATO", "2024-11-25")
    assert "b.htm" in str(bad_file) and "no article text" in str(bad_file)
    assert c.text.strip() == "Isi berita pertama."
    assert (x.title, x.url) == ("Ukraina Minta Bantuan", "https://contoh.id/x")
    assert "records.jsonl:2" in str(bad_field) and "'html'" in str(bad_field)


def write_warc(path: Path, pages: list[tuple[str, bytes, str]]) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=path.suffix == ".gz")
        for url, body, content_type in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            )
    return path


def test_warc_records_become_articles_and_bad_ones_are_reported(tmp_path: Path) -> None:
    warc = write_warc(
        tmp_path / "crawl.warc.gz",
        [
            ("https://contoh.id/a", page_html("Rusia Tolak Tuduhan NATO").encode(), "text/html; charset=utf-8"),
            ("https://contoh.id/logo.png", b"\x89PNG...", "image/png"),
            ("https://contoh.id/b", "<p>caf\xe9</p>".encode("latin-1"), "text/html; charset=utf-8"),
            ("https://contoh.id/a", page_html("Rusia Tolak Tuduhan NATO").encode(), "text/html"),
        ],
    )
    items = list(iter_articles([str(warc)]))
    assert [type(i) for i in items] == [Article, BadRecord, Article]
    assert items[0].id == "https://contoh.id/a" and items[0].url == "https://contoh.id/a"
    assert items[0].date == "2024-11-25"
    assert "https://contoh.id/b" in str(items[1]) and "not valid utf-8" in str(items[1])
    assert items[2].id == "https://contoh.id/a#2"


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\x1f\x8b\x08\x00garbage that is not gzip", "not a WARC"), (b"hello world\n\n", "unreadable WARC")],
)
def test_a_corrupt_warc_is_a_bad_record(tmp_path: Path, data: bytes, message: str) -> None:
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data)
    items = list(iter_articles([str(broken)]))
    assert len(items) == 1 and isinstance(items[0], BadRecord) and message in str(items[0])


def test_sketch_finds_boilerplate_of_an_outlet_but_not_rare_lines() -> None:
    sketch = RepeatedLines(width_bits=12)
    footer = "Temukan berita pilihan kami setiap pagi di kanal WhatsApp."
    key = corpus_key("Contoh", None, "x.jsonl")
    for i in range(20):
        sketch.add(key, f"Paragraf unik nomor {i} tentang NATO.\n{footer}")
    sketch.add(key, "Kalimat yang muncul dua kali saja.\nLagi.")
    sketch.add(key, "Kalimat yang muncul dua kali saja.")
    assert sketch.repeated(key, f"Paragraf baru tentang Rusia.\n{footer}") == frozenset({1})
    assert sketch.repeated(key, "Kalimat yang muncul dua kali saja.") == frozenset()
    other = corpus_key("Lain", None, "x.jsonl")
    assert sketch.repeated(other, footer) == frozenset()  # counted per outlet
    assert MIN_ARTICLES >= 3


def test_scoring_sets_aside_repeated_lines_and_summarizes_reasons(tmp_path: Path) -> None:
    # A sentence the line classifier keeps: only its repetition across the outlet's articles gives it away.
    footer = "Tulisan ini merupakan bagian dari liputan khusus kami tentang perang di Eropa timur."
    records = tmp_path / "in.jsonl"
    lines = []
    for i in range(6):
        body = f"{PARAGRAPHS[i % 3]}\nParagraf {i}: Ukraina meminta bantuan tambahan dari sekutu Eropa.\n{footer}"
        lines.append(json.dumps({"id": f"a{i}", "title": f"Berita {i} tentang NATO", "text": body, "outlet": "Contoh"}))
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = OutputPaths.for_output(tmp_path / "out.jsonl")

    def process(articles: list[Article]):
        return score_articles(articles, StubPredictor("stub", load_targets()))

    stats = run_scoring([str(records)], paths, TARGETS, process, False, False, Console(quiet=True), 100, False)
    assert stats.articles == 6
    assert sum(stats.skip_reasons.values()) == stats.skipped_segments
    assert stats.skip_reasons["repeated"] == 6
    rows = [json.loads(line) for line in paths.sentences.read_text(encoding="utf-8").splitlines()]
    footer_rows = [r for r in rows if r["text"] == footer]
    assert len(footer_rows) == 6 and all(r["skipped"] for r in footer_rows)
    assert all(r["reason"] == "repeated" for r in footer_rows)
    kept = [r for r in rows if not r["skipped"]]
    assert any("Paragraf 3" in r["text"] for r in kept)
    summaries = [json.loads(line) for line in paths.summary.read_text(encoding="utf-8").splitlines()]
    for summary in summaries:
        assert sum(summary["skipped_reasons"].values()) == summary["skipped"] >= 1


def test_api_article_takes_html_or_text() -> None:
    article = ApiArticle(html=page_html("Rusia Tolak Tuduhan NATO"), url="https://contoh.id/a")
    assert article.title == "Rusia Tolak Tuduhan NATO" and PARAGRAPHS[1] in article.text
    for bad, message, where in (
        ({}, "give either 'text' or 'html'", ("text",)),
        ({"text": "Isi.", "html": "<p>Isi.</p>"}, "not both", ("text",)),
        ({"html": "<html></html>"}, "no article text", ()),
    ):
        with pytest.raises(ValidationError, match=message) as error:
            ApiArticle(**bad)
        assert error.value.errors()[0]["loc"] == where
