import shutil
from pathlib import Path

import pytest
from conftest import record, write_jsonl

from sikap.data.labels import load_labels, near_duplicate_leaks, split_of, stats_rows
from sikap.paths import REPO_ROOT


def problems_for(tmp_path: Path, targets, rows: list) -> list[str]:
    path = write_jsonl(tmp_path / "batch.jsonl", rows)
    return [str(p) for p in load_labels([path], targets).problems]


def test_valid_file_has_no_problems(tmp_path: Path, targets) -> None:
    rows = [
        record("x-1", "Rusia menembakkan rudal ke Ukraina.", "negative", Russia="neutral", Ukraine="oppose"),
        record("x-2", "Harga minyak sawit naik tajam pekan ini.", "positive"),
    ]
    assert problems_for(tmp_path, targets, rows) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({**record("x-1", "Teks."), "sentiment": "angry"}, "unknown sentiment 'angry'"),
        (record("x-1", "NATO bersidang.", NATO="favour"), "unknown stance 'favour' for NATO"),
        (
            {
                **record("x-1", "Teks."),
                "stance": {"NATO": "none", "Russia": "none", "Ukraine": "none", "China": "none"},
            },
            "unknown target 'China'",
        ),
        (
            {"id": "x-1", "text": "Teks.", "sentiment": "neutral", "stance": {"NATO": "none", "Russia": "none"}},
            "missing stance for target 'Ukraine'",
        ),
        ({**record("x-1", "Teks."), "text": "  "}, "field 'text' must be a non-empty string"),
        ({**record("x-1", "Teks."), "label": "x"}, "unknown field 'label'"),
        ({**record("x-1", "Teks."), "rules": [9]}, "hard-case rule numbers 1-8"),
        ({**record("x-1", "Teks."), "voice": "tabloid"}, "unknown voice 'tabloid'"),
        (record("x-1", "Sidang NATO ditunda."), "NATO is 'none' but the text mentions 'NATO'"),
        (record("x-1", "Aliansi itu bersidang.", NATO="neutral"), "warning: NATO is 'neutral' but no alias of NATO"),
    ],
)
def test_each_problem_is_reported_with_file_and_line(tmp_path: Path, targets, row, message: str) -> None:
    rows = [record("ok-1", "Harga beras stabil."), row]
    problems = problems_for(tmp_path, targets, rows)
    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'batch.jsonl'}:2: ")
    assert message in problems[0]


def test_duplicate_ids_and_texts_are_reported(tmp_path: Path, targets) -> None:
    rows = [
        record("x-1", "Harga beras stabil."),
        record("x-1", "Harga gula naik."),
        record("x-3", "harga beras stabil!"),
    ]
    problems = problems_for(tmp_path, targets, rows)
    assert any(":2: duplicate id 'x-1'" in p for p in problems)
    assert any(":3: duplicate text of 'x-1'" in p for p in problems)


def test_non_utf8_file_is_reported(tmp_path: Path, targets) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes('{"id": "x", "text": "Caf\xe9"}\n'.encode("latin-1"))
    problems = [str(p) for p in load_labels([path], targets).problems]
    assert len(problems) == 1 and "not UTF-8" in problems[0]


def test_near_duplicates_across_splits_leak(targets) -> None:
    from sikap.data.labels import LabeledSentence

    # ids chosen so the two land in different splits
    ids = [f"n-{i}" for i in range(200)]
    a = next(i for i in ids if split_of(i) == "train")
    b = next(i for i in ids if split_of(i) == "test")
    text = "Menteri pertahanan kedua negara membahas latihan militer bersama di perbatasan timur"
    sentences = [
        LabeledSentence(a, text, "neutral", {}),
        LabeledSentence(b, text + " pekan ini.", "neutral", {}),
        LabeledSentence("d-1", "Harga cabai di pasar tradisional kembali turun.", "neutral", {}, folder_split="dev"),
    ]
    leaks = near_duplicate_leaks(sentences)
    assert len(leaks) == 1 and a in leaks[0].message and "leaks across splits" in leaks[0].message


