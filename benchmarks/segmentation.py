"""Segmentation cost per character, from 10k to 1M characters: it must stay flat (linear time).

Articles are built from the shipped label sentences (Indonesian news, with abbreviations,
numbers and quotes) in two shapes: news paragraphs of 5 sentences with a dateline and page
furniture every few paragraphs, and the worst case, the whole text as one paragraph (no line
breaks, as scraped text often is). Each size is segmented with
``sikap.text.articles.article_segments`` (what ``/analyze`` runs), the best of ``--repeat`` times.

    python benchmarks/segmentation.py [--sizes 10000,50000,200000,1000000] [--repeat 3]
"""

import argparse
import random
import time

from sikap.cpu import cpu_line
from sikap.data.labels import load_labels
from sikap.text.articles import article_segments

FURNITURE = ["BACA JUGA: Harga gandum dunia naik lagi", "Foto: ANTARA/Dok", "Editor: Andi", "(rtr/ant)"]


def build_article(chars: int, one_paragraph: bool = False, seed: int = 0) -> str:
    """An article body of exactly ``chars`` characters made of real label sentences."""
    rng = random.Random(seed)
    sentences = [s.text.strip() for s in load_labels().sentences if s.text.strip()]
    parts, size, paragraph = ["JAKARTA (ANTARA) - "], 19, 0
    while size < chars:
        line = " ".join(rng.choice(sentences) for _ in range(5))
        paragraph += 1
        if paragraph % 4 == 0 and not one_paragraph:
            line += "\n" + rng.choice(FURNITURE)
        parts.append(line + (" " if one_paragraph else "\n"))
        size += len(line) + 1
    return "".join(parts)[:chars]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,200000,1000000", help="Comma-separated article sizes (chars).")
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs per size; the best is reported.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(cpu_line())
    for shape, one_paragraph in (("news paragraphs", False), ("one paragraph", True)):
        print(f"\n{shape}\n{'chars':>10} {'segments':>9} {'seconds':>9} {'µs/char':>8}")
        per_char = {}
        for size in sizes:
            text = build_article(size, one_paragraph)
            best, segments = float("inf"), []
            for _ in range(args.repeat):
                start = time.perf_counter()
                segments = article_segments("Judul Berita tentang NATO dan Rusia", text)
                best = min(best, time.perf_counter() - start)
            per_char[size] = best / size
            print(f"{size:>10,} {len(segments):>9,} {best:>9.3f} {best / size * 1e6:>8.3f}", flush=True)
        if len(per_char) > 1:
            ratio = per_char[sizes[-1]] / per_char[sizes[0]]
            print(f"time/char at {sizes[-1]:,} ÷ at {sizes[0]:,}: {ratio:.2f} (1.0 = linear)")
        if 200_000 in per_char:
            print(f"200,000-character article: {per_char[200_000] * 200_000:.3f} s")


if __name__ == "__main__":
    main()
