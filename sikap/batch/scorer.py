"""The streaming batch scorer: articles in, sentence rows and article summaries out, resumable.

Rows go to JSON Lines spool files (``<output>.partial.jsonl``) and a journal records, after
each article, the article id and the spool sizes. ``--resume`` truncates the spools to the
last journal entry (dropping a half-written article) and skips the ids already done; so
after Ctrl-C or ``kill -9`` no row is lost or duplicated. When every input is read the
spools become the outputs (converted to CSV or Parquet if asked), replacing any earlier
output only then.
"""

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from tqdm.auto import tqdm

from sikap.batch.articles import Article, BadRecord
from sikap.batch.boilerplate import RepeatedLines, corpus_key, count_corpus
from sikap.batch.formats import (
    flatten_sentence,
    flatten_summary,
    format_of,
    sentence_schema,
    summary_schema,
    write_flat,
)
from sikap.batch.readers import count_articles, iter_articles
from sikap.errors import InputError
from sikap.models.predictor import Predictor
from sikap.text.articles import (
    article_mentions,
    article_segments,
    article_sentence_contexts,
    assemble,
    sentences_to_classify,
)
from sikap.text.context_mentions import ContextMentionDetector

EVIDENCE = 3
WINDOW_SENTENCES = int(os.environ.get("SIKAP_SCORE_WINDOW", 2048))


@dataclass
class ScoreStats:
    articles: int = 0
    sentences: int = 0
    skipped_segments: int = 0
    skip_reasons: Counter = field(default_factory=Counter)
    resumed: int = 0
    bad: list[BadRecord] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds else 0.0

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class OutputPaths:
    sentences: Path
    summary: Path
    fmt: str

    @classmethod
    def for_output(cls, output: Path, summary: Path | None = None, fmt: str | None = None) -> "OutputPaths":
        fmt = format_of(output, fmt)
        summary = summary or output.with_name(f"{output.name.split('.')[0]}.articles{output.suffix or '.' + fmt}")
        return cls(output, summary, fmt)

    @property
    def sentence_spool(self) -> Path:
        return self.sentences.with_name(self.sentences.name + ".partial.jsonl")

    @property
    def summary_spool(self) -> Path:
        return self.summary.with_name(self.summary.name + ".partial.jsonl")

    @property
    def journal(self) -> Path:
        return self.sentences.with_name(self.sentences.name + ".journal")


def with_evidence(summary: dict, sentences: list[dict], targets: list[str]) -> dict:
    """Add, per target, the top support and oppose sentences by probability."""
    for name in targets:
        evidence = {}
        for label in ("support", "oppose"):
            ranked = sorted(
                (s for s in sentences if not s["skipped"] and s["stance"][name]["label"] == label),
                key=lambda s: s["stance"][name]["scores"][label],
                reverse=True,
            )
            evidence[label] = [
                {"index": s["index"], "text": s["text"], "score": s["stance"][name]["scores"][label]}
                for s in ranked[:EVIDENCE]
            ]
        summary["targets"][name]["evidence"] = evidence
    return summary


def score_articles(articles: list[Article], predictor: Predictor) -> list[tuple[list[dict], dict]]:
    """Sentence rows and the summary of each article, with one prediction call for all their sentences;
    mentions are resolved in article context ("aliansi itu" after NATO was named), and models that read
    context get each sentence's headline and previous sentence."""
    items = [{"id": a.id, "title": a.title, "text": a.text} for a in articles]
    segmented = [article_segments(a.title, a.text, a.repeated) for a in articles]
    texts = sentences_to_classify(segmented)
    resolver = ContextMentionDetector(predictor.targets, predictor.detector)
    mentions, contexts = article_mentions(segmented, resolver), article_sentence_contexts(segmented)
    predictions = predictor.predict(texts, mentions=mentions, contexts=contexts) if texts else []
    targets, model = predictor.target_names, predictor.tag
    results = assemble(items, segmented, predictions, targets)
    out = []
    for article, result in zip(articles, results, strict=True):
        rows = [{"article_id": article.id, **s} for s in result["sentences"]]
        summary = {"article_id": article.id, **article.meta(), **result["summary"], "model": model}
        out.append((rows, with_evidence(summary, result["sentences"], targets)))
    return out


def _windows(items: Iterable[Article | BadRecord], limit: int) -> Iterator[tuple[list[Article], list[BadRecord]]]:
    """Group articles into windows of about ``limit`` characters' worth of sentences (bounded memory)."""
    window: list[Article] = []
    bad: list[BadRecord] = []
    size = 0
    for item in items:
        if isinstance(item, BadRecord):
            bad.append(item)
            continue
        window.append(item)
        size += len(item.text) // 120 + 1  # ~ sentences
        if size >= limit:
            yield window, bad
            window, bad, size = [], [], 0
    if window or bad:
        yield window, bad


