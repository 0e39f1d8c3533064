"""The default's frozen pipelines give scikit-learn's probabilities bit for bit, store as plain data, and serve
without importing scikit-learn; pipelines of another shape are refused by name."""

import gzip
import io
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MaxAbsScaler

from sikap.data.labels import load_labels
from sikap.models.baseline import make_classifier, make_features
from sikap.models.baseline_predictor import ARTIFACT
from sikap.models.frozen_tfidf import FrozenPipeline, FrozenVectorizer, freeze
from sikap.text.targets import TARGET_SLOT

TEXTS = [  # as a stance head reads them: the target's mentions replaced by its slot word
    f"{TARGET_SLOT} menggelar latihan gabungan di Laut Baltik pekan ini.",
    f"Kremlin mengecam sanksi baru yang diumumkan Brussel terhadap {TARGET_SLOT}.",
    f"Warga {TARGET_SLOT} kembali mengantre air bersih setelah serangan semalam.",
    "Harga beras turun tipis.",
    "",  # no words at all: an all-zero row
    "qwzx vbnm",  # nothing the vocabularies know
    "Ａ\u00a0b\tc\n\nNATO  ÉLYSÉE  a",  # one-letter words, wide letters, accents, runs of mixed whitespace
]


def fitted(pipe: Pipeline, classes: int, texts: list[str] | None = None) -> Pipeline:
    texts = texts or TEXTS[:4] * 3
    labels = [f"class{i % classes}" for i in range(len(texts))]
    return pipe.fit(texts, labels)


@pytest.fixture(scope="module")
def label_texts(sample_labels: Path) -> list[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIKAP_LABELS", str(sample_labels))
        return [s.text for s in load_labels().sentences][:400]


@pytest.mark.parametrize("slot_width", [0, 15], ids=["sentence n-grams", "with the slot window"])
def test_the_defaults_pipelines_frozen_give_sklearns_probabilities(label_texts: list[str], slot_width: int) -> None:
    texts = [t.replace("NATO", TARGET_SLOT) for t in label_texts]
    pipe = fitted(Pipeline([("features", make_features(slot_width)), ("classifier", make_classifier(4.0))]), 3, texts)
    frozen = freeze(pipe)
    probe = texts + TEXTS
    for (name, vectorizer), ours in zip(pipe.named_steps["features"].transformer_list, frozen.vectorizers, strict=True):
        theirs, mine = vectorizer.transform(probe), ours.transform(probe)
        assert (mine.indptr == theirs.indptr).all() and (mine.indices == theirs.indices).all(), name
        np.testing.assert_array_equal(mine.data, theirs.data, err_msg=name)
    np.testing.assert_array_equal(frozen.predict_proba(probe), pipe.predict_proba(probe))
    np.testing.assert_array_equal(frozen.classes_, pipe.classes_)


@pytest.mark.parametrize("classes", [2, 3])
def test_two_and_three_class_heads_with_the_slot_window_match_sklearn(classes: int) -> None:
    pipe = fitted(Pipeline([("features", make_features(slot_width=3)), ("classifier", make_classifier(4.0))]), classes)
    frozen = freeze(pipe)
    assert frozen.predict_proba(TEXTS).shape == (len(TEXTS), classes)
    np.testing.assert_array_equal(frozen.predict_proba(TEXTS), pipe.predict_proba(TEXTS))


@pytest.mark.parametrize(
    "vectorizer",
    [
        TfidfVectorizer(ngram_range=(2, 3)),
        TfidfVectorizer(lowercase=False, norm="l1", use_idf=False),
        TfidfVectorizer(token_pattern=r"(?u)\b(\w+)\b", sublinear_tf=True, norm=None),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), lowercase=False),
    ],
    ids=["word 2-3-grams", "cased, l1, no idf", "one group, no norm", "char_wb 1-3, cased"],
)
def test_other_vectorizer_settings_match_sklearn(vectorizer: TfidfVectorizer) -> None:
    pipe = fitted(Pipeline([("features", FeatureUnion([("v", vectorizer)])), ("classifier", LogisticRegression())]), 3)
    np.testing.assert_array_equal(freeze(pipe).predict_proba(TEXTS), pipe.predict_proba(TEXTS))


def test_the_stored_state_is_plain_data_and_predicts_the_same() -> None:
    """No class of this project or scikit-learn's in the stored state: loading it needs neither."""
    pipe = fitted(Pipeline([("features", make_features(slot_width=3)), ("classifier", make_classifier(1.0))]), 3)
    frozen = freeze(pipe)

    class PlainData(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            if module.split(".")[0] not in ("numpy", "builtins", "copyreg", "_codecs"):
                raise AssertionError(f"the state refers to {module}.{name}")
            return super().find_class(module, name)

    state = PlainData(io.BytesIO(pickle.dumps(frozen.state(), protocol=5))).load()
    np.testing.assert_array_equal(FrozenPipeline.from_state(state).predict_proba(TEXTS), pipe.predict_proba(TEXTS))


@pytest.mark.parametrize(
    ("pipe", "named"),
    [
        (Pipeline([("features", make_features()), ("scale", MaxAbsScaler()), ("classifier", LogisticRegression())]), "not a pipeline"),
        (Pipeline([("features", FeatureUnion([("w", TfidfVectorizer())], transformer_weights={"w": 2.0})), ("classifier", LogisticRegression())]), "transformer weights"),
        (Pipeline([("features", FeatureUnion([("w", TfidfVectorizer())])), ("classifier", SGDClassifier(loss="log_loss"))]), "not a pipeline"),
        (Pipeline([("features", FeatureUnion([("w", TfidfVectorizer(analyzer="char"))])), ("classifier", LogisticRegression())]), "'w' cannot be frozen: analyzer"),
        (Pipeline([("features", FeatureUnion([("w", TfidfVectorizer(stop_words=["di"], binary=True))])), ("classifier", LogisticRegression())]), "'w' cannot be frozen: stop_words, binary"),
        (Pipeline([("features", FeatureUnion([("w", TfidfVectorizer(token_pattern=r"(\w)(\w+)"))])), ("classifier", LogisticRegression())]), "token_pattern"),
    ],
    ids=["another step", "weighted union", "another classifier", "char analyzer", "stop words, binary", "two groups"],
)  # fmt: skip
def test_pipelines_of_another_shape_are_refused_by_name(pipe: Pipeline, named: str) -> None:
    if named != "token_pattern":  # sklearn itself refuses to fit a pattern with two groups
        fitted(pipe, 3)
    else:
        pipe.named_steps["features"].transformer_list[0][1].vocabulary_ = {"a": 0}
        pipe.named_steps["classifier"].coef_ = np.zeros((1, 1))
    with pytest.raises(ValueError, match=named):
        freeze(pipe)


def test_a_frozen_vectorizer_refuses_an_unknown_analyzer() -> None:
    with pytest.raises(ValueError, match="unknown analyzer 'char'"):
        FrozenVectorizer("char", {}, None)


def test_serving_the_stored_default_imports_no_sklearn(default_tag: str) -> None:
    from sikap.models.store import get_model

    assert (Path(get_model(default_tag).path) / ARTIFACT).exists()
    assert pickle.loads(gzip.decompress((Path(get_model(default_tag).path) / ARTIFACT).read_bytes()))["slots"]
    code = (
        "import sys\n"
        "from sikap.models.loading import load_stored\n"
        "from sikap.models.store import get_model\n"
        f"result = load_stored(get_model({default_tag!r})).predict(['Rusia mengecam NATO.'])\n"
        "assert result[0]['stance']['NATO']['label'] != 'none', result\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'pandas', 'joblib', 'torch'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
