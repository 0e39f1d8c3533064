"""Batch-scoring throughput and peak memory: articles/s and sentences/s of `sikap score`.

Generates a corpus (benchmarks/make_corpus.py), then scores it in a fresh process per
backend and reads that process's peak RSS. Backends: the embedded default, and an
IndoBERT-base-shaped transformer with random weights (stored via a 1-step training run).

    python benchmarks/batch_scoring.py --articles 5000 [--backends default,base] [--engine local|ray]
                                       [--shape indobert-base-p1|tiny]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_measured(command: list[str], env: dict) -> tuple[str, float]:
    """Run ``command`` under GNU-time-like accounting; returns stderr and peak RSS (MiB) of the child."""
    script = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(r.returncode)"
    )
    done = subprocess.run([sys.executable, "-c", script, *command], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    peak = int(re.search(r"PEAK_RSS_KB (\d+)", done.stderr).group(1)) / 1024
    return done.stderr, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--backends", default="default,base")
    parser.add_argument("--engine", default="local", choices=["local", "ray"])
    parser.add_argument(
        "--shape", default="indobert-base-p1", choices=["indobert-base-p1", "tiny"], help="of the base backend"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sikap-batch-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "SIKAP_HOME": str(tmp / "home")}
        corpus = tmp / "corpus.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "benchmarks" / "make_corpus.py"),
                "--articles",
                str(args.articles),
                "--output",
                str(corpus),
            ],
            check=True,
            env=env,
        )
        cli = [sys.executable, "-m", "sikap.cli"]
        tags = {}
        if "default" in args.backends:
            tags["embedded default"] = subprocess.run(
                [*cli, "train", "--baseline"], env=env, check=True, capture_output=True, text=True
            ).stdout.strip()
        if "base" in args.backends:
            sys.path.insert(0, str(REPO))
            from sikap.data.labels import load_labels
            from sikap.models.transformer.random_model import build_random_bert

            base = build_random_bert(
                tmp / "base", [s.text for s in load_labels().sentences], args.shape, vocab_size=30000
            )
            name = "IndoBERT-base-shaped (torch)" if args.shape == "indobert-base-p1" else f"{args.shape} BERT (torch)"
            tags[name] = subprocess.run(
                [*cli, "train", "--base-model", str(base), "--epochs", "1", "--limit", "16", "--device", "cpu"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        rows = []
        for name, tag in tags.items():
            out = tmp / f"{re.sub(r'[^a-z]', '', name)}.jsonl"
            stderr, peak = run_measured(
                [*cli, "score", str(corpus), "-o", str(out), "--model", tag, "--engine", args.engine], env
            )
            match = re.search(r"scored (\d+) article\(s\), (\d+) sentence\(s\) in ([\d.]+) s", stderr)
            articles, sentences, seconds = int(match.group(1)), int(match.group(2)), float(match.group(3))
            rows.append(
                {
                    "backend": name,
                    "engine": args.engine,
                    "articles": articles,
                    "sentences": sentences,
                    "seconds": seconds,
                    "articles_per_s": round(articles / seconds, 1),
                    "sentences_per_s": round(sentences / seconds, 1),
                    "peak_rss_mib": round(peak),
                }
            )
        print("| backend | engine | articles | sentences | seconds | articles/s | sentences/s | peak RSS MiB |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['backend']} | {r['engine']} | {r['articles']} | {r['sentences']} | {r['seconds']} | "
                f"{r['articles_per_s']} | {r['sentences_per_s']} | {r['peak_rss_mib']} |"
            )
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
