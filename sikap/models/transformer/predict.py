"""Transformer inference: length-sorted batches, packed (or padded) rows, no gradients, fp32 or bf16 autocast."""

from pathlib import Path

import numpy as np
import torch

from sikap.cpu import env_choice, has_native_bf16, physical_cores
from sikap.errors import SikapError
from sikap.models.predictor import Predictor
from sikap.models.transformer.encoding import collate, encode
from sikap.models.transformer.model import StanceModel
from sikap.models.transformer.packing import can_pack, pack
from sikap.text.targets import Mention, load_targets

DEFAULT_BATCH = 32
PRECISION_ENV = "SIKAP_INFERENCE_PRECISION"
PRECISION_SETTINGS = ("auto", "fp32", "bf16")
PACKING_ENV = "SIKAP_PACKING"  # auto: pack sentences into shared rows where the encoder allows (packing.py); off
PACKING_SETTINGS = ("auto", "off")


def auto_precision(flags: frozenset[str] | set[str] | None = None) -> str:
    """``bf16`` where the CPU (``flags``, default this one's) has native bf16, else ``fp32`` (emulated bf16 is slower)."""
    return "bf16" if has_native_bf16(flags) else "fp32"


def packing_setting(setting: str | None = None) -> str:
    """``$SIKAP_PACKING`` (or ``setting``): ``auto`` packs where the encoder allows, ``off`` pads every batch."""
    return env_choice(PACKING_ENV, PACKING_SETTINGS, setting)


def inference_precision(setting: str | None = None, flags: frozenset[str] | set[str] | None = None) -> str:
    """The precision to serve in, ``fp32`` or ``bf16``: ``setting`` (default ``$SIKAP_INFERENCE_PRECISION``,
    unset meaning ``auto``), where ``auto`` is :func:`auto_precision`."""
    setting = env_choice(PRECISION_ENV, PRECISION_SETTINGS, setting)
    return auto_precision(flags) if setting == "auto" else setting


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
        precision: str = "fp32",
    ):
        """``precision``: ``fp32``, or ``bf16`` (matrix products autocast to bf16, weights kept in fp32)."""
        super().__init__(tag, targets, metadata)
        if precision not in ("fp32", "bf16"):
            raise SikapError(f"precision must be fp32 or bf16, not {precision!r}")
        self.precision = precision
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.context_mode = model.context
        self.context_length = model.context_length
        self.packing = packing_setting() == "auto" and can_pack(model.encoder)

    @classmethod
    def load(cls, tag: str, directory: Path, metadata: dict | None = None) -> "TransformerPredictor":
        """Load a stored model to serve, in :func:`inference_precision` (validated before the weights are read)."""
        precision = inference_precision()
        if torch.get_num_threads() > physical_cores():
            torch.set_num_threads(physical_cores())
        model, tokenizer = StanceModel.load(directory)
        max_length = int((metadata or {}).get("config", {}).get("max_length", 128))
        targets = load_targets(directory / "targets.yaml")
        return cls(tag, targets, model, tokenizer, metadata, max_length, precision=precision)

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
        autocast = torch.autocast(torch.device(self.device).type, torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), autocast:
            for start in range(0, len(order), self.batch_size):
                index = order[start : start + self.batch_size]
                sent_logits, stance_logits = self._run([rows[i] for i in index])
                sentiment[index] = torch.softmax(sent_logits.float(), -1).cpu().numpy()
                stance[index] = torch.softmax(stance_logits.float(), -1).cpu().numpy()
        return sentiment, stance

    def _run(self, features: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits for one batch: packed several sentences to a row where the encoder allows, else padded."""
        if self.packing:
            return self.model.forward_packed(pack(features, self.tokenizer.pad_token_id).to(self.device))
        batch = collate(features, self.tokenizer.pad_token_id)
        return self.model(**{k: v.to(self.device) for k, v in batch.items()})

    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        sentiment, stance = self._forward(texts, mentions, contexts)
        return sentiment, {name: stance[:, i] for i, name in enumerate(self.target_names)}

    def describe(self) -> dict:
        return {**super().describe(), "inference_precision": self.precision, "packing": self.packing}
