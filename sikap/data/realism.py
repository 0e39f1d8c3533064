"""How much labeled text reads like real news: length, quotes, attribution, anaphora and shortcut measures.

Real Indonesian online news runs long sentences with quotes, attributions and openers that point
back to the previous sentence; written training sentences tend to be short and clean. These shares
let the team watch the gap (``sikap labels stats`` prints them per split).
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_QUOTE = re.compile(r"[“”\"]|(?:^|\s)'[^']{3,}'")
_ATTRIBUTION = re.compile(
    r"\b(?:kata|katanya|ujar|ujarnya|ungkap|ungkapnya|papar|paparnya|tutur|tuturnya|jelas(?:nya)?|"
    r"tambah(?:nya)?|menurut|dikutip|seperti dilansir|dilansir|imbuh(?:nya)?|sebut(?:nya)?)\b",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^[\"“]?(?:namun|tetapi|akan tetapi|sementara(?: itu)?|selain(?: itu)?|hal (?:itu|ini|tersebut)|"
    r"dia|ia|mereka|negara (?:itu|tersebut|ini)|negeri (?:itu|tersebut)|aliansi(?: \w+)? (?:itu|tersebut)|"
    r"sebelumnya|kemudian|adapun|di sisi lain|oleh karena itu|karena itu|dengan demikian|meski(?:pun)?|"
    r"walau(?:pun)?|kendati|padahal|bahkan|sejak itu|pekan lalu|langkah (?:itu|ini|tersebut)|"
    r"pernyataan (?:itu|tersebut)|keputusan (?:itu|tersebut)|\w+ (?:itu|tersebut|sendiri))\b",
    re.IGNORECASE,
)
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad)"
_RELATIVE_TIME = re.compile(
    rf"\b(?:(?:pada|hari|sejak|setiap) {_DAYS}|{_DAYS} (?:pagi|siang|sore|malam|lalu|depan|kemarin)|"
    r"(?:pekan|minggu|bulan|tahun) (?:lalu|depan|ini)|kemarin|hari ini|semalam|dini hari)\b",
    re.IGNORECASE,
)
_SHORT_DATE = re.compile(r"\(\s*\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{2,4})?\s*\)")
_TITLE_NAME = re.compile(
    r"\b(?:Presiden|Wakil Presiden|Perdana Menteri|PM|Menteri(?: Luar Negeri| Pertahanan| \w+)?|Menlu|Menhan|"
    r"Sekretaris Jenderal|Sekjen|Juru [Bb]icara|Jubir|Kanselir|Duta Besar|Dubes|Panglima|Kepala|Wali Kota|"
    r"Raja|Ketua)(?: [A-Z][\w-]+){0,3} [A-Z][a-z]+ [A-Z][a-z]+"
)
_ANALYST = re.compile(r"\b(?:menilai|dinilai|berpendapat)\b", re.IGNORECASE)
_TURKEY = re.compile(r"\b(?:Turki|Erdogan|Ankara|Turkiye|Türkiye)\b")
_RELIGIOUS = re.compile(
    r"\b(?:MUI|ulama|santri|zakat|pesantren|umat|Islam|islami|masjid|kiai|ustaz|dakwah|syariah|Gaza|Palestina)\b",
    re.IGNORECASE,
)

POLAR = {"support", "oppose"}


@dataclass(frozen=True)
class Sample:
    """One labeled sentence as the statistics see it."""

    text: str
    stance: dict[str, str]
    voice: str | None = None


def words(text: str) -> int:
    return len(text.split())


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def _polar(sample: Sample) -> bool:
    return any(v in POLAR for v in sample.stance.values())


def realism_stats(samples: Sequence[Sample]) -> dict[str, float]:
    """Shares and means over ``samples``; every key is comparable to the real-news column of the README."""
    if not samples:
        return {}
    lengths = [words(s.text) for s in samples]
    analyst = [s for s in samples if _ANALYST.search(s.text)]
    religious = [s for s in samples if _RELIGIOUS.search(s.text)]
    nato_labeled = [s for s in samples if s.stance.get("NATO", "none") != "none"]
    stats = {
        "words per sentence, mean": sum(lengths) / len(lengths),
        "sentences >= 21 words": _share([n >= 21 for n in lengths]),
        "sentences > 30 words": _share([n > 30 for n in lengths]),
        "commas per sentence": sum(s.text.count(",") for s in samples) / len(samples),
        "direct quotes": _share([bool(_QUOTE.search(s.text)) for s in samples]),
        "attribution verbs": _share([bool(_ATTRIBUTION.search(s.text)) for s in samples]),
        "opens with anaphor or connective": _share([bool(_OPENER.match(s.text)) for s in samples]),
        "names all three targets": _share([all(v != "none" for v in s.stance.values()) for s in samples]),
        "relative time": _share([bool(_RELATIVE_TIME.search(s.text)) for s in samples]),
        "(dd/mm) dates": _share([bool(_SHORT_DATE.search(s.text)) for s in samples]),
        "title + full name": _share([bool(_TITLE_NAME.search(s.text)) for s in samples]),
        "no target": _share([all(v == "none" for v in s.stance.values()) for s in samples]),
        "polar (any support/oppose)": _share([_polar(s) for s in samples]),
        "menilai/dinilai/berpendapat": len(analyst) / len(samples),
        "  of which polar": _share([_polar(s) for s in analyst]),
        "Turkey/Erdogan/Ankara": _share([bool(_TURKEY.search(s.text)) for s in samples]),
        "religious vocabulary": len(religious) / len(samples),
        "NATO oppose, given religious vocabulary": _share(
            [s.stance.get("NATO") == "oppose" for s in religious if s.stance.get("NATO", "none") != "none"]
        ),
        "NATO oppose, given NATO referenced": _share([s.stance["NATO"] == "oppose" for s in nato_labeled]),
    }
    voices = Counter(s.voice or "unknown" for s in samples)
    for voice, count in sorted(voices.items()):
        stats[f"voice {voice}"] = count / len(samples)
    return stats


def format_stat(key: str, value: float) -> str:
    """Means as numbers, shares as percentages."""
    return f"{value:.2f}" if key.endswith(("mean", "per sentence")) else f"{100 * value:.0f}%"
