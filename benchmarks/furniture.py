"""Furniture detection on a folder of .txt pages against a line annotation file (no text in it).

    python benchmarks/furniture.py PAGES_DIR [--annotations FILE] [--heldout 200]

The annotation file is a TSV with a header ``file  line  label  kind``: ``label`` is
``furniture`` or ``content``, ``line`` counts from 1, ``kind`` names the furniture kind.
Non-blank lines it does not list count as content. Prints, per kind, furniture recall
(lines set aside of that kind) and, per predicted kind, the content lines wrongly given it;
then overall furniture recall and content kept (the share of content lines kept, the
precision bar: a real sentence is never set aside). ``--heldout N`` also scores N held-out
mock-up pages (outlet styles and wording never trained on). Each set is scored by the shipped
detector and by the first, single-stage one (``furniture_v1_detector.json.gz``), with the speed of
the furniture pass of both measured in the same run (best of three), after the CPU's ``lscpu`` flags.
"""

import argparse
import csv
import gzip
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sikap.cpu import cpu_line, lscpu_fields
from sikap.errors import InputError
from sikap.text.furniture.features import clean_line
from sikap.text.furniture.mockups import write_pages
from sikap.text.furniture.model import Detector, classify_lines, load_detector
from sikap.text.furniture.rules import furniture_reason

V1 = Path(__file__).with_name("furniture_v1_detector.json.gz")


def read_annotations(path: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """``(file, line) -> (label, kind)`` from the TSV; a clear error names a bad row."""
    out = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = {"file", "line", "label", "kind"} - set(reader.fieldnames or [])
        if missing:
            raise InputError(f"{path}: header lacks {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, 2):
            if row["label"] not in ("furniture", "content") or not (row["line"] or "").isdigit():
                raise InputError(f"{path}:{number}: expected label furniture/content and a line number")
            out[(row["file"], int(row["line"]))] = (row["label"], row["kind"] or "")
    return out


def rules_only(lines: list[str]) -> list[str | None]:
    """The fixed patterns alone (what segmentation did before the classifier), for comparison."""
    return [furniture_reason(clean_line(line)) if clean_line(line) else None for line in lines]


def evaluate(
    pages_dir: Path,
    annotations: dict[tuple[str, int], tuple[str, str]],
    classify: Callable[[list[str]], list[str | None]] = classify_lines,
) -> dict:
    """Counts per kind: furniture found/total, content lines given each predicted kind, content kept."""
    files = sorted(pages_dir.glob("*.txt"))
    if not files:
        raise InputError(f"{pages_dir}: no .txt pages")
    found, total, wrong = Counter(), Counter(), Counter()
    content = kept = lines_seen = 0
    started = time.perf_counter()
    for file in files:
        lines = file.read_text(encoding="utf-8-sig").split("\n")
        kinds = classify(lines)
        for number, (line, kind) in enumerate(zip(lines, kinds, strict=True), 1):
            if not line.strip():
                continue
            lines_seen += 1
            label, true_kind = annotations.get((file.name, number), ("content", ""))
            if label == "furniture":
                total[true_kind or "other"] += 1
                found[true_kind or "other"] += kind is not None
            else:
                content += 1
                kept += kind is None
                if kind is not None:
                    wrong[kind] += 1
    return {
        "found": found,
        "total": total,
        "wrong": wrong,
        "content": content,
        "kept": kept,
        "lines": lines_seen,
        "pages": len(files),
        "seconds": time.perf_counter() - started,
    }


def report(result: dict, name: str) -> str:
    found, total, wrong = result["found"], result["total"], result["wrong"]
    rows = [
        f"## {name}: {result['pages']} pages, {result['lines']} non-blank lines",
        "",
        "| kind | furniture lines | set aside | recall | content lines given this kind |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in sorted(set(total) | set(wrong)):
        recall = f"{found[kind] / total[kind]:.3f}" if total[kind] else "-"
        rows.append(f"| {kind} | {total[kind]} | {found[kind]} | {recall} | {wrong[kind]} |")
    all_found, all_total = sum(found.values()), sum(total.values())
    rows += [
        "",
        f"furniture recall: {all_found}/{all_total} = {all_found / max(all_total, 1):.4f}",
        f"content kept (precision bar): {result['kept']}/{result['content']} = {result['kept'] / max(result['content'], 1):.4f}",
        f"speed: {result['lines'] / result['seconds']:.0f} lines/s",
    ]
    return "\n".join(rows)


def v1_detector() -> Detector:
    """The first shipped detector (one stage, no neighbourhood), for comparison."""
    return Detector.from_json(gzip.decompress(V1.read_bytes()).decode("utf-8"))


def speed(pages_dir: Path, detector: Detector, rounds: int = 3) -> float:
    """Lines per second of the furniture pass alone over the pages (best of ``rounds``)."""
    pages = [f.read_text(encoding="utf-8-sig").split("\n") for f in sorted(pages_dir.glob("*.txt"))]
    lines = sum(1 for page in pages for line in page if line.strip())
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for page in pages:
            classify_lines(page, detector)
        best = min(best, time.perf_counter() - started)
    return lines / best


def summary(result: dict) -> str:
    found, total = sum(result["found"].values()), sum(result["total"].values())
    return (
        f"furniture recall {found}/{total} = {found / max(total, 1):.4f}, content kept "
        f"{result['kept']}/{result['content']} = {result['kept'] / max(result['content'], 1):.4f}"
    )


def score_set(pages: Path, annotations: dict[tuple[str, int], tuple[str, str]], name: str) -> None:
    """Print the shipped detector's report, the v1 detector and the fixed patterns on the same pages, and speeds."""
    shipped, v1 = load_detector(), v1_detector()
    result = evaluate(pages, annotations)
    old = evaluate(pages, annotations, lambda lines: classify_lines(lines, v1))
    baseline = evaluate(pages, annotations, rules_only)
    print(report(result, name))
    print(f"v1 detector (one stage): {summary(old)}")
    print(f"fixed patterns alone (before the classifier): {summary(baseline)}")
    new_speed, old_speed = speed(pages, shipped), speed(pages, v1)
    print(
        f"furniture pass: {new_speed:.0f} lines/s (v1 detector, same run: {old_speed:.0f} lines/s; "
        f"ratio {new_speed / old_speed:.2f})\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", type=Path)
    parser.add_argument("--annotations", type=Path, help="TSV (default: PAGES_DIR/annotations.tsv)")
    parser.add_argument("--heldout", type=int, default=0, help="also score this many held-out mock-up pages")
    args = parser.parse_args()
    annotations_path = args.annotations or args.pages / "annotations.tsv"
    print(cpu_line())
    print(f"lscpu flags: {lscpu_fields().get('Flags', 'n/a')}")
    try:
        if not annotations_path.is_file():
            raise InputError(f"{annotations_path}: no annotation file")
        score_set(args.pages, read_annotations(annotations_path), args.pages.name or str(args.pages))
        if args.heldout:
            with tempfile.TemporaryDirectory() as tmp:
                tsv = write_pages(Path(tmp), "heldout", args.heldout)
                score_set(Path(tmp), read_annotations(tsv), f"{args.heldout} held-out mock-up pages")
    except InputError as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
