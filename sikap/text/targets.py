"""Targets from ``labels/targets.yaml`` and detection of their mentions in a sentence."""

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from sikap.errors import InputError
from sikap.paths import targets_file

# A letter or digit may not touch a match on either side; hyphens, quotes and
# spaces may, so "Rusia-Ukraina", "pro-Rusia" and "(Kyiv)" all match.
_LEFT = r"(?<![^\W_])"
_RIGHT = r"(?![^\W_])"
_POSSESSIVE = r"(?:-?nya)?"

# What :meth:`MentionDetector.mask` puts in place of mentions: words that no Indonesian or English
# sentence uses (the earlier "sasaran" is also Indonesian for "target" and occurs in news).
TARGET_SLOT = "targetslot"
OTHER_SLOT = "otherslot"


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    aliases: tuple[str, ...]
    anaphors: tuple[str, ...] = ()  # regular expressions that refer back to the target once an article named it
    country: bool = False  # "negara itu" can refer to it


@dataclass(frozen=True)
class Mention:
    target: str
    text: str
    start: int
    end: int


def parse_targets(data: object, source: str = "targets.yaml") -> list[Target]:
    """Build targets from the parsed YAML mapping, with errors that name ``source``."""
    if not isinstance(data, dict) or not isinstance(data.get("targets"), dict) or not data["targets"]:
        raise InputError(f"{source}: expected a mapping 'targets:' with one entry per target")
    targets = []
    for name, entry in data["targets"].items():
        aliases = entry.get("aliases") if isinstance(entry, dict) else None
        if not aliases or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise InputError(f"{source}: target {name!r} needs a non-empty list of string 'aliases'")
        anaphors = entry.get("anaphors") or []
        if not isinstance(anaphors, list) or not all(isinstance(a, str) and a.strip() for a in anaphors):
            raise InputError(f"{source}: target {name!r}: 'anaphors' must be a list of regular expressions")
        for pattern in anaphors:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(
                    f"{source}: target {name!r}: anaphor {pattern!r} is not a valid regex ({exc})"
                ) from None
        targets.append(
            Target(
                str(name),
                str(entry.get("description", "")),
                tuple(a.strip() for a in aliases),
                tuple(anaphors),
                bool(entry.get("country", False)),
            )
        )
    return targets


def load_targets(path: Path | None = None) -> list[Target]:
    """Read the targets file (default: ``labels/targets.yaml``)."""
    path = path or targets_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: targets file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML ({exc})") from None
    return parse_targets(data, str(path))


class MentionDetector:
    """Finds target mentions: case-insensitive, on word boundaries, longest alias first.

    >>> d = MentionDetector([Target("Russia", "", ("Rusia", "Moskow"))])
    >>> [m.text for m in d.find("Moskow membantah; perang Rusia-Ukraina berlanjut")["Russia"]]
    ['Moskow', 'Rusia']
    """

    def __init__(self, targets: list[Target]):
        self.targets = targets

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        patterns = {}
        for target in self.targets:
            aliases = sorted(target.aliases, key=len, reverse=True)
            alternation = "|".join(r"\s+".join(map(re.escape, a.split())) for a in aliases)
            patterns[target.name] = re.compile(f"{_LEFT}({alternation}){_POSSESSIVE}{_RIGHT}", re.IGNORECASE)
        return patterns

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def find(self, text: str) -> dict[str, list[Mention]]:
        """Mentions of every target in ``text``, keyed by target name (empty list if none)."""
        return {
            name: [Mention(name, m.group(1), m.start(1), m.end(1)) for m in pattern.finditer(text)]
            for name, pattern in self._patterns.items()
        }

    def mask(
        self,
        text: str,
        target: str,
        own: str = f" {TARGET_SLOT} ",
        other: str = f" {OTHER_SLOT} ",
        mentions: dict[str, list[Mention]] | None = None,
    ) -> str:
        """Replace mentions of ``target`` with ``own`` and of other targets with ``other``.

        Lets one stance model read any target's sentences: it sees *where* the target is,
        not *which* target it is. ``mentions`` default to :meth:`find`.
        """
        found = mentions if mentions is not None else self.find(text)
        spans = sorted(
            {(m.start, m.end, own if name == target else other) for name, ms in found.items() for m in ms},
            reverse=True,
        )
        for start, end, token in spans:
            text = text[:start] + token + text[end:]
        return text
