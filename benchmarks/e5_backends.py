"""e5-small backends side by side, same sentences, same run: sentences/s, peak RSS, disk size.

Rows: the embedded TF-IDF default; the fine-tuned e5-small in torch (fp32 and bf16 autocast,
``--torch-precisions``), ONNX fp32 and ONNX int8 (tags from the model store); the ensemble of an
export with the default (``--ensemble``), once per transformer member choice (``--ensemble-members``:
``SIKAP_ENSEMBLE_MEMBER`` onnx, torch or auto); and a fair peer, ``transformers.pipeline`` with batching (batch 32,
one pipeline per head: sentiment, and stance on (sentence, target) pairs, so 4 passes) on
BertForSequenceClassification models of the e5-small base. Each row runs in a fresh process
(clean peak RSS) through the worker of ``benchmarks/throughput.py``; ``lscpu`` is printed first.

    python benchmarks/e5_backends.py --torch TAG --fp32 TAG --int8 TAG [--ensemble TAG] [--sentences 2000]
                                     [--pipeline-sentences 400] [--torch-precisions fp32,bf16]
                                     [--ensemble-members onnx,torch] [--no-pipeline] [--base DIR]
"""

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sikap.cpu import lscpu_summary  # noqa: E402  (needs the repo on sys.path)


def throughput_module():
    spec = importlib.util.spec_from_file_location("throughput", REPO / "benchmarks" / "throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch", required=True, help="tag of the fine-tuned e5-small (sikap:...)")
    parser.add_argument("--fp32", help="tag of its ONNX fp32 export")
    parser.add_argument("--int8", help="tag of its ONNX int8 export")
    parser.add_argument("--default", help="tag of the TF-IDF model (default: built if missing)")
    parser.add_argument(
        "--ensemble", help="tag of an ensemble (sikap-ensemble:...); its disk size includes its members"
    )
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--pipeline-sentences", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--no-context", action="store_true", help="sentences alone, also for models trained with article context"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--torch-precisions", default="fp32,bf16", help="SIKAP_INFERENCE_PRECISION of each torch row (fp32, bf16, auto)"
    )
    parser.add_argument(
        "--ensemble-members",
        default="onnx,torch",
        help="SIKAP_ENSEMBLE_MEMBER of each ensemble row (onnx, torch, auto)",
    )
    parser.add_argument("--no-pipeline", action="store_true", help="skip the transformers.pipeline peer")
    parser.add_argument(
        "--base", type=Path, help="base model directory of the tagged models (default: the prepared e5-small)"
    )
    args = parser.parse_args()
    print(lscpu_summary())

    tp = throughput_module()
    from sikap.models.basemodel import ensure_e5_base
    from sikap.models.store import get_model
    from sikap.paths import sikap_home

    base = args.base or ensure_e5_base(progress=False, log=lambda m: None)
    max_length = int(get_model(args.torch).metadata.get("config", {}).get("max_length", 128))
    if not args.default:
        from sikap.models.loading import build_default_model

        args.default = build_default_model()
    with tempfile.TemporaryDirectory(prefix="sikap-e5-bench-") as tmp:
        tmp = Path(tmp)
        texts, contexts = tp.sentences_with_contexts(args.sentences)
        (tmp / "all.json").write_text(json.dumps(texts))
        (tmp / "contexts.json").write_text(json.dumps(contexts))
        (tmp / "pipeline.json").write_text(json.dumps(texts[: args.pipeline_sentences]))
        common = {
            "home": str(sikap_home()),
            "base": str(base),
            "max_length": max_length,
            "batch_size": args.batch_size,
            "threads": args.threads,
        }
        plan = [
            ("TF-IDF + LR (embedded default)", "default", args.default, "all.json", {}),
            *(
                (f"e5-small torch {p}", "torch", args.torch, "all.json", {"SIKAP_INFERENCE_PRECISION": p})
                for p in args.torch_precisions.split(",")
                if p
            ),
            ("e5-small ONNX fp32", "onnx", args.fp32, "all.json", {}),
            ("e5-small ONNX int8", "onnx", args.int8, "all.json", {}),
            *(
                (f"ensemble ({m} member + TF-IDF)", "ensemble", args.ensemble, "all.json", {"SIKAP_ENSEMBLE_MEMBER": m})
                for m in args.ensemble_members.split(",")
                if m
            ),
            *(
                ()
                if args.no_pipeline
                else (("pipeline ×4 heads, batch 32 (peer)", "pipeline", None, "pipeline.json", {}),)
            ),
        ]
        rows = []
        for name, backend, tag, data, env in plan:
            if backend != "pipeline" and not tag:
                continue
            spec = {**common, "backend": backend, "tag": tag, "sentences": str(tmp / data), "pipeline_batch": 32}
            spec["env"] = env
            if not args.no_context and backend != "pipeline":
                spec["contexts"] = str(tmp / "contexts.json")
            result = tp.measure(spec, tmp)
            disk = size_mib(get_model(tag).path) if tag else 4 * size_mib(base)
            if backend == "ensemble":
                disk += sum(size_mib(get_model(t).path) for t in get_model(tag).metadata["members"].values())
            rows.append({"name": name, "tag": tag or "-", "disk_mib": disk, **result})
            print(json.dumps(rows[-1]), flush=True)
    print(
        f"\nthreads {args.threads}; max_length {max_length}; batch {args.batch_size}; "
        f"article context: {'off' if args.no_context else 'given (read by models trained with it)'}; "
        f"load avg {os.getloadavg()}"
    )
    print(
        "| backend | tag | served as | sentences/s | sentences per CPU-s | peak RSS MiB | disk MiB | sentences "
        "| load avg before→after |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        served = " ".join(str(v) for v in r.get("served", {}).values()) or "-"
        print(
            f"| {r['name']} | {r['tag']} | {served} | {r['sentences'] / r['seconds']:.1f} | "
            f"{r['sentences'] / r['cpu_seconds'] if r.get('cpu_seconds') else 0:.1f} | {r['peak_rss_mib']:.0f} | "
            f"{r['disk_mib']:.0f} | {r['sentences']} | {r['loadavg'][0]:.1f}→{r['loadavg'][1]:.1f} |"
        )
    print("(pipeline disk: 4 models of the base size, one per head, as a user saving each would store them)")


if __name__ == "__main__":
    main()
