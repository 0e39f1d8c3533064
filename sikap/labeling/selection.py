"""``sikap label select``: stream a scored file and pick the sentences the model is least sure of.

Uncertainty of a sentence is the largest over its fields: sentiment, and the stance of every
target it mentions (over support/oppose/neutral). Only a bounded pool is kept while reading:
the ``n × POOL_FACTOR`` most uncertain sentences per field (for ``random``, as many in total,
by random key), one per normalized text. The pick then goes round-robin over the fields (a
sentence counts for the field that makes it most uncertain), at most ``per_article`` per
article, skipping texts already in ``labels/`` and near-duplicates of labels or of sentences
already picked.
"""

import csv
import heapq
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sikap.batch.formats import read_sentences
from sikap.data.labels import NEAR_DUPLICATE_COSINE, data_files, normalize_text, read_jsonl, tfidf_vectors
from sikap.errors import InputError
from sikap.io import atomic_open, write_atomic
from sikap.labeling import label_studio, sentence_id
from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.text.targets import Target, load_targets

STRATEGIES = ("entropy", "margin", "random")
PER_ARTICLE = 2
POOL_FACTOR = 5
# A little below the import check's threshold: the TF-IDF weights differ between the two corpora.
SELECT_COSINE = NEAR_DUPLICATE_COSINE - 0.05
FILES = ("to_label.csv", "to_label.jsonl", "label_studio_tasks.json", "label_studio_config.xml")


@dataclass
class Candidate:
    text: str
    key: str
    article_id: str
    model: str
    sentiment: str
    stance: dict[str, str]
    uncertainty: float
    confidence: float
    group: str

    @property
    def id(self) -> str:
        return sentence_id(self.text)

    def record(self) -> dict:
        """The record in the labels format, prefilled with the model's labels, plus the extra keys."""
        return {
            "id": self.id,
            "text": self.text,
            "sentiment": self.sentiment,
            "stance": self.stance,
            "article_id": self.article_id,
            "uncertainty": round(self.uncertainty, 4),
        }


@dataclass
class Selection:
    picked: list[Candidate]
    strategy: str
    rows: int = 0
    scored: int = 0
    labeled: int = 0
    pool: int = 0
    near_duplicates: int = 0
    seconds: float = 0.0
    groups: Counter[str] = field(default_factory=Counter)


def _probabilities(scores: dict, classes: tuple[str, ...]) -> list[float]:
    values = [max(float(scores[c]), 0.0) for c in classes]
    total = sum(values)
    return [v / total for v in values] if total > 0 else [1 / len(values)] * len(values)


def entropy(p: list[float]) -> float:
    """Entropy normalized to 0-1 (1 = uniform)."""
    return -sum(x * math.log(x) for x in p if x > 0) / math.log(len(p))


def margin_uncertainty(p: list[float]) -> float:
    """1 − (top1 − top2): 1 when the two best classes tie."""
    top = sorted(p, reverse=True)
    return 1 - (top[0] - top[1])


def field_probabilities(row: dict, target_names: list[str]) -> dict[str, list[float]]:
    """Class probabilities of sentiment and of the stance of every mentioned target."""
    fields = {"sentiment": _probabilities(row["sentiment"]["scores"], SENTIMENTS)}
    for name in target_names:
        stance = row["stance"][name]
        if stance["label"] != "none":
            fields[name] = _probabilities(stance["scores"], MENTIONED_STANCES)
    return fields


def _candidate(row: dict, key: str, target_names: list[str], strategy: str) -> Candidate:
    fields = field_probabilities(row, target_names)
    measure = margin_uncertainty if strategy == "margin" else entropy
    values = {name: measure(p) for name, p in fields.items()}
    group = max(values, key=values.get)
    return Candidate(
        text=row["text"],
        key=key,
        article_id=str(row["article_id"]),
        model=str(row.get("model") or ""),
        sentiment=row["sentiment"]["label"],
        stance={name: row["stance"][name]["label"] for name in target_names},
        uncertainty=values[group],
        confidence=min(max(p) for p in fields.values()),
        group="all" if strategy == "random" else group,
    )


class CandidatePool:
    """The ``size`` highest-priority candidates per group, one per normalized text (bounded memory)."""

    def __init__(self, size: int):
        self.size = size
        self.heaps: dict[str, list[tuple[float, int, Candidate]]] = {}
        self.keys: set[str] = set()
        self._seen = 0

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def offer(self, priority: float, candidate: Candidate) -> None:
        self._seen += 1
        heap = self.heaps.setdefault(candidate.group, [])
        item = (priority, -self._seen, candidate)  # on ties the earlier row wins
        if len(heap) < self.size:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            self.keys.discard(heapq.heappushpop(heap, item)[2].key)
        else:
            return
        self.keys.add(candidate.key)

    def ranked(self, group: str) -> list[Candidate]:
        return [c for *_, c in sorted(self.heaps.get(group, []), key=lambda t: t[:2], reverse=True)]


