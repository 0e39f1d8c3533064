"""Cost of one e5-small fine-tuning step per freezing setting, and the epoch time it implies for N sentences.

The CPU is shared, so besides wall time it reports process CPU seconds per step: on an
otherwise idle machine with C cores a step takes about CPU seconds / C.

    python benchmarks/e5_train_speed.py [--steps 4] [--batch-size 32] [--sentences 5000] [--cores 2] [--base DIR]
"""

import argparse
import json
import time
from pathlib import Path

import torch

from sikap.cpu import lscpu_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--sentences", type=int, default=5000, help="training-set size to extrapolate to")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--freeze-layers", type=int, nargs="+", default=[0, 4, 6])
    parser.add_argument("--base", type=Path, help="base model directory (default: the prepared e5-small)")
    args = parser.parse_args()
    print(lscpu_summary())

    from sikap.data.labels import load_labels
    from sikap.models.basemodel import ensure_e5_base
    from sikap.models.transformer.base_model import load_tokenizer_and_encoder
    from sikap.models.transformer.config import E5_CONFIG, TrainConfig
    from sikap.models.transformer.encoding import collate, encode
    from sikap.models.transformer.model import StanceModel
    from sikap.models.transformer.train import freeze, make_optimizer
    from sikap.text.targets import MentionDetector, load_targets

    torch.set_num_threads(args.cores)
    base = args.base or ensure_e5_base()
    targets = load_targets()
    names = [t.name for t in targets]
    texts = [s.text for s in load_labels(targets=targets).split("train")][: args.batch_size * args.steps]
    detector = MentionDetector(targets)
    results = []
    for layers in args.freeze_layers:
        config = TrainConfig.load(E5_CONFIG, base_model=str(base), freeze_layers=layers)
        tokenizer, encoder = load_tokenizer_and_encoder(config.base_model)
        model = StanceModel(encoder, names, config.pooling).train()
        freeze(model, config)
        optimizer = make_optimizer(model, config)
        features = encode(tokenizer, texts, [detector.find(t) for t in texts], names, config.max_length)
        rows = [{k: features[k][i] for k in features} for i in range(len(texts))]
        tokens = sum(len(r["input_ids"]) for r in rows)
        wall, cpu = [], []
        for step in range(args.steps + 1):  # the first step warms up and is not counted
            batch = collate(rows[step % args.steps * args.batch_size :][: args.batch_size], tokenizer.pad_token_id)
            w, c = time.perf_counter(), time.process_time()
            sentiment, stance = model(**batch)
            loss = sentiment.logsumexp(-1).mean() + stance.logsumexp(-1).mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step:
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
        cpu_step = sum(cpu) / len(cpu)
        steps_per_epoch = -(-args.sentences // args.batch_size)
        results.append(
            {
                "freeze_embeddings": config.freeze_embeddings,
                "freeze_layers": layers,
                "tokens_per_sentence": round(tokens / len(texts), 1),
                "wall_s_per_step": round(sum(wall) / len(wall), 2),
                "cpu_s_per_step": round(cpu_step, 2),
                f"est_epoch_s_{args.sentences}_sentences_idle_{args.cores}_cores": round(
                    cpu_step / args.cores * steps_per_epoch
                ),
            }
        )
        print(json.dumps(results[-1]), flush=True)
        del model, optimizer, encoder


if __name__ == "__main__":
    main()
