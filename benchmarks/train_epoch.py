"""Time one fine-tuning epoch of an IndoBERT-base-shaped model (random weights) on the starter labels.

Prints seconds per epoch, throughput and peak memory, as measured by `sikap train` itself.

    python benchmarks/train_epoch.py [--epochs 1] [--batch-size 16] [--limit N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--limit", type=int, default=None, help="sentences per split (default: all)")
    parser.add_argument("--shape", default="indobert-base-p1", choices=["indobert-base-p1", "tiny"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sikap-epoch-") as tmp:
        os.environ["SIKAP_HOME"] = str(Path(tmp) / "home")
        from sikap.data.labels import load_labels
        from sikap.models.store import list_models
        from sikap.models.transformer.random_model import build_random_bert

        labels = load_labels()
        base = build_random_bert(Path(tmp) / "base", [s.text for s in labels.sentences], args.shape, vocab_size=30000)
        command = [
            sys.executable,
            "-m",
            "sikap.cli",
            "train",
            "--base-model",
            str(base),
            "--epochs",
            str(args.epochs),
            "--batch-size",
            str(args.batch_size),
            "--device",
            "cpu",
        ]
        if args.limit:
            command += ["--limit", str(args.limit)]
        started = time.perf_counter()
        subprocess.run(command, check=True, env=os.environ)
        wall = time.perf_counter() - started
        meta = list_models()[0].metadata
        train_size = meta["train_size"]
        print(
            json.dumps(
                {
                    "shape": args.shape,
                    "train_sentences": train_size,
                    "batch_size": args.batch_size,
                    "seconds_per_epoch": meta["seconds_per_epoch"],
                    "sentences_per_second": (
                        round(train_size / meta["seconds_per_epoch"], 1) if meta["seconds_per_epoch"] else None
                    ),  # an epoch of a few sentences can take under the 0.1 s it is rounded to
                    "peak_rss_mb": meta["peak_rss_mb"],
                    "wall_seconds_incl_eval_and_save": round(wall, 1),
                    "history": meta["history"],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
