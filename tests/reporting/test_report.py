import io
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from conftest import write_jsonl
from rich.console import Console
from typer.testing import CliRunner

from sikap.batch.scorer import OutputPaths, score
from sikap.cli import app
from sikap.errors import InputError
from sikap.reporting import build_report
from sikap.reporting.aggregate import TopK

runner = CliRunner()
TARGETS = ("NATO", "Russia", "Ukraine")
# Whole HTML tags are stripped at segmentation (sikap.text.furniture.features.blank_tags); a broken one reaches the report.
INJECTED = "Rusia <script src=x menyerang Kyiv & sekitarnya."
REPEATED = "Kremlin menuding NATO memperluas kehadiran militernya di dekat perbatasan Rusia"

ARTICLES = [
    {
        "id": "a1",
        "outlet": "Harian Nusantara",
        "date": "2022-02-24",
        "title": "Rusia Serang Ukraina dari Tiga Arah",
        "text": "JAKARTA (ANTARA) - Rusia melancarkan serangan militer besar-besaran ke Ukraina pada Kamis dini hari. "
        "Majelis Umum PBB mengesahkan resolusi yang menegaskan dukungan terhadap keutuhan wilayah Ukraina.\n"
        "BACA JUGA: Harga gandum dunia naik lagi\n"
        f"{REPEATED}.",
    },
    {
        "id": "a2",
        "outlet": "Harian Nusantara",
        "date": "2022-03-02",
        "title": REPEATED,
        "text": "Jerman mengirim sistem pertahanan udara tambahan ke Kyiv. "
        "Polandia dan negara-negara Baltik menyambut komitmen sekutu untuk memperkuat sayap timur NATO.\n"
        "Bagikan artikel ini",
    },
    {
        "id": "a3",
        "outlet": "Pasar & Modal",
        "date": "2022-03-15",
        "title": "Harga Minyak Melonjak",
        "text": "Putin menyebut perluasan NATO ke timur sebagai ancaman langsung terhadap keamanan Rusia. "
        f"{INJECTED} Harga gula naik.",
    },
    {
        "id": "a4",
        "outlet": "Pasar & Modal",
        "date": "2023-01-10",
        "title": "Zelensky Bertemu Sekjen NATO",
        "text": "Ukraina memulai serangan balasan di wilayah Zaporizhzhia dengan sasaran menembus garis pertahanan "
        "Rusia. Delegasi Rusia dan Ukraina bertemu di Istanbul dalam perundingan langsung.\nFoto: ANTARA/Agus",
    },
    {
        "id": "a5",
        "outlet": "Kabar <Ummat>",
        "title": "Ulama Serukan Perdamaian",
        "text": "Presiden Joko Widodo menyerukan agar perang di Ukraina segera dihentikan. "
        "NATO mencabut akreditasi tujuh anggota misi diplomatik Rusia di markas besarnya di Brussel.",
    },
]


def run_scorer(articles: list[dict], output: Path, predictor) -> OutputPaths:
    source = write_jsonl(output.parent / "articles.jsonl", articles)
    paths = OutputPaths.for_output(output)
    score([str(source)], paths, predictor, console=Console(file=io.StringIO()), progress=False)
    return paths


@pytest.fixture(scope="module")
def scored(tmp_path_factory, default_predictor) -> dict[str, OutputPaths]:
    """The same articles scored by the real scorer into every format."""
    out = {}
    for fmt in ("jsonl", "csv", "parquet"):
        folder = tmp_path_factory.mktemp(f"scored-{fmt}")
        out[fmt] = run_scorer(ARTICLES, folder / f"scored.{fmt}", default_predictor)
    return out