def test_texts_without_words_do_not_crash_the_check(tmp_path: Path, targets) -> None:
    rows = [record("x-1", "? !"), record("x-2", "1 2 3")]
    assert problems_for(tmp_path, targets, rows) == []


def test_split_is_deterministic_and_roughly_90_10() -> None:
    splits = [split_of(f"id-{i}") for i in range(5000)]
    assert splits == [split_of(f"id-{i}") for i in range(5000)]
    assert set(splits) == {"train", "test"}  # dev is a folder of its own
    assert 0.87 < splits.count("train") / 5000 < 0.93


def test_folders_fix_the_split(tmp_path: Path, targets) -> None:
    """labels/train/ is train only, labels/dev/ the selection split, labels/realistic/ held out; labels/data/ by hash."""
    from sikap.data.labels import load_labels

    ids = [f"n-{i}" for i in range(200)]
    test_id = next(i for i in ids if split_of(i) == "test")
    files = {}
    for folder, rid in (("train", test_id), ("dev", "d-1"), ("realistic", "r-1"), ("data", test_id + "x")):
        (tmp_path / folder).mkdir()
        text = f"Kalimat nomor {len(files)} tentang harga {folder} di pasar."
        files[folder] = write_jsonl(tmp_path / folder / f"{folder}.jsonl", [record(rid, text)])
    labels = load_labels(list(files.values()), targets)
    splits = {s.source.split("/")[-2]: s.split for s in labels.sentences}
    assert splits == {"train": "train", "dev": "dev", "realistic": "realistic", "data": split_of(test_id + "x")}


def test_stats_count_classes_and_coverage(tmp_path: Path, targets) -> None:
    rows = [
        record("x-1", "Rusia menembakkan rudal ke Ukraina.", "negative", Russia="neutral", Ukraine="oppose"),
        record("x-2", "Harga minyak sawit naik tajam.", "positive"),
    ]
    labels = load_labels([write_jsonl(tmp_path / "b.jsonl", rows)], targets)
    table = stats_rows(labels.sentences, ["NATO", "Russia", "Ukraine"])["all"]
    assert table["sentences"] == 2 and table["no target"] == 1
    assert table["2+ targets, different stances"] == 1
    assert table["Ukraine oppose"] == 1 and table["NATO none"] == 2


def test_shipped_labels_pass_the_check() -> None:
    labels = load_labels()
    assert labels.errors == []
    # Warnings are labeled references no alias or anaphor detects (documented in the data card): few.
    assert all("no alias" in p.message or "refers back" in p.message for p in labels.warnings)
    assert len(labels.warnings) < 0.01 * len(labels.sentences)
    assert len(labels.sentences) >= 5000


def test_data_card_shows_the_current_counts() -> None:
    from typer.testing import CliRunner

    from sikap.cli import app

    table = CliRunner().invoke(app, ["labels", "stats", "--markdown"]).stdout.strip()
    assert table in (REPO_ROOT / "labels" / "CARD.md").read_text(encoding="utf-8")


def test_sentences_of_one_article_share_a_split(tmp_path: Path, targets) -> None:
    rows = [
        {**record(f"s-{i}", f"Kalimat berita nomor {i} tentang harga beras."), "article": f"art-{i // 4}"}
        for i in range(200)
    ]
    labels = load_labels([write_jsonl(tmp_path / "batch.jsonl", rows)], targets)
    by_article: dict[str, set[str]] = {}
    for s in labels.sentences:
        by_article.setdefault(s.article, set()).add(s.split)
    assert all(len(splits) == 1 for splits in by_article.values())
    assert {s.split for s in labels.sentences} == {"train", "test"}  # 50 articles: both splits of labels/data


def test_files_in_a_realistic_folder_form_the_realistic_split(tmp_path: Path, targets) -> None:
    folder = tmp_path / "realistic"
    folder.mkdir()
    path = write_jsonl(folder / "r.jsonl", [{**record("r-1", "Harga beras stabil."), "date": "2023-05-01"}])
    sentence = load_labels([path], targets).sentences[0]
    assert sentence.split == "realistic" and sentence.year == 2023
    stats = stats_rows([sentence], [t.name for t in targets])
    assert stats["realistic"]["sentences"] == 1 and stats["train"]["sentences"] == 0


