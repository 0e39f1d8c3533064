"""Which int8 recipe passes `sikap export`'s gate for a fine-tuned model? One fp32 graph, many quantizations.

For each recipe (regular expressions of MatMuls kept in float32) the script quantizes the
fp32 graph dynamically (per channel, as `sikap export --int8`), stores the word embeddings
in 4 bits, labels the dev split and applies the same gate (agreement ≥ 98%, no target's
macro-F1 down by more than 1.5 points). Prints one JSON line per recipe: agreement, F1
changes, size and dev sentences/s.

    python benchmarks/e5_int8_recipes.py [--model TAG]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

RECIPES = {
    "blockwise: all MatMuls int8": (),
    "blockwise: FFN-out fp32": (r"layer\.\d+/output/dense",),
    "all MatMuls int8": (),
    "FFN-out fp32": (r"layer\.\d+/output/dense",),
    "attention-out + FFN-out fp32": (r"output/dense",),
    "first + last layer fp32": (r"layer\.(0|11)/",),
    "last 2 layers fp32": (r"layer\.(10|11)/",),
    "FFN-out + last layer fp32": (r"layer\.\d+/output/dense", r"layer\.11/"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="transformer tag (default: the newest)")
    parser.add_argument("--recipes", nargs="*", help="names from RECIPES (default: all)")
    args = parser.parse_args()
    from sikap.cpu import lscpu_summary

    print(lscpu_summary())

    from sikap.data.labels import load_labels
    from sikap.models.onnx.embeddings import compact_word_embeddings
    from sikap.models.onnx.export import build_export
    from sikap.models.onnx.graph import MODEL_FILE, export_graph, quantize_int8
    from sikap.models.onnx.predict import OnnxPredictor
    from sikap.models.onnx.validate import MAX_F1_DROP, MIN_AGREEMENT, compare, problems
    from sikap.models.store import get_model, list_models
    from sikap.models.transformer.model import StanceModel
    from sikap.models.transformer.predict import TransformerPredictor
    from sikap.text.targets import load_targets

    tag = args.model or next(m.tag for m in list_models() if m.kind == "transformer")
    source = get_model(tag)
    targets = load_targets(source.path / "targets.yaml")
    names = [t.name for t in targets]
    dev = load_labels(targets=targets).split("dev")
    texts = [s.text for s in dev]
    max_length = int(source.metadata.get("config", {}).get("max_length", 128))
    model, tokenizer = StanceModel.load(source.path)
    reference = TransformerPredictor(tag, targets, model, tokenizer, max_length=max_length).predict(texts)
    with tempfile.TemporaryDirectory(prefix="sikap-int8-") as tmp:
        tmp = Path(tmp)
        staging = tmp / "export"
        build_export(model, tokenizer, staging, "fp32", max_length)  # tokenizer, config, fp32 model
        (staging / "targets.yaml").write_bytes((source.path / "targets.yaml").read_bytes())
        fp32 = tmp / "fp32.onnx"
        export_graph(model, tokenizer, fp32)
        for name, keep in RECIPES.items():
            if args.recipes and name not in args.recipes:
                continue
            method = "blockwise" if name.startswith("blockwise") else "dynamic"
            quantize_int8(fp32, tmp / "int8.onnx", keep, method)
            compact_word_embeddings(tmp / "int8.onnx", staging / MODEL_FILE)
            predictor = OnnxPredictor.load("candidate", staging)
            started = time.perf_counter()
            candidate = predictor.predict(texts)
            rate = len(texts) / (time.perf_counter() - started)
            validation = compare(dev, reference, candidate, names)
            found = problems(validation, names, MIN_AGREEMENT, MAX_F1_DROP)
            print(
                json.dumps(
                    {
                        "recipe": name,
                        "method": method,
                        "keep_fp32": keep,
                        "passes": not found,
                        "agreement_pct": validation["agreement_pct"],
                        "f1_change_points": validation["f1_change_points"],
                        "size_mib": round((staging / MODEL_FILE).stat().st_size / 2**20, 1),
                        "dev_sentences_per_s": round(rate, 1),
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