@pytest.fixture(scope="module")
def rows(scored) -> list[dict]:
    return [json.loads(line) for line in scored["jsonl"].sentences.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def jsonl_report(scored, tmp_path_factory):
    paths = scored["jsonl"]
    return build_report(
        paths.sentences, paths.summary, tmp_path_factory.mktemp("report"), title="Laporan <uji> & coba", examples=50
    )


def md_table(markdown: str, heading: str) -> dict[str, list[str]]:
    """Body rows of the first table under ``## heading``, keyed by their first cell (Markdown escapes undone)."""
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    table = {}
    lines = section.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---") or (i + 1 < len(lines) and lines[i + 1].startswith("|---")):
            continue  # the header and the rule under it
        if line.startswith("| "):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            table[cells[0].replace("&lt;", "<").replace("&gt;", ">")] = cells[1:]
        elif table:
            break
    return table


def net_cell(support: int, oppose: int, mentioned: int) -> str:
    return f"{(support - oppose) / mentioned:+.3f} ({mentioned:,})" if mentioned else "–"


def tallies(rows: list[dict], key) -> dict[tuple[str, str], Counter]:
    """Stance label counts among mentioning sentences, per (key(row), target), computed straight from the rows."""
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for row in rows:
        if row["skipped"]:
            continue
        for t in TARGETS:
            stance = row["stance"][t]
            if stance["mentions"]:
                out[(key(row), t)][stance["label"]] += 1
                out[(key(row), t)]["mentioned"] += 1
    return out


def test_totals_stance_and_sentiment_match_the_rows(jsonl_report, rows: list[dict]) -> None:
    md = jsonl_report.markdown.read_text(encoding="utf-8")
    classified = [r for r in rows if not r["skipped"]]
    totals = md_table(md, "Totals")
    assert totals["articles"] == ["5"]
    assert totals["sentences (classified)"] == [str(len(classified))]
    assert totals["skipped segments"][0].startswith(f"{len(rows) - len(classified)} (")
    assert "related-link 1" in totals["skipped segments"][0] and "dateline 1" in totals["skipped segments"][0]
    assert totals["model"] == [classified[0]["model"]]
    assert totals["articles with a date"] == ["4 (2022-02 to 2023-01)"]

    overall = tallies(rows, lambda r: "all")
    stance = md_table(md, "Stance per target")
    for t in TARGETS:
        c = overall[("all", t)]
        share = {k: f"{c[k]} ({c[k] / c['mentioned']:.1%})" for k in ("support", "oppose", "neutral")}
        net = f"{(c['support'] - c['oppose']) / c['mentioned']:+.3f}"
        assert stance[t] == [str(c["mentioned"]), share["support"], share["oppose"], share["neutral"], net]

    sentiment = Counter(r["sentiment"]["label"] for r in classified)
    table = md_table(md, "Sentiment")
    for label in ("positive", "negative", "neutral"):
        assert table[label] == [str(sentiment[label]), f"{sentiment[label] / len(classified):.1%}"]


def test_net_stance_per_outlet_and_month_match_an_independent_count(jsonl_report, rows: list[dict]) -> None:
    md = jsonl_report.markdown.read_text(encoding="utf-8")
    by_id = {a["id"]: a for a in ARTICLES}
    per_outlet = tallies(rows, lambda r: by_id[r["article_id"]]["outlet"])
    table = md_table(md, "Net stance per outlet")
    assert list(table) == ["Harian Nusantara", "Pasar & Modal", "Kabar <Ummat>"]  # most articles first
    for outlet, cells in table.items():
        assert cells[0] == str(sum(a["outlet"] == outlet for a in ARTICLES))
        for t, cell in zip(TARGETS, cells[1:], strict=True):
            c = per_outlet[(outlet, t)]
            assert cell == net_cell(c["support"], c["oppose"], c["mentioned"]), (outlet, t)
    assert any(cell != "–" for cells in table.values() for cell in cells[1:])

    per_month = tallies(
        [r for r in rows if by_id[r["article_id"]].get("date")], lambda r: by_id[r["article_id"]]["date"][:7]
    )
    months = md_table(md, "Net stance over time")
    assert list(months) == ["2022-02", "2022-03", "2023-01"]
    assert [months[m][0] for m in months] == ["1", "2", "1"]
    for month, cells in months.items():
        for t, cell in zip(TARGETS, cells[1:], strict=True):
            c = per_month[(month, t)]
            assert cell == net_cell(c["support"], c["oppose"], c["mentioned"]), (month, t)
    assert "![Net stance per month and target](time.png)" in md


def test_html_is_self_contained_escaped_and_shows_the_same_numbers(jsonl_report, rows: list[dict]) -> None:
    page = jsonl_report.html.read_text(encoding="utf-8")
    assert 'src="http' not in page and "href=" not in page and "<link" not in page and "@import" not in page
    assert "<script" not in page and "&lt;script src=x menyerang" in page
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert len(images) == 4 and all(src.startswith("data:image/png;base64,iVBOR") for src in images)
    assert "<title>Laporan &lt;uji&gt; &amp; coba</title>" in page and "Laporan <uji>" not in page
    assert "Pasar &amp; Modal" in page and "Kabar &lt;Ummat&gt;" in page and "Kabar <Ummat>" not in page
    per_outlet = tallies(rows, lambda r: {a["id"]: a["outlet"] for a in ARTICLES}[r["article_id"]])
    c = per_outlet[("Pasar & Modal", "NATO")]
    assert f'<td class="n">{net_cell(c["support"], c["oppose"], c["mentioned"])}</td>' in page
    for png in ("stance.png", "outlets.png", "time.png", "sentiment.png"):
        assert (jsonl_report.html.parent / png).read_bytes().startswith(b"\x89PNG")


def test_examples_are_the_most_confident_distinct_sentences(jsonl_report, rows: list[dict]) -> None:
    md = jsonl_report.markdown.read_text(encoding="utf-8")
    examples = md.split("## Example sentences\n", 1)[1]
    nato = examples.split("### NATO\n", 1)[1].split("### ", 1)[0]
    assert nato.count(REPEATED) == 1  # once as a title, once with a full stop: one example
    assert "Rusia &lt;script src=x menyerang Kyiv & sekitarnya." in examples
    expected = sorted(
        {
            r["text"].rstrip("."): r["stance"]["NATO"]["scores"]["oppose"]
            for r in rows
            if not r["skipped"] and r["stance"]["NATO"]["label"] == "oppose"
        }.values(),
        reverse=True,
    )
    oppose = nato.split("**oppose**", 1)[1].split("**neutral**", 1)[0]
    scores = [float(s) for s in re.findall(r" — (\d\.\d{3}) · ", oppose)]
    assert scores == [round(s, 3) for s in expected] and scores


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_formats_give_the_same_report(fmt: str, scored, jsonl_report, tmp_path: Path) -> None:
    paths = scored[fmt]
    report = build_report(paths.sentences, paths.summary, tmp_path, title="Laporan <uji> & coba", examples=50)
    body = report.markdown.read_text(encoding="utf-8").split("## Totals", 1)[1]
    assert body == jsonl_report.markdown.read_text(encoding="utf-8").split("## Totals", 1)[1]
    assert "may come from different runs" not in body


def test_without_dates_the_time_chart_is_left_out_with_a_note(tmp_path: Path, default_predictor, jsonl_report) -> None:
    undated = [{k: v for k, v in a.items() if k != "date"} for a in ARTICLES[:3]]
    paths = run_scorer(undated, tmp_path / "scored.csv", default_predictor)
    output = tmp_path / "report"
    output.mkdir()
    (output / "time.png").write_bytes((jsonl_report.html.parent / "time.png").read_bytes())  # an earlier report's
    report = build_report(paths.sentences, paths.summary, output)
    md = report.markdown.read_text(encoding="utf-8")
    page = report.html.read_text(encoding="utf-8")
    note = "No article has a date (YYYY-MM-DD), so there is no chart over time."
    assert note in md and note in page
    assert "time.png" not in md and not (output / "time.png").exists()
    assert len(re.findall(r"<img ", page)) == 3
    assert md_table(md, "Totals")["articles with a date"] == ["0"]
    assert "<h1>Sikap report</h1>" in page


def test_no_examples_section_when_zero_are_asked(scored, tmp_path: Path) -> None:
    paths = scored["jsonl"]
    report = build_report(paths.sentences, paths.summary, tmp_path, examples=0)
    assert "Example sentences" not in report.markdown.read_text(encoding="utf-8")


def test_top_k_keeps_the_most_confident_distinct_texts() -> None:
    top = TopK(2)
    for i, (confidence, text) in enumerate([(0.5, "a."), (0.9, "b"), (0.7, "A"), (0.95, "B."), (0.6, "c"), (0.7, "d")]):
        top.offer(confidence, text, f"x{i}", i)
    assert [(e.text, e.score) for e in top.best()] == [("B.", 0.95), ("A", 0.7)]  # ties keep the earliest


def test_clear_errors_for_missing_unreadable_empty_and_swapped_files(scored, tmp_path: Path) -> None:
    paths = scored["jsonl"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(paths.sentences.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n")
    not_scored = write_jsonl(tmp_path / "articles.jsonl", ARTICLES)
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 this is not parquet")
    cases = [
        (tmp_path / "missing.jsonl", paths.summary, "missing.jsonl: no such file"),
        (tmp_path / "scored.txt", paths.summary, "scored.txt: unknown format; give a .jsonl, .csv or .parquet"),
        (empty, paths.summary, "empty.jsonl: no rows"),
        (paths.sentences, empty, "empty.jsonl: no rows"),
        (broken, paths.summary, "broken.jsonl:2: invalid JSON"),
        (corrupt, paths.summary, "corrupt.parquet: not a readable parquet file"),
        (paths.summary, paths.summary, "holds article summaries, not sentence rows; pass it as --articles"),
        (paths.sentences, paths.sentences, "holds sentence rows, not article summaries; pass it as --sentences"),
        (not_scored, paths.summary, "articles.jsonl: not sentence rows written by `sikap score`"),
    ]
    for sentences, articles, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            build_report(sentences, articles, tmp_path / "out")
    assert not (tmp_path / "out" / "report.html").exists()


def test_cli_finds_the_summaries_beside_the_sentences_and_reports_errors(scored, tmp_path: Path) -> None:
    paths = scored["csv"]
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["report", "-s", str(paths.sentences), "-o", str(out), "--title", "Uji", "--examples", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "5 article(s)" in result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Uji\n") and "up to 2 of the most confident" in md
    assert sorted(p.name for p in out.iterdir()) == [
        "outlets.png", "report.html", "report.md", "sentiment.png", "stance.png", "time.png",
    ]  # fmt: skip
    result = runner.invoke(app, ["report", "-s", str(tmp_path / "nope.csv"), "-o", str(out)])
    assert result.exit_code == 1 and "error:" in result.output and "nope.csv: no such file" in result.output
