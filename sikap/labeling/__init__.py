"""The labeling loop: pick the sentences the model is least sure of (:mod:`.selection`), hand them to
annotators (CSV, JSON Lines, Label Studio: :mod:`.label_studio`), and import the corrected labels back
into ``labels/data/`` (:mod:`.importing`)."""

import hashlib

from sikap.data.labels import normalize_text

ID_PREFIX = "al-"
# Keys the selection adds to each record for the annotator; the importer drops them.
EXTRA_KEYS = ("article_id", "uncertainty")


def sentence_id(text: str) -> str:
    """Deterministic id of a sentence: ``al-`` and 10 hex digits of the SHA-256 of its normalized text.

    >>> sentence_id("NATO bersidang.") == sentence_id("nato bersidang")
    True
    """
    return ID_PREFIX + hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()[:10]
