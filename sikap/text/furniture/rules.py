"""High-precision patterns for furniture whose wording is fixed ("BACA JUGA:", "Copyright", "Foto:", dates).

They decide before the classifier: a line that matches is furniture of the pattern's kind.
"""

import re

_MONTHS = (
    r"(?:januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember"
    r"|jan|feb|mar|apr|jun|jul|agu|agt|sep|okt|nov|des)"
)
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu)"

# (reason, pattern) — a line that matches is page furniture. Order matters only for the reason shown.
FURNITURE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("related-link", re.compile(r"^\W*(baca\s+juga|simak\s+juga|lihat\s+juga|tonton\s+juga|berita\s+terkait)\b", re.I)),
    ("widget", re.compile(r"^\W*(loading|memuat)\s*\.{0,3}\W*$", re.I)),
    ("copyright", re.compile(r"(^\W*(copyright|hak\s+cipta)\b|©)", re.I)),
    ("caption", re.compile(r"^\W*(foto|photo|ilustrasi|sumber\s+foto|dok(umentasi)?|gambar|video)\s*[:/]", re.I)),
    ("byline", re.compile(r"^\W*(oleh|penulis|reporter|pewarta|editor|penyunting|redaktur|kontributor)\s*:", re.I)),
    ("byline", re.compile(r"^\(\s*[a-z]{2,5}(\s*/\s*[a-z]{2,5})*\s*\)$", re.I)),
    (
        "date",
        re.compile(
            rf"^\W*(({_DAYS}),?\s+)?\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}(\s*[,|-]?\s*\d{{1,2}}[:.]\d{{2}}(\s*(wib|wita|wit))?)?\W*$",
            re.I,
        ),
    ),
    ("date", re.compile(r"^\W*(diperbarui|dipublikasikan|diterbitkan|updated|published)\b.{0,60}$", re.I)),
    ("date", re.compile(r"^\W*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(\s+\d{1,2}[:.]\d{2}(\s*(wib|wita|wit))?)?\W*$", re.I)),
    ("widget", re.compile(r"^\W*(bagikan|share)\b", re.I)),
    ("ad", re.compile(r"^\W*(advertisement|iklan|scroll\s+to\s+continue|gulir\s+untuk)\b", re.I)),
    (
        "promo",
        re.compile(
            r"^\W*(ikuti\s+(kami|berita)|follow\s+us|dapatkan\s+(update|berita)|klik\s+di\s?sini"
            r"|download\s+aplikasi|unduh\s+aplikasi)\b",
            re.I,
        ),
    ),
    ("widget", re.compile(r"^\W*((facebook|twitter|whatsapp|telegram|linkedin|line|email|x)\W*){2,}$", re.I)),
    ("tags", re.compile(r"^\W*(tags?|topik|kata\s+kunci)\s*:", re.I)),
)


def furniture_reason(line: str) -> str | None:
    """The kind of page furniture ``line`` is, or ``None`` if it is content."""
    stripped = line.strip()
    for reason, pattern in FURNITURE:
        if pattern.search(stripped):
            return reason
    return None
