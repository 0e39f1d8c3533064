"""Smoke runs of the benchmark scripts that need no stored model: corpus and word-list generators, segmentation,
furniture, the learning curve and the report screenshot (with a stand-in browser)."""

import csv
import gzip
import io
import json
import os
import re
import stat
from pathlib import Path

import msgpack
from rich.console import Console

from sikap.text.furniture.mockups import write_pages

from .conftest import Run

NUMBER = r"[\d,.]+"


def test_make_corpus_writes_articles_in_every_format(run_benchmark: Run, bench_labels: Path, tmp_path: Path) -> None:
    files = (bench_labels / "data").glob("*.jsonl")
    label_texts = {json.loads(line)["text"] for path in files for line in path.read_text().splitlines()}
    for output in (tmp_path / "corpus.jsonl", tmp_path / "corpus.csv", tmp_path / "pages"):
        done = run_benchmark("make_corpus.py", "--articles", 3, "--output", output, "--labels", bench_labels)
        assert f"wrote 3 articles to {output}" in done.stdout
    articles = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in articles] == ["art-0000000", "art-0000001", "art-0000002"]
    assert all(set(a) == {"id", "title", "text", "date", "outlet", "url"} for a in articles)
    assert all(a["title"] + "." in label_texts or a["title"] in label_texts for a in articles)
    assert all(len(a["text"].splitlines()) >= 3 for a in articles)
    with (tmp_path / "corpus.csv").open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == articles  # same seed, same articles
    assert sorted(p.name for p in (tmp_path / "pages").iterdir()) == [f"{a['id']}.txt" for a in articles]


def fake_wordfreq(root: Path, lists: dict[str, list[list[str]]]) -> Path:
    """A ``wordfreq`` package holding only data files, in its format: msgpack ``[header, bucket, ...]``, gzipped."""
    package = root / "wordfreq"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name, buckets in lists.items():
        payload = msgpack.dumps([{"format": "cB", "version": 1}, *buckets])
        (package / "data" / f"{name}.msgpack.gz").write_bytes(gzip.compress(payload))
    return root


def test_make_vocab_words_merges_the_lists_in_order(run_benchmark: Run, tmp_path: Path) -> None:
    root = fake_wordfreq(
        tmp_path / "site",
        {
            "small_id": [["yang", "dan"], ["00", "di", " spasi"], ["perang"]],
            "small_ms": [["dan", "ialah"], ["0th", "perang"]],
            "large_en": [["the", "war"], ["yang", "nato"]],
        },
    )
    output = tmp_path / "words.txt.gz"
    pythonpath = f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    done = run_benchmark("make_vocab_words.py", "--output", output, env={"PYTHONPATH": pythonpath})
    assert "small_id: 4 words" in done.stdout and "small_ms: 3 words" in done.stdout
    assert "large_en: 4 words" in done.stdout
    assert f"wrote 8 words to {output}" in done.stdout
    data = output.read_bytes()
    assert data[4:8] == b"\0\0\0\0"  # no timestamp: the same bytes on every run
    assert gzip.decompress(data).decode().splitlines() == ["yang", "dan", "di", "perang", "ialah", "the", "war", "nato"]


def test_segmentation_prints_cost_per_character_for_both_shapes(run_benchmark: Run) -> None:
    done = run_benchmark("segmentation.py", "--sizes", "2000,6000", "--repeat", 1)
    assert done.stdout.startswith("CPU: ")
    for shape in ("news paragraphs", "one paragraph"):
        block = done.stdout.split(f"\n{shape}\n", 1)[1]
        lines = block.splitlines()
        assert lines[0].split() == ["chars", "segments", "seconds", "µs/char"]
        for line, size in zip(lines[1:3], ("2,000", "6,000"), strict=True):
            chars, segments, seconds, per_char = line.split()
            assert chars == size and int(segments.replace(",", "")) > 5 and float(seconds) >= 0
            assert float(per_char) >= 0
        assert re.match(rf"time/char at 6,000 ÷ at 2,000: {NUMBER} \(1.0 = linear\)", lines[3])


