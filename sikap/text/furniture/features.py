"""Hand-designed features of one line of a scraped page, in the context of its page.

The features describe the *shape* of a line (length, verbs and function words, sentence
punctuation, capitalisation, digits, dates and times, URLs, handles, leftover HTML), its
*place* in the page (before the first or after the last paragraph, neighbours) and a small
*vocabulary* (the first words of short lines), so a classifier can tell page furniture from
content on outlets it has never seen.
"""

import re
import unicodedata
from collections import Counter

TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_MONTHS = (
    "januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    "january|february|march|may|june|july|august|october|december|"
    "jan|feb|mar|apr|jun|jul|agu|agt|aug|sep|okt|oct|nov|des|dec"
)
_DATE = re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})\.?\s+\d{{4}}\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b", re.I)
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?Z?)?")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b(?!\s*(?:persen|%))")
_ZONE = re.compile(r"\b(?:WIB|WITA|WIT|GMT|UTC)\b")
_DAY = re.compile(
    r"\b(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)
_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|id|co\.id|net|org|news|tv)(?:/\S*)?\b", re.I)
_CAMEL = re.compile(r"^[A-Za-z]+[a-z][A-Z][A-Za-z]*$")
_HANDLE = re.compile(r"(?<!\w)@\w{2,}")
_INITIALS_TAIL = re.compile(r"[(\[]\s*[a-z]{1,5}(?:\s*/\s*[\w.]{1,20})*\s*[)\]]\s*$", re.I)
_LABEL = re.compile(r"^([^\W\d_][\w&.]*(?:\s+[^\W\d_][\w&.]*){0,2})\s*[:|]\s*")
_BULLET = re.compile(r"^[•·\-–—*»>|#\d.)\]]+\s*")
_VERB = re.compile(r"^(?:me[mny]?|meng|ber|ter|di|per|se)[a-z]{3,}$|^[a-z]{3,}(?:kan|nya|lah)$")
_FUNCTION = frozenset(
    """
        yang dan itu ini akan adalah telah sudah untuk dengan bahwa tidak dari pada dalam kata ujar
        menurut juga karena namun tetapi sebagai oleh atas ke di kami kita mereka dia ia saya
        tersebut bisa harus masih belum sejak setelah saat ketika jika agar atau lebih para secara
        bagi antara
    """.split()  # noqa: SIM905
)
# Words of web-page machinery (menus, widgets, ads, sharing, comments, subscriptions, credits), Indonesian
# and English: general vocabulary of news sites, not the wording of any one outlet.
UI_WORDS = frozenset(
    """
        iklan advertisement ads ad sponsor sponsored bersponsor promoted promo scroll gulir lanjut
        lanjutkan melanjutkan continue berlanjut halaman selanjutnya sebelumnya berikutnya next prev
        previous page tampilkan sembunyikan show hide more lainnya selengkapnya lengkap baca read
        simak lihat tonton watch video foto photo gambar image ilustrasi dok dokumentasi istimewa
        net getty shutterstock caption kredit credit sumber source referensi dikutip via penulis
        editor reporter redaktur pewarta penyunting kontributor fotografer author oleh by redaksi
        tim tag tags topik hashtag kata kunci terkait related terkini terbaru terpopuler populer
        popular trending pilihan rekomendasi rekomendasikan indeks index kanal rubrik beranda home
        menu navigasi navigation cari search pencarian masuk login logout daftar register akun
        account profil tutup close buka open skip lewati konten content utama main kembali atas top
        bagikan share salin copy tautan link url simpan save cetak print kirim send tweet like suka
        facebook twitter whatsapp telegram instagram youtube tiktok linkedin line email x komentar
        comment comments komentari berkomentar tanggapan diskusi reaksi reaction perasaanmu perasaan
        anda font ukuran size teks text mode gelap dark terang dengarkan listen putar play memuat
        loading muat dimuat rendering rendered generated detik seconds waktu berlangganan langganan
        subscribe newsletter unduh download aplikasi app aplikasinya ikuti follow gabung bergabung
        grup group channel saluran klik click di sini here update pembaruan dapatkan notifikasi
        notification notifications izinkan allow copyright hak cipta dilindungi undang-undang
        reserved rights all kebijakan privasi privacy pedoman media siber policy terms syarat
        ketentuan kontak contact tentang about powered premium gratis free google news
    """.split()  # noqa: SIM905
)
_TITLE_STOP = frozenset(["di", "ke", "dari", "dan", "yang", "untuk", "dengan", "pada", "the", "of", "a"])