def test_bad_date_is_reported(tmp_path: Path, targets) -> None:
    problems = problems_for(tmp_path, targets, [{**record("x-1", "Teks."), "date": "14/03/2022"}])
    assert problems == [
        f"{tmp_path / 'batch.jsonl'}:1: field 'date' must be an ISO date YYYY-MM-DD, found '14/03/2022'"
    ]


def test_paraphrase_across_splits_is_caught_at_the_leak_threshold(targets) -> None:
    from sikap.data.labels import LEAK_COSINE, LabeledSentence

    stance = {"NATO": "none", "Russia": "support", "Ukraine": "none"}
    a = LabeledSentence(
        "a",
        "Indonesia dan Rusia sepakat menargetkan nilai perdagangan bilateral 5 miliar dolar AS.",
        "positive",
        stance,
        article="x-1",
    )
    b = LabeledSentence(
        "b",
        "Indonesia dan Rusia menargetkan nilai perdagangan bilateral menembus 5 miliar dolar AS.",
        "positive",
        stance,
        article="x-7",
    )
    c = LabeledSentence(
        "c",
        "Harga minyak sawit di Bursa Malaysia bergerak datar menjelang rilis data ekspor.",
        "neutral",
        {**stance, "Russia": "none"},
        article="x-3",
    )
    assert a.split != b.split
    assert len(near_duplicate_leaks([a, b, c], LEAK_COSINE)) == 1
    assert near_duplicate_leaks([a, c], LEAK_COSINE) == []


def test_realism_statistics_measure_what_they_name() -> None:
    from sikap.data.realism import Sample, realism_stats

    none = {"NATO": "none", "Russia": "none", "Ukraine": "none"}
    samples = [
        Sample(
            "“Kami tidak akan mundur,” kata Peskov kepada wartawan di Moskow pada Senin (25/11).",
            {**none, "Russia": "neutral"},
        ),
        Sample("Namun, Presiden Rusia Vladimir Putin menolak tawaran itu.", {**none, "Russia": "neutral"}),
        Sample("Harga beras stabil.", none),
        Sample(
            "Pengamat menilai NATO, Rusia dan Ukraina sama-sama keras kepala.",
            {"NATO": "oppose", "Russia": "oppose", "Ukraine": "oppose"},
        ),
    ]
    stats = realism_stats(samples)
    assert stats["direct quotes"] == 0.25 and stats["attribution verbs"] == 0.25
    assert stats["opens with anaphor or connective"] == 0.25
    assert stats["(dd/mm) dates"] == 0.25 and stats["relative time"] == 0.25
    assert stats["title + full name"] == 0.25
    assert stats["names all three targets"] == 0.25 and stats["no target"] == 0.25
    assert stats["menilai/dinilai/berpendapat"] == 0.25 and stats["  of which polar"] == 1.0
    assert stats["words per sentence, mean"] == sum(len(s.text.split()) for s in samples) / 4


def test_a_read_is_reused_only_while_the_files_are_unchanged(tmp_path: Path, targets) -> None:
    path = write_jsonl(
        tmp_path / "batch.jsonl",
        [record("x-1", "Rusia menembakkan rudal ke Ukraina.", Russia="neutral", Ukraine="neutral")],
    )
    first = load_labels([path], targets)
    first.sentences.clear()  # a caller's changes stay with that caller
    assert [s.id for s in load_labels([path], targets).sentences] == ["x-1"]
    write_jsonl(path, [record("x-2", "Rusia menembakkan rudal ke Ukraina.", Russia="neutral", Ukraine="neutral")])
    assert [s.id for s in load_labels([path], targets).sentences] == ["x-2"]  # same size, other content
    path.write_text("{not json\n", encoding="utf-8")
    (problem,) = load_labels([path], targets).problems
    assert str(problem).startswith(f"{path}:1: invalid JSON")