def test_furniture_scores_pages_and_held_out_mock_ups(run_benchmark: Run, tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    tsv = write_pages(pages, "heldout", 3, seed=5)
    with tsv.open(encoding="utf-8", newline="") as handle:
        furniture = sum(row["label"] == "furniture" for row in csv.DictReader(handle, delimiter="\t"))
    done = run_benchmark("furniture.py", pages, "--heldout", 2)
    out = done.stdout
    assert out.startswith("CPU: ") and "\nlscpu flags: " in out
    assert re.search(r"## pages: 3 pages, \d+ non-blank lines", out)
    assert "| kind | furniture lines | set aside | recall | content lines given this kind |" in out
    recall = re.findall(rf"^furniture recall: (\d+)/(\d+) = ({NUMBER})$", out, re.M)
    assert len(recall) == 2 and int(recall[0][1]) == furniture > 0  # every annotated furniture line counted
    assert all(int(found) <= int(total) and 0 <= float(share) <= 1 for found, total, share in recall)
    assert len(re.findall(rf"^content kept \(precision bar\): \d+/\d+ = {NUMBER}$", out, re.M)) == 2
    assert len(re.findall(r"^v1 detector \(one stage\): furniture recall \d+/\d+", out, re.M)) == 2
    assert len(re.findall(r"^fixed patterns alone \(before the classifier\): furniture recall", out, re.M)) == 2
    speeds = re.findall(
        rf"^furniture pass: (\d+) lines/s \(v1 detector, same run: (\d+) lines/s; ratio ({NUMBER})\)", out, re.M
    )
    assert len(speeds) == 2 and all(int(new) > 0 and int(old) > 0 for new, old, _ in speeds)
    assert "## 2 held-out mock-up pages: 2 pages" in out


def test_learning_curve_prints_a_row_per_share_and_writes_the_plot(
    run_benchmark: Run, bench_labels: Path, tmp_path: Path
) -> None:
    png = tmp_path / "curve.png"
    done = run_benchmark("learning_curve.py", "--fractions", 0.5, 1.0, "--png", png)
    rows = re.findall(
        rf"^\| (\d+)% \| (\d+) \| ({NUMBER}) / ({NUMBER}) / ({NUMBER}) \| ({NUMBER}) / ({NUMBER}) / ({NUMBER}) \| \d+ \|$",
        done.stdout,
        re.M,
    )
    assert [r[0] for r in rows] == ["50", "100"]
    assert 0 < int(rows[0][1]) < int(rows[1][1])
    assert all(0 <= float(score) <= 1 for row in rows for score in row[2:])
    assert f"wrote {png}" in done.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_ablation_prints_a_row_per_slot_width(run_benchmark: Run, bench_labels: Path) -> None:
    done = run_benchmark("default_ablation.py", "--widths", 0, 4, "--realistic")
    rows = re.findall(
        rf"^\| (\w+) \| ({NUMBER}) / ({NUMBER}) / ({NUMBER}) \| ({NUMBER}) / ({NUMBER}) / ({NUMBER}) \| \d+ \|$",
        done.stdout,
        re.M,
    )
    assert [r[0] for r in rows] == ["none", "4"]
    assert all(0 <= float(score) <= 1 for row in rows for score in row[1:])
    assert "stance macro-F1 dev / test / realistic" in done.stdout


STUB_BROWSER = """#!/bin/sh
# Stand-in for Chromium: record the arguments, write a PNG where --screenshot= points.
printf '%s\\n' "$@" > "$(dirname "$0")/arguments.txt"
for arg in "$@"; do
  case "$arg" in --screenshot=*) printf '\\211PNG\\r\\n\\032\\n' > "${arg#--screenshot=}" ;; esac
done
"""


def test_screenshot_report_builds_the_report_and_calls_the_browser(
    run_benchmark: Run, default_predictor, tmp_path: Path
) -> None:
    """No Chromium on the test machine: a stand-in script named ``chromium`` on PATH takes the screenshot, so the
    script's own work (building the report, the browser command, its checks) runs for real."""
    from sikap.batch.scorer import OutputPaths, score

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    browser = bin_dir / "chromium"
    browser.write_text(STUB_BROWSER)
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    articles = [
        {"id": "a1", "outlet": "Harian Nusantara", "date": "2022-02-24", "title": "Rusia Serang Ukraina",
         "text": "Rusia melancarkan serangan ke Ukraina. NATO mengecam serangan itu.\nBACA JUGA: Harga gandum naik"},
        {"id": "a2", "outlet": "Pasar & Modal", "date": "2022-03-02", "title": "Harga Minyak Melonjak",
         "text": "Harga minyak naik setelah sanksi terhadap Rusia. Ukraina meminta bantuan sekutu."},
    ]  # fmt: skip
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    paths = OutputPaths.for_output(tmp_path / "out" / "scored.jsonl")
    score([str(source)], paths, default_predictor, console=Console(file=io.StringIO()), progress=False)
    png = tmp_path / "report.png"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = run_benchmark(
        "screenshot_report.py", tmp_path / "report", "--sentences", paths.sentences, "--output", png,
        "--width", 800, "--height", 600, env=env,
    )  # fmt: skip
    page = tmp_path / "report" / "report.html"
    assert re.search(rf"^built {re.escape(str(page))} in {NUMBER} s$", done.stdout, re.M)
    assert "Harian Nusantara" in page.read_text(encoding="utf-8")
    assert f"wrote {png} (800x600)" in done.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"
    arguments = (bin_dir / "arguments.txt").read_text().splitlines()
    assert "--headless" in arguments and "--window-size=800,600" in arguments
    assert arguments[-1] == page.resolve().as_uri()


def test_char_ngrams_compares_the_two_countings_and_the_build(run_benchmark: Run) -> None:
    done = run_benchmark("char_ngrams.py", "--rounds", 1, "--sentences", 40, "--build")
    out = done.stdout
    assert out.startswith("Architecture:") and re.search(r"^\d+ train sentences, \d+ features; 40 dev sentences", out, re.M)
    rows = re.findall(rf"^\| (.+?) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \|$", out, re.M)
    assert [step for step, *_ in rows] == [
        "fit_transform, CPU s",
        *(f"counts in calls of {n}, CPU ms a sentence" for n in (1, 32, 512)),
        "the default's fit_baseline, CPU s",
    ]
    for _, sklearn, per_word, ratio in rows:
        assert float(sklearn) > 0 and float(per_word) >= 0
        (per_word_low, per_word_high), (sklearn_low, sklearn_high) = within_rounding(per_word), within_rounding(sklearn)
        # the ratio of the unrounded numbers, so within what the printed digits allow (sklearn_low > 0: printed > 0)
        assert per_word_low / sklearn_high - 0.005 <= float(ratio) <= per_word_high / sklearn_low + 0.005


def within_rounding(printed: str) -> tuple[float, float]:
    """The interval of values that print as ``printed``."""
    half = 0.5 * 10 ** -len(printed.partition(".")[2])
    return float(printed) - half, float(printed) + half


def test_frozen_default_compares_the_artifacts_and_the_head(run_benchmark: Run) -> None:
    done = run_benchmark("frozen_default.py", "--sentences", 24, "--rounds", 1, "--calls", "1,8")
    out = done.stdout
    assert re.match(r"(CPU\(s\):|lscpu: not available)", out) and ("Flags:" in out or "lscpu:" in out)
    artifacts = re.findall(rf"^\| (.+?) \| ({NUMBER}) \| (\d+) \| (True|False) \| ([0-9a-f]{{12}}) \|$", out, re.M)
    assert [(name, imported) for name, _, _, imported, _ in artifacts] == [
        ("fitted pipelines (before)", "True"),
        ("frozen (now)", "False"),
    ]
    assert artifacts[0][4] == artifacts[1][4] and "same predictions: True" in out
    assert all(float(cpu) > 0 and int(rss) > 0 for _, cpu, rss, _, _ in artifacts)
    heads = re.findall(rf"^\| (\d+) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \|$", out, re.M)
    assert [call for call, *_ in heads] == ["1", "8"] and all(float(ms) > 0 for _, ms, _, _ in heads)
