"""Packed vs padded transformer batches, for length-sorted batches (offline) and arrival-order ones (served).

Offline scoring cuts batches from length-sorted sentences, so each pads little; a served batch holds whichever
sentences arrived and pads to its longest. With packing (``sikap.models.transformer.packing``) sentences share
rows and pad tokens mostly vanish. One process, one model (a transformer, or an ensemble's transformer member),
dev sentences with their article context as ``/analyze`` reads them; every scenario runs ``--rounds`` times
interleaved and the median is printed, with the share of computed tokens that are padding and the ratio to
sorted + padded (offline before packing). ``lscpu`` is printed first; compare ratios from one run only.

    python benchmarks/packing.py [--model TAG] [--sentences 640] [--batch 32] [--rounds 3]
"""

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SCENARIOS = (("sorted", False), ("sorted", True), ("arrival", False), ("arrival", True))


def transformer_of(tag: str | None):
    """The transformer predictor of ``tag`` (or of the model the store would serve); an ensemble gives its member."""
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model, resolve
    from sikap.models.transformer.predict import TransformerPredictor

    stored = get_model(tag) if tag else resolve()
    if stored is None:
        sys.exit("no model in the store: run `make model` (or `sikap train`) first, or pass --model")
    predictor = load_stored(stored)
    predictor = getattr(predictor, "members", {}).get("transformer", predictor)
    if not isinstance(predictor, TransformerPredictor):
        sys.exit(f"{stored.tag} has no torch transformer to pack (kind {stored.kind}; an ONNX member pads)")
    return stored.tag, predictor


def padding_share(predictor, features: list[dict], batches: list[list[int]], packed: bool) -> float:
    """Pad tokens ÷ computed tokens over ``batches`` of ``features``."""
    from sikap.models.transformer.packing import choose_layout

    real = computed = 0
    for batch in batches:
        lengths = [len(features[i]["input_ids"]) for i in batch]
        length, rows = choose_layout(lengths) if packed else (max(lengths), lengths)
        real, computed = real + sum(lengths), computed + length * len(rows)
    return 1 - real / computed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="tag of a transformer or ensemble (default: the one the store would serve)")
    parser.add_argument("--sentences", type=int, default=640)
    parser.add_argument("--batch", type=int, default=32, help="sentences a batch (served batches: 1–32)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(subprocess.run(["lscpu"], capture_output=True, text=True).stdout)

    import torch

    from sikap.data.labels import label_contexts, label_mentions, load_labels
    from sikap.models.transformer.encoding import encode

    tag, predictor = transformer_of(args.model)
    rows = load_labels().split("dev")[: args.sentences]
    if not rows:
        sys.exit("no dev sentences in the labels")
    texts, contexts = [s.text for s in rows], label_contexts(rows, predictor.context_mode)
    mentions = label_mentions(rows, predictor.detector)
    encoded = encode(
        predictor.tokenizer, texts, mentions, predictor.target_names, predictor.max_length, contexts,
        predictor.context_length,
    )  # fmt: skip
    features = [{k: encoded[k][i] for k in encoded} for i in range(len(texts))]
    by_length = sorted(range(len(texts)), key=lambda i: len(features[i]["input_ids"]))
    arrival = list(range(len(texts)))
    random.Random(0).shuffle(arrival)
    orders = {"sorted": by_length, "arrival": arrival}
    batches = {k: [o[i : i + args.batch] for i in range(0, len(o), args.batch)] for k, o in orders.items()}
    print(
        f"model {tag} (transformer member {predictor.tag}, {predictor.precision}, {torch.get_num_threads()} threads), "
        f"{len(texts)} dev sentences with context ({predictor.context_mode}), batches of {args.batch}, "
        f"{args.rounds} rounds, median\n"
    )
    autocast = torch.autocast("cpu", torch.bfloat16, enabled=predictor.precision == "bf16")
    times: dict[tuple[str, bool], list[float]] = {s: [] for s in SCENARIOS}
    with torch.inference_mode(), autocast:
        predictor._run([features[i] for i in batches["arrival"][0]])  # warm-up
        for _ in range(args.rounds):
            for order, packed in SCENARIOS:
                predictor.packing = packed
                start = time.perf_counter()
                for batch in batches[order]:
                    predictor._run([features[i] for i in batch])
                times[(order, packed)].append(time.perf_counter() - start)
    baseline = statistics.median(times[("sorted", False)])
    print("| batches | rows | pad share of tokens | ms a sentence | sentences/s | ÷ sorted padded |")
    print("|---|---|---|---|---|---|")
    for order, packed in SCENARIOS:
        seconds = statistics.median(times[(order, packed)])
        share = padding_share(predictor, features, batches[order], packed)
        print(
            f"| {order} | {'packed' if packed else 'padded'} | {100 * share:.1f}% | {1000 * seconds / len(texts):.2f} "
            f"| {len(texts) / seconds:.1f} | {baseline / seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
