"""Mentions in article context: "aliansi itu" after NATO was named, "negara itu" after Rusia or Ukraina.

Sentence-level alias matching (:class:`sikap.text.targets.MentionDetector`) cannot see a reference such
as "Aliansi itu menolak…" — the labeling standard counts it when it clearly means the target. Inside
an article it is clear enough when the target was named before: an alliance anaphor refers to a
target with ``anaphors`` in ``targets.yaml`` once that target has been named, and a country
anaphor ("negara itu", "negeri tersebut") to the most recently named country, if that country is
a target marked ``country: true``.
"""

import re
from collections.abc import Sequence

from sikap.text.targets import Mention, MentionDetector, Target

COUNTRY_ANAPHOR = re.compile(
    r"(?<![^\W_])(?<!kedua\s)(?:negara|negeri)(?:\s+tetangga(?:nya)?)?\s+(?:itu|tersebut|ini)(?![^\W_])", re.IGNORECASE
)
# A dateline ("JAKARTA (ANTARA) -", "Liputan6.com, Moskow -") names the place of writing, not a subject.
DATELINE = re.compile(r"^[^.!?\n]{0,60}?\s[-–—]\s")
# Countries (and their capitals as metonyms) that are not targets: naming one makes it the
# antecedent of a following "negara itu" instead of a target.
OTHER_COUNTRIES = (
    "Indonesia|Jakarta|Turki|Turkiye|Ankara|Amerika Serikat|AS|Washington|China|Tiongkok|Beijing|India|New Delhi|"
    "Jerman|Berlin|Prancis|Perancis|Paris|Inggris|London|Polandia|Warsawa|Finlandia|Helsinki|Swedia|Stockholm|"
    "Hungaria|Budapest|Belarus|Minsk|Iran|Teheran|Korea Utara|Pyongyang|Korea Selatan|Jepang|Tokyo|Arab Saudi|"
    "Riyadh|Israel|Serbia|Georgia|Moldova|Kazakhstan|Estonia|Latvia|Lituania|Lithuania|Rumania|Romania|Bulgaria|"
    "Yunani|Italia|Roma|Spanyol|Belanda|Norwegia|Denmark|Kanada|Australia|Brasil|Afrika Selatan|Mesir|Qatar|"
    "Malaysia|Singapura|Vietnam|Thailand|Filipina|Pakistan|Suriah|Slovakia|Ceko|Austria|Swiss"
)
_OTHER = re.compile(rf"(?<![^\W_])(?:{OTHER_COUNTRIES})(?![^\W_])")


class ContextMentionDetector:
    """Resolves target mentions sentence by sentence through one article."""

    def __init__(self, targets: list[Target], detector: MentionDetector | None = None):
        self.targets = targets
        self.detector = detector or MentionDetector(targets)
        self._anaphors = {
            t.name: re.compile("|".join(rf"(?<![^\W_])(?:{a})(?![^\W_])" for a in t.anaphors), re.IGNORECASE)
            for t in targets
            if t.anaphors
        }
        self._countries = {t.name for t in targets if t.country}

    def find_in_article(self, texts: Sequence[str]) -> list[dict[str, list[Mention]]]:
        """Mentions per sentence, in order; alias matches plus anaphors resolved from earlier sentences.

        "negara itu" takes the first country named earlier in its sentence, else the first country of
        the latest sentence that named one (the subject of a news sentence usually comes first).
        "kedua negara" / "kedua pihak" is not resolved: the standard's labels treat it as no reference.
        """
        named: set[str] = set()
        previous: list[str] = []  # countries of the latest sentence that named any, in order
        results = []
        for text in texts:
            found = self.detector.find(text)
            events = self._country_events(text, found)
            for name, pattern in self._anaphors.items():
                for match in pattern.finditer(text):
                    earlier = name in named or any(m.start < match.start() for m in found[name])
                    if earlier and not _overlaps(match.start(), match.end(), found):
                        found[name].append(Mention(name, match.group(0), match.start(), match.end()))
            for match in COUNTRY_ANAPHOR.finditer(text):
                before = [country for position, country in events if position < match.start()]
                country = (before or previous or [None])[0]
                if country in self._countries and not _overlaps(match.start(), match.end(), found):
                    found[country].append(Mention(country, match.group(0), match.start(), match.end()))
            for name in found:
                found[name].sort(key=lambda m: m.start)
            named.update(name for name, ms in found.items() if ms)
            if events:
                previous = [country for _, country in events]
            results.append(found)
        return results

    def _country_events(self, text: str, found: dict[str, list[Mention]]) -> list[tuple[int, str]]:
        """(position, country) for every country named in ``text`` outside a dateline, in order; other
        countries are named by themselves ("Turki"), targets by their name."""
        dateline = DATELINE.match(text)
        skip = dateline.end() if dateline else 0
        events = [(m.start, name) for name, ms in found.items() if name in self._countries for m in ms]
        events += [(m.start(), m.group(0)) for m in _OTHER.finditer(text)]
        return sorted(e for e in events if e[0] >= skip)


def _overlaps(start: int, end: int, found: dict[str, list[Mention]]) -> bool:
    return any(m.start < end and start < m.end for ms in found.values() for m in ms)


def mentions_to_json(mentions: dict[str, list[Mention]]) -> dict[str, list[list]]:
    """A JSON-safe form (``{target: [[text, start, end], ...]}``) to send mentions between processes."""
    return {name: [[m.text, m.start, m.end] for m in ms] for name, ms in mentions.items()}


def mentions_from_json(data: dict[str, list[list]]) -> dict[str, list[Mention]]:
    return {name: [Mention(name, str(t), int(s), int(e)) for t, s, e in ms] for name, ms in data.items()}
