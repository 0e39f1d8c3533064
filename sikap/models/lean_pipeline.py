"""Class probabilities of the embedded default's fitted pipelines without sklearn's per-call overhead.

Each of the default's pipelines is a :class:`~sklearn.pipeline.FeatureUnion` of TF-IDF vectorizers followed by a
(multinomial) :class:`~sklearn.linear_model.LogisticRegression`. ``Pipeline.predict_proba`` validates its input at every
step, and each TF-IDF vectorizer validates its counts again before weighting them (array checks, dataframe
detection, output wrapping, parameter routing): a fixed cost per call and per vectorizer that, for the four
pipelines of three vectorizers each, is larger than the arithmetic for a 32-sentence batch of the service.
:func:`predict_proba` runs the same arithmetic on the fitted parts (each vectorizer's own counting, then the
TF-IDF weighting and row normalization as ``TfidfTransformer.transform`` does it, the union's column stack,
``X @ coef_.T + intercept_`` and a softmax), so the probabilities are those of ``Pipeline.predict_proba``.
"""

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.extmath import softmax
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l1, inplace_csr_row_normalize_l2

NORMALIZE = {"l2": inplace_csr_row_normalize_l2, "l1": inplace_csr_row_normalize_l1}


def lean_parts(pipe: Pipeline) -> tuple[list[TfidfVectorizer], LogisticRegression] | None:
    """The vectorizers and the classifier of a pipeline of the default's shape, else None."""
    if not isinstance(pipe, Pipeline):  # any other estimator with predict_proba: sklearn's (or its own) path
        return None
    steps = dict(pipe.steps)
    union, classifier = steps.get("features"), steps.get("classifier")
    if len(steps) != 2 or not isinstance(union, FeatureUnion) or not isinstance(classifier, LogisticRegression):
        return None
    vectorizers = [part for _, part in union.transformer_list]
    if union.transformer_weights or not all(
        isinstance(v, TfidfVectorizer) and (v.norm is None or v.norm in NORMALIZE) for v in vectorizers
    ):
        return None
    return vectorizers, classifier


def tfidf(vectorizer: TfidfVectorizer, texts: list[str]) -> sparse.csr_matrix:
    """``vectorizer.transform(texts)``: the counts, then ``TfidfTransformer.transform``'s weighting in place."""
    features = sparse.csr_matrix(CountVectorizer.transform(vectorizer, texts), dtype=np.float64)
    if vectorizer.sublinear_tf:
        np.log(features.data, features.data)
        features.data += 1.0
    if vectorizer.use_idf:
        features.data *= vectorizer.idf_[features.indices]
    if vectorizer.norm is not None:
        NORMALIZE[vectorizer.norm](features)
    return features


def predict_proba(pipe: Pipeline, texts: list[str]) -> np.ndarray:
    """``pipe.predict_proba(texts)``, columns in ``pipe.classes_`` order; pipelines of another shape go through
    sklearn as they are."""
    parts = lean_parts(pipe)
    if parts is None:
        return pipe.predict_proba(texts)
    vectorizers, classifier = parts
    features = sparse.hstack([tfidf(v, texts) for v in vectorizers]).tocsr()
    scores = features @ classifier.coef_.T + classifier.intercept_
    if scores.shape[1] == 1:  # a head trained on two classes: the logistic function, as LogisticRegression does
        positive = expit(scores.ravel())
        return np.vstack([1 - positive, positive]).T
    return softmax(scores, copy=False)
