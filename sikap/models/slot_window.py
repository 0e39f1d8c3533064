"""Features of the words around a masked target: which words stand left and right of the slot.

The embedded default's stance classifiers read a sentence in which the target's mentions are
replaced by :data:`~sikap.text.targets.TARGET_SLOT`. Whole-sentence n-grams say what the sentence
is about; long news sentences, though, often say something different about each actor. These
features keep only the words within ``width`` tokens of each slot, tagged by side
(``L_kecam``, ``R_kecam``), and the bigrams of that window with the slot itself as a word, so
"targetslot mengecam X" and "X mengecam targetslot" look different.
"""

import re
from itertools import pairwise

from sikap.text.targets import TARGET_SLOT

TOKEN = re.compile(r"\w+")
SLOT_WORD = "SLOT"


class SlotWindow:
    """A scikit-learn ``analyzer``: the side-tagged words and bigrams around every target slot.

    A class rather than a closure so that fitted pipelines pickle (``joblib``)."""

    def __init__(self, width: int = 15, slot: str = TARGET_SLOT):
        self.width = width
        self.slot = slot

    def __call__(self, text: str) -> list[str]:
        tokens = TOKEN.findall(text.lower())
        features: list[str] = []
        for i, token in enumerate(tokens):
            if token != self.slot:
                continue
            left, right = tokens[max(0, i - self.width) : i], tokens[i + 1 : i + 1 + self.width]
            features += [f"L_{w}" for w in left] + [f"R_{w}" for w in right]
            window = [*left, SLOT_WORD, *right]
            features += [f"B_{a}_{b}" for a, b in pairwise(window)]
        return features
