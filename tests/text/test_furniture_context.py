"""The detector's neighbourhood: credits next to a line, the second stage, content protection, hard page ends."""

import gzip

from sikap.paths import REPO_ROOT
from sikap.text.furniture.context import add_context, has_predicate, is_credit
from sikap.text.furniture.features import page_features
from sikap.text.furniture.mockups import CAPTION_ACTS, make_pages
from sikap.text.furniture.model import Detector, classify_lines, load_detector
from sikap.text.furniture.sequence import stage2_features

TITLE = "Menhan Baltik Bahas Pertahanan Udara Bersama"
LEAD = (
    "VILNIUS - Para menteri pertahanan negara Baltik sepakat membangun sistem pertahanan udara bersama yang "
    "terhubung dengan jaringan radar NATO, kata juru bicara kementerian pada Selasa."
)
BODY = [
    "Menurut dia, rencana itu akan dibahas lebih rinci dalam pertemuan para kepala staf bulan depan di Riga.",
    "Estonia, Latvia dan Lituania selama ini mengandalkan jet tempur sekutu yang bergiliran berjaga di kawasan itu.",
    "Pemerintah Lituania menyebut anggaran awal proyek tersebut mencapai ratusan juta euro dalam lima tahun.",
]
LAST = "Para analis menilai langkah itu memperkuat sayap timur aliansi di tengah ketegangan dengan Rusia."
CAPTION = "Seorang tentara berjaga di dekat peluncur rudal di pangkalan udara Siauliai, Lituania, Kamis (6/3/2025)."


def test_credits_are_recognised_on_a_line_and_beside_it() -> None:
    for credit in ("ANTARA FOTO/Budi Santoso", "REUTERS/Ints Kalnins", "(Foto: Istimewa)", "Dok. Pribadi", "AFP/JOHN"):
        assert is_credit(credit), credit
    for content in ("Foto-foto serangan beredar luas di media sosial.", "Kantor berita AFP melaporkan hal itu."):
        assert not is_credit(content), content
    lines = [TITLE, LEAD, CAPTION, "ANTARA FOTO/Budi Santoso", *BODY]
    features = add_context(lines, page_features(lines))
    assert "next:credit" in features[2] and "prev:credit" in features[4]
    assert "next:credit" not in features[1]
    assert features[0].get("title") == 1 and "after_title<=2" in features[2]


def test_predicate_needs_a_verb_in_a_sentence_case_line() -> None:
    assert has_predicate(BODY[0])
    assert not has_predicate("Rusia Umumkan Pencaplokan Empat Wilayah Ukraina di Timur")  # a title-case headline
    assert not has_predicate("Sinar Kulkas Dua Pintu Rp 2.499.000")


def test_a_caption_sentence_is_set_aside_when_a_credit_follows_and_kept_without_it() -> None:
    with_credit = classify_lines([TITLE, LEAD, BODY[0], CAPTION, "ANTARA FOTO/Budi Santoso", *BODY[1:], LAST])
    assert with_credit[3:5] == ["caption", "caption"]
    assert [k for i, k in enumerate(with_credit) if i not in (3, 4)] == [None] * 6
    # The same sentence in the middle of the body with nothing to give it away is content (protected).
    assert classify_lines([TITLE, LEAD, BODY[0], CAPTION, *BODY[1:], LAST]) == [None] * 7


def test_a_caption_sentence_with_an_inline_credit_is_set_aside() -> None:
    inline = "Seorang tentara berjaga di pangkalan udara Siauliai, Lituania, Kamis (6/3/2025). (Foto: REUTERS/Ints)"
    kinds = classify_lines([TITLE, inline, LEAD, *BODY, LAST])
    assert kinds[1] == "caption" and kinds[:1] + kinds[2:] == [None] * 6


def test_bare_name_byline_and_price_ad_around_the_title() -> None:
    page = ["Sinar Kulkas Dua Pintu Rp 2.499.000", TITLE, "Laras Tanjung", "Selasa, 4 Maret 2025 09:12 WIB"]
    kinds = classify_lines([*page, LEAD, *BODY, LAST])
    assert kinds[0] == "ad" and kinds[1] is None and kinds[2] == "byline" and kinds[3] == "date"
    assert kinds[4:] == [None] * 5


def test_a_page_end_with_several_kinds_in_a_row_is_set_aside_and_the_last_paragraph_kept() -> None:
    end = [
        "(lrs/bya)",
        "Simak kabar pilihan lainnya dengan mengikuti kanal kami di Google News.",
        "Bagaimana perasaan Anda setelah membaca artikel ini?",
        "Senang",
        "Sedih",
        "Marah",
        "Tags: Lituania, NATO, pertahanan",
        "Berita Terkait",
        "Latvia Perpanjang Wajib Militer bagi Pria Dewasa",
    ]
    kinds = classify_lines([TITLE, LEAD, *BODY, LAST, *end])
    assert kinds[:6] == [None] * 6
    assert None not in kinds[6:], list(zip(end, kinds[6:], strict=True))
    assert kinds[8:12] == ["widget"] * 4


def test_second_stage_sees_rule_lines_as_sure_furniture_and_counts_runs() -> None:
    lines = [TITLE, LEAD, "Iklan", "Iklan lagi", BODY[0]]
    first = add_context(lines, page_features(lines))
    features = stage2_features(
        lines, first, [0.9, 0.99, 0.9, 0.9, 0.99], ["content"] * 5, [None, None, "ad", "ad", None], [False] * 5
    )
    assert "kind=ad" in features[2] and "p<=0.01" in features[2]
    assert "n1:kind=ad" in features[1] and "run_down<=2" in features[1]
    assert "sure_between" in features[2] and "from_sure_above<=1" in features[2]


def test_the_single_stage_v1_artifact_still_loads_and_runs() -> None:
    v1 = Detector.from_json(gzip.decompress((REPO_ROOT / "benchmarks" / "furniture_v1_detector.json.gz").read_bytes()))
    assert v1.context is None and load_detector().context is not None
    page = [TITLE, "ADVERTISEMENT", LEAD, *BODY, LAST, "Copyright © 2025 Harian Contoh"]
    assert classify_lines(page, v1) == [None, "ad", None, None, None, None, None, "copyright"]


def test_mockups_cover_the_hard_kinds_and_hold_out_their_wording() -> None:
    def rows(split: str) -> list[tuple[str, str, str]]:
        out = []
        for page in make_pages(split, 150):
            lines = [(text, label) for text, label in page if text]
            out += [(a, la, b) for (a, la), (b, _) in zip(lines, [*lines[1:], ("", "")], strict=True)]
        return out

    train = rows("train")
    assert any(label == "caption" and has_predicate(text) and is_credit(after) for text, label, after in train)
    assert any(label == "ad" and "Rp" in text for text, label, _ in train)
    assert any(label == "widget" and text.endswith("?") for text, label, _ in train)  # a reaction poll's question
    assert any(label == "byline" and ":" not in text and len(text.split()) == 2 for text, label, _ in train)
    assert any(label == "promo" and has_predicate(text) for text, label, _ in train)
    acts = {
        split: {a for a in CAPTION_ACTS if any(a in t for t, lab, _ in rows(split) if lab == "caption")}
        for split in ("train", "heldout")
    }
    assert acts["train"] and acts["heldout"] and not acts["train"] & acts["heldout"]