def test_checks_across_records_are_kept_on_disk_for_other_processes(
    tmp_path: Path, targets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new process (here: the reader without its in-process cache) takes the checks' result from
    SIKAP_HOME/cache while the files, the targets and the code are unchanged, and checks again otherwise."""
    from sikap.data import labels

    monkeypatch.setenv("SIKAP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SIKAP_CACHE", raising=False)  # the default place (the tests share one: conftest.py)
    text = "Rusia menembakkan rudal ke Ukraina."
    path = write_jsonl(tmp_path / "batch.jsonl", [record("x-1", text, Russia="neutral", Ukraine="neutral")] * 2)
    checked = []
    real = labels.cross_record_problems
    monkeypatch.setattr(labels, "cross_record_problems", lambda *a: checked.append(1) or real(*a))

    def read() -> list[str]:
        return [str(p) for p in labels._read_labels([path], targets, labels._files_key([path], targets)).problems]

    first = read()
    assert any("duplicate id 'x-1'" in p for p in first) and len(checked) == 1
    cache = labels.checks_cache_file(labels._files_key([path], targets))
    assert cache.exists()
    assert read() == first and len(checked) == 1  # from disk
    cache.write_text("{not json", encoding="utf-8")
    assert read() == first and len(checked) == 2  # unreadable: checked again, and kept again
    assert read() == first and len(checked) == 2
    write_jsonl(path, [record("x-1", text, Russia="neutral", Ukraine="neutral")])
    assert not any("duplicate id" in p for p in read()) and len(checked) == 3  # other content: checked again
    assert len(list(cache.parent.glob("*.json"))) == 2
    assert cache.parent == tmp_path / "home" / "cache" / "label-checks"


def test_sikap_cache_moves_the_checks_cache_out_of_the_home(
    tmp_path: Path, targets, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sikap.data import labels

    monkeypatch.setenv("SIKAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SIKAP_CACHE", str(tmp_path / "shared"))
    path = write_jsonl(tmp_path / "batch.jsonl", [record("x-1", "Rusia menembakkan rudal ke Ukraina.", Russia="neutral")])
    labels._read_labels([path], targets, labels._files_key([path], targets))
    assert [p.parent for p in (tmp_path / "shared").rglob("*.json")] == [tmp_path / "shared" / "label-checks"]
    assert not (tmp_path / "home").exists()


def test_a_copied_labels_folder_reads_the_checks_kept_for_the_original_with_its_own_paths(
    tmp_path: Path, targets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk key holds each file's path below the labels folder, not above it: a copy of ``labels/`` elsewhere
    is not checked again, and its problems name the copy's files. Another folder name is another split: checked."""
    from sikap.data import labels

    monkeypatch.setenv("SIKAP_CACHE", str(tmp_path / "cache"))
    text = "Rusia menembakkan rudal ke Ukraina."
    original = tmp_path / "a" / "labels"
    (original / "data").mkdir(parents=True)
    write_jsonl(original / "data" / "batch.jsonl", [record("x-1", text, Russia="neutral", Ukraine="neutral")] * 2)
    copy = shutil.copytree(original, tmp_path / "b" / "elsewhere" / "labels")
    moved = shutil.copytree(original / "data", tmp_path / "c" / "labels" / "dev")
    checked = []
    real = labels.cross_record_problems
    monkeypatch.setattr(labels, "cross_record_problems", lambda *a: checked.append(1) or real(*a))

    def problems(folder: Path) -> list[str]:
        files = labels.data_files(folder)
        return [str(p) for p in labels._read_labels(files, targets, labels._files_key(files, targets)).problems]

    first = problems(original / "data")
    assert any(f"{original}/data/batch.jsonl:2: duplicate id 'x-1' (first at {original}/data/" in p for p in first)
    again = problems(copy / "data")
    assert len(checked) == 1 and again == [p.replace(str(original), str(copy)) for p in first]
    assert str(original) not in "".join(again)
    problems(moved)
    assert len(checked) == 2  # labels/dev/, not labels/data/: the splits differ
