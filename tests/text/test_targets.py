import pytest

from sikap.errors import InputError
from sikap.text.targets import OTHER_SLOT, TARGET_SLOT, MentionDetector, load_targets, parse_targets


@pytest.fixture(scope="module")
def detector() -> MentionDetector:
    return MentionDetector(load_targets())


def found(detector: MentionDetector, text: str) -> dict[str, list[str]]:
    return {name: [m.text for m in ms] for name, ms in detector.find(text).items()}


@pytest.mark.parametrize(
    ("text", "target", "mentions"),
    [
        ("Perang Rusia-Ukraina memasuki tahun ketiga.", "Russia", ["Rusia"]),
        ("Perang Rusia-Ukraina memasuki tahun ketiga.", "Ukraine", ["Ukraina"]),
        ("Sikap Rusia-nya jelas.", "Russia", ["Rusia"]),
        ("Kebijakan Rusianya berubah.", "Russia", ["Rusia"]),
        ("Menlu terbang ke Kyiv pagi ini.", "Ukraine", ["Kyiv"]),
        ("kelompok pro-Rusia menguasai gedung", "Russia", ["Rusia"]),
        ("NATO dan nato ditulis berbeda", "NATO", ["NATO", "nato"]),
        ("Pakta Pertahanan  Atlantik Utara bersidang.", "NATO", ["Pakta Pertahanan  Atlantik Utara"]),
        ("Kremlin, Putin dan Lavrov bungkam.", "Russia", ["Kremlin", "Putin", "Lavrov"]),
        ("Zelenskyy dan Zelensky adalah orang yang sama.", "Ukraine", ["Zelenskyy", "Zelensky"]),
    ],
)
def test_mentions_found_on_word_boundaries(
    detector: MentionDetector, text: str, target: str, mentions: list[str]
) -> None:
    assert found(detector, text)[target] == mentions


@pytest.mark.parametrize(
    "text",
    [
        "Warga Prusia dulu berbicara Jerman.",
        "Sejarah Kievan Rus kuno; natolog bukan kata.",
        "Sanksi dari AS dan Uni Eropa diperketat.",
        "Barat dan sekutunya bersatu.",
        "Putina dan Kremlinologi bukan sebutan negara.",
    ],
)
def test_no_false_mentions(detector: MentionDetector, text: str) -> None:
    assert found(detector, text) == {"NATO": [], "Russia": [], "Ukraine": []}


def test_mention_spans_point_into_text(detector: MentionDetector) -> None:
    text = "Putin menuduh NATO; Kyiv membantah."
    for mentions in detector.find(text).values():
        for m in mentions:
            assert text[m.start : m.end] == m.text


def test_mask_replaces_own_and_other_targets(detector: MentionDetector) -> None:
    masked = detector.mask("Moskow menuding NATO menyerang Rusia.", "Russia")
    assert "Moskow" not in masked and "NATO" not in masked
    assert masked.count(TARGET_SLOT) == 2 and masked.count(OTHER_SLOT) == 1


@pytest.mark.parametrize(
    "data", [None, {"targets": {}}, {"targets": {"NATO": {"aliases": []}}}, {"targets": {"NATO": {"aliases": [3]}}}]
)
def test_invalid_targets_file_is_rejected(data: object) -> None:
    with pytest.raises(InputError, match="targets"):
        parse_targets(data)
