"""The 4-bit word-embedding table: lossless on Q4_0 data, half a step at most otherwise, same graph outputs."""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from sikap.models.onnx.embeddings import compact_word_embeddings, dequantize, quantize_q4_0


def gather_model(path: Path, table: np.ndarray) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "ids"], ["hidden"], axis=0)],
        "g",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "sequence", table.shape[1]])],
        [numpy_helper.from_array(table, "table")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def run(path: Path, ids: np.ndarray) -> np.ndarray:
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"ids": ids})[0]


def test_requantizing_q4_0_data_is_lossless_and_the_graph_gathers_the_same_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    exact = dequantize(*quantize_q4_0(rng.normal(0, 0.05, (300, 64)).astype(np.float32)))
    packed, scales = quantize_q4_0(exact)
    assert np.array_equal(dequantize(packed, scales), exact)
    path = gather_model(tmp_path / "g.onnx", exact)
    ids = rng.integers(0, 300, (3, 7)).astype(np.int64)
    before = run(path, ids)
    done = compact_word_embeddings(path, min_rows=100)
    assert done and done["max_abs_error"] == 0.0 and done["mib_after"] < done["mib_before"] / 5
    assert np.array_equal(run(path, ids), before)
    assert path.stat().st_size < exact.nbytes / 5


def test_any_table_is_off_by_at_most_half_a_step_and_small_tables_are_left_alone(tmp_path: Path) -> None:
    table = np.random.default_rng(1).normal(0, 0.05, (200, 32)).astype(np.float32)
    packed, scales = quantize_q4_0(table)
    error = np.abs(dequantize(packed, scales) - table).reshape(200, 1, 32).max(-1)
    assert np.all(error <= np.abs(scales.astype(np.float32)) + 1e-6)  # a step where +8 clips to +7, else half
    assert compact_word_embeddings(gather_model(tmp_path / "small.onnx", table)) is None