def clean_line(line: str) -> str:
    """``line`` with HTML tags removed and whitespace collapsed (what the features look at)."""
    return " ".join(TAG.sub(" ", unicodedata.normalize("NFC", line)).split())


def blank_tags(text: str) -> str:
    """``text`` with every HTML tag replaced by as many spaces, so character offsets still hold."""
    return TAG.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)  # a tag across lines keeps its newlines


def words_of(line: str) -> list[str]:
    return _WORD.findall(line)


def duplicate_key(line: str) -> str:
    """Lines with the same key are the same text up to case, punctuation and tags."""
    return " ".join(w.casefold() for w in words_of(clean_line(line)))


def repeated_later(lines: list[str]) -> list[bool]:
    """Whether each line is the first of several copies in the page (a headline the body repeats)."""
    keys = [duplicate_key(line) for line in lines]
    counts = Counter(keys)
    seen: set[str] = set()
    out = []
    for key in keys:
        out.append(len(key.split()) >= 3 and counts[key] > 1 and key not in seen)
        seen.add(key)
    return out


def duplicates(lines: list[str]) -> list[bool]:
    """Whether each line repeats an earlier line of the page (three words or more, ignoring case and punctuation)."""
    seen: set[str] = set()
    out = []
    for line in lines:
        key = duplicate_key(line)
        out.append(len(key.split()) >= 3 and key in seen)
        seen.add(key)
    return out


