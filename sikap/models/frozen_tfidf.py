"""The embedded default's fitted pipelines as plain numbers and words: inference without scikit-learn.

Each pipeline of the default is a union of TF-IDF vectorizers followed by a logistic regression. What inference
needs of it is small: per vectorizer its analyzer's settings, its vocabulary and idf weights; the classifier's
coefficients, intercepts and classes. Importing scikit-learn costs more than the rest of loading the default
(~2 CPU-s: it imports scipy.stats and pandas), in every service and command that serves it. :func:`freeze`
copies those parts out of a fitted pipeline (where scikit-learn is loaded anyway); :class:`FrozenPipeline`
computes ``Pipeline.predict_proba`` from them with numpy and scipy.sparse alone: the same n-grams (scikit-learn's
``word`` and ``char_wb`` analyzers, or the slot window), the same counts, TF-IDF weighting, row normalization and
softmax, in the same order of operations, so the probabilities are scikit-learn's to the last bit (tested).

Stored defaults keep :meth:`FrozenPipeline.state`: dicts of numpy arrays, lists and strings, no classes of
this project or scikit-learn's, so loading them depends on neither.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.special import expit

from sikap.models.slot_window import SlotWindow

WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's ``_white_spaces``: runs of whitespace become one space
ANALYZERS = ("word", "char_wb", "slot_window")
# Distinct words whose ``char_wb`` columns a vectorizer keeps between calls (~300 bytes each); a call that
# leaves more empties it. Word frequencies in news are steep: this many cover nearly every word of a batch.
WORD_CACHE_SIZE = 20_000


@dataclass
class FrozenVectorizer:
    """A fitted TF-IDF vectorizer: ``transform`` gives scikit-learn's ``TfidfVectorizer.transform``."""

    analyzer: str  # one of ANALYZERS
    vocabulary: dict[str, int]
    idf: np.ndarray | None  # None: no idf weighting
    ngram_range: tuple[int, int] = (1, 1)
    lowercase: bool = True
    token_pattern: str | None = None  # the word analyzer's
    sublinear_tf: bool = False
    norm: str | None = "l2"  # "l2", "l1" or None
    slot_width: int = 0  # the slot window's
    slot: str = ""
    _word_columns: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"unknown analyzer {self.analyzer!r} (known: {', '.join(ANALYZERS)})")
        if self.norm not in ("l2", "l1", None):
            raise ValueError(f"unknown norm {self.norm!r}")
        self.ngram_range = tuple(self.ngram_range)
        self._tokens = re.compile(self.token_pattern).findall if self.token_pattern else None
        self._window = SlotWindow(self.slot_width, self.slot) if self.analyzer == "slot_window" else None

    def state(self) -> dict:
        names = ("analyzer", "vocabulary", "idf", "ngram_range", "lowercase", "token_pattern", "sublinear_tf", "norm")
        return {name: getattr(self, name) for name in (*names, "slot_width", "slot")}

    def grams(self, text: str) -> list[str]:
        """The document's terms as scikit-learn's analyzer gives them (``char_wb``: see :meth:`counts`)."""
        if self._window is not None:
            return self._window(text)
        tokens = self._tokens(text.lower() if self.lowercase else text)
        low, high = self.ngram_range
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    def _char_columns(self, word: str) -> np.ndarray:
        """The vocabulary columns of one word's ``char_wb`` n-grams (scikit-learn's ``_char_wb_ngrams``)."""
        found = self._word_columns.get(word)
        if found is None:
            padded, (low, high), vocabulary = f" {word} ", self.ngram_range, self.vocabulary
            grams = []
            for n in range(low, high + 1):
                grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
                if len(padded) <= n:  # a short word is counted once, at its shortest n
                    break
            found = self._word_columns[word] = np.array([vocabulary[g] for g in grams if g in vocabulary], np.int32)
        return found

    def counts(self, texts: list[str]) -> sparse.csr_matrix:
        """Term counts of the known terms (float64, each row's columns sorted), as ``CountVectorizer.transform``."""
        columns: list[np.ndarray] = []
        indptr = [0]
        for text in texts:
            if self.analyzer == "char_wb":
                words = WHITE_SPACES.sub(" ", text.lower() if self.lowercase else text).split()
                row = [self._char_columns(word) for word in words]
            else:
                vocabulary = self.vocabulary
                row = [np.array([vocabulary[g] for g in self.grams(text) if g in vocabulary], np.int32)]
            columns += row
            indptr.append(indptr[-1] + sum(len(r) for r in row))
        if len(self._word_columns) > WORD_CACHE_SIZE:
            self._word_columns.clear()
        indices = np.concatenate(columns) if columns else np.zeros(0, np.int32)
        matrix = sparse.csr_matrix(
            (np.ones(len(indices)), indices, np.asarray(indptr, dtype=np.int32)),
            shape=(len(texts), len(self.vocabulary)),
        )
        matrix.sum_duplicates()  # sorts each row's columns and adds up repeats: the counts
        return matrix

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """TF-IDF features: the counts, weighted and normalized in place as ``TfidfTransformer.transform`` does."""
        features = self.counts(texts)
        if self.sublinear_tf:
            np.log(features.data, features.data)
            features.data += 1.0
        if self.idf is not None:
            features.data *= self.idf[features.indices]
        if self.norm is not None:
            values = features.data * features.data if self.norm == "l2" else np.abs(features.data)
            # a sparse product sums each row in order, as scikit-learn's row normalization does
            totals = sparse.csr_matrix((values, features.indices, features.indptr), shape=features.shape) @ np.ones(
                features.shape[1]
            )
            if self.norm == "l2":
                totals = np.sqrt(totals)
            totals[totals == 0.0] = 1.0  # an empty row stays empty
            features.data /= np.repeat(totals, np.diff(features.indptr))
        return features


