"""What the readers yield: an article to score, or a record that could not be read (with where)."""

from dataclasses import dataclass


@dataclass
class Article:
    id: str
    text: str
    title: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None
    source: str = ""
    line: int = 0
    repeated: frozenset[int] = frozenset()  # body lines that are boilerplate of the outlet (sikap.batch.boilerplate)

    def meta(self) -> dict:
        return {"title": self.title, "date": self.date, "outlet": self.outlet, "url": self.url}


@dataclass
class BadRecord:
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"
