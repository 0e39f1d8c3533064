"""The article context a sentence is read with: the headline and the sentence before it.

Many news sentences only make sense with what came before ("Langkah itu dikecam Moskow", "Dia
menolak…") or with the story's headline. Models that read context get it as a second segment;
the same function builds it for training, evaluation, ``/analyze`` and ``sikap score``.
"""

from collections.abc import Sequence

CONTEXT_MODES = ("none", "title+previous")  # what a model reads besides the sentence
SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ")", "…")
MAX_TITLE_WORDS = 25


def looks_like_title(text: str) -> bool:
    """A headline: short and without a sentence's closing punctuation."""
    text = text.strip()
    return bool(text) and not text.endswith(SENTENCE_END) and len(text.split()) <= MAX_TITLE_WORDS


def article_contexts(sentences: Sequence[str], first_is_title: bool | None = None) -> list[str]:
    """The context of each sentence of one article, in order: the headline (when the article has one, and
    not for the headline itself nor for the sentence right after it, whose previous sentence it is) and the
    previous sentence. ``first_is_title``: whether the first sentence is the headline (``None``: when it
    looks like one). The first sentence of an article has no context.
    """
    if first_is_title is None:
        first_is_title = bool(sentences) and looks_like_title(sentences[0])
    contexts = []
    for i in range(len(sentences)):
        parts = [sentences[0].strip()] if first_is_title and i > 1 else []
        if i > 0:
            parts.append(sentences[i - 1].strip())
        contexts.append(" ".join(parts))
    return contexts
