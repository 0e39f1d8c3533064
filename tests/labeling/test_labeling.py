"""The labeling loop: `sikap label select` (pick uncertain sentences) and `sikap label import`."""

import csv
import json
import math
import random
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from conftest import record, write_jsonl
from typer.testing import CliRunner

from sikap.cli import app
from sikap.data.labels import load_labels, normalize_text, split_of
from sikap.data.sample import write_sample_labels
from sikap.labeling.importing import check_import
from sikap.labeling.selection import (
    POOL_FACTOR,
    entropy,
    field_probabilities,
    margin_uncertainty,
    select_sentences,
    write_selection,
)
from sikap.paths import REPO_ROOT

runner = CliRunner()
TARGETS = ["NATO", "Russia", "Ukraine"]
SEED_LINES = (REPO_ROOT / "labels" / "train" / "batch-a.jsonl").read_text(encoding="utf-8").splitlines()[:40]
SEED = [json.loads(line) for line in SEED_LINES]
LONGEST = max(SEED[2:], key=lambda r: len(r["text"]))  # near-duplicates are made from it
DUPLICATE = "Harga gandum di pasar dunia melonjak setelah ekspor dari Laut Hitam tersendat."
ARTICLES = [
    (
        "Jerman Tambah Bantuan Pertahanan Udara untuk Kyiv",
        "Pemerintah Jerman mengumumkan paket bantuan pertahanan udara baru untuk Ukraina senilai dua miliar euro. "
        "Kanselir menyatakan dukungan Berlin kepada Kyiv akan berlanjut selama diperlukan.\n"
        "Juru bicara Kremlin menyebut bantuan itu hanya memperpanjang penderitaan rakyat. "
        "Sejumlah anggota parlemen oposisi meminta pemerintah lebih berhati-hati. "
        "Pengiriman pertama dijadwalkan tiba sebelum musim dingin.",
    ),
    (
        "Menlu NATO Bahas Anggaran Pertahanan di Brussel",
        "Para menteri luar negeri NATO berkumpul di Brussel untuk membahas anggaran pertahanan bersama. "
        "Sekretaris Jenderal NATO meminta negara anggota menaikkan belanja militer hingga tiga persen.\n"
        "Hungaria kembali menyatakan keberatan atas rencana pelatihan pasukan Ukraina di wilayahnya. "
        "Moskow memperingatkan bahwa perluasan aliansi ke timur akan dibalas dengan langkah militer. "
        f"{DUPLICATE}",
    ),
    (
        "Harga Minyak Goreng Turun Tiga Pekan Berturut-turut",
        "Harga minyak goreng di pasar tradisional Surabaya turun untuk pekan ketiga berturut-turut. "
        "Bank Indonesia mempertahankan suku bunga acuan di level enam persen.\n"
        "Ekspor batu bara ke India meningkat tajam pada kuartal kedua. "
        "Pengusaha berharap perang Rusia-Ukraina segera berakhir agar rantai pasok pupuk pulih. "
        "Kementerian Perdagangan menyiapkan operasi pasar menjelang hari raya.",
    ),
    (
        "Menlu RI Bertemu Lavrov di New Delhi",
        "Menteri Luar Negeri Indonesia bertemu Lavrov di sela pertemuan G20 di New Delhi. "
        "Keduanya membahas kerja sama energi dan rencana pembangunan kilang di Tuban.\n"
        "Jakarta menegaskan sikap bebas aktif dan mendorong dialog antara Moskow dan Kyiv. "
        "Sejumlah pengamat menilai kunjungan itu mengirim sinyal yang membingungkan bagi mitra Barat. "
        f"{SEED[0]['text'][:-1]}!",
    ),
    (
        "Rudal Hantam Apartemen di Odesa",
        "Serangan rudal menghantam gedung apartemen di Odesa dan menewaskan sedikitnya tujuh orang. "
        "Angkatan udara Ukraina mengaku berhasil menembak jatuh sebagian besar drone yang diluncurkan semalam.\n"
        "Putin memerintahkan mobilisasi tambahan untuk memperkuat garis depan di Zaporizhzhia. "
        "Zelensky mendesak sekutu Barat mempercepat pengiriman jet tempur. "
        "Palang Merah menyerukan akses kemanusiaan ke kota-kota yang terkepung.",
    ),
    (
        "Finlandia Resmi Bergabung dengan NATO",
        "Finlandia resmi menjadi anggota ke-31 NATO setelah parlemen Turki meratifikasi keanggotaannya. "
        "Presiden Finlandia menyebut hari itu sebagai awal era baru keamanan di kawasan Nordik.\n"
        "Kremlin menyatakan akan memperkuat kehadiran militernya di dekat perbatasan Finlandia. "
        "Swedia masih menunggu persetujuan Hungaria untuk bergabung dengan aliansi tersebut.",
    ),
    (
        "Uni Eropa Setujui Paket Sanksi Baru",
        "Uni Eropa menyetujui paket sanksi baru yang menyasar ekspor gas alam cair Rusia. "
        "Sanksi itu juga membekukan aset sejumlah bank Rusia di Eropa.\n"
        "Peskov menyebut langkah tersebut ilegal dan bertentangan dengan hukum internasional. "
        "Beberapa negara anggota khawatir sanksi akan menaikkan harga energi di dalam negeri. "
        f"{DUPLICATE.upper()[:-1]}",
    ),
    (
        "Tim Bulu Tangkis Raih Dua Gelar di Jepang",
        "Tim nasional bulu tangkis Indonesia meraih dua gelar di turnamen Jepang Terbuka. "
        "Pelatih menyebut kemenangan itu hasil persiapan panjang sejak awal tahun.\n"
        "Pemain Ukraina yang menjadi lawan di babak final memuji semangat juang tim Indonesia. "
        "Turnamen berikutnya akan digelar di Kopenhagen bulan depan.",
    ),
]


