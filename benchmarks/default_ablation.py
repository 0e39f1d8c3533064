"""Ablation of the embedded default's stance features: the window around the target's slot.

Trains the default as shipped (C chosen on dev) once per slot width — 0 is the sentence's n-grams alone —
and prints stance macro-F1 and F_avg on dev (where the width is chosen) and test. Realistic is printed only
with ``--realistic``, for the rows the README reports: nothing is chosen on it.

    python benchmarks/default_ablation.py [--widths 0 6 10 15 25] [--realistic]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sikap.data.labels import load_labels
from sikap.evaluation.metrics import evaluate_predictions
from sikap.models.baseline import SLOT_WIDTH, fit_baseline
from sikap.text.targets import load_targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs="+", default=[0, 6, 10, SLOT_WIDTH, 25])
    parser.add_argument("--realistic", action="store_true", help="also score the realistic split")
    args = parser.parse_args()
    targets = load_targets()
    labels = load_labels(targets=targets)
    names = [t.name for t in targets]
    splits = ["dev", "test", *(["realistic"] if args.realistic else [])]
    print(f"{len(labels.split('train'))} training sentences; shipped width {SLOT_WIDTH}")
    print(f"| slot width | stance macro-F1 {' / '.join(splits)} | stance F_avg {' / '.join(splits)} | fit s |")
    print("|---|---|---|---|")
    quiet = Console(stderr=True, quiet=True)
    for width in args.widths:
        start = time.perf_counter()
        predictor, _ = fit_baseline(labels, targets, quiet, slot_width=width)
        seconds = time.perf_counter() - start
        stance, f_avg = [], []
        for split in splits:
            rows = labels.split(split)
            metrics = evaluate_predictions(rows, predictor.predict_labeled(rows), names)
            stance.append(metrics["stance_macro_f1"])
            f_avg.append(float(np.mean([metrics["targets"][n]["f_avg"] for n in names])))
        print(
            f"| {width or 'none'} | {' / '.join(f'{v:.3f}' for v in stance)} | "
            f"{' / '.join(f'{v:.3f}' for v in f_avg)} | {seconds:.0f} |"
        )


if __name__ == "__main__":
    main()
