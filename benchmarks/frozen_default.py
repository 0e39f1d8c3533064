"""The embedded default frozen (plain arrays, no scikit-learn) against its fitted scikit-learn pipelines, one run.

Fits the default's pipelines on labels/ once, stores them both ways (the frozen artifact as `sikap` writes it
now; the pickled pipelines as defaults were stored before), then in a fresh process each: the CPU seconds to
import and load, peak RSS, whether scikit-learn got imported, and a digest of the predictions on the same
sentences (they must agree). In this process: CPU ms a sentence of the sentiment head, frozen against
``Pipeline.predict_proba``, at several call sizes (best of ``--rounds``). Prints the CPU model and flags.

    python benchmarks/frozen_default.py [--sentences 512] [--rounds 5] [--calls 1,32,512]
"""

import argparse
import gzip
import hashlib
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def label_texts(n: int) -> list[str]:
    from sikap.data.labels import load_labels

    texts = [s.text for s in load_labels().sentences]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def worker(directory: str, sentences: str) -> dict:
    """Import, load the default stored in ``directory`` and predict the sentences of the JSON file ``sentences``:
    CPU, peak RSS, and a digest of the labels predicted."""
    started = time.process_time()
    from sikap.models.baseline_predictor import BaselinePredictor

    predictor = BaselinePredictor.load("bench", Path(directory))
    load_cpu = time.process_time() - started
    results = predictor.predict(json.loads(Path(sentences).read_text(encoding="utf-8")))
    labels = [(r["sentiment"]["label"], *(s["label"] for s in r["stance"].values())) for r in results]
    return {
        "load_cpu_s": round(load_cpu, 2),
        "peak_rss_mib": round(peak_rss_kib() / 1024),
        "sklearn_imported": "sklearn" in sys.modules,
        "digest": hashlib.sha256(json.dumps(labels).encode()).hexdigest()[:12],
    }


def peak_rss_kib() -> int:
    """This process's peak RSS (``VmHWM``: unlike ``ru_maxrss`` it does not carry the parent's over ``exec``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cpu_ms_a_sentence(predict, texts: list[str], call: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for i in range(0, len(texts), call):
            predict(texts[i : i + call])
        best = min(best, time.process_time() - started)
    return 1000 * best / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", default="1,32,512", help="call sizes (sentences a call) for the head timing")
    parser.add_argument("--worker", nargs=2, metavar=("DIRECTORY", "SENTENCES_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return

    from rich.console import Console

    from sikap.cpu import lscpu_summary
    from sikap.data.labels import load_labels
    from sikap.models.baseline import fit_pipelines
    from sikap.models.baseline_predictor import PIPELINES_ARTIFACT, BaselinePredictor
    from sikap.models.frozen_tfidf import freeze
    from sikap.paths import targets_file
    from sikap.text.targets import OTHER_SLOT, TARGET_SLOT, load_targets

    print(lscpu_summary())
    targets = load_targets()
    sentiment, stance, _ = fit_pipelines(load_labels(targets=targets), targets, Console(quiet=True))
    texts = label_texts(args.sentences)
    with tempfile.TemporaryDirectory(prefix="sikap-frozen-bench-") as tmp:
        frozen_dir, pipelines_dir = Path(tmp) / "frozen", Path(tmp) / "pipelines"
        for directory in (frozen_dir, pipelines_dir):
            directory.mkdir()
        BaselinePredictor("bench", targets, sentiment, stance).save(frozen_dir, targets_file())
        parts = {"sentiment": sentiment, "stance": stance, "slots": [TARGET_SLOT, OTHER_SLOT]}
        (pipelines_dir / PIPELINES_ARTIFACT).write_bytes(gzip.compress(pickle.dumps(parts, protocol=5), compresslevel=3))
        (pipelines_dir / "targets.yaml").write_bytes(targets_file().read_bytes())
        (Path(tmp) / "sentences.json").write_text(json.dumps(texts), encoding="utf-8")
        rows = {}
        for name, directory in (("fitted pipelines (before)", pipelines_dir), ("frozen (now)", frozen_dir)):
            command = [sys.executable, __file__, "--worker", str(directory), str(Path(tmp) / "sentences.json")]
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
            if done.returncode:
                sys.exit(f"worker for {name} failed:\n{done.stderr[-2000:]}")
            rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
    before, now = rows.values()
    print(f"\n{args.sentences} label sentences; each artifact loaded in a fresh process")
    print("| artifact | import + load CPU-s | peak RSS MiB | scikit-learn imported | predictions digest |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['load_cpu_s']} | {r['peak_rss_mib']} | {r['sklearn_imported']} | {r['digest']} |")
    print(f"load CPU now ÷ before: {now['load_cpu_s'] / max(before['load_cpu_s'], 1e-9):.2f}; "
          f"peak RSS now ÷ before: {now['peak_rss_mib'] / before['peak_rss_mib']:.2f}; "
          f"same predictions: {now['digest'] == before['digest']}")  # fmt: skip

    frozen = freeze(sentiment)
    print(f"\nsentiment head, CPU ms a sentence, best of {args.rounds}")
    print("| sentences a call | Pipeline.predict_proba | frozen | frozen ÷ sklearn |")
    print("|---|---|---|---|")
    for call in (int(c) for c in args.calls.split(",")):
        sklearn_ms = cpu_ms_a_sentence(sentiment.predict_proba, texts, call, args.rounds)
        frozen_ms = cpu_ms_a_sentence(frozen.predict_proba, texts, call, args.rounds)
        print(f"| {call} | {sklearn_ms:.3f} | {frozen_ms:.3f} | {frozen_ms / sklearn_ms:.2f} |")
    if now["digest"] != before["digest"]:
        sys.exit("the frozen default predicted differently from its pipelines")


if __name__ == "__main__":
    main()