@pytest.fixture(scope="module")
def scored(tmp_path_factory, default_predictor) -> Path:
    """A scored file made by the real scorer from the articles above."""
    from sikap.batch.scorer import OutputPaths, score

    folder = tmp_path_factory.mktemp("scored")
    articles = [{"id": f"art-{i}", "title": t, "text": x} for i, (t, x) in enumerate(ARTICLES, 1)]
    source = write_jsonl(folder / "articles.jsonl", articles)
    paths = OutputPaths.for_output(folder / "scored.jsonl")
    stats = score([str(source)], paths, default_predictor, progress=False)
    assert stats.articles == len(ARTICLES)
    return paths.sentences


def labels_copy(root: Path, monkeypatch, lines: list[str] = SEED_LINES) -> Path:
    """targets.yaml and ``lines`` of labels as a labels folder at ``root``, with SIKAP_LABELS pointing there."""
    (root / "data").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "labels" / "targets.yaml", root / "targets.yaml")
    (root / "data" / "seed.jsonl").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    monkeypatch.setenv("SIKAP_LABELS", str(root))
    return root


@pytest.fixture
def labels(tmp_path: Path, monkeypatch) -> Path:
    return labels_copy(tmp_path / "labels", monkeypatch)


def data_files(labels: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((labels / "data").iterdir())}


def scored_row(article: str, index: int, text: str, sentiment: list[float], stance: dict[str, list[float]]) -> dict:
    """A `sikap score` sentence row; targets missing from ``stance`` are not mentioned."""
    row_stance = {}
    for name in TARGETS:
        p = stance.get(name)
        scores = dict(zip(("support", "oppose", "neutral", "none"), [*p, 0.0] if p else [0, 0, 0, 1.0], strict=True))
        label = max(scores, key=scores.get)
        row_stance[name] = {"label": label, "scores": scores, "mentions": [name] if p else []}
    sentiment_scores = dict(zip(("positive", "negative", "neutral"), sentiment, strict=True))
    return {
        "article_id": article,
        "index": index,
        "text": text,
        "skipped": False,
        "reason": None,
        "sentiment": {"label": max(sentiment_scores, key=sentiment_scores.get), "scores": sentiment_scores},
        "stance": row_stance,
        "model": "sikap-default:test",
    }


def random_text(rng: random.Random, mention: str) -> str:
    """A sentence of made-up words (so no two are near-duplicates) mentioning ``mention``."""
    return " ".join([mention, *(f"kata{rng.randrange(10**6)}" for _ in range(8))]) + "."


CONFIDENT = [0.98, 0.01, 0.01]


