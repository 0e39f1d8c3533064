"""The furniture detector: mock-ups, the shipped artifact, page segmentation, and the benchmark."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sikap.paths import REPO_ROOT
from sikap.text.furniture.features import blank_tags, clean_line
from sikap.text.furniture.mockups import CONTENT, make_pages, write_pages
from sikap.text.furniture.model import ARTIFACT, classify_lines, load_detector
from sikap.text.furniture.train import main as train_detector
from sikap.text.segment import segment_article, segment_text


def test_mockups_are_deterministic_and_hold_out_their_own_wording() -> None:
    first, again = make_pages("train", 30), make_pages("train", 30)
    assert first == again
    train_lines = {text for page in first for text, label in page if label not in ("", CONTENT)}
    heldout_lines = {text for page in make_pages("heldout", 30) for text, label in page if label not in ("", CONTENT)}
    kinds = {label for page in first for _, label in page} - {"", CONTENT}
    assert {"navigation", "caption", "byline", "widget", "ad", "related-link", "tags", "date"} <= kinds
    # Held-out styles reuse little furniture wording verbatim (names and dates differ anyway).
    assert len(heldout_lines & train_lines) < 0.2 * len(heldout_lines)


def test_shipped_detector_equals_a_rebuild_from_the_same_seed(tmp_path: Path, monkeypatch) -> None:
    """The committed artifact is what generator + trainer give (weights up to solver round-off)."""
    shipped = load_detector(ARTIFACT)
    # Rebuilt by the module's command, in this process: its BLAS runs on the one thread tests/conftest.py sets,
    # and the artifact was built on the library's default pools. The fits' round-off depends on the thread count
    # (one thread vs two: largest weight difference 0.0003, within the bound below); the pools' own default would
    # spin beside the other test worker (53 CPU-s on 2 cores, against 37 on one thread).
    monkeypatch.setattr(sys, "argv", ["train", "--out", str(tmp_path / "detector.json")])
    train_detector()
    rebuilt = load_detector(tmp_path / "detector.json")
    assert (rebuilt.classes, rebuilt.threshold) == (shipped.classes, shipped.threshold)
    common = set(rebuilt.weights) & set(shipped.weights)
    assert len(common) >= 0.99 * max(len(rebuilt.weights), len(shipped.weights))
    assert (
        max(abs(a - b) for name in common for a, b in zip(rebuilt.weights[name], shipped.weights[name], strict=True))
        < 0.01
    )
    for page in make_pages("heldout", 10):
        lines = [text for text, _ in page]
        assert classify_lines(lines, rebuilt) == classify_lines(lines, shipped)
    assert ARTIFACT.stat().st_size < 2_000_000


def test_detector_keeps_content_and_finds_furniture_on_heldout_styles() -> None:
    pages = make_pages("heldout", 200)
    content = kept = furniture = found = 0
    for page in pages:
        kinds = classify_lines([text for text, _ in page])
        for (text, label), kind in zip(page, kinds, strict=True):
            if not text.strip():
                assert kind is None
            elif label == CONTENT:
                content += 1
                kept += kind is None
            else:
                furniture += 1
                found += kind is not None
    assert kept / content >= 0.995
    assert found / furniture >= 0.95  # the acceptance bar of issue 17 (0.913 with the single-stage detector)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["A A A"], "widget"),
        (["Notification"], "widget"),
        (["Copyright © 2025 Harian Contoh", "All Rights Reserved"], "copyright"),
        (['Posting Komentar untuk "Rusia dan NATO"'], "comment"),
        (["Halaman: 1 2 3"], "pagination"),
    ],
)
def test_page_furniture_after_the_body_is_set_aside(lines: list[str], expected: str) -> None:
    body = [
        "Rusia Tolak Tuduhan NATO soal Serangan Siber",
        "JAKARTA (ANTARA) - Pemerintah Rusia menolak tuduhan NATO bahwa peretas yang didukung negara menyerang "
        "jaringan listrik di Eropa timur pekan lalu.",
        "Juru bicara Kremlin mengatakan tuduhan itu tidak berdasar dan hanya bertujuan memperburuk hubungan.",
    ]
    kinds = classify_lines(body + lines)
    assert kinds[: len(body)] == [None] * len(body)
    assert kinds[len(body)] == expected


def test_repeated_title_and_tags_in_the_body_are_furniture() -> None:
    title = "Ukraina Minta Tambahan Sistem Pertahanan Udara"
    text = "\n".join(
        [
            title,
            "Menteri Pertahanan Ukraina meminta sekutu mengirim lebih banyak sistem pertahanan udara sebelum musim dingin.",
            "Permintaan itu disampaikan dalam pertemuan kelompok kontak di Brussel pada Kamis.",
            "LAPORAN: <a href='https://contoh.id/about/rina'>RINA WULANDARI</a>",
        ]
    )
    title_segments, body = segment_article(title, text)
    assert [s.skipped for s in title_segments] == [False]
    assert body[0].skipped and body[0].reason == "duplicate"
    assert [s.skipped for s in body[1:3]] == [False, False]
    assert body[-1].skipped and body[-1].reason == "byline"
    assert "<a" not in body[-1].text and "RINA WULANDARI" in body[-1].text


def test_tags_are_blanked_without_moving_offsets() -> None:
    text = "Rusia <b>menolak</b> tuduhan itu."
    assert len(blank_tags(text)) == len(text)
    assert clean_line(text) == "Rusia menolak tuduhan itu."
    seg = segment_text(text)[0]
    assert (seg.start, seg.end) == (0, len(text))
    assert "<b>" not in seg.text
    assert blank_tags("a <a\nhref='x'>b</a>").count("\n") == 1  # lines stay where they were


def test_credit_tail_is_split_from_the_last_sentence() -> None:
    text = "Rusia menolak tuduhan itu. Kremlin menyebutnya provokasi. (ant/rin)"
    segs = segment_text(text)
    assert [s.text for s in segs if not s.skipped] == ["Rusia menolak tuduhan itu.", "Kremlin menyebutnya provokasi."]
    assert [(s.text, s.reason) for s in segs if s.skipped] == [("(ant/rin)", "byline")]
    for s in segs:
        assert text[s.start : s.end] == s.text


def test_benchmark_reports_recall_and_content_kept(tmp_path: Path) -> None:
    write_pages(tmp_path, "heldout", 6)
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "furniture.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "furniture recall:" in result.stdout and "content kept" in result.stdout
    assert "| navigation |" in result.stdout or "| widget |" in result.stdout
    assert "lscpu flags:" in result.stdout and "v1 detector (one stage):" in result.stdout
    speeds = re.search(r"furniture pass: (\d+) lines/s \(v1 detector, same run: (\d+) lines/s", result.stdout)
    assert speeds and int(speeds.group(1)) > 0 and int(speeds.group(2)) > 0


def test_benchmark_names_a_bad_annotation_row(tmp_path: Path) -> None:
    write_pages(tmp_path, "heldout", 1)
    bad = tmp_path / "bad.tsv"
    bad.write_text("file\tline\tlabel\tkind\nx.txt\tone\tfurniture\tad\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "furniture.py"), str(tmp_path), "--annotations", str(bad)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "bad.tsv:2" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("title", ["Harga Gandum Naik", "Warga Kyiv Bertahan", "Sekjen NATO ke Ankara"])
def test_a_short_headline_the_body_repeats_is_kept_once(title: str) -> None:
    body = [
        "Pemerintah Rusia menolak tuduhan NATO bahwa peretas yang didukung negara menyerang jaringan listrik.",
        "Juru bicara Kremlin mengatakan tuduhan itu tidak berdasar dan hanya memperburuk hubungan kedua pihak.",
    ]
    assert classify_lines([title, title, *body]) == [None, "duplicate", None, None]


def test_vectorize_equals_sklearns_dict_vectorizer_on_the_kept_features() -> None:
    from numpy.testing import assert_array_equal
    from sklearn.feature_extraction import DictVectorizer

    from sikap.text.furniture.train import examples, prepare, vectorize

    features, _ = examples([prepare(page) for page in make_pages("train", 12)])
    keep = {name for row in features[::3] for name in row}  # some features of every row are left out
    x, names = vectorize(features, keep)
    vectorizer = DictVectorizer()
    expected = vectorizer.fit_transform([{k: v for k, v in row.items() if k in keep} for row in features])
    expected.sort_indices()
    assert names == list(vectorizer.get_feature_names_out())
    assert x.shape == expected.shape and x.dtype == expected.dtype
    for part in ("indptr", "indices", "data"):
        assert_array_equal(getattr(x, part), getattr(expected, part))
