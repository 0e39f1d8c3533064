"""int8 with sensitive MatMuls kept in float32: exactly the matched nodes stay float MatMuls."""

from pathlib import Path

import onnx

from sikap.models.onnx.graph import export_graph, matmuls_matching, quantize_int8
from sikap.models.transformer.base_model import load_tokenizer_and_encoder
from sikap.models.transformer.model import StanceModel


def test_keep_fp32_patterns_leave_the_matching_matmuls_unquantized(tiny_bert: Path, tmp_path: Path) -> None:
    tokenizer, encoder = load_tokenizer_and_encoder(str(tiny_bert))
    graph = tmp_path / "fp32.onnx"
    export_graph(StanceModel(encoder, ["NATO", "Russia", "Ukraine"]), tokenizer, graph)
    ffn_out = matmuls_matching(graph, (r"layer\.\d+/output/dense",))
    assert len(ffn_out) == 2 and all("attention" not in name for name in ffn_out)
    done = quantize_int8(graph, tmp_path / "int8.onnx", (r"layer\.\d+/output/dense",))
    assert done["kept_fp32"]["matmuls"] == 2
    nodes = onnx.load(str(tmp_path / "int8.onnx")).graph.node
    float_matmuls = {n.name for n in nodes if n.op_type == "MatMul"}
    assert set(ffn_out) <= float_matmuls
    assert not any(n.endswith("intermediate/dense/MatMul") for n in float_matmuls)
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for n in nodes)


def test_blockwise_int8_uses_matmulnbits_and_keeps_the_excluded_matmuls(tiny_bert: Path, tmp_path: Path) -> None:
    tokenizer, encoder = load_tokenizer_and_encoder(str(tiny_bert))
    graph = tmp_path / "fp32.onnx"
    export_graph(StanceModel(encoder, ["NATO", "Russia", "Ukraine"]), tokenizer, graph)
    done = quantize_int8(graph, tmp_path / "int8.onnx", (r"layer\.\d+/output/dense",), method="blockwise")
    assert done["kept_fp32"]["matmuls"] == 2 and "block" in done["activations"]
    nodes = onnx.load(str(tmp_path / "int8.onnx")).graph.node
    assert sum(n.op_type == "MatMulNBits" for n in nodes) == 2 * 5  # Q, K, V, attention-out, FFN-in per layer
    ffn_out = set(matmuls_matching(graph, (r"layer\.\d+/output/dense",)))
    assert ffn_out <= {n.name for n in nodes if n.op_type == "MatMul"}
