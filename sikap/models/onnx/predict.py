"""ONNX Runtime inference: fast tokenizer in batches; length-sorted batches, each padded to its longest sentence.

Threads: intra-op = physical cores, spinning off (idle threads sleep instead of busy-waiting,
which left less CPU for the service's other processes and served fewer sentences/s).
"""

import os
from pathlib import Path

import numpy as np

from sikap.cpu import physical_cores
from sikap.errors import SikapError
from sikap.models.onnx.graph import MODEL_FILE, TOKENIZER_DIR, read_config
from sikap.models.predictor import Predictor
from sikap.models.transformer.encoding import mention_token_mask, sentence_offsets
from sikap.text.targets import Mention, load_targets

DEFAULT_BATCH = 32
MAX_PADDING = 0.15  # start a new batch rather than pad more than this share of the real tokens


def length_batches(lengths: list[int], batch_size: int, max_padding: float = MAX_PADDING) -> list[list[int]]:
    """Indices sorted by length, cut into batches of at most ``batch_size`` that pad little.

    Small batches cost no more per sentence than large ones here (int8 GEMMs of a few
    sentences already have dozens of rows), while padding is pure waste: a served batch of
    random one-sentence requests padded to its longest wastes ~40% of the compute.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    real = 0
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        padded = (len(current) + 1) * lengths[i]
        if current and (len(current) == batch_size or padded > (1 + max_padding) * (real + lengths[i]) + 2):
            batches.append(current)
            current, real = [], 0
        current.append(i)
        real += lengths[i]
    if current:
        batches.append(current)
    return batches


def make_session(path: Path, threads: int | None = None, spinning: bool = False):
    """A CPU session: all graph optimizations, ``threads`` intra-op threads (default: physical cores), one inter-op."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise SikapError(f"{path}: ONNX Runtime cannot load the model ({exc})") from None


def load_tokenizer(directory: Path, max_length: int):
    """The fast tokenizer saved beside the model, truncating to ``max_length`` (a pair: longest segment first),
    no padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


class OnnxPredictor(Predictor):
    """Same outputs as the torch backend from an exported (fp32 or int8) graph; needs neither torch nor transformers."""

    kind = "onnx"

    def __init__(
        self,
        tag: str,
        targets,
        session,
        tokenizer,
        pad_id: int,
        metadata: dict | None = None,
        batch_size: int = DEFAULT_BATCH,
        context_mode: str | None = None,
    ):
        super().__init__(tag, targets, metadata)
        self.session = session
        self.tokenizer = tokenizer
        self.pad_id = pad_id
        self.batch_size = batch_size
        self.inputs = [i.name for i in session.get_inputs()]
        self.tokens_processed = 0  # real (non-pad) tokens run through the encoder, for benchmarks
        self.context_mode = context_mode or "none"

    @classmethod
    def load(
        cls,
        tag: str,
        directory: Path,
        metadata: dict | None = None,
        threads: int | None = None,
        batch_size: int | None = None,
    ) -> "OnnxPredictor":
        """Load an export; ``$SIKAP_ONNX_THREADS`` and ``$SIKAP_ONNX_SPIN`` (0/1) override the thread settings."""
        config = read_config(directory)
        threads = threads or int(os.environ.get("SIKAP_ONNX_THREADS", "0")) or None
        spinning = os.environ.get("SIKAP_ONNX_SPIN", "0") == "1"
        session = make_session(directory / MODEL_FILE, threads, spinning)
        context = config.get("context", "none")
        length = int(config["max_length"]) + (int(config.get("context_length", 0)) if context != "none" else 0)
        tokenizer = load_tokenizer(directory / TOKENIZER_DIR, length)
        return cls(
            tag,
            load_targets(directory / "targets.yaml"),
            session,
            tokenizer,
            int(config["pad_token_id"]),
            metadata,
            batch_size or int(config.get("batch_size", DEFAULT_BATCH)),
            context,
        )

    def _feed(self, encodings: list, masks: list[list[list[int]]]) -> dict[str, np.ndarray]:
        """Pad one batch to its longest sentence."""
        length = max(len(e.ids) for e in encodings)
        n, targets = len(encodings), len(self.target_names)
        ids = np.full((n, length), self.pad_id, dtype=np.int64)
        attention = np.zeros((n, length), dtype=np.int64)
        types = np.zeros((n, length), dtype=np.int64)
        target_mask = np.zeros((n, targets, length), dtype=np.float32)
        for row, (encoding, mask) in enumerate(zip(encodings, masks, strict=True)):
            size = len(encoding.ids)
            ids[row, :size] = encoding.ids
            attention[row, :size] = 1
            types[row, :size] = encoding.type_ids
            target_mask[row, :, :size] = mask
        feed = {"input_ids": ids, "attention_mask": attention, "token_type_ids": types, "target_mask": target_mask}
        return {name: feed[name] for name in self.inputs}

    def logits(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Raw sentiment (n, 3) and stance (n, T, 3) logits, in input order."""
        if self.context_mode == "none":
            encodings = self.tokenizer.encode_batch(texts)
            offsets = [e.offsets for e in encodings]
        else:
            pairs = list(zip(texts, contexts if contexts is not None else [""] * len(texts), strict=True))
            encodings = self.tokenizer.encode_batch(pairs)
            offsets = [sentence_offsets(e.offsets, e.sequence_ids) for e in encodings]
        masks = [
            [mention_token_mask(spans, found[t]) for t in self.target_names]
            for spans, found in zip(offsets, mentions, strict=True)
        ]
        sentiment = np.zeros((len(texts), 3), dtype=np.float32)
        stance = np.zeros((len(texts), len(self.target_names), 3), dtype=np.float32)
        for index in length_batches([len(e.ids) for e in encodings], self.batch_size):
            feed = self._feed([encodings[i] for i in index], [masks[i] for i in index])
            sentiment[index], stance[index] = self.session.run(["sentiment", "stance"], feed)
            self.tokens_processed += int(feed["attention_mask"].sum())
        return sentiment, stance

    def probabilities(
        self, texts: list[str], mentions: list[dict[str, list[Mention]]], contexts: list[str] | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        sentiment, stance = (softmax(x) for x in self.logits(texts, mentions, contexts))
        return sentiment, {name: stance[:, i] for i, name in enumerate(self.target_names)}


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
