"""The ensemble kind on tiny models: fitting, the dev guarantee, the store round trip, evaluation and serving."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from conftest import train_tiny_transformer
from typer.testing import CliRunner

from sikap.cli import app
from sikap.data.labels import load_labels
from sikap.evaluation.scoring import score_models
from sikap.models.ensemble.fitting import MEMBERS, TEMPERATURE_BOUNDS, WEIGHT_GRID, HeadData, fit_head, fit_temperature
from sikap.models.ensemble_builder import fit_ensemble
from sikap.models.loading import load_stored
from sikap.models.store import StoredModel, delete_model, get_model, list_models, newest, resolve
from sikap.schema import MENTIONED_STANCES, SENTIMENTS
from sikap.service.process import running_service

runner = CliRunner()
SENTENCES = ["Rusia menembakkan rudal ke Kyiv.", "Harga cabai turun.", "NATO mengecam serangan Rusia ke Ukraina."]


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module", autouse=True)
def _small_labels(bench_labels: Path) -> Iterator[None]:
    """The module's builds, evaluations and dev scores read the sample labels with a few realistic articles: the
    same code paths as on the shipped labels (every split), on a few hundred sentences."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIKAP_LABELS", str(bench_labels))
        yield


@pytest.fixture(scope="module")
def transformer_tag(tiny_bert: Path, tmp_path_factory) -> str:
    return train_tiny_transformer(tiny_bert, tmp_path_factory.mktemp("ensemble-run"))


@pytest.fixture(scope="module")
def ensemble_tag(transformer_tag: str, default_tag: str):
    """Built with the defaults (the newest of each member); every ensemble of this module is removed afterwards,
    so later test modules see the store they expect."""
    yield invoke("ensemble", "build")
    for model in list_models():
        if model.kind == "ensemble":
            delete_model(model.tag)


def synthetic_head(seed: int, n: int = 120) -> HeadData:
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, n)
    noisy = rng.dirichlet(np.ones(3), n)
    good = 0.5 * noisy + 0.5 * np.eye(3)[np.where(rng.random(n) < 0.7, gold, rng.integers(0, 3, n))]
    rows = np.flatnonzero(rng.random(n) < 0.8)
    labels = [MENTIONED_STANCES[g] for g in gold]
    return HeadData(MENTIONED_STANCES, labels, rows, {"transformer": good[rows], "default": noisy[rows]})


def test_temperature_fit_recovers_the_temperature_that_generated_the_labels() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (4000, 3))
    true = np.exp(logits / 2.5) / np.exp(logits / 2.5).sum(-1, keepdims=True)
    gold = np.array([rng.choice(3, p=p) for p in true])
    overconfident = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert fit_temperature(overconfident, gold) == pytest.approx(2.5, rel=0.1)
    assert fit_temperature(overconfident, gold[:0]) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_head_fit_is_deterministic_in_range_and_never_below_the_better_member(seed: int) -> None:
    data = synthetic_head(seed)
    first, second = fit_head(data), fit_head(synthetic_head(seed))
    assert first == second
    assert first.weight in WEIGHT_GRID and 0.0 <= first.weight <= 1.0
    assert all(TEMPERATURE_BOUNDS[0] <= t <= TEMPERATURE_BOUNDS[1] for t in first.temperatures.values())
    assert first.dev_macro_f1 >= max(first.member_dev_macro_f1.values())
    assert first.member_dev_macro_f1 == {name: data.macro_f1(data.members[name]) for name in MEMBERS}


def test_build_picks_the_newest_members_and_stores_the_parameters(
    ensemble_tag: str, transformer_tag: str, default_tag: str
) -> None:
    model = get_model(ensemble_tag)
    assert ensemble_tag.startswith("sikap-ensemble:") and model.kind == "ensemble"
    meta = model.metadata
    assert meta["members"] == {"transformer": transformer_tag, "default": default_tag}
    heads = {"sentiment", "NATO", "Russia", "Ukraine"}
    assert set(meta["weights"]) == heads and set(meta["temperatures"]) == heads
    for head in heads:
        weights = meta["weights"][head]
        assert 0.0 <= weights["transformer"] <= 1.0 and weights["default"] == pytest.approx(1 - weights["transformer"])
        assert set(meta["temperatures"][head]) == set(MEMBERS)
    assert set(meta["metrics"]) == {"dev", "test", "realistic"} and set(meta["member_metrics"]) == set(MEMBERS)
    assert meta["base_model"] == get_model(transformer_tag).metadata["base_model"]
    assert resolve().tag == ensemble_tag


def test_fitting_the_stored_members_again_gives_the_same_parameters(ensemble_tag: str) -> None:
    stored = load_stored(get_model(ensemble_tag))
    refit = fit_ensemble(stored.members, load_labels().split("dev"))
    assert {head: fit.to_dict() for head, fit in refit.items()} == stored.heads


