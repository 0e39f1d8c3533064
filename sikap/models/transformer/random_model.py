"""Random-weight BERT checkpoints built offline: the tiny one the tests train, and an
IndoBERT-base-shaped one for benchmarks. The vocabulary is WordPiece trained on given texts.
"""

from pathlib import Path

# The architecture of indobenchmark/indobert-base-p1 (its config.json).
INDOBERT_BASE_P1 = {
    "vocab_size": 50000,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
}
TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
}
SHAPES = {"tiny": TINY, "indobert-base-p1": INDOBERT_BASE_P1}


def build_random_bert(
    directory: Path, texts: list[str], shape: str = "tiny", vocab_size: int = 1500, seed: int = 0
) -> Path:
    """Write a ``save_pretrained`` BERT (random weights) and its fast WordPiece tokenizer to ``directory``.

    The model's embedding matrix has the shape's ``vocab_size`` when it sets one (so a
    base-shaped model costs what the real one does), else the trained vocabulary's size.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    settings = {"vocab_size": tokenizer.get_vocab_size(), **SHAPES[shape]}
    fast = BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=settings["max_position_embeddings"])
    torch.manual_seed(seed)
    BertModel(BertConfig(**settings)).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory
