"""Tokenization with mention masks: which tokens of a sentence belong to each target's mentions."""

from sikap.text.targets import Mention


def mention_token_mask(offsets: list[tuple[int, int]], mentions: list[Mention]) -> list[int]:
    """1 for every (non-special) token overlapping a mention span, else 0."""
    return [int(end > start and any(start < m.end and end > m.start for m in mentions)) for start, end in offsets]


def sentence_offsets(offsets: list[tuple[int, int]], sequence_ids: list[int | None]) -> list[tuple[int, int]]:
    """Offsets of the sentence's own tokens; context tokens (second segment) become empty spans."""
    return [span if seq == 0 else (0, 0) for span, seq in zip(offsets, sequence_ids, strict=True)]


def encode(
    tokenizer,
    texts: list[str],
    mentions: list[dict[str, list[Mention]]],
    targets: list[str],
    max_length: int,
    contexts: list[str] | None = None,
    context_length: int = 0,
) -> dict[str, list]:
    """Token ids truncated to ``max_length`` (no padding) and a (targets x tokens) mention mask per text.

    With ``contexts`` each text is paired with its context as a second segment, the pair truncated
    to ``max_length + context_length`` (longest segment first); mention masks cover the text only.
    """
    if contexts is None:
        encoded = tokenizer(texts, truncation=True, max_length=max_length, return_offsets_mapping=True)
        offsets = encoded.pop("offset_mapping")
    else:
        encoded = tokenizer(
            texts,
            contexts,
            truncation="longest_first",
            max_length=max_length + context_length,
            return_offsets_mapping=True,
        )
        offsets = [sentence_offsets(o, encoded.sequence_ids(i)) for i, o in enumerate(encoded.pop("offset_mapping"))]
    encoded["target_mask"] = [
        [mention_token_mask(spans, found[t]) for t in targets] for spans, found in zip(offsets, mentions, strict=True)
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
