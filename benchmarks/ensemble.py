"""Throughput, peak memory and disk size of an ensemble and of its two members, in one run.

Each model is loaded and timed in a fresh process (clean peak RSS) on the same sentences:
labels/ sentences, shuffled and repeated to ``--sentences``, classified in chunks of
``--chunk`` as batch scoring does. Disk size counts a model's directory in the store; the
ensemble's row adds its members'. Prints the CPU model and flags (lscpu) with the table.

    python benchmarks/ensemble.py [--ensemble TAG] [--sentences 2000] [--chunk 256]
"""

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def sentences(n: int, seed: int = 0) -> list[str]:
    from sikap.data.labels import load_labels

    texts = [s.text for s in load_labels().sentences]
    random.Random(seed).shuffle(texts)
    return (texts * (n // len(texts) + 1))[:n]


def worker(tag: str, n: int, chunk: int) -> dict:
    """Load ``tag``, warm up, classify ``n`` sentences; sentences/s and peak RSS of this process."""
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model

    started = time.perf_counter()
    predictor = load_stored(get_model(tag))
    load_seconds = time.perf_counter() - started
    texts = sentences(n)
    predictor.predict(texts[:64])
    started = time.perf_counter()
    for i in range(0, len(texts), chunk):
        predictor.predict(texts[i : i + chunk])
    seconds = time.perf_counter() - started
    return {
        "sentences_per_second": round(n / seconds, 1),
        "load_seconds": round(load_seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def disk_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ensemble", help="Ensemble tag (default: the newest in the store).")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=256)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.sentences, args.chunk)))
        return

    from sikap.cpu import lscpu_summary
    from sikap.models.store import get_model, newest

    ensemble = get_model(args.ensemble) if args.ensemble else newest(("ensemble",))
    if ensemble is None:
        sys.exit("no ensemble in the store: run `make model` or `sikap ensemble build` first")
    members = ensemble.metadata["members"]
    rows = [("default", members["default"]), ("transformer", members["transformer"]), ("ensemble", ensemble.tag)]
    print(lscpu_summary())
    print(f"\n{args.sentences} sentences from labels/, chunks of {args.chunk}; each model in a fresh process\n")
    print("| model | tag | sentences/s | peak RSS MiB | disk MiB | load s |")
    print("|---|---|---|---|---|---|")
    for name, tag in rows:
        command = [sys.executable, __file__, "--worker", tag, "--sentences", str(args.sentences)]
        command += ["--chunk", str(args.chunk)]
        out = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        if out.returncode:
            sys.exit(f"{tag} failed:\n{out.stderr[-2000:]}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        size = disk_mib(get_model(tag).path)
        if name == "ensemble":
            size += sum(disk_mib(get_model(t).path) for t in members.values())
        print(
            f"| {name} | `{tag}` | {result['sentences_per_second']} | {result['peak_rss_mib']} | "
            f"{size:.0f} | {result['load_seconds']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