@dataclass
class FrozenPipeline:
    """A fitted union of TF-IDF vectorizers and a logistic regression: ``predict_proba`` as scikit-learn's."""

    vectorizers: list[FrozenVectorizer]
    coef: np.ndarray  # (classes or 1, features)
    intercept: np.ndarray
    classes_: np.ndarray  # scikit-learn's name: the columns of predict_proba

    def state(self) -> dict:
        return {
            "vectorizers": [v.state() for v in self.vectorizers],
            "coef": self.coef,
            "intercept": self.intercept,
            "classes": [str(c) for c in self.classes_],
        }

    @classmethod
    def from_state(cls, state: dict) -> "FrozenPipeline":
        return cls(
            [FrozenVectorizer(**v) for v in state["vectorizers"]],
            np.asarray(state["coef"]),
            np.asarray(state["intercept"]),
            np.asarray(state["classes"]),
        )

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        features = sparse.hstack([v.transform(texts) for v in self.vectorizers]).tocsr()
        scores = features @ self.coef.T + self.intercept
        if scores.shape[1] == 1:  # a head trained on two classes: the logistic function, as LogisticRegression does
            positive = expit(scores.ravel())
            return np.vstack([1 - positive, positive]).T
        scores -= scores.max(axis=1).reshape(-1, 1)  # scikit-learn's softmax, step by step
        np.exp(scores, scores)
        scores /= scores.sum(axis=1).reshape(-1, 1)
        return scores


def freeze(pipe) -> FrozenPipeline:
    """The parts of a fitted ``Pipeline([("features", FeatureUnion([...TfidfVectorizer])), ("classifier",
    LogisticRegression)])`` that inference needs; a pipeline of any other shape raises ``ValueError``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    steps = dict(pipe.steps) if isinstance(pipe, Pipeline) else {}
    union, classifier = steps.get("features"), steps.get("classifier")
    if len(steps) != 2 or not isinstance(union, FeatureUnion) or not isinstance(classifier, LogisticRegression):
        raise ValueError(f"not a pipeline of TF-IDF features and a logistic regression: {pipe!r}")
    if union.transformer_weights:
        raise ValueError("a feature union with transformer weights cannot be frozen")
    vectorizers = [_freeze_vectorizer(name, part, TfidfVectorizer) for name, part in union.transformer_list]
    return FrozenPipeline(vectorizers, classifier.coef_, classifier.intercept_, classifier.classes_)


def _freeze_vectorizer(name: str, vectorizer, tfidf_class) -> FrozenVectorizer:
    if not isinstance(vectorizer, tfidf_class):
        raise ValueError(f"feature {name!r} is a {type(vectorizer).__name__}, not a TfidfVectorizer")
    unsupported = {
        "input": vectorizer.input != "content",
        "preprocessor": vectorizer.preprocessor is not None,
        "tokenizer": vectorizer.tokenizer is not None,
        "stop_words": vectorizer.stop_words is not None,
        "strip_accents": vectorizer.strip_accents is not None,
        "binary": vectorizer.binary,
        "norm": vectorizer.norm not in ("l2", "l1", None),
    }
    analyzer = vectorizer.analyzer
    window = {}
    if isinstance(analyzer, SlotWindow):
        analyzer, window = "slot_window", {"slot_width": analyzer.width, "slot": analyzer.slot}
    elif analyzer == "word":
        unsupported["token_pattern"] = re.compile(vectorizer.token_pattern).groups > 1
    elif analyzer != "char_wb":
        unsupported["analyzer"] = True
    if any(unsupported.values()):
        raise ValueError(f"feature {name!r} cannot be frozen: {', '.join(k for k, v in unsupported.items() if v)}")
    return FrozenVectorizer(
        analyzer=analyzer,
        vocabulary=dict(vectorizer.vocabulary_),
        idf=np.asarray(vectorizer.idf_) if vectorizer.use_idf else None,
        ngram_range=tuple(vectorizer.ngram_range),
        lowercase=bool(vectorizer.lowercase),
        token_pattern=vectorizer.token_pattern if analyzer == "word" else None,
        sublinear_tf=bool(vectorizer.sublinear_tf),
        norm=vectorizer.norm,
        **window,
    )
