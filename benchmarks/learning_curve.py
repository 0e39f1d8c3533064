"""Learning curve of the embedded default: realistic-split macro-F1 against the share of training articles.

Trains the default (C chosen on dev, as shipped) on 25 / 50 / 100 % of the training
articles (a fixed random subset by article, so each smaller set is inside the larger), evaluates dev, test and
realistic, prints a table and writes a PNG.

    python benchmarks/learning_curve.py [--fractions 0.25 0.5 1.0] [--png docs/learning_curve.png]
"""

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sikap.data.labels import EVALUATION_SPLITS, LabelSet, load_labels
from sikap.evaluation.metrics import evaluate_predictions
from sikap.models.baseline import fit_baseline
from sikap.text.targets import load_targets


def subset(labels: LabelSet, fraction: float, seed: int = 13) -> LabelSet:
    """Every non-training sentence, and the training sentences of the first ``fraction`` of shuffled articles."""
    train = labels.split("train")
    keys = sorted({s.article or s.id for s in train})
    random.Random(seed).shuffle(keys)
    kept = set(keys[: round(len(keys) * fraction)])
    return LabelSet([s for s in labels.sentences if s.split != "train" or (s.article or s.id) in kept])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 1.0])
    parser.add_argument("--png", type=Path, default=Path("docs/learning_curve.png"))
    args = parser.parse_args()
    targets = load_targets()
    labels = load_labels(targets=targets)
    names = [t.name for t in targets]
    rows = []
    print("| train share | train sentences | stance dev / test / realistic | sentiment dev / test / realistic | fit s |")
    print("|---|---|---|---|---|")
    for fraction in args.fractions:
        part = subset(labels, fraction)
        start = time.perf_counter()
        predictor, _ = fit_baseline(part, targets)
        seconds = time.perf_counter() - start
        scores = {
            split: evaluate_predictions(rows_, predictor.predict_labeled(rows_), names)
            for split in EVALUATION_SPLITS
            if (rows_ := labels.split(split))
        }
        stance = {k: v["stance_macro_f1"] for k, v in scores.items()}
        sentiment = {k: v["sentiment"]["macro_f1"] for k, v in scores.items()}
        rows.append((fraction, len(part.split("train")), stance, sentiment))
        print(
            f"| {fraction:.0%} | {len(part.split('train'))} | "
            + " / ".join(f"{stance[s]:.3f}" for s in EVALUATION_SPLITS)
            + " | "
            + " / ".join(f"{sentiment[s]:.3f}" for s in EVALUATION_SPLITS)
            + f" | {seconds:.0f} |",
            flush=True,
        )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6), dpi=120)
    sizes = [r[1] for r in rows]
    ax.plot(sizes, [r[2]["realistic"] for r in rows], "o-", label="stance macro-F1")
    ax.plot(sizes, [r[3]["realistic"] for r in rows], "s-", label="sentiment macro-F1")
    ax.set_xlabel("training sentences")
    ax.set_ylabel("realistic split")
    ax.set_title("Embedded default: realistic score by training size")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    args.png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.png)
    print(f"\nwrote {args.png}")


if __name__ == "__main__":
    main()
