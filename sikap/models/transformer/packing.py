"""Sequence packing for inference: several sentences share one row of the encoder's input.

A batch padded to its longest sentence computes every pad token as if it were text. Served batches hold
whichever sentences arrived, so they pad far more than offline batches cut from length-sorted input
(random batches of 32 label sentences with context: ~25% pad tokens). Packing places the sentences of a
batch one after another in rows of ``R`` tokens (first fit, longest first); a block-diagonal attention
mask keeps each sentence to its own tokens, and position ids restart at 0 for each, so every sentence
is encoded exactly as alone (fp32: equal to 1e-6). The cost a token grows with the row (attention is
quadratic), so :func:`choose_layout` picks ``R`` among the longest sentence and :data:`ROW_LENGTHS` by
a cost model: rows × R × (1 + R / :data:`ATTENTION_TOKENS`), fitted on e5-small in bf16 and fp32
(``benchmarks/packing.py``).
"""

from dataclasses import dataclass

import torch

ROW_LENGTHS = (128, 192, 256)
ATTENTION_TOKENS = 512
# Encoders whose position ids count from 0 in each sequence and that take position_ids and a 4-D mask.
PACKABLE_MODEL_TYPES = ("bert",)
PACKABLE_ATTENTION = ("sdpa", "eager")


@dataclass
class PackedBatch:
    """Encoder input of packed rows; sentence ``i`` is ``row[i]``'s tokens from ``start[i]`` on."""

    input_ids: torch.Tensor  # (rows, R)
    position_ids: torch.Tensor  # (rows, R)
    attention_mask: torch.Tensor  # (rows, 1, R, R) bool: query and key in the same sentence
    token_type_ids: torch.Tensor | None  # (rows, R)
    target_mask: torch.Tensor  # (sentences, targets, R): mention tokens, at their place in the row
    row: torch.Tensor  # (sentences,)
    start: torch.Tensor  # (sentences,)

    def to(self, device: str | torch.device) -> "PackedBatch":
        return PackedBatch(**{k: v.to(device) if v is not None else None for k, v in vars(self).items()})


def can_pack(encoder: torch.nn.Module) -> bool:
    """Whether ``encoder`` reads packed rows as it reads single sentences."""
    config = encoder.config
    return config.model_type in PACKABLE_MODEL_TYPES and config._attn_implementation in PACKABLE_ATTENTION


def first_fit_decreasing(lengths: list[int], capacity: int) -> list[list[int]]:
    """Indices of ``lengths`` in bins holding at most ``capacity`` tokens each (longest first, first bin with room)."""
    bins: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        if lengths[i] > capacity:
            raise ValueError(f"a sequence of {lengths[i]} tokens does not fit rows of {capacity}")
        for b, free in enumerate(room):
            if free >= lengths[i]:
                bins[b].append(i)
                room[b] -= lengths[i]
                break
        else:
            bins.append([i])
            room.append(capacity - lengths[i])
    return bins


def layout_cost(rows: int, length: int) -> float:
    """Relative cost of encoding ``rows`` rows of ``length`` tokens."""
    return rows * length * (1 + length / ATTENTION_TOKENS)


def choose_layout(lengths: list[int]) -> tuple[int, list[list[int]]]:
    """The row length and the bins of the cheapest packing of ``lengths`` (:func:`layout_cost`)."""
    longest = max(lengths)
    best: tuple[float, int, list[list[int]]] | None = None
    for length in (longest, *(r for r in ROW_LENGTHS if r > longest)):
        bins = first_fit_decreasing(lengths, length)
        cost = layout_cost(len(bins), length)
        if best is None or cost < best[0]:
            best = (cost, length, bins)
    assert best is not None
    return best[1], best[2]


def pack(features: list[dict], pad_id: int) -> PackedBatch:
    """Pack tokenized sentences (``input_ids``, optional ``token_type_ids``, ``target_mask``) into rows."""
    lengths = [len(f["input_ids"]) for f in features]
    length, bins = choose_layout(lengths)
    rows, targets = len(bins), len(features[0]["target_mask"])
    input_ids = torch.full((rows, length), pad_id, dtype=torch.long)
    position_ids = torch.zeros((rows, length), dtype=torch.long)
    token_types = torch.zeros((rows, length), dtype=torch.long) if "token_type_ids" in features[0] else None
    sequence = torch.full((rows, length), -1, dtype=torch.long)  # pad tokens: a sequence of their own
    target_mask = torch.zeros((len(features), targets, length), dtype=torch.float32)
    row = torch.zeros(len(features), dtype=torch.long)
    start = torch.zeros(len(features), dtype=torch.long)
    for r, members in enumerate(bins):
        offset = 0
        for i in members:
            n, end = lengths[i], offset + lengths[i]
            input_ids[r, offset:end] = torch.tensor(features[i]["input_ids"])
            position_ids[r, offset:end] = torch.arange(n)
            if token_types is not None:
                token_types[r, offset:end] = torch.tensor(features[i]["token_type_ids"])
            sequence[r, offset:end] = i
            target_mask[i, :, offset:end] = torch.tensor(features[i]["target_mask"], dtype=torch.float32)
            row[i], start[i] = r, offset
            offset = end
    attention_mask = (sequence[:, :, None] == sequence[:, None, :])[:, None]
    return PackedBatch(input_ids, position_ids, attention_mask, token_types, target_mask, row, start)
