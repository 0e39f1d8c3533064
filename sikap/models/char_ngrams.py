"""A TF-IDF vectorizer of within-word character n-grams (``analyzer="char_wb"``) that counts them per word.

scikit-learn's ``CountVectorizer`` counts every n-gram of every document in a Python loop: for the embedded
default's character 2-5-grams that is ~800 dictionary updates a sentence, most of the default's build (its
features are fitted four times on the labels) and of its inference. ``char_wb`` n-grams never cross a space, so a
document's n-grams are those of its words, in order. :class:`CharNgramVectorizer` looks each distinct word's
n-gram columns up once (through sklearn's own ``_char_wb_ngrams``), and the counting (summing duplicate columns)
happens in scipy. The vocabulary (with its insertion order), the count matrix and therefore everything sklearn
derives from them (sorting, ``min_df``/``max_features``, idf) are those of ``TfidfVectorizer``: the tests compare
them bit for bit. Fitted defaults are pickled with this class: keep its name and module.
"""

from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils._sparse import _align_api_if_sparse

# Distinct words whose n-gram columns a fitted vectorizer keeps between calls (~300 bytes each); a call that
# leaves more empties it. Word frequencies in news are steep: this many cover nearly every word of a batch.
WORD_CACHE_SIZE = 20_000


class CharNgramVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` whose ``char_wb`` counting runs per distinct word (any other analyzer: sklearn's)."""

    def _count_vocab(self, raw_documents, fixed_vocab):
        if self.analyzer != "char_wb":
            return super()._count_vocab(raw_documents, fixed_vocab)
        if fixed_vocab:
            vocabulary = self.vocabulary_
            cache = self.__dict__.setdefault("_word_columns", {})
        else:
            vocabulary = defaultdict()  # a new n-gram gets the next column, as in sklearn
            vocabulary.default_factory = vocabulary.__len__
            cache = {}
            self.__dict__.pop("_word_columns", None)  # columns of an earlier fit
        X = self._count_by_word(raw_documents, vocabulary, fixed_vocab, cache)
        if len(cache) > WORD_CACHE_SIZE:
            cache.clear()
        if not fixed_vocab:
            vocabulary = dict(vocabulary)
            if not vocabulary:
                raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        return vocabulary, _align_api_if_sparse(X)

    def _count_by_word(self, raw_documents, vocabulary: dict, fixed_vocab: bool, cache: dict) -> sp.csr_array:
        """The documents' n-gram counts (rows sorted by column), adding unseen n-grams to ``vocabulary`` unless
        ``fixed_vocab``; ``cache`` maps a word to its n-grams' columns."""
        preprocess, spaces, ngrams = self.build_preprocessor(), self._white_spaces, self._char_wb_ngrams
        columns, indptr = [], [0]
        for doc in raw_documents:
            total = indptr[-1]
            for word in spaces.sub(" ", preprocess(self.decode(doc))).split():
                found = cache.get(word)
                if found is None:
                    grams = ngrams(word)  # a single word: exactly its part of the document's n-grams
                    if fixed_vocab:
                        grams = [g for g in grams if g in vocabulary]  # sklearn skips unknown n-grams
                    found = cache[word] = np.array([vocabulary[g] for g in grams], dtype=np.int32)
                columns.append(found)
                total += len(found)
            indptr.append(total)
        if indptr[-1] > np.iinfo(np.int32).max:
            raise ValueError(f"{indptr[-1]} n-grams: more than a 32-bit sparse index holds; vectorize in parts")
        indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int32)
        X = sp.csr_array(
            (np.ones(len(indices), dtype=self.dtype), indices, np.asarray(indptr, dtype=np.int32)),
            shape=(len(indptr) - 1, len(vocabulary)),
        )
        X.sum_duplicates()  # sorts each row's columns and adds up repeats: the counts
        return X

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ hands out the instance's own __dict__
        state.pop("_word_columns", None)  # a cache, not part of the model
        return state
