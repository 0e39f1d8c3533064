"""Model passes on one thread vs. on a pool of threads, as the service's Classifier runs them.

Torch runs a forward pass on an OpenMP thread team owned by the thread that enters it. Before the service ran
every pass on one thread (``sikap.service.inference_thread``), BentoML called the model from its pool of API
threads, and each grew a team. Each scenario runs in a fresh process on the same sentences (random order,
batches of ``--batch``, as served batches are) and prints ms a sentence, cores used (CPU ÷ wall) and the ratio to
the one-thread row:

- ``one thread``: warm-up and every pass on one ``InferenceThread`` (the service now);
- ``API thread pool``: warm-up on the main thread, passes from a pool of 8 threads (the service before);
- ``loaded on another thread``: the model loaded on a side thread (as a hot swap's watch thread loads it), then
  every pass on one ``InferenceThread``: loading does not leave a team behind.

``lscpu`` is printed first; compare ratios from one run only.

    python benchmarks/inference_thread.py [--model TAG] [--sentences 480] [--batch 16]
"""

import argparse
import json
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sikap.cpu import lscpu_summary  # noqa: E402  (needs the repo on sys.path)

SCENARIOS = ("one thread", "API thread pool", "loaded on another thread")


def measure(scenario: str, tag: str | None, sentences: int, batch: int) -> dict:
    """One scenario in this process: ms a sentence and cores used over ``sentences`` sentences."""
    from sikap.data.labels import load_labels
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model, resolve
    from sikap.service.hot_swap import WARM_UP
    from sikap.service.inference_thread import InferenceThread

    texts = [s.text for s in load_labels().sentences]
    random.Random(0).shuffle(texts)
    texts = (texts * (1 + sentences // max(1, len(texts))))[:sentences]
    stored = get_model(tag) if tag else resolve()
    if stored is None:
        sys.exit("no model in the store: run `make model` (or `sikap train`) first, or pass --model")
    infer = InferenceThread()
    if scenario == "loaded on another thread":
        with ThreadPoolExecutor(1) as side:
            predictor = side.submit(load_stored, stored).result()
    else:
        predictor = load_stored(stored)
    if scenario == "API thread pool":
        pool = ThreadPoolExecutor(8)
        predictor.predict([WARM_UP])
        run = lambda chunk: pool.submit(predictor.predict, chunk).result()  # noqa: E731
    else:
        infer(predictor.predict, [WARM_UP])
        run = lambda chunk: infer(predictor.predict, chunk)  # noqa: E731
    chunks = [texts[i : i + batch] for i in range(0, len(texts), batch)]
    run(chunks[0])
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks:
        run(chunk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"tag": stored.tag, "ms": 1000 * wall / len(texts), "cores": cpu / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="tag of the model to run (default: the one the store would serve)")
    parser.add_argument("--sentences", type=int, default=480)
    parser.add_argument("--batch", type=int, default=16, help="sentences a pass (served batches: 1–32)")
    parser.add_argument("--worker", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.model, args.sentences, args.batch)))
        return
    print(lscpu_summary())
    rows = {}
    for scenario in SCENARIOS:
        command = [sys.executable, __file__, "--worker", scenario, "--sentences", str(args.sentences)]
        command += ["--batch", str(args.batch)] + (["--model", args.model] if args.model else [])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{scenario}: exited with {done.returncode}\n{done.stderr[-2000:]}")
        rows[scenario] = json.loads(done.stdout.strip().splitlines()[-1])
    base = rows["one thread"]["ms"]
    print(f"model {rows['one thread']['tag']}, {args.sentences} sentences in random order, batches of {args.batch}\n")
    print("| scenario | ms a sentence | sentences/s | cores used | time ÷ one thread |")
    print("|---|---|---|---|---|")
    for scenario, row in rows.items():
        print(
            f"| {scenario} | {row['ms']:.2f} | {1000 / row['ms']:.1f} | {row['cores']:.2f} | {row['ms'] / base:.2f} |"
        )


if __name__ == "__main__":
    main()
