"""CharNgramVectorizer counts within-word character n-grams per word and gives sklearn's TfidfVectorizer results
bit for bit: the vocabulary (and its order), the fitted idf and every transformed matrix."""

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from sikap.models import char_ngrams
from sikap.models.char_ngrams import CharNgramVectorizer

DOCS = [
    "Menteri Luar Negeri Rusia menyebut perluasan NATO sebagai ancaman langsung bagi keamanan kawasan.",
    "Juru bicara NATO menolak tuduhan itu dan menyebut aliansi bersifat defensif.",
    "“Kami tidak akan mundur,” kata Presiden Ukraina di Kyiv, Selasa (3/12).",
    "Harga gandum naik 4,5 persen setelah pelabuhan Odesa kembali ditutup.",
    "",  # an empty sentence: a row of zeros
    "   \t\n",  # only whitespace
    "!!! ... ???",
    "a b c d e f g",  # words shorter than the n-gram size: counted once
    "Rusia, Rusia, dan sekali lagi RUSIA menjadi sorotan KTT di Brussel.",
    "Kerja\u00a0sama\u2003militer\u3000itu dibahas\u200bdalam rapat tertutup.",  # Unicode spaces; a zero-width one
    "Éropa menimbang sanksi baru; ekspor gas ke Eropa turun tajam sejak Februari.",
    "Delegasi Ukraina tiba di Jenewa, sementara delegasi Rusia menunda keberangkatan.",
]
NEW_DOCS = [
    "Sekretaris Jenderal NATO mengunjungi Vilnius untuk membahas pertahanan udara.",
    "Kremlin belum menanggapi laporan itu hingga Rabu malam.",
    "zzzz qqqq",  # only unseen n-grams
    "",
]
SETTINGS = [
    {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2, "max_features": 60},
    {"analyzer": "char_wb", "ngram_range": (1, 3), "min_df": 1},
    {"analyzer": "char_wb", "ngram_range": (3, 4), "lowercase": False, "strip_accents": "unicode", "norm": "l1"},
    {"analyzer": "char_wb", "ngram_range": (2, 2), "max_features": 7, "use_idf": False},  # ties in max_features
]


def assert_same_matrix(expected, actual) -> None:
    assert type(actual) is type(expected) and actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.indices.dtype == expected.indices.dtype and actual.indptr.dtype == expected.indptr.dtype
    np.testing.assert_array_equal(actual.indptr, expected.indptr)
    np.testing.assert_array_equal(actual.indices, expected.indices)
    np.testing.assert_array_equal(actual.data, expected.data)


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: str(s["ngram_range"]))
def test_fit_and_transform_equal_sklearns(settings: dict) -> None:
    reference, fast = TfidfVectorizer(**settings), CharNgramVectorizer(**settings)
    assert_same_matrix(reference.fit_transform(DOCS), fast.fit_transform(DOCS))
    assert list(fast.vocabulary_.items()) == list(reference.vocabulary_.items())  # the same columns, same order
    if settings.get("use_idf", True):
        np.testing.assert_array_equal(fast.idf_, reference.idf_)
    for docs in (NEW_DOCS, DOCS, NEW_DOCS[:1]):  # the second call of a text reads the word cache
        assert_same_matrix(reference.transform(docs), fast.transform(docs))
        assert_same_matrix(CountVectorizer.transform(reference, docs), CountVectorizer.transform(fast, docs))
    assert_same_matrix(CountVectorizer.transform(reference, []), CountVectorizer.transform(fast, []))


def test_the_default_features_on_label_sentences_equal_sklearns(sample_labels, monkeypatch) -> None:
    from sikap.data.labels import load_labels

    monkeypatch.setenv("SIKAP_LABELS", str(sample_labels))
    texts = [s.text for s in load_labels().sentences]
    assert len(texts) > 200
    fit, unseen = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    settings = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2, "max_features": 60000}
    reference, fast = TfidfVectorizer(**settings), CharNgramVectorizer(**settings)
    assert_same_matrix(reference.fit_transform(fit), fast.fit_transform(fit))
    assert list(fast.vocabulary_) == list(reference.vocabulary_)
    for size in (1, 32):
        for start in range(0, 96, size):
            assert_same_matrix(reference.transform(unseen[start : start + size]), fast.transform(unseen[start : start + size]))


def test_bytes_are_decoded_as_sklearn_does() -> None:
    docs = [d.encode("utf-8") for d in DOCS[:4]]
    reference, fast = TfidfVectorizer(analyzer="char_wb"), CharNgramVectorizer(analyzer="char_wb")
    assert_same_matrix(reference.fit_transform(docs), fast.fit_transform(docs))


def test_other_analyzers_are_counted_by_sklearn(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("per-word counting is only for char_wb")

    monkeypatch.setattr(CharNgramVectorizer, "_count_by_word", fail)
    for analyzer in ("word", "char"):
        reference, fast = TfidfVectorizer(analyzer=analyzer), CharNgramVectorizer(analyzer=analyzer)
        assert_same_matrix(reference.fit_transform(DOCS), fast.fit_transform(DOCS))
        assert_same_matrix(reference.transform(NEW_DOCS), fast.transform(NEW_DOCS))


def test_no_ngrams_at_all_is_sklearns_error() -> None:
    for vectorizer in (TfidfVectorizer(analyzer="char_wb"), CharNgramVectorizer(analyzer="char_wb")):
        with pytest.raises(ValueError, match="empty vocabulary"):
            vectorizer.fit(["", "  "])


def test_a_refit_forgets_the_columns_of_the_earlier_fit() -> None:
    fast = CharNgramVectorizer(analyzer="char_wb", ngram_range=(2, 3))
    fast.fit(DOCS)
    fast.transform(NEW_DOCS)  # fills the word cache with this vocabulary's columns
    fast.fit(NEW_DOCS + DOCS[:2])
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(NEW_DOCS + DOCS[:2])
    assert_same_matrix(reference.transform(NEW_DOCS), fast.transform(NEW_DOCS))


def test_the_word_cache_is_bounded_and_not_pickled(monkeypatch) -> None:
    fast = CharNgramVectorizer(analyzer="char_wb").fit(DOCS)
    fast.transform(DOCS[:2])
    cached = fast.__dict__["_word_columns"]
    assert "rusia" in cached and len(cached) == len(set(" ".join(DOCS[:2]).lower().split()))

    copy = pickle.loads(pickle.dumps(fast))
    assert "_word_columns" not in copy.__dict__ and "_word_columns" in fast.__dict__  # the original keeps its cache
    assert_same_matrix(fast.transform(NEW_DOCS), copy.transform(NEW_DOCS))

    monkeypatch.setattr(char_ngrams, "WORD_CACHE_SIZE", 10)
    fast.transform(DOCS)  # more distinct words than the bound: emptied after the call
    assert fast.__dict__["_word_columns"] == {}
    fast.transform(["Rusia dan NATO"])
    assert set(fast.__dict__["_word_columns"]) == {"rusia", "dan", "nato"}
