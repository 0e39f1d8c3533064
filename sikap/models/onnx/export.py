"""Export a stored transformer to ONNX (fp32 or int8), validate it against its source on dev, and store it.

Stages: load the source → export the graph → quantize (int8 only) → label the dev split
with both → refuse, or save ``sikap-onnx:<version>-<precision>``. Everything happens in a
temporary directory; the store is written only after validation passes.
"""

import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from sikap.errors import SikapError
from sikap.models.onnx.embeddings import compact_word_embeddings
from sikap.models.onnx.graph import (
    MODEL_FILE,
    OPSET,
    PRECISIONS,
    TOKENIZER_DIR,
    export_graph,
    quantize_int8,
    write_config,
)
from sikap.models.onnx.validate import MAX_F1_DROP, MIN_AGREEMENT, compare, problems

# The int8 recipe for e5-small (benchmarks/e5_int8_recipes.py compares the candidates); see quantize_int8.
E5_INT8_RECIPE: dict = {"method": "blockwise", "keep_fp32": (r"layer\.\d+/output/dense",)}
E5_NAME = "multilingual-e5-small"

# Copied from the source model's metadata so /metadata describes the export fully.
SOURCE_FIELDS = ("base_model", "base", "labels_hash", "config", "trained_at", "git_commit", "train_size", "best_epoch")


def build_export(
    model,
    tokenizer,
    directory: Path,
    precision: str,
    max_length: int,
    keep_fp32: tuple[str, ...] = (),
    int8_method: str = "dynamic",
) -> dict:
    """Write ``model.onnx``, the tokenizer and ``onnx_config.json`` into ``directory``; returns the build details.

    int8 quantizes the MatMuls (except ``keep_fp32``); a large word-embedding table is then
    stored as 4-bit blocks (:mod:`sikap.models.onnx.embeddings`) in both precisions.
    """
    if precision not in PRECISIONS:
        raise SikapError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    work = directory / "work"
    work.mkdir(parents=True, exist_ok=True)
    graph = work / "fp32.onnx"
    inputs = export_graph(model, tokenizer, graph)
    details: dict = {
        "opset": OPSET,
        "inputs": inputs,
        "exporter": "torch.onnx TorchScript (dynamo=False), eager attention",
    }
    if precision == "int8":
        details["quantization"] = quantize_int8(graph, work / "int8.onnx", keep_fp32, int8_method)
        graph = work / "int8.onnx"
    embeddings = compact_word_embeddings(graph)
    if embeddings:
        details["word_embeddings"] = embeddings
    shutil.move(graph, directory / MODEL_FILE)
    shutil.rmtree(work)
    tokenizer.save_pretrained(directory / TOKENIZER_DIR)
    write_config(
        directory,
        {
            "targets": list(model.targets),
            "pooling": model.pooling,
            "max_length": max_length,
            "context": model.context,
            "context_length": model.context_length,
            "pad_token_id": int(tokenizer.pad_token_id or 0),
            "precision": precision,
            "inputs": inputs,
        },
    )
    details["size_mb"] = round((directory / MODEL_FILE).stat().st_size / 2**20, 1)
    return details


def export_onnx(
    tag: str | None = None,
    precision: str = "fp32",
    min_agreement: float = MIN_AGREEMENT,
    max_f1_drop: float = MAX_F1_DROP,
    console: Console | None = None,
    keep_fp32: tuple[str, ...] | None = None,
    int8_method: str | None = None,
) -> str:
    """Export ``tag`` (default: the newest transformer) and save it as ``sikap-onnx:<version>-<precision>``.

    Raises :class:`SikapError`, saving nothing, when the source is not a transformer, the
    dev split is missing, or validation fails: label agreement with the source below
    ``min_agreement`` percent (all fields of a sentence must agree) or a target's dev
    macro-F1 dropping by more than ``max_f1_drop`` points.
    """
    import onnxruntime

    from sikap.data.labels import load_labels
    from sikap.evaluation.metrics import headline
    from sikap.models.onnx.predict import OnnxPredictor
    from sikap.models.store import ONNX_NAME, get_model, list_models, new_version, save_model
    from sikap.models.transformer.model import StanceModel
    from sikap.models.transformer.predict import TransformerPredictor
    from sikap.text.targets import load_targets

    console = console or Console(stderr=True)
    if tag is None:
        newest = next((m for m in list_models() if m.kind == "transformer"), None)
        if newest is None:
            raise SikapError("no transformer in the store to export; train one with `sikap train`")
        tag = newest.tag
    source = get_model(tag)
    if source.kind != "transformer":
        raise SikapError(f"{tag} is a {source.kind} model; only fine-tuned transformers can be exported to ONNX")
    targets = load_targets(source.path / "targets.yaml")
    names = [t.name for t in targets]
    labels = load_labels(targets=targets)
    if labels.errors:
        raise SikapError(f"labels/ has {len(labels.errors)} error(s); run `sikap labels check` before exporting")
    dev = labels.split("dev")
    if not dev:
        raise SikapError("validation needs the dev split of labels/, which is empty")
    max_length = int(source.metadata.get("config", {}).get("max_length", 128))

    started = time.perf_counter()
    model, tokenizer = StanceModel.load(source.path)
    with tempfile.TemporaryDirectory(prefix="sikap-onnx-") as tmp:
        staging = Path(tmp)
        with console.status(f"exporting {tag} to ONNX ({precision})"):
            is_e5 = source.metadata.get("base", {}).get("name") == E5_NAME
            if keep_fp32 is None:
                keep_fp32 = E5_INT8_RECIPE["keep_fp32"] if is_e5 else ()
            if int8_method is None:
                int8_method = E5_INT8_RECIPE["method"] if is_e5 else "dynamic"
            details = build_export(model, tokenizer, staging, precision, max_length, keep_fp32, int8_method)
            shutil.copy(source.path / "targets.yaml", staging / "targets.yaml")
        console.log(f"exported {tag}: {precision}, {details['size_mb']} MB")

        with console.status(f"validating on {len(dev)} dev sentences"):
            reference = TransformerPredictor(tag, targets, model, tokenizer, max_length=max_length).predict_labeled(dev)
            candidate = OnnxPredictor.load("candidate", staging).predict_labeled(dev)
            validation = compare(dev, reference, candidate, names)
        found = problems(validation, names, min_agreement, max_f1_drop)
        summary = f"agreement {validation['agreement_pct']}; macro-F1 change (points) {validation['f1_change_points']}"
        if found:
            raise SikapError(
                f"{precision} export of {tag} rejected, nothing saved: " + "; ".join(found) + f" ({summary})"
            )
        console.log(f"validated on dev: {summary}")

        dev_metrics = validation.pop("metrics")
        validation["thresholds"] = {"min_agreement_pct": min_agreement, "max_f1_drop_points": max_f1_drop}
        metadata = {
            "kind": "onnx",
            "source": tag,
            "precision": precision,
            **{key: source.metadata[key] for key in SOURCE_FIELDS if key in source.metadata},
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "onnx": {**details, "onnxruntime": onnxruntime.__version__},
            "validation": validation,
            "metrics": {"dev": headline(dev_metrics)},
            "source_metrics": source.metadata.get("metrics", {}),
            "export_seconds": round(time.perf_counter() - started, 1),
        }

        labels_hash = str(source.metadata.get("labels_hash", "unknown"))
        version = f"{new_version(labels_hash)}-{precision}"
        saved = save_model(
            ONNX_NAME, "onnx", version, metadata, lambda d: shutil.copytree(staging, d, dirs_exist_ok=True)
        )
    console.log(f"saved {saved}")
    return saved
