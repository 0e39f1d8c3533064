"""Turn a :class:`~sikap.models.transformer.model.StanceModel` into an ONNX graph, optionally quantized to int8.

No offline fusion: ONNX Runtime fuses LayerNorm, GELU and MatMul+Add itself when the
session loads (all graph optimizations on). Its offline transformer optimizer
(``onnxruntime.transformers.optimize_model``, fused Attention) measured 9% slower in fp32
and no faster in int8 on a 2-core AVX2 CPU, so the export skips it.
"""

import json
import logging
import warnings
from contextlib import contextmanager
from pathlib import Path

from sikap.errors import SikapError

MODEL_FILE = "model.onnx"
CONFIG_FILE = "onnx_config.json"
TOKENIZER_DIR = "tokenizer"
OPSET = 17
PRECISIONS = ("fp32", "int8")


@contextmanager
def eager_attention(encoder):
    """Trace attention as plain MatMul/Softmax (the pattern ONNX Runtime's fusion recognizes), then restore."""
    before = getattr(encoder.config, "_attn_implementation", None)
    setter = getattr(encoder, "set_attn_implementation", None)
    try:
        if setter is not None:
            setter("eager")
        yield
    finally:
        if setter is not None and before:
            setter(before)


def export_graph(model, tokenizer, path: Path, opset: int = OPSET) -> list[str]:
    """Write ``model`` as ONNX with dynamic batch and sequence axes; returns the input names.

    Uses the TorchScript exporter (``dynamo=False``), which needs no extra packages.
    Inputs: ``input_ids``, ``attention_mask``, ``target_mask`` (B, T, L float) and
    ``token_type_ids`` when the tokenizer produces them; outputs ``sentiment`` (B, 3) and
    ``stance`` (B, T, 3) logits. The sample batch is padded so the traced graph keeps the
    attention mask.
    """
    import torch

    sample = tokenizer(["NATO, Rusia dan Ukraina.", "Kremlin mengecam NATO di Brussel hari ini."], padding=True)
    names = ["input_ids", "attention_mask", "target_mask"]
    batch, length = len(sample["input_ids"]), len(sample["input_ids"][0])
    tensors = {
        "input_ids": torch.tensor(sample["input_ids"]),
        "attention_mask": torch.tensor(sample["attention_mask"]),
        "target_mask": torch.zeros(batch, len(model.targets), length),
    }
    tensors["target_mask"][:, :, 1] = 1.0
    if "token_type_ids" in sample:
        names.append("token_type_ids")
        tensors["token_type_ids"] = torch.tensor(sample["token_type_ids"])
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["target_mask"] = {0: "batch", 2: "sequence"}
    axes.update({"sentiment": {0: "batch"}, "stance": {0: "batch"}})
    model = model.eval().to("cpu")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with torch.no_grad(), eager_attention(model.encoder), warnings.catch_warnings():
            # The tracer warns about shape checks it freezes (true for any batch) and deprecations.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (),
                str(path),
                kwargs={name: tensors[name] for name in names},
                input_names=names,
                output_names=["sentiment", "stance"],
                dynamic_axes=axes,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
    except Exception as exc:  # the exporter raises many types; name the step and the cause
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise SikapError(f"ONNX export failed: {type(exc).__name__}: {first}") from None
    return names


def matmuls_matching(path: Path, patterns: tuple[str, ...]) -> list[str]:
    """Names of the MatMul nodes of the graph at ``path`` that any of the regular expressions ``patterns`` finds."""
    import re

    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and any(re.search(p, n.name) for p in patterns)]


INT8_METHODS = ("dynamic", "blockwise")


def quantize_int8(source: Path, target: Path, keep_fp32: tuple[str, ...] = (), method: str = "dynamic") -> dict:
    """Quantize every MatMul with constant weights to int8, except those ``keep_fp32`` names; returns what was done.

    ``keep_fp32`` holds regular expressions over node names, e.g. ``layer\\.11/`` (a whole layer)
    or ``layer\\.\\d+/output/dense`` (the feed-forward outputs); the matching MatMuls stay float32.

    ``dynamic``: onnxruntime ``quantize_dynamic``. Weights int8, symmetric, per output channel,
    ``reduce_range`` (7 bits): without VNNI, x86 CPUs multiply u8 activations by s8 weights with
    16-bit intermediate sums that saturate with full-range weights. Activations are quantized
    to uint8 with one scale per tensor per batch, so a sentence's scores depend slightly on its
    batch, and one outlier channel coarsens every other channel.

    ``blockwise``: ``MatMulNBits`` with 8-bit weights in blocks of 32 (one scale each) and
    ``accuracy_level`` 4: activations are quantized to int8 per block of 32 at run time, so an
    outlier only coarsens its own block. Needs the ``onnx-ir`` package.
    """
    if method not in INT8_METHODS:
        raise SikapError(f"int8 method must be one of {', '.join(INT8_METHODS)}, not {method!r}")
    excluded = matmuls_matching(source, keep_fp32) if keep_fp32 else []
    kept = {"patterns": list(keep_fp32), "matmuls": len(excluded)}
    if method == "blockwise":
        return _quantize_blockwise(source, target, excluded) | {"kept_fp32": kept}
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Its advice to run shape pre-processing first does not apply: that step fails on this graph.
    advice = _DropMessage("pre-processing before quantization")
    logging.getLogger().addFilter(advice)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=excluded,
        )
    finally:
        logging.getLogger().removeFilter(advice)
    return {
        "method": "onnxruntime quantize_dynamic",
        "weights": "int8 symmetric, per channel, reduce_range (7-bit)",
        "activations": "uint8, one scale per tensor per batch at run time",
        "ops": ["MatMul"],
        "kept_fp32": kept,
    }


def _quantize_blockwise(source: Path, target: Path, excluded: list[str]) -> dict:
    import onnx

    try:
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    except ImportError as exc:
        raise SikapError(
            f"blockwise int8 needs onnxruntime's MatMulNBits quantizer ({exc}); pip install onnx-ir"
        ) from None
    chatty = logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer")
    level = chatty.level
    chatty.setLevel(logging.WARNING)  # it logs every node it skips at INFO
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(source)),
        bits=8,
        block_size=32,
        is_symmetric=True,
        accuracy_level=4,
        nodes_to_exclude=excluded,
    )
    try:
        quantizer.process()
    finally:
        chatty.setLevel(level)
    quantizer.model.save_model_to_file(str(target), use_external_data_format=False)
    return {
        "method": "onnxruntime MatMulNBits (8 bits, block 32, accuracy level 4)",
        "weights": "int8 symmetric, one scale per block of 32",
        "activations": "int8, one scale per block of 32 at run time",
        "ops": ["MatMul"],
    }


class _DropMessage(logging.Filter):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def write_config(directory: Path, values: dict) -> None:
    (directory / CONFIG_FILE).write_text(json.dumps(values, indent=2))


def read_config(directory: Path) -> dict:
    try:
        return json.loads((directory / CONFIG_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise SikapError(f"{directory}: not an ONNX export ({CONFIG_FILE} unreadable: {exc})") from None
