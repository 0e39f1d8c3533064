"""Article context: the headline and the previous sentence, built the same way for labels and for articles."""

import pytest
from conftest import record, write_jsonl

from sikap.data.labels import label_contexts, load_labels
from sikap.text.articles import article_segments, article_sentence_contexts
from sikap.text.sentence_context import article_contexts, looks_like_title

TITLE = "NATO Tambah Pasukan di Baltik"
FIRST = "Aliansi itu mengirim dua batalion baru ke Estonia pada Senin."
SECOND = "Moskow menyebut langkah itu provokasi."
THIRD = "Kyiv menyambut keputusan tersebut."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TITLE, True),
        ("Mengapa Finlandia Akhirnya Bergabung?", False),  # a question mark closes it like a sentence
        (FIRST, False),
        ("  ", False),
        (" ".join(["kata"] * 30), False),  # too long for a headline
    ],
)
def test_what_looks_like_a_headline(text: str, expected: bool) -> None:
    assert looks_like_title(text) is expected


def test_headline_and_previous_sentence() -> None:
    contexts = article_contexts([TITLE, FIRST, SECOND, THIRD])
    assert contexts == ["", TITLE, f"{TITLE} {FIRST}", f"{TITLE} {SECOND}"]


def test_untitled_article_gets_only_the_previous_sentence() -> None:
    assert article_contexts([FIRST, SECOND, THIRD]) == ["", FIRST, SECOND]
    # told explicitly, a sentence-like first line is still the headline
    assert article_contexts([FIRST, SECOND, THIRD], first_is_title=True)[2] == f"{FIRST} {SECOND}"
    assert article_contexts([]) == []


def test_label_contexts_follow_each_article_in_file_order(tmp_path) -> None:
    rows = [
        {**record("a-1", TITLE, NATO="neutral"), "article": "a"},
        {**record("b-1", "Rusia menutup jalur gas ke Eropa.", Russia="neutral"), "article": "b"},
        {**record("a-2", FIRST.replace("Aliansi itu", "NATO"), NATO="neutral"), "article": "a"},
        record("x-1", SECOND, Russia="oppose"),  # no article: no context
        {**record("b-2", THIRD.replace("Kyiv", "Ukraina"), Ukraine="support"), "article": "b"},
    ]
    labels = load_labels([write_jsonl(tmp_path / "news-x.jsonl", rows)])
    assert not labels.errors, labels.errors
    contexts = label_contexts(labels.sentences, "title+previous")
    by_id = dict(zip((s.id for s in labels.sentences), contexts, strict=True))
    assert by_id == {
        "a-1": "",
        "b-1": "",
        "a-2": TITLE,
        "x-1": "",
        "b-2": "Rusia menutup jalur gas ke Eropa.",
    }
    assert label_contexts(labels.sentences, "none") is None


def test_article_contexts_skip_furniture_and_know_the_title() -> None:
    body = f"{FIRST}\nBACA JUGA: Harga gandum dunia naik lagi\n{SECOND}"
    segmented = [article_segments("Rusia Kecam Latihan NATO?", body)]
    kept = [s["text"] for s in segmented[0] if not s["skipped"]]
    assert any(s["skipped"] for s in segmented[0]), "the related-link line should be furniture"
    contexts = article_sentence_contexts(segmented)
    assert len(contexts) == len(kept) == 3
    # the headline ends with "?" but comes from the title field, so it is the headline
    assert contexts == ["", "Rusia Kecam Latihan NATO?", f"Rusia Kecam Latihan NATO? {FIRST}"]