def test_on_dev_the_ensemble_is_never_worse_than_the_better_member(ensemble_tag: str) -> None:
    ensemble = load_stored(get_model(ensemble_tag))
    scores = score_models(ensemble, load_labels().split("dev"))
    assert set(scores) == {"ensemble", *MEMBERS}
    for target in ensemble.target_names:
        best = max(scores[m]["targets"][target]["macro_f1"] for m in MEMBERS)
        assert scores["ensemble"]["targets"][target]["macro_f1"] >= best - 1e-12
    assert scores["ensemble"]["sentiment"]["macro_f1"] >= max(scores[m]["sentiment"]["macro_f1"] for m in MEMBERS)


def test_store_round_trip_predicts_the_mixture_of_its_members(ensemble_tag: str) -> None:
    ensemble = load_stored(get_model(ensemble_tag))
    records = ensemble.predict(SENTENCES, ["a", "b", "c"])
    mentions = [ensemble.detector.find(t) for t in SENTENCES]
    members = ensemble.member_probabilities(SENTENCES, mentions)
    weight = ensemble.heads["sentiment"]["weights"]["transformer"]
    temperatures = ensemble.heads["sentiment"]["temperatures"]
    expected = sum(
        share
        * np.exp(np.log(members[name][0]) / temperatures[name])
        / np.exp(np.log(members[name][0]) / temperatures[name]).sum(-1, keepdims=True)
        for name, share in (("transformer", weight), ("default", 1 - weight))
    )
    for record, row in zip(records, expected, strict=True):
        assert record["model"] == ensemble_tag
        assert record["sentiment"]["label"] == SENTIMENTS[int(np.argmax(row))]
        assert [record["sentiment"]["scores"][c] for c in SENTIMENTS] == pytest.approx(row, abs=1e-4)
    assert all(s["label"] == "none" for s in records[1]["stance"].values())
    assert records[0]["stance"]["Russia"]["label"] != "none" and records[0]["stance"]["NATO"]["label"] == "none"


def test_an_ensemble_whose_member_is_gone_is_not_served() -> None:
    orphan = StoredModel(
        "sikap-ensemble:x", "ensemble", None, Path("."), {"members": {"transformer": "sikap:gone", "default": "d:1"}}
    )
    assert newest(("ensemble",), [orphan]) is None


def test_build_refuses_a_wrong_member_kind(default_tag: str) -> None:
    result = runner.invoke(app, ["ensemble", "build", "--transformer", default_tag])
    assert result.exit_code == 1 and "is a baseline model" in result.output and "Traceback" not in result.output


def test_evaluate_compares_the_ensemble_and_its_members(ensemble_tag: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    comparison = (tmp_path / "comparison.md").read_text()
    meta = get_model(ensemble_tag).metadata
    labels = load_labels()
    for split in ("dev", "test"):
        for name in ("ensemble", *MEMBERS):
            metrics = json.loads((tmp_path / split / name / "metrics.json").read_text())
            assert metrics["n"] == len(labels.split(split))
        assert f"| ensemble `{ensemble_tag}` | {split} |" in comparison
        assert f"| transformer `{meta['members']['transformer']}` | {split} |" in comparison
        stored = meta["metrics"][split]["stance macro-F1"]
        assert f"| {stored:.3f} |" in comparison.split(f"| ensemble `{ensemble_tag}` | {split} |")[1].split("\n")[0]


def test_service_serves_the_ensemble_by_preference(ensemble_tag: str) -> None:
    from conftest import SESSION_HOME

    expected = load_stored(get_model(ensemble_tag)).predict(SENTENCES)
    with running_service(SESSION_HOME) as service:
        meta = httpx.get(f"{service.url}/metadata").json()
        body = httpx.post(f"{service.url}/classify", json={"sentences": SENTENCES}).json()
    assert meta["kind"] == "ensemble" and meta["tag"] == ensemble_tag
    assert meta["members"] == get_model(ensemble_tag).metadata["members"]
    assert set(meta["weights"]) == set(meta["temperatures"]) == {"sentiment", "NATO", "Russia", "Ukraine"}
    assert body["model"] == ensemble_tag
    for served, local in zip(body["results"], expected, strict=True):
        assert served["sentiment"] == local["sentiment"]
        assert served["stance"] == local["stance"]


def test_evaluation_covers_dev_test_and_the_held_out_realistic_split(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from sikap.data.labels import LabelSet
    from sikap.evaluation.scoring import evaluation_sets

    monkeypatch.delenv("SIKAP_LABELS")  # the shipped labels
    sentences = [s for s in load_labels().sentences if not s.held_out]
    held_out = [replace(s, held_out=True) for s in sentences[:30]]
    sets = dict(evaluation_sets(LabelSet([*held_out, *sentences[30:]])))
    assert list(sets) == ["dev", "test", "realistic"]
    assert sets["realistic"] == held_out
    assert all(s.split == name for name, rows in sets.items() for s in rows)
