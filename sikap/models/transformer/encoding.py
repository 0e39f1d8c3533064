"""Tokenization with mention masks: which tokens of a sentence belong to each target's mentions."""

from sikap.text.targets import Mention


def mention_token_mask(offsets: list[tuple[int, int]], mentions: list[Mention]) -> list[int]:
    """1 for every (non-special) token overlapping a mention span, else 0."""
    return [int(end > start and any(start < m.end and end > m.start for m in mentions)) for start, end in offsets]


def encode(
    tokenizer, texts: list[str], mentions: list[dict[str, list[Mention]]], targets: list[str], max_length: int
) -> dict[str, list]:
    """Token ids truncated to ``max_length`` (no padding) and a (targets x tokens) mention mask per text."""
    encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
    encoded["target_mask"] = [
        [mention_token_mask(offsets, found[t]) for t in targets]
        for offsets, found in zip(encoded.pop("offset_mapping"), mentions, strict=True)
    ]
    return dict(encoded)


def collate(features: list[dict], pad_id: int):
    """Pad a batch to its longest sequence (dynamic padding) and stack into tensors."""
    import torch

    length = max(len(f["input_ids"]) for f in features)
    batch: dict = {}
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        if key in features[0]:
            fill = pad_id if key == "input_ids" else 0
            batch[key] = torch.tensor([f[key] + [fill] * (length - len(f[key])) for f in features])
    batch["target_mask"] = torch.tensor(
        [[row + [0] * (length - len(row)) for row in f["target_mask"]] for f in features], dtype=torch.float32
    )
    for key in ("sentiment", "stance"):
        if key in features[0]:
            batch[key] = torch.tensor([f[key] for f in features])
    return batch
