"""Transformer inference: length-sorted batches, dynamic padding, no gradients."""

from pathlib import Path

import numpy as np
import torch

from sikap.cpu import physical_cores
from sikap.models.predictor import Predictor
from sikap.models.transformer.encoding import collate, encode
from sikap.models.transformer.model import StanceModel
from sikap.text.targets import Mention, load_targets

DEFAULT_BATCH = 32


class TransformerPredictor(Predictor):
    kind = "transformer"

    def __init__(
        self,
        tag: str,
        targets,
        model: StanceModel,
        tokenizer,
        metadata: dict | None = None,
        max_length: int = 128,
        batch_size: int = DEFAULT_BATCH,
        device: str = "cpu",
    ):
        super().__init__(tag, targets, metadata)
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.context_mode = model.context
        self.context_length = model.context_length

    @classmethod
    def load(cls, tag: str, directory: Path, metadata: dict | None = None) -> "TransformerPredictor":
        if torch.get_num_threads() > physical_cores():
            torch.set_num_threads(physical_cores())
        model, tokenizer = StanceModel.load(directory)
        max_length = int((metadata or {}).get("config", {}).get("max_length", 128))
        return cls(tag, load_targets(directory / "targets.yaml"), model, tokenizer, metadata, max_length)

    def _forward(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Softmax probabilities for sentiment (n, 3) and stance (n, T, 3), in input order."""
        if self.context_mode == "none":
            contexts = None
        elif contexts is None:
            contexts = [""] * len(texts)
        features = encode(
            self.tokenizer, texts, mentions, self.target_names, self.max_length, contexts, self.context_length
        )
        rows = [{k: features[k][i] for k in features} for i in range(len(texts))]
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
        sentiment = np.zeros((len(texts), 3), dtype=np.float32)
        stance = np.zeros((len(texts), len(self.target_names), 3), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                batch = {
                    k: v.to(self.device)
                    for k, v in collate([rows[i] for i in index], self.tokenizer.pad_token_id).items()
                }
                sent_logits, stance_logits = self.model(**batch)
                sentiment[index] = torch.softmax(sent_logits.float(), -1).cpu().numpy()
                stance[index] = torch.softmax(stance_logits.float(), -1).cpu().numpy()
        return sentiment, stance

    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        sentiment, stance = self._forward(texts, mentions, contexts)
        return sentiment, {name: stance[:, i] for i, name in enumerate(self.target_names)}
