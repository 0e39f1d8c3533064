"""A shared encoder with a sentiment head and one stance head per target.

Each stance head reads the [CLS] vector, the mean of the target's mention tokens
("span"), or both concatenated ("cls+span"). Span pooling tells the head *where* its
target is, which matters when one sentence names several targets with different stances.
"""

import json
from pathlib import Path

import torch
from torch import nn

from sikap.models.transformer.packing import PackedBatch
from sikap.schema import MENTIONED_STANCES, SENTIMENTS

HEADS_FILE = "heads.pt"
CONFIG_FILE = "sikap_heads.json"
ENCODER_DIR = "encoder"


class StanceModel(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        targets: list[str],
        pooling: str = "cls+span",
        dropout: float = 0.1,
        context: str = "none",
        context_length: int = 0,
    ):
        super().__init__()
        self.encoder = encoder
        self.targets = list(targets)
        self.pooling = pooling
        self.context, self.context_length = context, context_length  # the input, not weights: saved with the heads
        hidden = encoder.config.hidden_size
        width = hidden * (2 if pooling == "cls+span" else 1)
        self.dropout = nn.Dropout(dropout)
        self.sentiment_head = nn.Linear(hidden, len(SENTIMENTS))
        self.stance_heads = nn.ModuleDict({t: nn.Linear(width, len(MENTIONED_STANCES)) for t in self.targets})

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        target_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sentiment logits (B, 3) and stance logits (B, T, 3); ``target_mask`` is (B, T, L) over mention tokens."""
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        return self._heads(hidden[:, 0], hidden, target_mask)

    def forward_packed(self, batch: PackedBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward` for sentences packed several to a row (:mod:`sikap.models.transformer.packing`)."""
        mask = batch.attention_mask
        if self.encoder.config._attn_implementation != "sdpa":  # eager adds the mask to the scores
            mask = torch.zeros(mask.shape, device=mask.device).masked_fill(~mask, torch.finfo(torch.float32).min)
        kwargs = {"token_type_ids": batch.token_type_ids} if batch.token_type_ids is not None else {}
        hidden = self.encoder(
            input_ids=batch.input_ids, attention_mask=mask, position_ids=batch.position_ids, **kwargs
        ).last_hidden_state
        return self._heads(hidden[batch.row, batch.start], hidden[batch.row], batch.target_mask)

    def _heads(
        self, cls: torch.Tensor, hidden: torch.Tensor, target_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The heads on each sentence's [CLS] vector (B, D) and token vectors (B, L, D)."""
        cls = self.dropout(cls)
        sentiment = self.sentiment_head(cls)
        weights = target_mask.to(hidden.dtype)
        span = torch.einsum("btl,bld->btd", weights, hidden) / weights.sum(-1, keepdim=True).clamp(min=1.0)
        span = self.dropout(span)
        stances = []
        for i, target in enumerate(self.targets):
            if self.pooling == "cls":
                features = cls
            elif self.pooling == "span":
                features = span[:, i]
            else:
                features = torch.cat([cls, span[:, i]], dim=-1)
            stances.append(self.stance_heads[target](features))
        return sentiment, torch.stack(stances, dim=1)

    def save(self, directory: Path, tokenizer) -> None:
        """Hugging Face ``save_pretrained`` encoder + tokenizer, plus the heads and their config."""
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(directory / ENCODER_DIR)
        tokenizer.save_pretrained(directory / ENCODER_DIR)
        heads = {k: v for k, v in self.state_dict().items() if not k.startswith("encoder.")}
        torch.save(heads, directory / HEADS_FILE)
        (directory / CONFIG_FILE).write_text(
            json.dumps(
                {
                    "targets": self.targets,
                    "pooling": self.pooling,
                    "context": self.context,
                    "context_length": self.context_length,
                }
            )
        )

    @classmethod
    def load(cls, directory: Path) -> tuple["StanceModel", object]:
        from transformers import AutoModel, AutoTokenizer

        config = json.loads((directory / CONFIG_FILE).read_text())
        tokenizer = AutoTokenizer.from_pretrained(directory / ENCODER_DIR, use_fast=True)
        encoder = AutoModel.from_pretrained(directory / ENCODER_DIR)
        model = cls(
            encoder,
            config["targets"],
            config["pooling"],
            context=config.get("context", "none"),
            context_length=int(config.get("context_length", 0)),
        )
        model.load_state_dict(torch.load(directory / HEADS_FILE, map_location="cpu"), strict=False)
        return model.eval(), tokenizer