class Journal:
    """Append-only record of finished articles with the spool sizes after each."""

    def __init__(self, paths: OutputPaths, resume: bool, console: Console):
        self.paths = paths
        self.done: set[str] = set()
        if resume and paths.journal.exists():
            offsets = (0, 0)
            for line in paths.journal.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    break  # a torn last line: that article is redone
                self.done.add(entry["id"])
                offsets = (entry["sentences"], entry["summary"])
            for spool, size in zip((paths.sentence_spool, paths.summary_spool), offsets, strict=True):
                if (spool.stat().st_size if spool.exists() else 0) < size:
                    raise InputError(
                        f"{spool} is shorter than its journal {paths.journal} says; "
                        "it cannot be resumed, run again without --resume"
                    )
                with spool.open("ab") as handle:
                    handle.truncate(size)
            console.log(f"resuming: {len(self.done)} article(s) already scored")
        else:
            if paths.journal.exists() and not resume:
                console.log(
                    "[yellow]an interrupted run's partial output exists; starting over (use --resume to continue it)[/]"
                )
            for spool in (paths.sentence_spool, paths.summary_spool, paths.journal):
                spool.unlink(missing_ok=True)
        paths.sentences.parent.mkdir(parents=True, exist_ok=True)
        self.sentences = paths.sentence_spool.open("ab")
        self.summary = paths.summary_spool.open("ab")
        self.journal = paths.journal.open("ab")

    def write(self, article_id: str, rows: list[dict], summary: dict) -> None:
        self.sentences.write(b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows))
        self.summary.write(json.dumps(summary, ensure_ascii=False).encode() + b"\n")
        self.sentences.flush()
        self.summary.flush()
        entry = {"id": article_id, "sentences": self.sentences.tell(), "summary": self.summary.tell()}
        self.journal.write(json.dumps(entry).encode() + b"\n")
        self.journal.flush()

    def close(self) -> None:
        for handle in (self.sentences, self.summary, self.journal):
            handle.close()


def finalize(paths: OutputPaths, targets: list[str]) -> None:
    """Turn the spools into the outputs (atomically) and remove the journal."""
    from sikap.batch.formats import read_records

    if paths.fmt == "jsonl":
        os.replace(paths.sentence_spool, paths.sentences)
        os.replace(paths.summary_spool, paths.summary)
    else:
        write_flat(
            (flatten_sentence(r, targets) for r in read_records(paths.sentence_spool, "jsonl")),
            paths.sentences,
            paths.fmt,
            sentence_schema(targets),
        )
        write_flat(
            (flatten_summary(r, targets) for r in read_records(paths.summary_spool, "jsonl")),
            paths.summary,
            paths.fmt,
            summary_schema(targets),
        )
        paths.sentence_spool.unlink()
        paths.summary_spool.unlink()
    paths.journal.unlink(missing_ok=True)


ScoreWindow = Callable[[list[Article]], Iterable[tuple[list[dict], dict]]]


def first_pass(inputs: list[str], console: Console, progress: bool) -> RepeatedLines | None:
    """Count repeated lines over all inputs (a second read), or ``None`` when reading from stdin."""
    if "-" in inputs:
        console.log("[yellow]stdin is read once: lines repeated across articles are not set aside[/]")
        return None
    articles = tqdm(iter_articles(inputs), desc="counting repeated lines", unit=" articles", disable=not progress)
    return count_corpus(articles)


def run_scoring(
    inputs: list[str],
    paths: OutputPaths,
    targets: list[str],
    process: ScoreWindow,
    resume: bool,
    strict: bool,
    console: Console,
    window: int,
    progress: bool,
    repeated: bool = True,
) -> ScoreStats:
    """The driver shared by every engine: read, skip done and bad records, ``process`` each window, journal, finalize.

    ``process(articles)`` yields ``(sentence rows, summary)`` per article, in order. With ``repeated``,
    a first pass counts lines across articles (not possible on stdin) and each article carries
    the indices of its boilerplate lines.
    """
    stats = ScoreStats()
    sketch = first_pass(inputs, console, progress) if repeated else None
    journal = Journal(paths, resume, console)
    started = time.perf_counter()
    bar = tqdm(total=count_articles(inputs), unit=" articles", disable=not progress, dynamic_ncols=True)
    try:
        for articles, bad in _windows(iter_articles(inputs), window):
            for record in bad:
                if strict:
                    raise InputError(f"{record} (--strict)")
                stats.bad.append(record)
                bar.write(f"skipped {record}")
            todo = [a for a in articles if a.id not in journal.done]
            if sketch is not None:
                for a in todo:
                    a.repeated = sketch.repeated(corpus_key(a.outlet, a.url, a.source), a.text)
            stats.resumed += len(articles) - len(todo)
            bar.update(len(bad) + len(articles) - len(todo))
            for rows, summary in process(todo) if todo else ():
                journal.write(summary["article_id"], rows, summary)
                stats.articles += 1
                stats.sentences += summary["sentences"]
                stats.skipped_segments += summary["skipped"]
                stats.skip_reasons.update(summary.get("skipped_reasons") or {})
                bar.update(1)
            elapsed = time.perf_counter() - started
            bar.set_postfix(sent_per_s=f"{stats.sentences / elapsed:.0f}", art_per_s=f"{stats.articles / elapsed:.1f}")
    finally:
        bar.close()
        journal.close()
    stats.seconds = time.perf_counter() - started
    finalize(paths, targets)
    return stats


def score(
    inputs: list[str],
    paths: OutputPaths,
    predictor: Predictor,
    resume: bool = False,
    strict: bool = False,
    console: Console | None = None,
    window: int = WINDOW_SENTENCES,
    progress: bool = True,
    repeated: bool = True,
) -> ScoreStats:
    """Score every article of ``inputs`` into ``paths`` with the local engine."""
    targets = predictor.target_names

    def process(articles: list[Article]) -> list[tuple[list[dict], dict]]:
        return score_articles(articles, predictor)

    return run_scoring(
        inputs, paths, targets, process, resume, strict, console or Console(stderr=True), window, progress, repeated
    )
