"""Generate a realistic synthetic news corpus for batch-scoring tests and benchmarks.

Articles are assembled from the project's labeled sentences with datelines, page
furniture (bylines, dates, "BACA JUGA" links, photo credits, share lines), outlets and
dates, so scoring exercises segmentation and furniture handling like real scraped news.

    python benchmarks/make_corpus.py --articles 5000 --output corpus.jsonl   # or .csv, .parquet, or a folder
"""

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

OUTLETS = [
    "Harian Nusantara",
    "Kabar Ummat",
    "Warta Ekonomi Kita",
    "Suara Khatulistiwa",
    "Berita Antarbangsa",
    "Tribun Samudra",
    "Republika Pagi",
    "Pasar & Modal",
]
CITIES = ["JAKARTA", "BANDUNG", "SURABAYA", "MOSKOW", "KYIV", "BRUSSEL", "ANKARA", "NEW DELHI", "BEIJING"]
FURNITURE = [
    "Penulis: Redaksi",
    "Editor: {name}",
    "BACA JUGA: {headline}",
    "Foto: ANTARA/{name}",
    "Bagikan artikel ini",
    "ADVERTISEMENT",
    "loading...",
    "Copyright © {year} {outlet}",
]
NAMES = ["Rina Wulandari", "Agus Salim", "Dewi Lestari", "Budi Santoso", "Fajar Nugroho", "Sari Hartono"]


def load_sentences(labels: Path) -> list[str]:
    texts = []
    for path in sorted((labels / "data").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def make_article(i: int, rng: random.Random, sentences: list[str]) -> dict:
    outlet = rng.choice(OUTLETS)
    day = date(2014, 1, 1) + timedelta(days=rng.randrange(365 * 12))
    body = rng.sample(sentences, rng.randint(6, 24))
    # 1-3 sentences a paragraph; a sentence without final punctuation is a subheading on its own line
    paragraphs: list[str] = []
    current: list[str] = []
    for sentence in body:
        if not sentence.rstrip('"”’').endswith((".", "!", "?")):
            paragraphs += [" ".join(current)] if current else []
            paragraphs.append(sentence)
            current = []
            continue
        current.append(sentence)
        if len(current) >= rng.randint(1, 3):
            paragraphs.append(" ".join(current))
            current = []
    paragraphs += [" ".join(current)] if current else []
    paragraphs[0] = f"{rng.choice(CITIES)} ({outlet.split()[0].upper()}) - {paragraphs[0]}"
    for _ in range(rng.randint(1, 4)):
        line = rng.choice(FURNITURE).format(
            name=rng.choice(NAMES), headline=rng.choice(sentences).rstrip("."), year=day.year, outlet=outlet
        )
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), line)
    title = rng.choice(sentences).rstrip(".")
    return {
        "id": f"art-{i:07d}",
        "title": title,
        "text": "\n".join(paragraphs),
        "date": day.isoformat(),
        "outlet": outlet,
        "url": f"https://contoh.invalid/{outlet.split()[0].lower()}/{i}",
    }


def write(articles: list[dict], output: Path) -> None:
    if output.suffix == ".jsonl":
        output.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    elif output.suffix == ".csv":
        with output.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(articles[0]))
            writer.writeheader()
            writer.writerows(articles)
    elif output.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(articles), output)
    else:
        output.mkdir(parents=True, exist_ok=True)
        for a in articles:
            (output / f"{a['id']}.txt").write_text(f"{a['title']}\n{a['text']}\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--output", type=Path, required=True, help=".jsonl, .csv, .parquet, or a folder for .txt")
    parser.add_argument("--labels", type=Path, default=Path(__file__).resolve().parents[1] / "labels")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sentences = load_sentences(args.labels)
    write([make_article(i, rng, sentences) for i in range(args.articles)], args.output)
    print(f"wrote {args.articles} articles to {args.output}")


if __name__ == "__main__":
    main()
