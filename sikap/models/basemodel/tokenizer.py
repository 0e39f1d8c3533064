"""The XLM-R SentencePiece tokenizer of e5-small as a Hugging Face fast tokenizer.

Unigram model over the file's pieces and scores, the standard ``nmt_nfkc`` normalization
(``Precompiled`` charsmap, then runs of spaces collapsed), ``Metaspace`` pre-tokenization and
``<s> X </s>``. The charsmap is the one SentencePiece compiles for ``nmt_nfkc``, taken from a
throwaway model trained in-process on a few words; the file's own per-codepoint map is only
used to check it (:func:`normalization_agreement`).
"""

import functools
import io

from sikap.models.basemodel.reader import E5File

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_TRAINING_TEXT = ["Sikap membaca berita tentang NATO, Rusia dan Ukraina.", "abcdefghijklmnopqrstuvwxyz 0123456789"] * 4


@functools.cache
def nmt_nfkc_charsmap() -> bytes:
    """SentencePiece's precompiled ``nmt_nfkc`` normalization table (compiled once per process)."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(_TRAINING_TEXT),
        model_writer=buffer,
        model_type="char",
        vocab_size=40,
        hard_vocab_limit=False,
        normalization_rule_name="nmt_nfkc",
        minloglevel=2,
    )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(buffer.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(source: E5File, max_length: int):
    """A ``PreTrainedTokenizerFast`` (XLM-R style special tokens) for ``source``'s vocabulary."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    ids = source.special_ids
    for name, token in (("bos", "<s>"), ("pad", "<pad>"), ("eos", "</s>"), ("unk", "<unk>")):
        if source.pieces[ids[name]] != token:
            raise ValueError(f"{source.path}: piece {ids[name]} is {source.pieces[ids[name]]!r}, expected {token}")
    vocab = list(zip(source.pieces, source.scores.tolist(), strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(nmt_nfkc_charsmap()), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", ids["bos"]), ("</s>", ids["eos"])],
    )
    tokenizer.add_special_tokens(
        [AddedToken(t, special=True, lstrip=t == "<mask>", normalized=False) for t in SPECIALS]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=max_length,
        model_input_names=["input_ids", "attention_mask"],
    )


def normalization_agreement(source: E5File, tokenizer) -> tuple[int, list[int]]:
    """How many codepoints of the file's own map the tokenizer normalizes the same way, and those it does not."""
    normalizer = tokenizer.backend_tokenizer.normalizer
    differ = [cp for cp, out in source.normalization.items() if normalizer.normalize_str(chr(cp)) != out]
    return len(source.normalization) - len(differ), differ