# --- select ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["entropy", "margin", "random"])
def test_each_strategy_picks_n_distinct_unlabeled_sentences_spread_over_articles(
    scored: Path, labels: Path, strategy: str
) -> None:
    selection = select_sentences(scored, 10, strategy, seed=3)
    picked = selection.picked
    assert len(picked) == 10
    assert len({c.id for c in picked}) == 10 and len({c.key for c in picked}) == 10
    assert max(Counter(c.article_id for c in picked).values()) <= 2
    labeled = {normalize_text(r["text"]) for r in SEED}
    assert not labeled & {c.key for c in picked}
    if strategy != "random":
        # Round-robin over the fields: each field that is some sentence's most uncertain one gets picks.
        measure = entropy if strategy == "entropy" else margin_uncertainty
        rows = [json.loads(line) for line in scored.read_text(encoding="utf-8").splitlines()]
        fields = [field_probabilities(row, ["NATO", "Russia", "Ukraine"]) for row in rows]
        available = {max(f, key=lambda name, f=f: measure(f[name])) for f in fields}
        assert len(available) >= 2 and set(selection.groups) == available
        assert all(0 <= c.uncertainty <= 1 for c in picked)


def test_random_strategy_is_seeded(scored: Path, labels: Path) -> None:
    first = [c.id for c in select_sentences(scored, 6, "random", seed=1).picked]
    assert first == [c.id for c in select_sentences(scored, 6, "random", seed=1).picked]
    others = [[c.id for c in select_sentences(scored, 6, "random", seed=s).picked] for s in range(2, 6)]
    assert any(o != first for o in others)


def test_selection_skips_duplicates_and_texts_already_labeled(scored: Path, tmp_path: Path, monkeypatch) -> None:
    rows = [json.loads(line) for line in scored.read_text(encoding="utf-8").splitlines()]
    assert sum(normalize_text(r["text"]) == normalize_text(DUPLICATE) and not r["skipped"] for r in rows) == 2
    labels_copy(tmp_path / "with", monkeypatch)
    everything = select_sentences(scored, 1000, "random", per_article=100).picked
    keys = [c.key for c in everything]
    assert keys.count(normalize_text(DUPLICATE)) == 1  # in two articles, different case and punctuation
    assert normalize_text(SEED[0]["text"]) not in keys  # in labels/, with '!' for '.'
    labels_copy(tmp_path / "without", monkeypatch, SEED_LINES[1:])
    assert normalize_text(SEED[0]["text"]) in [
        c.key for c in select_sentences(scored, 1000, "random", per_article=100).picked
    ]


def test_round_robin_keeps_one_target_from_taking_every_slot(tmp_path: Path, labels: Path) -> None:
    rng = random.Random(0)
    rows = [
        scored_row(f"r-{i}", 0, random_text(rng, "Rusia"), CONFIDENT, {"Russia": [0.34, 0.33, 0.33]}) for i in range(30)
    ]
    rows += [scored_row(f"n-{i}", 0, random_text(rng, "NATO"), CONFIDENT, {"NATO": [0.6, 0.3, 0.1]}) for i in range(10)]
    path = write_jsonl(tmp_path / "scored.jsonl", rows)
    selection = select_sentences(path, 8, "entropy")
    assert selection.groups == {"Russia": 4, "NATO": 4}
    assert [c.group for c in selection.picked] == ["NATO", "Russia"] * 4  # targets in targets.yaml order
    assert selection.picked[1].uncertainty > selection.picked[0].uncertainty


def test_per_article_cap_and_bounded_pool(tmp_path: Path, labels: Path) -> None:
    from sikap.labeling.selection import margin_uncertainty

    rng = random.Random(1)
    rows = []
    for i in range(2000):
        p = 0.4 + 0.6 * rng.random()
        stance = {"Ukraine": [p, (1 - p) / 2, (1 - p) / 2]}
        rows.append(scored_row(f"a-{i % 3}", i, random_text(rng, "Kyiv"), [1.0, 0.0, 0.0], stance))
    rows.append({**rows[0], "index": 9999, "text": "Foto: Dok. Kemlu", "skipped": True, "sentiment": None})
    path = write_jsonl(tmp_path / "scored.jsonl", rows)
    selection = select_sentences(path, 10, "margin", per_article=2)
    assert Counter(c.article_id for c in selection.picked) == {"a-0": 2, "a-1": 2, "a-2": 2}
    assert selection.rows == 2001 and selection.scored == 2000
    assert selection.pool <= 10 * POOL_FACTOR * (len(TARGETS) + 1)
    for article in ("a-0", "a-1", "a-2"):  # the two most uncertain of each article
        margins = [
            margin_uncertainty(list(r["stance"]["Ukraine"]["scores"].values())[:3])
            for r in rows[:2000]
            if r["article_id"] == article
        ]
        chosen = sorted((c.uncertainty for c in selection.picked if c.article_id == article), reverse=True)
        assert chosen == pytest.approx(sorted(margins, reverse=True)[:2])