def _bucket(value: float, edges: tuple[float, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return f"<={edge:g}"
    return f">{edges[-1]:g}"


def _shape(line: str) -> dict[str, float]:
    """Features of the line alone."""
    f: dict[str, float] = {}
    words = words_of(line)
    lower = [w.casefold() for w in words]
    n = len(words)
    f[f"words{_bucket(n, (0, 1, 2, 3, 5, 8, 12, 20, 35))}"] = 1
    f[f"chars{_bucket(len(line), (3, 10, 25, 50, 100, 200))}"] = 1
    alpha = [w for w in words if w[0].isalpha()]
    if alpha:
        caps = sum(w[0].isupper() for w in alpha) / len(alpha)
        f[f"caps{_bucket(caps, (0.2, 0.5, 0.8, 0.99))}"] = 1
        if all(w.isupper() and len(w) > 1 for w in alpha):
            f["all_caps"] = 1
    ui = sum(w in UI_WORDS for w in lower)
    f[f"ui_words{_bucket(ui, (0, 1, 2, 4))}"] = 1
    if n:
        f[f"ui_share{_bucket(ui / n, (0, 0.25, 0.5, 0.75))}"] = 1
        if lower[0] in UI_WORDS:
            f["ui_first"] = 1
    verbs = sum(bool(_VERB.match(w)) for w in lower)
    function = sum(w in _FUNCTION for w in lower)
    f[f"verbs{_bucket(verbs, (0, 1, 2, 4))}"] = 1
    f[f"function{_bucket(function, (0, 1, 2, 4, 8))}"] = 1
    if n:
        f[f"function_share{_bucket(function / n, (0.05, 0.15, 0.3))}"] = 1
    if SENTENCE_END.search(line):
        f["ends_sentence"] = 1
    elif line.endswith(":"):
        f["ends_colon"] = 1
    elif line[-1:] in "\"'”’":
        f["ends_quote"] = 1
    elif line[-1:].isalnum():
        f["ends_alnum"] = 1
    else:
        f["ends_other"] = 1
    if line[:1] in "\"'“‘«":
        f["starts_quote"] = 1
    if line[:1].islower():
        f["starts_lower"] = 1
    if _BULLET.match(line) and not line[:1].isalpha():
        f["starts_bullet"] = 1
    if "?" in line:
        f["question"] = 1
    if re.search(r"[\"“”]", line):
        f["has_quote"] = 1
    digits = sum(c.isdigit() for c in line)
    f[f"digit_share{_bucket(digits / max(len(line), 1), (0, 0.05, 0.15, 0.3))}"] = 1
    for name, pattern in (
        ("date", _DATE),
        ("iso_time", _ISO),
        ("clock", _TIME),
        ("zone", _ZONE),
        ("day", _DAY),
        ("url", _URL),
        ("handle", _HANDLE),
        ("initials_tail", _INITIALS_TAIL),
    ):
        if pattern.search(line):
            f[name] = 1
    if any(_CAMEL.search(w) for w in words):
        f["camel_word"] = 1  # brand-like: "KabarNusantara", "detikNews"
    if "©" in line:
        f["copyright_sign"] = 1
    for sep in ("|", "/", "•", "×", "»"):
        if sep in line:
            f[f"sep{sep}"] = 1
    label = _LABEL.match(line)
    if label and n <= 12:
        f["label_prefix"] = 1
        f[f"label={label.group(1).casefold()}"] = 1
    if (n == 1 and len(words[0]) == 1) or (n and all(len(w) == 1 for w in words)):
        f["single_letters"] = 1
    if lower:
        f[f"first={lower[0]}"] = 1
        if n > 1:
            f[f"first2={lower[0]} {lower[1]}"] = 1
        if n <= 6:
            for w in lower:
                f[f"w={w}"] = 1
            f[f"last={lower[-1]}"] = 1
    return f


def is_paragraph(line: str) -> bool:
    """A line that is surely running text: long, with sentence punctuation and function words."""
    words = [w.casefold() for w in words_of(line)]
    return len(words) >= 12 and bool(SENTENCE_END.search(line)) and sum(w in _FUNCTION for w in words) >= 2


def _title_overlap(line: str, title_words: set[str]) -> float:
    words = {w.casefold() for w in words_of(line)} - _TITLE_STOP
    if not words or not title_words:
        return 0.0
    return len(words & title_words) / len(words | title_words)


def page_features(lines: list[str]) -> list[dict[str, float]]:
    """Features of each non-empty line of a page (``lines`` already cleaned and non-empty), in order."""
    shapes = [_shape(line) for line in lines]
    paragraphs = [i for i, line in enumerate(lines) if is_paragraph(line)]
    # Without a paragraph (a title alone, a short text) every line counts as body: position says nothing.
    first, last = (paragraphs[0], paragraphs[-1]) if paragraphs else (0, len(lines) - 1)
    title_line = next((line for line in lines if len(words_of(line)) >= 4), lines[0] if lines else "")
    title_words = {w.casefold() for w in words_of(title_line)} - _TITLE_STOP
    out = []
    for i, (line, shape) in enumerate(zip(lines, shapes, strict=True)):
        f = dict(shape)
        f["bias"] = 1
        if i < first:
            f["before_body"] = 1
        elif i > last:
            f["after_body"] = 1
        else:
            f["in_body"] = 1
        if i == 0:
            f["first_line"] = 1
        if i == len(lines) - 1:
            f["last_line"] = 1
        f[f"from_end{_bucket(len(lines) - 1 - i, (0, 2, 5))}"] = 1
        f[f"from_start{_bucket(i, (0, 2, 5))}"] = 1
        if line is not title_line:
            overlap = _title_overlap(line, title_words)
            f[f"title_overlap{_bucket(overlap, (0, 0.3, 0.6, 0.99))}"] = 1
        for side, j in (("prev", i - 1), ("next", i + 1)):
            if 0 <= j < len(lines):
                other = shapes[j]
                short = len(words_of(lines[j])) <= 3
                for key in other:
                    if key.startswith(("words", "ends_", "label_prefix", "date", "url", "initials_tail", "ui_")) or (
                        short and key.startswith("first=")
                    ):
                        f[f"{side}:{key}"] = 1
                if j in paragraphs:
                    f[f"{side}:paragraph"] = 1
            else:
                f[f"{side}:none"] = 1
        if i in paragraphs:
            f["paragraph"] = 1
        out.append(f)
    return out
