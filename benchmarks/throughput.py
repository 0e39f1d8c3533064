"""Offline throughput on CPU: a plain `transformers` pipeline loop against Sikap's backends.

Backends, each measured in a fresh process (clean peak RSS) on the same sentences:

  (a) pipeline   the loop a user would write: ``pipeline("text-classification", top_k=None)``
                 on a BertForSequenceClassification of the same shape, 4 passes over the
                 sentences (sentiment on the sentence; one stance pass per target on the
                 pair (sentence, target)), default batch size 1
  (b) torch      Sikap's transformer backend (one encoder pass gives every output)
  (c) onnx fp32  Sikap's ONNX Runtime backend, `sikap export --onnx`
  (d) onnx int8  the same, `sikap export --onnx --int8`
  (e) default    the embedded TF-IDF + logistic regression model

The transformer is IndoBERT-base-shaped with random weights (indobenchmark/indobert-base-p1's
config; WordPiece vocabulary trained on labels/, embeddings padded to 50,000 rows), or a real
checkpoint with ``--base-model DIR``; random stance/sentiment heads. Sentences are labels/
sentences, shuffled and repeated to ``--sentences``.

    python benchmarks/throughput.py [--sentences 2000] [--pipeline-sentences 400] [--batch-size 32]
                                    [--max-length 128] [--base-model DIR] [--quick]
"""

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = ("NATO", "Russia", "Ukraine")
STANCE_LABELS = 4  # support / oppose / neutral / none, as a per-target classifier would have


# ---------------------------------------------------------------- machine