def test_uncertainty_measures() -> None:
    from sikap.labeling.selection import entropy, margin_uncertainty

    assert entropy([1 / 3] * 3) == pytest.approx(1.0)
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    assert entropy([0.5, 0.5, 0.0]) == pytest.approx(math.log(2) / math.log(3))
    assert margin_uncertainty([0.5, 0.5, 0.0]) == 1.0 and margin_uncertainty([0.9, 0.1, 0.0]) == pytest.approx(0.2)


def test_select_reads_csv_and_parquet_scored_files(scored: Path, labels: Path, tmp_path: Path) -> None:
    from sikap.batch.formats import flatten_sentence, read_records, sentence_schema, write_flat

    expected = [c.id for c in select_sentences(scored, 6).picked]
    for fmt in ("csv", "parquet"):
        flat = (flatten_sentence(r, TARGETS) for r in read_records(scored, "jsonl"))
        write_flat(flat, tmp_path / f"scored.{fmt}", fmt, sentence_schema(TARGETS))
        assert [c.id for c in select_sentences(tmp_path / f"scored.{fmt}", 6).picked] == expected


def test_bad_scored_rows_and_options_are_clear_errors(tmp_path: Path, labels: Path) -> None:
    from sikap.errors import InputError

    path = write_jsonl(tmp_path / "scored.jsonl", [{"article_id": "a", "text": "NATO.", "sentiment": {"label": "x"}}])
    with pytest.raises(InputError, match=r"scored.jsonl: sentence row 1 is not a `sikap score` row"):
        select_sentences(path, 5)
    with pytest.raises(InputError, match="unknown strategy 'smart'"):
        select_sentences(path, 5, "smart")
    result = runner.invoke(app, ["label", "select", "--scored", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path)])
    assert result.exit_code == 1 and "nope.jsonl: no such file" in result.output


