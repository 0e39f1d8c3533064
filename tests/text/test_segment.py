import pytest

from sikap.text.segment import furniture_reason, segment_text


def texts(text: str) -> list[str]:
    return [s.text for s in segment_text(text) if not s.skipped]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Andi tiba di Moskow. Ia bertemu Lavrov.", ["Dr. Andi tiba di Moskow.", "Ia bertemu Lavrov."]),
        ("Prof. Budi dan Ir. Sari hadir. Rapat dimulai.", ["Prof. Budi dan Ir. Sari hadir.", "Rapat dimulai."]),
        (
            "Kantornya di Jl. Sudirman No. 5 ditutup. Polisi berjaga.",
            ["Kantornya di Jl. Sudirman No. 5 ditutup.", "Polisi berjaga."],
        ),
        (
            "Surat a.n. menteri dikirim tgl. 5 Mei. Isinya rahasia.",
            ["Surat a.n. menteri dikirim tgl. 5 Mei.", "Isinya rahasia."],
        ),
        ("Bantuan dari A.S. tiba. Jumlahnya besar.", ["Bantuan dari A.S. tiba.", "Jumlahnya besar."]),
        (
            "Harga naik 3.5 persen pada 12.11.2025. Pasar lesu.",
            ["Harga naik 3.5 persen pada 12.11.2025.", "Pasar lesu."],
        ),
        ("Rapat ditunda... Belum ada jadwal baru.", ["Rapat ditunda...", "Belum ada jadwal baru."]),
        ("Ia menunggu... lalu pergi.", ["Ia menunggu... lalu pergi."]),
        (
            '"Kami menolak," kata Peskov. "Itu provokasi." Ia pergi.',
            ['"Kami menolak," kata Peskov.', '"Itu provokasi."', "Ia pergi."],
        ),
        ("Apakah NATO akan bertindak? Belum jelas!", ["Apakah NATO akan bertindak?", "Belum jelas!"]),
        (
            "Judul Tanpa Titik di Akhir\nKalimat pertama. Kalimat kedua.",
            ["Judul Tanpa Titik di Akhir", "Kalimat pertama.", "Kalimat kedua."],
        ),
        ("Paragraf satu.\n\nParagraf dua.", ["Paragraf satu.", "Paragraf dua."]),
    ],
)
def test_segment_splits_indonesian_news(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_segment_offsets_point_into_the_text() -> None:
    text = "JAKARTA (ANTARA) - Menlu bertemu Lavrov.  Keduanya sepakat.\nBACA JUGA: Harga gandum naik"
    for seg in segment_text(text):
        assert text[seg.start : seg.end] == seg.text


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("BACA JUGA: Rusia tolak tuduhan Barat", "related-link"),
        ("Baca juga: Harga minyak naik", "related-link"),
        ("loading...", "widget"),
        ("Copyright © 2026 Harian Contoh. All rights reserved.", "copyright"),
        ("Foto: ANTARA/Budi Santoso", "caption"),
        ("Penulis: Rina Wulandari", "byline"),
        ("Editor: Agus", "byline"),
        ("(ant/rin)", "byline"),
        ("Senin, 23 November 2026 10:15 WIB", "date"),
        ("23/11/2026 10:15", "date"),
        ("Diperbarui 23 Nov 2026, 11:02", "date"),
        ("Bagikan artikel ini", "widget"),
        ("Facebook Twitter WhatsApp", "widget"),
        ("ADVERTISEMENT", "ad"),
        ("SCROLL TO CONTINUE WITH CONTENT", "ad"),
        ("Tags: Rusia, Ukraina, NATO", "tags"),
    ],
)
def test_furniture_is_recognised_with_a_reason(line: str, reason: str) -> None:
    assert furniture_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Rusia menolak tuduhan itu.",
        "Foto-foto serangan beredar luas di media sosial.",
        "Editor senior itu menilai NATO terpecah.",
    ],
)
def test_content_lines_are_not_furniture(line: str) -> None:
    assert furniture_reason(line) is None


def test_scraped_page_keeps_furniture_marked_not_dropped() -> None:
    page = "\n".join(
        [
            "Indonesia Serukan Gencatan Senjata",
            "Penulis: Rina Wulandari",
            "Senin, 23 November 2026 10:15 WIB",
            "JAKARTA (ANTARA) - Pemerintah menyerukan gencatan senjata. Menlu menyampaikannya di Jakarta.",
            "BACA JUGA: Harga gandum naik",
            "Foto: ANTARA/Budi",
            "loading...",
            "Copyright © 2026 Harian Contoh",
        ]
    )
    segs = segment_text(page)
    assert [s.text for s in segs if not s.skipped] == [
        "Indonesia Serukan Gencatan Senjata",
        "Pemerintah menyerukan gencatan senjata.",
        "Menlu menyampaikannya di Jakarta.",
    ]
    assert [s.reason for s in segs if s.skipped] == [
        "byline",
        "date",
        "dateline",
        "related-link",
        "caption",
        "widget",
        "copyright",
    ]
    covered = "".join(page[s.start : s.end] for s in segs)
    assert len(covered.replace(" ", "")) == len(page.replace("\n", "").replace(" ", ""))
