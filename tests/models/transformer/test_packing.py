"""Packed inference: sentences sharing a row are encoded exactly as when padded one to a row."""

import random

import pytest
import torch
from transformers import BertConfig, BertModel

from sikap.models.transformer.encoding import collate
from sikap.models.transformer.model import StanceModel
from sikap.models.transformer.packing import (
    ROW_LENGTHS,
    can_pack,
    choose_layout,
    first_fit_decreasing,
    layout_cost,
    pack,
)

TARGETS = ["NATO", "Russia", "Ukraine"]


def tiny_model(attention: str) -> StanceModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=60,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,  # rows of 256 still work: positions restart per sentence
        type_vocab_size=2,
    )
    config._attn_implementation = attention
    return StanceModel(BertModel(config), TARGETS, "cls+span").eval()


def features(lengths: list[int], token_types: bool, seed: int = 0) -> list[dict]:
    """Tokenized-looking sentences: random ids, a second segment, mention tokens for some targets."""
    rng = random.Random(seed)
    rows = []
    for n in lengths:
        row = {
            "input_ids": [2] + [rng.randrange(5, 60) for _ in range(n - 2)] + [3],
            "attention_mask": [1] * n,
            "target_mask": [[int(rng.random() < 0.2) for _ in range(n)] for _ in TARGETS],
        }
        if token_types:
            row["token_type_ids"] = [0] * (n // 2) + [1] * (n - n // 2)
        rows.append(row)
    return rows


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@pytest.mark.parametrize("token_types", [True, False])
def test_packed_rows_give_the_padded_outputs(attention: str, token_types: bool) -> None:
    model = tiny_model(attention)
    assert can_pack(model.encoder)
    rng = random.Random(1)
    batch = features([rng.randrange(6, 110) for _ in range(32)], token_types)
    packed = pack(batch, pad_id=0)
    assert packed.input_ids.shape[0] < len(batch)  # sentences really share rows
    with torch.inference_mode():
        padded_sentiment, padded_stance = model(**collate(batch, 0))
        packed_sentiment, packed_stance = model.forward_packed(packed)
    torch.testing.assert_close(packed_sentiment, padded_sentiment, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(packed_stance, padded_stance, atol=1e-5, rtol=1e-4)


def test_one_sentence_is_one_row_of_its_own_length() -> None:
    packed = pack(features([17], token_types=False), pad_id=0)
    assert tuple(packed.input_ids.shape) == (1, 17)
    assert packed.attention_mask.all() and packed.position_ids.tolist() == [list(range(17))]


def test_each_token_attends_only_to_its_own_sentence() -> None:
    batch = features([5, 3, 4], token_types=False)
    packed = pack(batch, pad_id=0)
    mask = packed.attention_mask[:, 0]
    for i, n in enumerate([5, 3, 4]):
        r, s = int(packed.row[i]), int(packed.start[i])
        assert packed.input_ids[r, s : s + n].tolist() == batch[i]["input_ids"]
        assert packed.position_ids[r, s : s + n].tolist() == list(range(n))
        assert mask[r, s : s + n].sum(-1).tolist() == [n] * n  # each of its tokens sees its n tokens, no others
        assert packed.target_mask[i, :, s : s + n].tolist() == [[float(x) for x in m] for m in batch[i]["target_mask"]]
        assert packed.target_mask[i].sum() == sum(map(sum, batch[i]["target_mask"]))


def test_first_fit_decreasing_places_every_sequence_once_within_capacity() -> None:
    rng = random.Random(2)
    lengths = [rng.randrange(1, 120) for _ in range(50)]
    bins = first_fit_decreasing(lengths, 128)
    assert sorted(i for b in bins for i in b) == list(range(50))
    assert all(sum(lengths[i] for i in b) <= 128 for b in bins)
    assert len(bins) <= -(-sum(lengths) // 128) * 11 // 9 + 1  # FFD's bound: 11/9 of the optimum, plus one
    with pytest.raises(ValueError, match="130 tokens does not fit rows of 128"):
        first_fit_decreasing([130], 128)


def test_layout_is_the_cheapest_candidate() -> None:
    rng = random.Random(3)
    lengths = [rng.randrange(40, 110) for _ in range(32)]
    length, bins = choose_layout(lengths)
    assert length >= max(lengths)
    candidates = [max(lengths), *(r for r in ROW_LENGTHS if r > max(lengths))]
    costs = {r: layout_cost(len(first_fit_decreasing(lengths, r)), r) for r in candidates}
    assert layout_cost(len(bins), length) == min(costs.values())
    assert layout_cost(len(bins), length) < layout_cost(len(lengths), max(lengths))  # cheaper than padding
    # Equal lengths leave nothing to pack: one sentence a row, no longer rows.
    assert choose_layout([60] * 8) == (60, [[i] for i in range(8)])


def test_encoders_that_number_positions_otherwise_are_not_packed() -> None:
    model = tiny_model("sdpa")
    model.encoder.config.model_type = "xlm-roberta"  # positions count from the pad id + 1
    assert not can_pack(model.encoder)
