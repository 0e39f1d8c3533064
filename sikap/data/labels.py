"""Labeled sentences: reading, validation (``file:line: message``), splits, hashing and statistics."""

import hashlib
import json
import os
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from sikap.io import write_atomic
from sikap.paths import cache_dir, labels_dir
from sikap.schema import SENTIMENTS, STANCES
from sikap.text.targets import Mention, MentionDetector, Target, load_targets

SPLITS = ("train", "dev", "test", "realistic")
EVALUATION_SPLITS = ("dev", "test", "realistic")
REALISTIC = "realistic"
OPTIONAL_FIELDS = {"rules": list, "voice": str, "year": int, "article": str, "date": str}
VOICES = ("wire", "online", "opinion", "muslim-press", "business")
_DATE = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
HARD_CASE_RULES = range(1, 9)
NEAR_DUPLICATE_COSINE = 0.8
# Cross-split leak check: word 1-2-gram TF-IDF cosine at which two sentences count as paraphrases.
# On the starter data nearly every pair at or above 0.40 was a reworded twin (same event, same frame, other
# numbers or synonyms); pairs below it mostly share only the topic. See GUIDELINES.md section 7.
LEAK_COSINE = 0.40
PAIR_CHUNK = 2048  # rows per sparse product in near_duplicate_pairs (bounds its memory)


@dataclass(frozen=True)
class LabeledSentence:
    id: str
    text: str
    sentiment: str
    stance: dict[str, str]
    source: str = ""
    line: int = 0
    rules: tuple[int, ...] = ()
    voice: str | None = None
    year: int | None = None
    article: str | None = None
    date: str | None = None
    held_out: bool = False
    folder_split: str | None = None

    @property
    def split(self) -> str:
        """``realistic`` for the held-out files in ``labels/realistic/``, the folder's split for ``labels/dev/``
        and ``labels/train/``, else train or test by article (or id) hash."""
        if self.held_out:
            return REALISTIC
        return self.folder_split or split_of(self.article or self.id)


@dataclass
class Problem:
    source: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


class ProblemsMixin:
    """``errors`` and ``warnings`` views of a ``problems`` list."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


@dataclass
class LabelSet(ProblemsMixin):
    sentences: list[LabeledSentence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def split(self, name: str) -> list[LabeledSentence]:
        return [s for s in self.sentences if s.split == name]


def split_of(key: str) -> str:
    """Deterministic split of ``labels/data/`` from the hash of an article id (or a sentence id): 90% train,
    10% test. Dev is its own folder (``labels/dev/``: realistic-style articles by a writer of no training
    data), so that models are chosen on text that reads like news."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "train" if bucket < 90 else "test"


