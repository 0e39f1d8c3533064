"""The default's lean inference path gives exactly sklearn's probabilities, and hands other pipelines to sklearn."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MaxAbsScaler

from sikap.data.labels import load_labels
from sikap.models import lean_pipeline
from sikap.models.baseline import make_classifier, make_features
from sikap.text.targets import TARGET_SLOT

TEXTS = [  # as a stance head reads them: the target's mentions replaced by its slot word
    f"{TARGET_SLOT} menggelar latihan gabungan di Laut Baltik pekan ini.",
    f"Kremlin mengecam sanksi baru yang diumumkan Brussel terhadap {TARGET_SLOT}.",
    f"Warga {TARGET_SLOT} kembali mengantre air bersih setelah serangan semalam.",
    "Harga beras turun tipis.",
    "",  # no words at all: an all-zero row
    "qwzx vbnm",  # nothing the vocabularies know
]


def fitted(pipe: Pipeline, classes: int) -> Pipeline:
    texts = TEXTS[:4] * 3
    labels = [f"class{i % classes}" for i in range(len(texts))]
    return pipe.fit(texts, labels)


def test_the_default_heads_take_the_lean_path_with_sklearns_probabilities(
    default_predictor, sample_labels, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIKAP_LABELS", str(sample_labels))  # the labels the default was trained on, not all 21k
    texts = [s.text for s in load_labels().sentences][:300] + TEXTS
    heads = {"sentiment": default_predictor.sentiment, **default_predictor.stance}
    for name, pipe in heads.items():
        assert lean_pipeline.lean_parts(pipe) is not None, name
        np.testing.assert_array_equal(lean_pipeline.predict_proba(pipe, texts), pipe.predict_proba(texts), err_msg=name)


@pytest.mark.parametrize("classes", [2, 3])
def test_two_and_three_class_heads_with_the_slot_window_match_sklearn(classes: int) -> None:
    pipe = fitted(Pipeline([("features", make_features(slot_width=3)), ("classifier", make_classifier(4.0))]), classes)
    assert lean_pipeline.lean_parts(pipe) is not None
    lean = lean_pipeline.predict_proba(pipe, TEXTS)
    assert lean.shape == (len(TEXTS), classes)
    np.testing.assert_array_equal(lean, pipe.predict_proba(TEXTS))


@pytest.mark.parametrize(
    "pipe",
    [
        Pipeline([("features", make_features()), ("scale", MaxAbsScaler()), ("classifier", LogisticRegression())]),
        Pipeline([("features", FeatureUnion([("w", TfidfVectorizer())], transformer_weights={"w": 2.0})), ("classifier", LogisticRegression())]),
        Pipeline([("features", FeatureUnion([("w", TfidfVectorizer())])), ("classifier", SGDClassifier(loss="log_loss"))]),
        LogisticRegression(),  # not a pipeline: fitted on the TF-IDF of the texts below
    ],
    ids=["another step", "weighted union", "another classifier", "no pipeline"],
)  # fmt: skip
def test_pipelines_of_another_shape_go_through_sklearn(pipe, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = TEXTS
    if not isinstance(pipe, Pipeline):
        texts = TfidfVectorizer().fit_transform(TEXTS)
        pipe.fit(texts[:4], ["a", "b", "c", "a"])
    else:
        pipe = fitted(pipe, 3)
    expected = pipe.predict_proba(texts)
    assert lean_pipeline.lean_parts(pipe) is None
    monkeypatch.setattr(lean_pipeline, "tfidf", lambda *_: pytest.fail("the lean path ran"))
    np.testing.assert_array_equal(lean_pipeline.predict_proba(pipe, texts), expected)