def test_select_writes_csv_jsonl_and_label_studio_files(
    scored: Path, labels: Path, tmp_path: Path, default_tag: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["label", "select", "--scored", str(scored), "--n", "7", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "picked 7 by entropy" in result.output
    with (out / "to_label.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "text", "article_id", "sentiment", *TARGETS, "uncertainty"]
    records = [json.loads(line) for line in (out / "to_label.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [r["id"] for r in rows] and len(rows) == 7
    assert all(
        r["id"].startswith("al-") and r["stance"][t] == c[t]
        for r, c in zip(records, rows, strict=True)
        for t in TARGETS
    )

    tasks = json.loads((out / "label_studio_tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["id"] for t in tasks] == [r["id"] for r in records]
    for task, r in zip(tasks, records, strict=True):
        assert task["data"] == {"id": r["id"], "text": r["text"], "article_id": r["article_id"]}
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == default_tag and 0 < prediction["score"] <= 1
        chosen = {x["from_name"]: x["value"]["choices"] for x in prediction["result"]}
        assert chosen == {"sentiment": [r["sentiment"]], **{t: [r["stance"][t]] for t in TARGETS}}
        assert all(x["type"] == "choices" and x["to_name"] == "text" for x in prediction["result"])

    config = ET.fromstring((out / "label_studio_config.xml").read_text(encoding="utf-8"))
    assert config.tag == "View" and config.find("Text").get("value") == "$text"
    choices = {c.get("name"): [x.get("value") for x in c] for c in config.iter("Choices")}
    assert choices == {
        "sentiment": ["positive", "negative", "neutral"],
        **{t: ["support", "oppose", "neutral", "none"] for t in TARGETS},
    }
    assert all(x.get("hint") for x in config.iter("Choice"))
    assert all(c.get("toName") == "text" for c in config.iter("Choices"))


# --- import ------------------------------------------------------------------------------------------------


def selected(scored: Path, out: Path, n: int = 8, per_article: int = 2) -> Path:
    write_selection(select_sentences(scored, n, per_article=per_article), out)
    return out


def assert_imported(labels: Path, before: dict[str, str], count: int, prefix: str = "import") -> list[dict]:
    """One new file, the old ones untouched, and the whole set valid; returns the new records."""
    after = data_files(labels)
    (new,) = set(after) - set(before)
    assert {k: after[k] for k in before} == before
    assert new.startswith(f"{prefix}-") and len(new) == len(f"{prefix}-YYYYMMDD-HHMMSS.jsonl")
    rows = [json.loads(line) for line in after[new].splitlines()]
    assert len(rows) == count and all(
        set(r) <= {"id", "text", "sentiment", "stance", "rules", "voice", "year"} for r in rows
    )
    loaded = load_labels()
    assert loaded.errors == [] and len(loaded.sentences) == len(SEED) + count
    return rows


def test_import_filled_csv(scored: Path, labels: Path, tmp_path: Path) -> None:
    out = selected(scored, tmp_path / "out")
    with (out / "to_label.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["sentiment"] = "Neutral " if rows[0]["sentiment"] != "neutral" else "Positive"  # spreadsheet-style
    expected = rows[0]["sentiment"].strip().lower()
    with (tmp_path / "filled.csv").open("w", encoding="utf-8-sig", newline="") as handle:  # Excel adds a BOM
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(tmp_path / "filled.csv")])
    assert result.exit_code == 0, result.output
    imported = assert_imported(labels, before, len(rows))
    assert imported[0]["id"] == rows[0]["id"] and imported[0]["sentiment"] == expected
    counts = Counter(split_of(r["id"]) for r in imported)
    assert f"(train {counts['train']}, dev {counts['dev']}, test {counts['test']})" in result.output
    assert "sikap labels check" in result.output and "sikap train" in result.output


def test_import_jsonl_in_labels_format(scored: Path, labels: Path, tmp_path: Path) -> None:
    out = selected(scored, tmp_path / "out")
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(out / "to_label.jsonl"), "--source", "kontrib"])
    assert result.exit_code == 0, result.output
    assert len(assert_imported(labels, before, 8, "kontrib")) == 8


def test_import_label_studio_export_takes_latest_finished_annotation(
    scored: Path, labels: Path, tmp_path: Path
) -> None:
    out = selected(scored, tmp_path / "out")
    tasks = json.loads((out / "label_studio_tasks.json").read_text(encoding="utf-8"))
    export = []
    for number, task in enumerate(tasks, 1):
        result = task["predictions"][0]["result"]
        annotation = {"id": number, "result": result, "was_cancelled": False, "updated_at": "2026-01-02T10:00:00Z"}
        export.append({"id": 100 + number, "data": task["data"], "annotations": [annotation]})

    def with_sentiment(value: str, **extra) -> dict:
        result = [
            {**x, "value": {"choices": [value]}} if x["from_name"] == "sentiment" else x
            for x in tasks[0]["predictions"][0]["result"]
        ]
        return {"result": result, "was_cancelled": False, **extra}

    export[0]["annotations"] = [
        with_sentiment("negative", updated_at="2026-01-02T09:00:00Z"),
        with_sentiment("positive", updated_at="2026-01-02T11:00:00Z"),  # the latest that counts
        with_sentiment("neutral", updated_at="2026-01-02T12:00:00Z", was_cancelled=True),
    ]
    export[1]["annotations"] = []  # not labeled yet: skipped
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "skipped 1 Label Studio task" in result.output
    imported = assert_imported(labels, before, len(tasks) - 1)
    assert imported[0]["id"] == tasks[0]["data"]["id"] and imported[0]["sentiment"] == "positive"
    assert tasks[1]["data"]["id"] not in {r["id"] for r in imported}


CSV_HEADER = "id,text,article_id,sentiment,NATO,Russia,Ukraine,uncertainty\n"
OK_CSV = "al-x1,Harga beras di Medan naik tipis pekan ini.,a1,neutral,none,none,none,0.5\n"
OK_JSON = json.dumps(record("al-x1", "Harga beras di Medan naik tipis pekan ini."))


def ls_task(task_id: int, text: str, **choices: str) -> dict:
    """A Label Studio export task with one annotation (targets not given are 'none')."""
    result = [
        {"from_name": n, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
        for n, v in {"sentiment": "neutral", "NATO": "none", "Russia": "none", "Ukraine": "none", **choices}.items()
    ]
    return {"id": task_id, "data": {"id": f"al-t{task_id}", "text": text}, "annotations": [{"result": result}]}


LS_TASK = ls_task(11, "Harga beras di Medan naik tipis pekan ini.")
IMPORT_ERRORS = {
    "unknown label": (
        "f.csv",
        CSV_HEADER + OK_CSV + "al-x2,Gula langka di Ambon.,a1,angry,none,none,none,0.5\n",
        ":3: unknown sentiment 'angry'",
    ),
    "unknown stance": (
        "f.csv",
        CSV_HEADER + "al-x2,NATO bersidang di Brussel.,a1,neutral,favour,none,none,\n",
        ":2: unknown stance 'favour' for NATO",
    ),
    "missing target column": (
        "f.csv",
        "id,text,sentiment,NATO,Russia\nal-x2,Teks baru.,neutral,none,none\n",
        ":1: CSV header lacks column(s) Ukraine",
    ),
    "unknown column": ("f.csv", CSV_HEADER.replace("uncertainty", "notes") + OK_CSV, ":1: unknown column 'notes'"),
    "empty text": (
        "f.csv",
        CSV_HEADER + OK_CSV + 'al-x2," ",a1,neutral,none,none,none,\n',
        ":3: field 'text' must be a non-empty string",
    ),
    "wrong column count": (
        "f.csv",
        CSV_HEADER + OK_CSV + "al-x2,Gula, langka.,a1,neutral,none,none,none,\n",
        ":3: expected 8 columns, found 9",
    ),
    "malformed CSV": (
        "f.csv",
        CSV_HEADER + OK_CSV + 'al-x2,"Gula langka,a1,neutral,none,none,none,\n',
        ":3: malformed CSV",
    ),
    "bad encoding": (
        "f.csv",
        (CSV_HEADER + OK_CSV + "al-x2,Caf\xe9 baru di Kyiv.,a1,neutral,none,none,neutral,\n").encode("latin-1"),
        ":3: not UTF-8",
    ),
    "malformed JSON": ("f.jsonl", OK_JSON + '\n{"id": "al-x2", "text": \n', ":2: invalid JSON"),
    "missing target": (
        "f.jsonl",
        json.dumps({**record("al-x2", "Teks baru."), "stance": {"NATO": "none", "Russia": "none"}}),
        ":1: missing stance for target 'Ukraine'",
    ),
    "unknown field": (
        "f.jsonl",
        json.dumps({**record("al-x2", "Teks baru."), "notes": "?"}),
        ":1: unknown field 'notes'",
    ),
    "alias but none": (
        "f.jsonl",
        OK_JSON + "\n" + json.dumps(record("al-x2", "Sidang NATO ditunda sepekan.")),
        ":2: NATO is 'none' but the text mentions 'NATO'",
    ),
    "Label Studio unknown stance": (
        "export.json",
        json.dumps([LS_TASK, ls_task(12, "NATO bersidang.", NATO="favour")]),
        ":task 2 (id 12): unknown stance 'favour' for NATO",
    ),
    "Label Studio missing target": (
        "export.json",
        json.dumps([{**LS_TASK, "annotations": [{"result": LS_TASK["annotations"][0]["result"][:3]}]}]),
        ":task 1 (id 11): missing stance for target 'Ukraine'",
    ),
    "Label Studio malformed JSON": ("export.json", '[\n{"id": 1,\n "data": }\n]', ":3: invalid JSON"),
    "Label Studio not a list": ("export.json", '{"tasks": []}', ":1: expected a Label Studio JSON export"),
}


@pytest.mark.parametrize("case", IMPORT_ERRORS, ids=list(IMPORT_ERRORS))
def test_each_import_error_is_reported_with_file_and_line_and_nothing_is_written(
    case: str, labels: Path, tmp_path: Path
) -> None:
    name, content, message = IMPORT_ERRORS[case]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}{message}" in result.output, result.output
    assert "nothing was written" in result.output
    assert data_files(labels) == before


def test_warning_alone_does_not_block_the_import(labels: Path, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "f.jsonl", [record("al-w1", "Aliansi itu memperkuat sayap timurnya.", NATO="neutral")]
    )
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "f.jsonl:1: warning: NATO is 'neutral' but no alias" in result.output
    assert len(assert_imported(labels, before, 1)) == 1


def id_in_split(split: str, same: bool) -> str:
    return next(f"al-s{i}" for i in range(1000) if (split_of(f"al-s{i}") == split) == same)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([record(SEED[0]["id"], "Harga beras di Medan naik tipis pekan ini.")], f":1: duplicate id {SEED[0]['id']!r}"),
        (
            [record("al-d1", SEED[1]["text"].upper().rstrip("."), **SEED[1]["stance"])],
            f":1: duplicate text of {SEED[1]['id']!r}",
        ),
        (
            [
                record(
                    id_in_split(split_of(LONGEST["id"]), True),
                    LONGEST["text"].rstrip(".") + " pekan lalu.",
                    LONGEST["sentiment"],
                    **LONGEST["stance"],
                )
            ],
            f"of the existing label {LONGEST['id']!r}",
        ),
        (
            [
                record(
                    id_in_split(split_of(LONGEST["id"]), False),
                    LONGEST["text"].rstrip(".") + " pekan lalu.",
                    LONGEST["sentiment"],
                    **LONGEST["stance"],
                )
            ],
            "leaks across splits",
        ),
        ([record("al-d1", "Harga beras naik."), record("al-d1", "Harga gula turun.")], ":2: duplicate id 'al-d1'"),
        ([record("al-d1", "Harga beras naik."), record("al-d2", "harga beras NAIK!")], ":2: duplicate text of 'al-d1'"),
    ],
    ids=["same id", "same text", "near-duplicate same split", "near-duplicate other split", "id twice", "text twice"],
)
def test_duplicates_and_near_duplicates_are_rejected(rows: list, message: str, labels: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "f.jsonl", rows)
    check = check_import(path)
    assert any(message in str(p) and str(p).startswith(str(path)) for p in check.errors), check.problems
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(path)])
    assert result.exit_code == 1 and message in result.output
    assert data_files(labels) == before


