"""Ablation of the transformer recipe, chosen on dev: each variant fine-tunes the offline e5-small base
with the shipped config (training/config-e5.yaml) plus its overrides, under the same time budget.

Every variant is trained into a scratch store (the project's store is not touched) and scored on dev;
realistic is printed only for the variants named in ``--realistic`` (the current recipe and the winner:
realistic is never used to choose). The table goes to stdout and, as JSON, to ``--json``.

    python benchmarks/transformer_ablation.py --variants sentence-2ep context-2ep [--realistic sentence-2ep]
    python benchmarks/transformer_ablation.py --variants context-2ep --limit 64   # smoke run
    python benchmarks/transformer_ablation.py --variants shipped --fraction 0.25  # learning curve: 25% of articles
    python benchmarks/transformer_ablation.py --variants sentence-1ep --limit 16 --base DIR --freeze-layers 1
                                              # smoke run on a small base (fewer layers than e5-small's 12)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

VARIANTS: dict[str, dict] = {
    "shipped": {},  # the recipe of training/config-e5.yaml as it is (epochs cut by the time budget)
    "sentence-1ep": {"epochs": 1},  # each sentence alone, the schedule fitted to 1 epoch
    "context-1ep": {"epochs": 1, "context": "title+previous"},  # + the headline and the previous sentence
    "sentence-2ep": {"epochs": 2},  # each sentence alone, the schedule fitted to 2 epochs
    "context-2ep": {"epochs": 2, "context": "title+previous"},  # + the headline and the previous sentence
    "context-3ep": {"epochs": 3, "context": "title+previous"},
    # the shipped recipe, its weights also averaged over the last 30% of steps (kept only if dev says so)
    "shipped-average30": {"average_last": 0.3},
}


def cpu_flags() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return platform.processor()
    lines = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    flags = [f for f in lines.get("Flags", "").split() if f.startswith(("avx", "amx")) or f == "avx512_vnni"]
    return f"{lines.get('Model name', '?')}, {os.cpu_count()} CPUs, {' '.join(flags)}"


def run_variant(
    name: str, overrides: dict, budget: float, limit: int | None, base: Path, home: Path, fraction: float = 1.0
) -> dict:
    from benchmarks.learning_curve import subset
    from sikap.data.labels import load_labels
    from sikap.evaluation.scoring import summary
    from sikap.models.store import get_model
    from sikap.models.transformer.config import E5_CONFIG, TrainConfig
    from sikap.models.transformer.train import train_transformer
    from sikap.paths import targets_file
    from sikap.text.targets import load_targets

    config = TrainConfig.load(
        E5_CONFIG,
        **{"base_model": str(base), "time_budget_minutes": budget, "limit": limit, "run_dir": str(home / name)},
        **overrides,
    )
    targets = load_targets()
    start = time.perf_counter()
    labels = load_labels(targets=targets)
    labels = subset(labels, fraction) if fraction < 1 else labels  # a share of the training articles
    tag = train_transformer(config, labels, targets, targets_file())
    seconds = time.perf_counter() - start
    stored = get_model(tag)
    meta = stored.metadata
    scores = {}
    for split in ("dev", "test", "realistic"):
        report = stored.path / "reports" / split / "metrics.json"
        if report.exists():
            scores[split] = summary(json.loads(report.read_text()))
    return {
        "variant": name if fraction == 1 else f"{name} ({fraction:.0%} of training articles)",
        "overrides": overrides,
        "train_sentences": meta.get("train_size"),
        "tag": tag,
        "epochs": len(meta["history"]),
        "best_epoch": meta["best_epoch"],
        "weight_average": meta.get("weight_average"),
        "seconds_per_epoch": meta["seconds_per_epoch"],
        "total_seconds": round(seconds, 1),
        "scores": scores,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", default=["sentence-2ep", "context-2ep"], choices=sorted(VARIANTS))
    parser.add_argument("--realistic", nargs="*", default=[], help="variants whose realistic scores are printed")
    parser.add_argument("--budget", type=float, default=0, help="training minutes per variant (0: none, epochs fixed)")
    parser.add_argument("--limit", type=int, default=None, help="sentences per split (smoke runs)")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of training articles (learning curve)")
    parser.add_argument("--base", type=Path, default=Path("models/base/multilingual-e5-small"))
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--freeze-layers", type=int, default=None, help="override the recipe's frozen lower layers (a smaller base)"
    )
    args = parser.parse_args()
    if not (args.base / "config.json").exists():
        sys.exit(f"{args.base}: no prepared base model; run `sikap base-model prepare` first")
    print(f"CPU: {cpu_flags()}")
    results = []
    # A scratch store, removed at the end (each variant's model is up to 500 MB): the project's models/ stays as it is.
    with tempfile.TemporaryDirectory(prefix="sikap-ablation-", ignore_cleanup_errors=True) as scratch:
        home = Path(scratch)
        os.environ["SIKAP_HOME"] = str(home)
        for name in args.variants:
            overrides = VARIANTS[name] | ({} if args.freeze_layers is None else {"freeze_layers": args.freeze_layers})
            results.append(
                run_variant(name, overrides, args.budget, args.limit, args.base.resolve(), home, args.fraction)
            )
            if args.json:
                args.json.write_text(json.dumps(results, indent=2))
    for r in results:
        if r["weight_average"]:
            print(f"{r['variant']}: weight average {r['weight_average']} (dev score: mean of stance and sentiment F1s)")
    print(
        "\n| variant | train sentences | epochs (best) | s/epoch | dev stance | dev F_avg | dev sentiment | realistic stance / F_avg / sentiment |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        dev = r["scores"].get("dev", {})
        real = r["scores"].get("realistic", {})
        shown = (
            f"{real['stance macro-F1']:.3f} / {real['stance F_avg']:.3f} / {real['sentiment macro-F1']:.3f}"
            if r["variant"].split(" (")[0] in args.realistic and real
            else "—"
        )
        print(
            f"| {r['variant']} | {r['train_sentences']} | {r['epochs']} ({r['best_epoch']}) | {r['seconds_per_epoch']} | "
            f"{dev.get('stance macro-F1', 0):.3f} | {dev.get('stance F_avg', 0):.3f} | "
            f"{dev.get('sentiment macro-F1', 0):.3f} | {shown} |"
        )


if __name__ == "__main__":
    main()
