"""Furniture detection on a folder of .txt pages against a line annotation file (no text in it).

    python benchmarks/furniture.py PAGES_DIR [--annotations FILE]

The annotation file is a TSV with a header ``file  line  label  kind``: ``label`` is
``furniture`` or ``content``, ``line`` counts from 1, ``kind`` names the furniture kind.
Non-blank lines it does not list count as content. Prints, per kind, furniture recall
(lines set aside of that kind) and, per predicted kind, the content lines wrongly given it;
then overall furniture recall and content kept (the share of content lines kept, the
precision bar: a real sentence is never set aside).
"""

import argparse
import csv
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sikap.errors import InputError
from sikap.text.furniture.features import clean_line
from sikap.text.furniture.model import classify_lines
from sikap.text.furniture.rules import furniture_reason


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


def cpu_line() -> str:
    """CPU model and the SIMD flags that matter, from /proc/cpuinfo (as ``lscpu`` shows them)."""
    info = Path("/proc/cpuinfo")
    text = info.read_text() if info.exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", text)
    flags = set((re.search(r"flags\s*:\s*(.+)", text) or re.match("", "")).group(0).split())
    simd = " ".join(f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni") if f in flags)
    return f"CPU: {model.group(1).strip() if model else platform.processor()} (flags: {simd or 'n/a'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", type=Path)
    parser.add_argument("--annotations", type=Path, help="TSV (default: PAGES_DIR/annotations.tsv)")
    args = parser.parse_args()
    annotations_path = args.annotations or args.pages / "annotations.tsv"
    try:
        if not annotations_path.is_file():
            raise InputError(f"{annotations_path}: no annotation file")
        annotations = read_annotations(annotations_path)
        result = evaluate(args.pages, annotations)
        baseline = evaluate(args.pages, annotations, rules_only)
    except InputError as exc:
        sys.exit(f"error: {exc}")
    print(cpu_line())
    print(report(result, args.pages.name or str(args.pages)))
    found, total = sum(baseline["found"].values()), sum(baseline["total"].values())
    print(
        f"fixed patterns alone (before the classifier): furniture recall {found}/{total} = "
        f"{found / max(total, 1):.4f}, content kept {baseline['kept']}/{baseline['content']} = "
        f"{baseline['kept'] / max(baseline['content'], 1):.4f}"
    )


if __name__ == "__main__":
    main()