def test_import_refuses_a_file_inside_labels_data_and_a_bad_source_name(labels: Path, tmp_path: Path) -> None:
    inside = write_jsonl(labels / "data" / "new.jsonl", [record("al-z1", "Harga beras naik.")])
    result = runner.invoke(app, ["label", "import", str(inside)])
    assert result.exit_code == 1 and "is already in" in result.output
    inside.unlink()
    path = write_jsonl(tmp_path / "f.jsonl", [record("al-z1", "Harga beras naik.")])
    before = data_files(labels)
    result = runner.invoke(app, ["label", "import", str(path), "--source", "../x"])
    assert result.exit_code == 1 and "--source '../x'" in result.output
    assert data_files(labels) == before


# --- end to end --------------------------------------------------------------------------------------------


def test_select_fill_import_train_end_to_end(scored: Path, tmp_path: Path, monkeypatch) -> None:
    from sikap.data.labels import labels_hash
    from sikap.models.store import delete_model, get_model

    labels = write_sample_labels(tmp_path / "labels")  # a cut of the shipped labels: the loop, not the data, is tested
    monkeypatch.setenv("SIKAP_LABELS", str(labels))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["label", "select", "--scored", str(scored), "--n", "12", "--per-article", "3", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    with (out / "to_label.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    for row in rows:  # the annotator corrects: sentences that are about aid get 'support' for Ukraine
        if "bantuan" in row["text"] and row["Ukraine"] != "none":
            row["Ukraine"] = "support"
    with (tmp_path / "filled.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = len(load_labels().sentences)

    result = runner.invoke(app, ["label", "import", str(tmp_path / "filled.csv"), "--source", "al"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["labels", "check"]).exit_code == 0
    assert len(load_labels().sentences) == before + 12

    result = runner.invoke(app, ["train", "--baseline"])
    assert result.exit_code == 0, result.output
    tag = result.stdout.strip().splitlines()[-1]
    model = get_model(tag)
    assert model.kind == "baseline" and model.metadata["labels_hash"] == labels_hash()
    assert model.metadata["train_size"] == len(load_labels().split("train"))
    delete_model(tag)