def labeled_texts() -> set[str]:
    """Normalized texts of every record in ``labels/data/`` (read leniently: selection only avoids them)."""
    texts = set()
    for path in data_files():
        for _, raw, _ in read_jsonl(path):
            if isinstance(raw, dict) and isinstance(raw.get("text"), str):
                texts.add(normalize_text(raw["text"]))
    return texts


def select_sentences(
    scored: Path,
    n: int,
    strategy: str = "entropy",
    seed: int = 0,
    per_article: int = PER_ARTICLE,
    targets: list[Target] | None = None,
    fmt: str | None = None,
) -> Selection:
    """Stream ``scored`` (output of ``sikap score``) and pick ``n`` sentences to label."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use {', '.join(STRATEGIES)}")
    if n < 1 or per_article < 1:
        raise InputError("--n and --per-article must be at least 1")
    started = time.perf_counter()
    names = [t.name for t in targets or load_targets()]
    labeled = labeled_texts()
    rng = random.Random(seed)
    groups = ["all"] if strategy == "random" else [*names, "sentiment"]
    pool = CandidatePool(n * POOL_FACTOR * (len(names) + 1) // len(groups))  # the same total for every strategy
    selection = Selection([], strategy)
    for number, row in enumerate(read_sentences(Path(scored), names, fmt), 1):
        selection.rows += 1
        if row.get("skipped") or not row.get("sentiment"):
            continue
        selection.scored += 1
        try:
            key = normalize_text(row["text"])
            if not key or key in pool:
                continue
            if key in labeled:
                selection.labeled += 1
                continue
            candidate = _candidate(row, key, names, strategy)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"{scored}: sentence row {number} is not a `sikap score` row for targets "
                f"{', '.join(names)} ({type(exc).__name__}: {exc})"
            ) from None
        pool.offer(rng.random() if strategy == "random" else candidate.uncertainty, candidate)
    selection.pool = len(pool)
    _pick(selection, pool, n, per_article, labeled, groups)
    selection.seconds = time.perf_counter() - started
    return selection


def _pick(
    selection: Selection, pool: CandidatePool, n: int, per_article: int, labeled: set[str], groups: list[str]
) -> None:
    """Round-robin over ``groups``, skipping capped articles and near-duplicates."""
    ranked = {g: pool.ranked(g) for g in groups}
    candidates = [c for g in groups for c in ranked[g]]
    if not candidates:
        return
    existing = sorted(labeled)
    try:
        vectors = tfidf_vectors(existing + [c.key for c in candidates])
    except ValueError:  # no word of two or more letters anywhere: nothing can be a near-duplicate
        vectors = None
    columns = vectors.T.tocsr() if vectors is not None else None  # once, not per product
    row_of = {c.key: len(existing) + i for i, c in enumerate(candidates)}
    picked_rows: list[int] = []
    per_article_count: Counter[str] = Counter()

    def admissible(c: Candidate) -> bool:
        if per_article_count[c.article_id] >= per_article:
            return False
        if vectors is None:
            return True
        similarity = (vectors[row_of[c.key]] @ columns).toarray().ravel()
        near = similarity[: len(existing)].max(initial=0.0) >= SELECT_COSINE
        near = near or similarity[picked_rows].max(initial=0.0) >= SELECT_COSINE
        selection.near_duplicates += bool(near)
        return not near

    queues = {g: iter(ranked[g]) for g in groups}
    while len(selection.picked) < n and queues:
        for group in list(queues):
            chosen = next((c for c in queues[group] if admissible(c)), None)
            if chosen is None:
                del queues[group]
                continue
            selection.picked.append(chosen)
            selection.groups[group] += 1
            picked_rows.append(row_of[chosen.key])
            per_article_count[chosen.article_id] += 1
            if len(selection.picked) == n:
                break


def write_selection(selection: Selection, directory: Path, targets: list[Target] | None = None) -> list[Path]:
    """Write the four files for annotators into ``directory``; returns their paths."""
    targets = targets or load_targets()
    names = [t.name for t in targets]
    directory = Path(directory)
    paths = [directory / name for name in FILES]
    records = [c.record() for c in selection.picked]
    with atomic_open(paths[0], newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "article_id", "sentiment", *names, "uncertainty"])
        for r in records:
            writer.writerow(
                [
                    r["id"],
                    r["text"],
                    r["article_id"],
                    r["sentiment"],
                    *(r["stance"][t] for t in names),
                    r["uncertainty"],
                ]
            )
    write_atomic(paths[1], "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    tasks = [label_studio.task(r, c.model, c.confidence, names) for r, c in zip(records, selection.picked, strict=True)]
    write_atomic(paths[2], json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    write_atomic(paths[3], label_studio.config_xml(targets))
    return paths
