"""Shared fixtures: small label files written per test, and an isolated model store."""

import json
import os
import tempfile
from pathlib import Path

import pytest

from sikap.targets import load_targets


def record(id: str, text: str, sentiment: str = "neutral", **stance: str) -> dict:
    """A label record; targets not given are ``none``."""
    return {
        "id": id,
        "text": text,
        "sentiment": sentiment,
        "stance": {"NATO": "none", "Russia": "none", "Ukraine": "none", **stance},
    }


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.fixture(scope="session")
def targets():
    return load_targets()


# One isolated model store for the whole test session, set before anything imports bentoml
# (BentoML reads its home once per process).
SESSION_HOME = Path(tempfile.mkdtemp(prefix="sikap-test-home-"))
os.environ["SIKAP_HOME"] = str(SESSION_HOME)
os.environ.pop("SIKAP_MODEL", None)


@pytest.fixture(scope="session")
def default_tag() -> str:
    """The embedded default, trained once from the shipped labels into the session store."""
    from sikap.loading import build_default_model

    return build_default_model()


@pytest.fixture(scope="session")
def default_predictor(default_tag: str):
    from sikap.loading import load_stored
    from sikap.store import get_model

    return load_stored(get_model(default_tag))


def build_tiny_bert(directory: Path, texts: list[str]) -> Path:
    """A 2-layer, 32-wide BERT with random weights and a WordPiece vocabulary trained on ``texts``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=1500, special_tokens=specials))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=128)
    config = BertConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    from sikap.labels import load_labels

    texts = [s.text for s in load_labels().sentences]
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), texts)
