"""The embedded default as shipped: the output contract and what the shipped labels teach."""

import math
from collections.abc import Iterator

import pytest

from sikap.schema import MENTIONED_STANCES, SENTIMENTS, STANCES

SENTENCES = [
    "Jerman mengumumkan paket bantuan pertahanan udara baru untuk Kyiv.",
    "Kremlin menuding NATO memperluas kehadiran militernya di dekat perbatasan Rusia.",
    "Harga beras di pasar induk turun tipis pekan ini.",
]


@pytest.fixture(scope="module")
def shipped_default_tag() -> Iterator[str]:
    """Trained from all of ``labels/`` into the session store (a minute or two), and removed afterwards: later test
    modules on this worker expect the newest default in the store to be the session's ``default_tag``."""
    from sikap.models.loading import build_default_model
    from sikap.models.store import delete_model

    tag = build_default_model()
    yield tag
    delete_model(tag)


@pytest.fixture(scope="module")
def shipped_default_predictor(shipped_default_tag: str):
    from sikap.models.loading import load_stored
    from sikap.models.store import get_model

    return load_stored(get_model(shipped_default_tag))


@pytest.fixture(scope="module")
def results(shipped_default_predictor) -> list[dict]:
    return shipped_default_predictor.predict(SENTENCES, ["a", "b", "c"])


def test_contract_holds_every_class_and_field(results: list[dict], shipped_default_tag: str) -> None:
    assert [r["id"] for r in results] == ["a", "b", "c"]
    for r, text in zip(results, SENTENCES, strict=True):
        assert r["text"] == text and r["model"] == shipped_default_tag
        assert set(r["sentiment"]["scores"]) == set(SENTIMENTS)
        assert math.isclose(sum(r["sentiment"]["scores"].values()), 1.0, abs_tol=1e-3)
        assert r["sentiment"]["label"] == max(r["sentiment"]["scores"], key=r["sentiment"]["scores"].get)
        assert set(r["stance"]) == {"NATO", "Russia", "Ukraine"}
        for stance in r["stance"].values():
            assert set(stance["scores"]) == set(STANCES)
            assert math.isclose(sum(stance["scores"].values()), 1.0, abs_tol=1e-3)
            assert stance["label"] == max(stance["scores"], key=stance["scores"].get)


def test_unmentioned_target_is_none_and_mentioned_is_not(results: list[dict]) -> None:
    first, second, third = results
    assert first["stance"]["Ukraine"]["mentions"] == ["Kyiv"]
    assert first["stance"]["Ukraine"]["label"] in MENTIONED_STANCES
    assert first["stance"]["NATO"] == {
        "label": "none",
        "scores": {**dict.fromkeys(MENTIONED_STANCES, 0.0), "none": 1.0},
        "mentions": [],
    }
    assert second["stance"]["Russia"]["mentions"] == ["Kremlin", "Rusia"]
    assert all(s["label"] == "none" for s in third["stance"].values())


def test_empty_input_gives_empty_output(shipped_default_predictor) -> None:
    assert shipped_default_predictor.predict([]) == []


def test_default_model_learns_the_standard_examples(shipped_default_predictor) -> None:
    """Clear-cut sentences in the standard's spirit, not in labels/: the default must get the gist."""
    aid, accusation, _ = shipped_default_predictor.predict(SENTENCES)
    assert aid["stance"]["Ukraine"]["label"] == "support"
    assert accusation["stance"]["NATO"]["label"] == "oppose"
    assert accusation["sentiment"]["label"] == "negative"


def test_metadata_names_model_and_metrics(shipped_default_predictor, shipped_default_tag: str) -> None:
    meta = shipped_default_predictor.describe()
    assert meta["tag"] == shipped_default_tag and meta["kind"] == "baseline"
    assert set(meta["metrics"]) == {"dev", "test", "realistic"}
    assert len(meta["labels_hash"]) == 16