def cpu_info() -> dict:
    """CPU model, physical cores, clock and an estimated fp32 peak (AVX2: 2 FMA units × 8 lanes × 2 flops)."""
    import psutil

    text = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", text)
    mhz = [float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", text)]
    ghz = max(mhz) / 1000 if mhz else 0.0
    flags = re.search(r"flags\s*:\s*(.+)", text)
    flags = set(flags.group(1).split()) if flags else set()
    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    fma_units = 2 if "fma" in flags else 1
    return {
        "model": model.group(1).strip() if model else "unknown",
        "cores": cores,
        "ghz": round(ghz, 3),
        "simd": "AVX-512" if lanes == 16 else "AVX2" if lanes == 8 else "SSE",
        "vnni": "avx512_vnni" in flags or "avx_vnni" in flags,
        "peak_gflops": round(cores * ghz * fma_units * lanes * 2, 1),
    }


def peak_rss_mib() -> float:
    """This process's peak RSS. ``VmHWM``, not ``ru_maxrss``: Linux carries ru_maxrss over from the parent
    across fork+exec, so a child of a big parent would report the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        match = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
        if match:
            return int(match.group(1)) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- worker (one backend, fresh process)


def encoder_matmul_params(config) -> int:
    """Weights the encoder multiplies every token by: per layer Q, K, V, output (h×h) and the FFN (2·h·ffn)."""
    h, ffn = config.hidden_size, config.intermediate_size
    return config.num_hidden_layers * (4 * h * h + 2 * h * ffn)


def worker(spec: dict) -> dict:
    """Load one backend, warm it up, time it on the sentences; returns the measurements."""
    texts = json.loads(Path(spec["sentences"]).read_text())
    # article contexts (headline + previous sentence), read by models trained with them; others ignore them
    contexts = json.loads(Path(spec["contexts"]).read_text())[: len(texts)] if spec.get("contexts") else None
    backend = spec["backend"]
    started = time.perf_counter()
    tokens, params, served, cpu_seconds = 0, 0, {}, 0.0
    if backend == "pipeline":
        import torch
        from transformers import AutoTokenizer, BertForSequenceClassification, logging, pipeline

        logging.set_verbosity_error()
        torch.set_num_threads(spec["threads"])
        tokenizer = AutoTokenizer.from_pretrained(spec["base"])
        models = {
            n: BertForSequenceClassification.from_pretrained(spec["base"], num_labels=k).eval()
            for n, k in (("sentiment", 3), ("stance", STANCE_LABELS))
        }
        pipes = {
            n: pipeline("text-classification", model=m, tokenizer=tokenizer, top_k=None, device="cpu")
            for n, m in models.items()
        }
        params = encoder_matmul_params(models["sentiment"].config)
        loaded = time.perf_counter() - started
        kwargs = {"truncation": True, "max_length": spec["max_length"]}

        kwargs["batch_size"] = spec.get("pipeline_batch", 1)

        def run(batch: list[str]) -> list:
            out = [pipes["sentiment"](batch, **kwargs)]
            for target in TARGETS:
                out.append(pipes["stance"]([{"text": t, "text_pair": target} for t in batch], **kwargs))
            return out

        run(texts[:8])
        begin = time.perf_counter()
        run(texts)
        seconds = time.perf_counter() - begin
        lengths = [len(x) for x in tokenizer(texts, truncation=True, max_length=spec["max_length"])["input_ids"]]
        for target in TARGETS:
            pairs = tokenizer(texts, [target] * len(texts), truncation=True, max_length=spec["max_length"])
            lengths += [len(x) for x in pairs["input_ids"]]
        tokens = sum(lengths)
    else:
        os.environ["SIKAP_HOME"] = spec["home"]
        from sikap.models.loading import load_stored
        from sikap.models.store import get_model

        predictor = load_stored(get_model(spec["tag"]))
        if backend != "default":
            predictor.batch_size = spec["batch_size"]
            if backend == "torch" and spec["max_length"]:
                predictor.max_length = spec["max_length"]
        loaded = time.perf_counter() - started
        predictor.predict(texts[:32], contexts=contexts[:32] if contexts else None)
        # One call on all sentences (the model batches them itself), or calls of ``call_size`` sentences in the
        # given order, as a service's batches reach the model.
        size = spec.get("call_size") or len(texts)
        begin, cpu_begin = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), size):
            predictor.predict(texts[i : i + size], contexts=contexts[i : i + size] if contexts else None)
        seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu_begin
        reads_context = bool(contexts) and getattr(predictor, "context_mode", "none") != "none"
        if backend != "default" and (Path(spec["base"]) / "tokenizer.json").exists():
            from tokenizers import Tokenizer
            from transformers import AutoConfig

            tokenizer = Tokenizer.from_file(str(Path(spec["base"]) / "tokenizer.json"))
            tokenizer.enable_truncation(
                (spec["max_length"] or 128) + (spec.get("context_length", 48) if reads_context else 0)
            )
            pairs = list(zip(texts, contexts, strict=True)) if reads_context else texts
            tokens = sum(len(e.ids) for e in tokenizer.encode_batch(pairs))
            params = encoder_matmul_params(AutoConfig.from_pretrained(spec["base"]))
        served = predictor.describe()
        served = served.get("transformer_member", served)
        served = {k: served[k] for k in ("tag", "kind", "inference_precision") if k in served}
    return {
        "served": served,
        "sentences": len(texts),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # all threads: robust to other jobs sharing the cores, unlike seconds
        "load_seconds": loaded,
        "tokens": tokens,
        "gflop": 2 * params * tokens / 1e9,
        "peak_rss_mib": peak_rss_mib(),
        "threads": spec["threads"],
    }


def measure(spec: dict, tmp: Path) -> dict:
    path = tmp / f"spec-{spec['backend']}.json"
    path.write_text(json.dumps(spec))
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, __file__, "--worker", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "TOKENIZERS_PARALLELISM": "false", **spec.get("env", {})},
    )
    if done.returncode:
        raise SystemExit(f"{spec['backend']} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["loadavg"] = (load_before, os.getloadavg()[0])
    return result


# ---------------------------------------------------------------- setup (parent process)


def sentences(n: int, seed: int = 7) -> list[str]:
    return sentences_with_contexts(n, seed)[0]


def sentences_with_contexts(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """``n`` label sentences in a fixed random order, and each one's article context (headline + previous
    sentence, as ``/analyze`` and ``sikap score`` build it; empty outside articles)."""
    from sikap.data.labels import label_contexts, load_labels

    rows = load_labels().sentences
    pairs = list(zip((s.text for s in rows), label_contexts(rows, "title+previous"), strict=True))
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    while len(out) < n:
        batch = pairs[:]
        rng.shuffle(batch)
        out += batch
    return [t for t, _ in out[:n]], [c for _, c in out[:n]]


def store_transformer(base: Path, max_length: int) -> str:
    """Save the base encoder with random Sikap heads as ``sikap:<version>`` in the temporary store."""
    import torch

    from sikap.data.labels import labels_hash
    from sikap.models.store import TRANSFORMER_NAME, new_version, save_model
    from sikap.models.transformer.base_model import load_tokenizer_and_encoder
    from sikap.models.transformer.model import StanceModel
    from sikap.paths import targets_file

    tokenizer, encoder = load_tokenizer_and_encoder(str(base))
    torch.manual_seed(0)
    model = StanceModel(encoder, list(TARGETS)).eval()
    data_hash = labels_hash()
    metadata = {"base_model": str(base), "labels_hash": data_hash, "config": {"max_length": max_length}}

    def write(directory: Path) -> None:
        model.save(directory, tokenizer)
        shutil.copy(targets_file(), directory / "targets.yaml")

    return save_model(TRANSFORMER_NAME, "transformer", new_version(data_hash), metadata, write)


def table(rows: list[dict], cpu: dict) -> str:
    base = next((r for r in rows if r["key"] == "a"), None)
    lines = [
        "| backend | sentences | seconds | sentences/s | × (a) | real tokens | GFLOP/s | % of est. peak | "
        "peak RSS MiB | load s | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    peak = cpu["peak_gflops"]
    for r in rows:
        rate = r["sentences"] / r["seconds"]
        ratio = f"{rate / (base['sentences'] / base['seconds']):.1f}×" if base else "–"
        flops = r["gflop"] / r["seconds"] if r["gflop"] else None
        share = 100 * flops / (peak * (2 if "int8" in r["name"] else 1)) if flops else None
        lines.append(
            f"| ({r['key']}) {r['name']} | {r['sentences']} | {r['seconds']:.1f} | {rate:.1f} | {ratio} | "
            f"{r['tokens'] or '–'} | {f'{flops:.1f}' if flops else '–'} | "
            f"{f'{share:.0f}%' if share else '–'} | {r['peak_rss_mib']:.0f} | "
            f"{r['load_seconds']:.1f} | {r['loadavg'][0]:.1f}→{r['loadavg'][1]:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument(
        "--pipeline-sentences", type=int, default=400, help="sentences for (a), the slow loop (default 400)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="sentences per batch for (b)-(d)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--base-model", type=Path, help="a save_pretrained BERT directory instead of random weights")
    parser.add_argument("--vocab", type=int, default=4000, help="WordPiece vocabulary trained on labels/ (random)")
    parser.add_argument("--backends", default="a,b,c,d,e", help="comma-separated subset of a,b,c,d,e")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2-layer tiny BERT, 200 sentences")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker.read_text()))))
        return
    if args.quick:
        args.sentences, args.pipeline_sentences = min(args.sentences, 200), min(args.pipeline_sentences, 50)
    chosen = set(args.backends.split(","))
    cpu = cpu_info()
    with tempfile.TemporaryDirectory(prefix="sikap-throughput-") as tmp:
        tmp = Path(tmp)
        os.environ["SIKAP_HOME"] = str(tmp / "home")  # before anything imports bentoml
        sys.path.insert(0, str(REPO))
        from rich.console import Console

        console = Console(stderr=True)
        texts = sentences(args.sentences)
        (tmp / "all.json").write_text(json.dumps(texts))
        (tmp / "pipeline.json").write_text(json.dumps(texts[: args.pipeline_sentences]))

        setup = time.perf_counter()
        if args.base_model:
            base = args.base_model
        else:
            from sikap.models.transformer.random_model import build_random_bert

            shape = "tiny" if args.quick else "indobert-base-p1"
            from sikap.data.labels import load_labels

            vocab_texts = [s.text for s in load_labels().sentences]
            base = build_random_bert(tmp / "base", vocab_texts, shape, vocab_size=args.vocab)
        console.log(f"base model ready: {base}")
        tags: dict[str, str] = {}
        if chosen & {"b", "c", "d"}:
            tags["torch"] = store_transformer(base, args.max_length)
        if chosen & {"c", "d"}:
            from sikap.models.onnx.export import export_onnx

            for key, precision in (("c", "fp32"), ("d", "int8")):
                if key in chosen:
                    # Random heads: the dev-set gate is meaningless here, so it is switched off.
                    tags[precision] = export_onnx(
                        tags["torch"], precision, min_agreement=0, max_f1_drop=1000, console=console
                    )
        if "e" in chosen:
            from sikap.models.loading import build_default_model

            tags["default"] = build_default_model(console)
        console.log(f"setup took {time.perf_counter() - setup:.0f} s")

        common = {
            "home": str(tmp / "home"),
            "base": str(base),
            "max_length": args.max_length,
            "batch_size": args.batch_size,
            "threads": cpu["cores"],
        }
        plan = [
            ("a", "pipeline ×4 passes, batch 1", "pipeline", None, "pipeline.json"),
            ("b", "Sikap torch fp32", "torch", "torch", "all.json"),
            ("c", "Sikap ONNX fp32", "onnx", "fp32", "all.json"),
            ("d", "Sikap ONNX int8", "onnx", "int8", "all.json"),
            ("e", "embedded default", "default", "default", "all.json"),
        ]
        rows = []
        for key, name, backend, tag, data in plan:
            if key not in chosen:
                continue
            console.log(f"measuring ({key}) {name}")
            spec = {**common, "backend": backend, "tag": tags.get(tag), "sentences": str(tmp / data)}
            rows.append({"key": key, "name": name, **measure(spec, tmp)})
            r = rows[-1]
            console.log(
                f"({key}) {r['sentences'] / r['seconds']:.1f} sentences/s, peak RSS {r['peak_rss_mib']:.0f} MiB"
            )
        validation = {}
        if chosen & {"c", "d"}:
            from sikap.models.store import get_model

            validation = {p: get_model(tags[p]).metadata["validation"] for p in ("fp32", "int8") if p in tags}

    tokens = next((r["tokens"] / r["sentences"] for r in rows if r["key"] in "bcd"), None)
    print(f"CPU: {cpu['model']}, {cpu['cores']} physical cores, {cpu['ghz']} GHz (/proc/cpuinfo), {cpu['simd']}, ")
    print(
        f"     VNNI: {'yes' if cpu['vnni'] else 'no'}; estimated fp32 peak {cpu['peak_gflops']} GFLOP/s "
        "= cores × GHz × 2 FMA units × 8 lanes × 2 flops; int8 rows are compared with 2× that (AVX2 u8×s8 "
        "via vpmaddubsw/vpmaddwd, an estimate)."
    )
    print("     Estimates only: a VM reports its nominal clock; cores that boost above it make % of peak look high.")
    import onnxruntime
    import torch
    import transformers

    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, transformers {transformers.__version__}")
    print(
        f"model: {'random IndoBERT-base-shaped' if not args.base_model else args.base_model}"
        f"{' (tiny, --quick)' if args.quick else ''}; max_length {args.max_length}; batch size {args.batch_size}"
        + (f"; {tokens:.1f} real tokens per sentence" if tokens else "")
    )
    print(
        "GFLOP/s = 2 × encoder matmul weights (per layer 4·h² + 2·h·ffn, no embeddings, no attention scores) × real "
        "(non-pad) tokens / seconds; (a) counts the tokens of all 4 passes. int8 rows count the same ops."
    )
    print()
    print(table(rows, cpu))
    for precision, v in validation.items():
        print(
            f"\n{precision} export vs torch on dev (random heads, gate off): agreement {v['agreement_pct']}, "
            f"max score diff {v['max_score_diff']}"
        )


if __name__ == "__main__":
    main()