def normalize_text(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


# Folders of labels/ whose files form one split whole; labels/data/ is split by article hash.
FOLDER_SPLITS = {"train": "train", "dev": "dev", REALISTIC: REALISTIC}


def data_files(directory: Path | None = None) -> list[Path]:
    """Label files: ``labels/data/*.jsonl``, the train-only starter set ``labels/train/``, the selection split
    ``labels/dev/`` and the held-out ``labels/realistic/`` (or one folder's)."""
    if directory is not None:
        return sorted(directory.glob("*.jsonl"))
    return [path for folder in ("data", *FOLDER_SPLITS) for path in sorted((labels_dir() / folder).glob("*.jsonl"))]


@cache
def _splits_of_file(source: str) -> tuple[bool, str | None]:
    """(held out, folder split) of the file ``source`` names: once per file, not once per record."""
    return is_held_out(Path(source)), folder_split(Path(source))


def is_held_out(path: Path) -> bool:
    """Files in a folder named ``realistic`` form the realistic test split: never trained or tuned on."""
    return Path(path).parent.name == REALISTIC


def folder_split(path: Path) -> str | None:
    """The split of every file in ``labels/train/`` or ``labels/dev/`` (None: by hash)."""
    name = Path(path).parent.name
    return FOLDER_SPLITS[name] if name in FOLDER_SPLITS and name != REALISTIC else None


def parse_record(
    raw: object, targets: list[Target], source: str, line: int
) -> tuple[LabeledSentence | None, list[Problem]]:
    """Validate one decoded JSON record against the labeling standard."""
    problems: list[Problem] = []

    def problem(message: str) -> None:
        problems.append(Problem(source, line, message))

    if not isinstance(raw, dict):
        problem(f"expected a JSON object, found {type(raw).__name__}")
        return None, problems
    known = {"id", "text", "sentiment", "stance", *OPTIONAL_FIELDS}
    for key in sorted(set(raw) - known):
        problem(f"unknown field {key!r} (allowed: {', '.join(sorted(known))})")
    for key in ("id", "text"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problem(f"field {key!r} must be a non-empty string")
    if raw.get("sentiment") not in SENTIMENTS:
        problem(f"unknown sentiment {raw.get('sentiment')!r} (allowed: {', '.join(SENTIMENTS)})")
    stance = raw.get("stance")
    names = [t.name for t in targets]
    if not isinstance(stance, dict):
        problem(f"field 'stance' must be an object with keys {', '.join(names)}")
        stance = {}
    for key in sorted(set(stance) - set(names)):
        problem(f"unknown target {key!r} in 'stance' (targets.yaml has: {', '.join(names)})")
    for name in names:
        if name not in stance:
            problem(f"missing stance for target {name!r}")
        elif stance[name] not in STANCES:
            problem(f"unknown stance {stance[name]!r} for {name} (allowed: {', '.join(STANCES)})")
    for key, kind in OPTIONAL_FIELDS.items():
        if key in raw and not isinstance(raw[key], kind):
            problem(f"field {key!r} must be of type {kind.__name__}")
    rules = raw.get("rules", [])
    if isinstance(rules, list) and any(r not in HARD_CASE_RULES for r in rules):
        problem(f"'rules' holds hard-case rule numbers 1-8, found {rules}")
    if isinstance(raw.get("voice"), str) and raw["voice"] not in VOICES:
        problem(f"unknown voice {raw['voice']!r} (allowed: {', '.join(VOICES)})")
    if isinstance(raw.get("date"), str) and not _DATE.fullmatch(raw["date"]):
        problem(f"field 'date' must be an ISO date YYYY-MM-DD, found {raw['date']!r}")
    if problems:
        return None, problems
    held_out, split = _splits_of_file(source)
    sentence = LabeledSentence(
        id=raw["id"],
        text=raw["text"].strip(),
        sentiment=raw["sentiment"],
        stance={n: stance[n] for n in names},
        source=source,
        line=line,
        rules=tuple(rules),
        voice=raw.get("voice"),
        year=raw.get("year") or (int(raw["date"][:4]) if raw.get("date") else None),
        article=raw.get("article"),
        date=raw.get("date"),
        held_out=held_out,
        folder_split=split,
    )
    return sentence, problems


def read_jsonl(path: Path) -> list[tuple[int, object | None, Problem | None]]:
    """Decode a JSON Lines file: (line number, record or None, problem or None) per non-blank line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return [(0, None, Problem(str(path), 0, f"not UTF-8 text (byte {exc.start}): re-save the file as UTF-8"))]
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line), None))
        except json.JSONDecodeError as exc:
            rows.append((number, None, Problem(str(path), number, f"invalid JSON: {exc.msg} (column {exc.colno})")))
    return rows


_LOADED: "OrderedDict[tuple, LabelSet]" = OrderedDict()  # the last few reads, by file contents and targets
_LOADED_KEEP = 4
CHECKS_CACHE_KEEP = 8  # results of the checks across records kept on disk (cache_dir()/label-checks)


def _files_key(files: list[Path], targets: list[Target]) -> tuple | None:
    """What a read depends on: each file's path and content digest, and the targets (``None``: no files, or
    one that cannot be read, so the read reports it). Hashing the bytes takes milliseconds; the checks, seconds."""
    try:
        digests = [(str(p), hashlib.blake2b(p.read_bytes(), digest_size=16).hexdigest()) for p in files]
    except OSError:
        return None
    return (tuple(digests), tuple(targets)) if digests else None


def load_labels(files: list[Path] | None = None, targets: list[Target] | None = None) -> LabelSet:
    """Read and validate label files (default: ``labels/data/*.jsonl``); problems are collected, not raised.

    The checks across records (near-duplicate leaks above all) take seconds on the full labels, so the last
    few results are kept in this process and reused while no file's content has changed (a fresh ``LabelSet``
    each time), and the checks' results are kept on disk for other processes (:func:`checks_cache_file`)."""
    targets = targets if targets is not None else load_targets()
    files = files if files is not None else data_files()
    key = _files_key(files, targets)
    if key is not None and key in _LOADED:
        _LOADED.move_to_end(key)
        kept = _LOADED[key]
        return LabelSet(list(kept.sentences), [replace(p) for p in kept.problems])
    result = _read_labels(files, targets, key)
    if key is not None:
        _LOADED[key] = LabelSet(list(result.sentences), [replace(p) for p in result.problems])
        while len(_LOADED) > _LOADED_KEEP:
            _LOADED.popitem(last=False)
    return result


def _relocatable(key: tuple) -> tuple[tuple, str]:
    """The checks' disk key and the folder it is relative to: each file's path relative to the folder above the
    files' folders (``labels/`` for ``labels/data/*.jsonl``), so a copied or moved ``labels/`` finds the checks of
    the same files; the folders' names stay in the key, as the splits depend on them."""
    files, targets = key
    root = os.path.commonpath([str(Path(path).parent.parent) for path, _ in files])
    return (tuple((os.path.relpath(path, root), digest) for path, digest in files), targets), root


def checks_cache_file(key: tuple) -> Path:
    """Where the checks across records of the files and targets ``key`` are kept, for this code and scikit-learn:
    a change to any module of ``sikap.data`` or ``sikap.text`` (the checks and the mention detection) names
    another file. Files at other paths with the same names under their folders share it (:func:`_relocatable`)."""
    from importlib.metadata import version  # not ``import sklearn``: a cache hit then imports no scikit-learn

    package = Path(__file__).resolve().parents[1]
    code = b"".join(p.read_bytes() for d in ("data", "text") for p in sorted((package / d).glob("*.py")))
    relative, _ = _relocatable(key)
    name = hashlib.blake2b(
        repr(relative).encode() + code + version("scikit-learn").encode(), digest_size=16
    ).hexdigest()
    return cache_dir() / "label-checks" / f"{name}.json"


ROOT_MARK = "\x00"  # stands for the labels folder (and a separator) in the paths of the problems kept on disk


def _replaced(fields: dict, old: str, new: str) -> dict:
    """A problem's fields with ``old`` replaced by ``new`` in its text (source and message)."""
    return {k: v.replace(old, new) if isinstance(v, str) else v for k, v in fields.items()}


def _checked_across_records(
    sentences: list[LabeledSentence], targets: list[Target], key: tuple | None
) -> list[Problem]:
    """:func:`cross_record_problems`, read from the disk cache when these files were checked before (the checks
    take ~5 s on the full labels; every ``sikap`` command that trains or evaluates reads them). The problems are
    kept with the labels folder's path marked, and read back with this one's."""
    if key is None:
        return cross_record_problems(sentences, targets)
    path = checks_cache_file(key)
    prefix = os.path.join(_relocatable(key)[1], "")
    try:
        return [Problem(**_replaced(p, ROOT_MARK, prefix)) for p in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError, AttributeError):  # not there yet, or unreadable: check again
        pass
    problems = cross_record_problems(sentences, targets)
    marked = [_replaced(vars(p), prefix, ROOT_MARK) for p in problems]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(marked, ensure_ascii=False))
        for old in sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-CHECKS_CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:  # a read-only home: the checks run again next time
        pass
    return problems


def _read_labels(files: list[Path], targets: list[Target], key: tuple | None = None) -> LabelSet:
    result = LabelSet()
    if not files:
        result.problems.append(Problem(str(labels_dir() / "data"), 0, "no *.jsonl label files found"))
    for path in files:
        for number, raw, problem in read_jsonl(path):
            if problem:
                result.problems.append(problem)
                continue
            sentence, problems = parse_record(raw, targets, str(path), number)
            result.problems.extend(problems)
            if sentence:
                result.sentences.append(sentence)
    result.problems.extend(_checked_across_records(result.sentences, targets, key))
    return result


def label_mentions(rows: list[LabeledSentence], detector: MentionDetector) -> list[dict[str, list[Mention]]]:
    """Mentions per row, in order: anaphors resolved through each article (rows keep file order), alias
    matches alone for rows without an ``article``."""
    from sikap.text.context_mentions import ContextMentionDetector

    context = ContextMentionDetector(detector.targets, detector)
    found: list[dict[str, list[Mention]] | None] = [None] * len(rows)
    for indices in _article_rows(rows).values():
        for i, mentions in zip(indices, context.find_in_article([rows[i].text for i in indices]), strict=True):
            found[i] = mentions
    return [m if m is not None else detector.find(rows[i].text) for i, m in enumerate(found)]


def label_contexts(rows: list[LabeledSentence], mode: str) -> list[str] | None:
    """The article context of each row for a model reading ``mode`` (see :mod:`sikap.text.sentence_context`),
    in order, or ``None`` for a model that reads sentences alone; rows without an ``article`` have none."""
    from sikap.text.sentence_context import article_contexts

    if mode == "none":
        return None
    contexts = [""] * len(rows)
    for indices in _article_rows(rows).values():
        for i, context in zip(indices, article_contexts([rows[i].text for i in indices]), strict=True):
            contexts[i] = context
    return contexts


def _article_rows(rows: list[LabeledSentence]) -> dict[tuple[str, str], list[int]]:
    """Row indices per (file, article), in file order."""
    articles: dict[tuple[str, str], list[int]] = {}
    for i, s in enumerate(rows):
        if s.article:
            articles.setdefault((s.source, s.article), []).append(i)
    return articles


def cross_record_problems(sentences: list[LabeledSentence], targets: list[Target]) -> list[Problem]:
    """Duplicate ids and texts, split leakage of near-duplicates, and labels that disagree with mentions."""
    problems = []
    seen_ids: dict[str, LabeledSentence] = {}
    seen_texts: dict[str, LabeledSentence] = {}
    detector = MentionDetector(targets)
    for s in sentences:
        if s.id in seen_ids:
            first = seen_ids[s.id]
            problems.append(Problem(s.source, s.line, f"duplicate id {s.id!r} (first at {first.source}:{first.line})"))
        seen_ids.setdefault(s.id, s)
        key = normalize_text(s.text)
        if key in seen_texts:
            first = seen_texts[key]
            problems.append(Problem(s.source, s.line, f"duplicate text of {first.id!r} ({first.source}:{first.line})"))
        seen_texts.setdefault(key, s)
    for s, in_context in zip(sentences, label_mentions(sentences, detector), strict=True):
        aliases = detector.find(s.text)
        for name, label in s.stance.items():
            if label == "none" and aliases[name]:
                problems.append(
                    Problem(
                        s.source,
                        s.line,
                        f"{name} is 'none' but the text mentions {aliases[name][0].text!r}; label its stance or reword",
                    )
                )
            elif label == "none" and in_context[name]:
                problems.append(
                    Problem(
                        s.source,
                        s.line,
                        f"{name} is 'none' but {in_context[name][0].text!r} refers back to {name} named earlier "
                        "in the article (targets.yaml anaphors): label its stance if it means the target",
                        warning=True,
                    )
                )
            elif label != "none" and not in_context[name]:
                problems.append(
                    Problem(
                        s.source,
                        s.line,
                        f"{name} is {label!r} but no alias of {name} from targets.yaml occurs in the text "
                        "and no anaphor refers back to it: mention detection will miss it "
                        "(add the alias or anaphor, or label 'none')",
                        warning=True,
                    )
                )
    problems.extend(near_duplicate_leaks(sentences, LEAK_COSINE))
    return problems


def tfidf_vectors(texts: list[str]):
    """Word 1-2-gram TF-IDF rows (L2-normalized, sparse) of the normalized texts: row products are cosines."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit_transform([normalize_text(t) for t in texts])


def near_duplicate_pairs(
    texts: list[str], threshold: float = NEAR_DUPLICATE_COSINE, groups: list[str] | None = None
) -> list[tuple[int, int, float]]:
    """Index pairs ``i < j``, in order, whose TF-IDF cosine (:func:`tfidf_vectors`) reaches ``threshold``.

    With ``groups`` (a name per text) only texts of different groups are compared: the vectors are still fitted
    on all texts, so a pair's cosine is the same, but a large group is not compared with itself. Rows are
    multiplied a chunk at a time, so memory stays bounded.
    """
    import numpy as np

    if len(texts) < 2:
        return []
    try:
        matrix = tfidf_vectors(texts)
    except ValueError:  # no word of two or more characters anywhere: nothing can be a near-duplicate
        return []
    found = []

    def compare(rows, columns, columns_t) -> None:
        similarity = (matrix[rows] @ columns_t).tocoo()
        near = similarity.data >= threshold
        i, j, value = rows[similarity.row[near]], columns[similarity.col[near]], similarity.data[near]
        if groups is None:  # rows of the chunk meet each other twice (and themselves)
            i, j, value = i[i < j], j[i < j], value[i < j]
        found.append((np.minimum(i, j), np.maximum(i, j), value))

    if groups is None:  # each chunk of rows against itself and the rows after it
        everything = np.arange(len(texts))
        for start in range(0, len(texts), PAIR_CHUNK):
            compare(everything[start : start + PAIR_CHUNK], everything[start:], matrix[start:].T)
    else:  # each group against the groups after it
        codes = np.unique(np.asarray(groups), return_inverse=True)[1]
        for code in range(int(codes.max())):
            members, others = np.flatnonzero(codes == code), np.flatnonzero(codes > code)
            others_t = matrix[others].T.tocsr()
            for start in range(0, len(members), PAIR_CHUNK):
                compare(members[start : start + PAIR_CHUNK], others, others_t)
    if not found:
        return []
    i, j, value = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort((j, i))
    return list(zip(i[order].tolist(), j[order].tolist(), value[order].tolist(), strict=True))


def near_duplicate_leaks(sentences: list[LabeledSentence], threshold: float = NEAR_DUPLICATE_COSINE) -> list[Problem]:
    """Pairs in different splits whose word 1-2-gram TF-IDF cosine reaches ``threshold``."""
    problems = []
    texts, splits = [s.text for s in sentences], [s.split for s in sentences]
    for i, j, value in near_duplicate_pairs(texts, threshold, groups=splits):
        a, b = sentences[i], sentences[j]
        if normalize_text(a.text) != normalize_text(b.text):
            problems.append(
                Problem(
                    b.source,
                    b.line,
                    f"near-duplicate (cosine {value:.2f}) of {a.id!r} "
                    f"({a.source}:{a.line}) in split {a.split!r}: leaks across splits; reword one",
                )
            )
    return problems


def labels_hash(files: list[Path] | None = None) -> str:
    """Short SHA-256 over the label files and targets.yaml, naming the data a model was trained on."""
    digest = hashlib.sha256()
    for path in [*(files if files is not None else data_files()), labels_dir() / "targets.yaml"]:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def realism_rows(sentences: list[LabeledSentence]) -> dict[str, dict[str, str]]:
    """:func:`sikap.data.realism.realism_stats` per split (and ``all``), formatted; empty splits are left out."""
    from sikap.data.realism import Sample, format_stat, realism_stats

    table = {}
    for split in ("all", *SPLITS):
        rows = [Sample(s.text, s.stance, s.voice) for s in sentences if split == "all" or s.split == split]
        if rows:
            table[split] = {key: format_stat(key, value) for key, value in realism_stats(rows).items()}
    return table


def stats_rows(sentences: list[LabeledSentence], target_names: list[str]) -> dict[str, dict[str, int]]:
    """Counts per split (and ``all``) of every class, the coverage measures and hard-case rules, in a fixed order."""
    keys = [
        "sentences",
        *(f"sentiment {c}" for c in SENTIMENTS),
        *(f"{name} {c}" for name in target_names for c in STANCES),
        "no target",
        "2+ targets, different stances",
        *(f"hard-case rule {r}" for r in HARD_CASE_RULES),
        *(f"voice {v}" for v in VOICES),
    ]
    table: dict[str, dict[str, int]] = {}
    for split in ("all", *SPLITS):
        rows = [s for s in sentences if split == "all" or s.split == split]
        counts: Counter[str] = Counter({"sentences": len(rows)})
        for s in rows:
            counts[f"sentiment {s.sentiment}"] += 1
            for name in target_names:
                counts[f"{name} {s.stance[name]}"] += 1
            referenced = [v for v in s.stance.values() if v != "none"]
            counts["no target"] += not referenced
            counts["2+ targets, different stances"] += len(set(referenced)) >= 2
            for rule in s.rules:
                counts[f"hard-case rule {rule}"] += 1
            if s.voice:
                counts[f"voice {s.voice}"] += 1
        table[split] = {key: counts[key] for key in keys}
    return table
