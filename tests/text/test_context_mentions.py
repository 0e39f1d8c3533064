"""Mentions resolved through an article: alliance and country anaphors, and what must not resolve."""

from pathlib import Path

import pytest
from conftest import record, write_jsonl

from sikap.data.labels import label_mentions, load_labels
from sikap.errors import InputError
from sikap.text.context_mentions import ContextMentionDetector, mentions_from_json, mentions_to_json
from sikap.text.targets import MentionDetector, Target, parse_targets

ARTICLE = [
    "Turki Tegaskan Komitmen kepada NATO di Tengah Tekanan Moskow",
    "ANKARA - Menteri Luar Negeri Turki menyatakan pada Senin (2/5) bahwa negaranya tetap setia kepada NATO.",
    "Aliansi itu, katanya, tidak berniat ikut campur langsung dalam perang.",
    "Rusia menanggapi dingin pernyataan tersebut.",
    "Negara itu menyebut aliansi militer Barat itu sebagai ancaman bagi keamanan kawasan.",
    "Ankara selama ini berusaha menjaga hubungan dengan aliansi dan Moskow sekaligus.",
    "Di sisi lain, Turki juga menjual drone kepada Kyiv.",
    "Negara itu kini menjadi salah satu pemasok drone terbesar di kawasan.",
]


@pytest.fixture(scope="module")
def resolver(targets) -> ContextMentionDetector:
    return ContextMentionDetector(targets)


def named(found: dict) -> dict[str, list[str]]:
    return {name: [m.text for m in ms] for name, ms in found.items() if ms}


def test_anaphors_resolve_to_targets_named_earlier(resolver: ContextMentionDetector) -> None:
    found = [named(f) for f in resolver.find_in_article(ARTICLE)]
    assert found[2] == {"NATO": ["Aliansi itu"]}
    assert found[4] == {"NATO": ["aliansi militer Barat itu"], "Russia": ["Negara itu"]}
    assert found[5] == {"NATO": ["aliansi"], "Russia": ["Moskow"]}
    # "negara itu" takes the subject of the previous sentence (Turkey, named first), not "Kyiv".
    assert found[7] == {}


def test_country_anaphors_take_the_subject_and_skip_datelines(resolver: ContextMentionDetector) -> None:
    article = [
        "Ekspor Pupuk Tertahan",
        "JAKARTA (ANTARA) - Pasokan kalium dari Rusia dan Belarus tersendat sejak awal perang di Ukraina.",
        "Kedua negara tersebut menguasai hampir 40 persen ekspor kalium dunia.",
        "Negara itu juga pemasok utama urea ke Asia Tenggara.",  # Russia, the first country after the dateline
        "Ukraina membantah tuduhan Moskow, dan negara itu meminta penyelidikan internasional.",
        "Negara itu juga meminta bantuan pertahanan udara tambahan.",
    ]
    found = [named(f) for f in resolver.find_in_article(article)]
    assert found[2] == {}  # "kedua negara" is not a reference
    assert found[3] == {"Russia": ["Negara itu"]}
    assert found[4] == {"Russia": ["Moskow"], "Ukraine": ["Ukraina", "negara itu"]}
    assert found[5] == {"Ukraine": ["Negara itu"]}


def test_anaphors_without_an_antecedent_stay_unresolved(resolver: ContextMentionDetector) -> None:
    article = [
        "Aliansi itu menggelar latihan besar di Laut Baltik.",  # NATO not named yet
        "Pemerintah Turki menerima nota protes dari Rusia.",
        "Negara itu menolak tuduhan tersebut.",  # the subject of the previous sentence is Turkey
    ]
    found = [named(f) for f in resolver.find_in_article(article)]
    assert found[0] == {}
    assert found[2] == {}


def test_offsets_point_at_the_anaphor(resolver: ContextMentionDetector) -> None:
    text = ARTICLE[4]
    mentions = resolver.find_in_article(ARTICLE)[4]
    for ms in mentions.values():
        for m in ms:
            assert text[m.start : m.end] == m.text


def test_json_round_trip_keeps_mentions(resolver: ContextMentionDetector) -> None:
    found = resolver.find_in_article(ARTICLE)[4]
    assert mentions_from_json(mentions_to_json(found)) == found


def test_english_spellings_are_aliases(targets) -> None:
    found = MentionDetector(targets).find("Harga gandum dari Russia dan Ukraine naik.")
    assert [m.text for m in found["Russia"]] == ["Russia"]
    assert [m.text for m in found["Ukraine"]] == ["Ukraine"]


def test_invalid_anaphor_regex_is_a_clear_error() -> None:
    data = {"targets": {"NATO": {"aliases": ["NATO"], "anaphors": ["aliansi("]}}}
    with pytest.raises(InputError, match="anaphor 'aliansi\\(' is not a valid regex"):
        parse_targets(data, "targets.yaml")


def test_label_mentions_use_the_article_and_labels_check_accepts_them(tmp_path: Path, targets) -> None:
    rows = [
        {**record("a-1", "NATO memperkuat sayap timur.", "neutral", NATO="neutral"), "article": "art-1"},
        {**record("a-2", "Aliansi itu mengirim tambahan jet tempur.", "positive", NATO="neutral"), "article": "art-1"},
        {**record("b-1", "Aliansi itu mengirim tambahan jet tempur ke Polandia.", "positive", NATO="neutral")},
    ]
    labels = load_labels([write_jsonl(tmp_path / "batch.jsonl", rows)], targets)
    found = label_mentions(labels.sentences, MentionDetector(targets))
    assert [m.text for m in found[1]["NATO"]] == ["Aliansi itu"]
    assert found[2]["NATO"] == []  # no article, no context
    warnings = [str(p) for p in labels.warnings]
    assert len(warnings) == 1 and ":3: warning: NATO is 'neutral'" in warnings[0]


def test_anaphor_labeled_none_is_a_warning(tmp_path: Path, targets) -> None:
    rows = [
        {**record("a-1", "NATO memperkuat sayap timur.", "neutral", NATO="neutral"), "article": "art-1"},
        {**record("a-2", "Aliansi itu mengirim tambahan jet tempur.", "positive"), "article": "art-1"},
    ]
    labels = load_labels([write_jsonl(tmp_path / "batch.jsonl", rows)], targets)
    assert not labels.errors
    assert "refers back to NATO" in str(labels.warnings[0])


def test_predictor_uses_given_mentions(targets, default_tag: str) -> None:
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model

    predictor = load_stored(get_model(default_tag))
    text = "Aliansi itu mengirim tambahan jet tempur ke Polandia."
    alone = predictor.predict([text])[0]
    assert alone["stance"]["NATO"]["label"] == "none"
    resolver = ContextMentionDetector(predictor.targets)
    mentions = resolver.find_in_article(["NATO memperkuat sayap timur.", text])
    in_context = predictor.predict(["NATO memperkuat sayap timur.", text], mentions=mentions)[1]
    assert in_context["stance"]["NATO"]["label"] != "none"
    assert in_context["stance"]["NATO"]["mentions"] == ["Aliansi itu"]


def test_unused_target_fields_default(targets) -> None:
    nato = next(t for t in targets if t.name == "NATO")
    assert nato.anaphors and not nato.country
    assert Target("X", "", ("x",)).anaphors == ()
