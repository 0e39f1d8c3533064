"""The transformer path end to end on a tiny BERT built in the test run (the Hub is not reachable)."""

import json
import re
from pathlib import Path

import pytest
from conftest import log_once_it_says
from typer.testing import CliRunner

from sikap.cli import app
from sikap.data.labels import load_labels
from sikap.errors import InputError, SikapError
from sikap.models.store import get_model, list_models, resolve
from sikap.models.transformer.config import TrainConfig
from sikap.models.transformer.train import train_transformer
from sikap.paths import targets_file
from sikap.schema import STANCES
from sikap.service.process import running_service
from sikap.text.targets import load_targets

runner = CliRunner()


def config(tiny_bert: Path, run_dir: Path, **overrides) -> TrainConfig:
    settings = {
        "base_model": str(tiny_bert),
        "epochs": 1,
        "batch_size": 16,
        "limit": 160,
        "run_dir": str(run_dir),
        "head_learning_rate": 5e-3,
        **overrides,
    }
    return TrainConfig(**settings)


def train(cfg: TrainConfig, resume: bool = False) -> str:
    targets = load_targets()
    return train_transformer(cfg, load_labels(targets=targets), targets, targets_file(), resume=resume)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("run")


@pytest.fixture(scope="module")
def transformer_tag(tiny_bert: Path, run_dir: Path, default_tag: str) -> str:
    return train(config(tiny_bert, run_dir))


def test_training_saves_a_versioned_model_with_metadata(transformer_tag: str, tiny_bert: Path) -> None:
    model = get_model(transformer_tag)
    assert transformer_tag.startswith("sikap:") and model.kind == "transformer"
    meta = model.metadata
    assert meta["base_model"] == str(tiny_bert)
    assert len(meta["labels_hash"]) == 16 and meta["git_commit"] and meta["trained_at"]
    assert meta["config"]["epochs"] == 1 and meta["config"]["max_length"] == 128
    assert set(meta["metrics"]) == {"dev", "test", "realistic"}
    assert [h["epoch"] for h in meta["history"]] == [1]
    assert (model.path / "encoder" / "config.json").exists() and (model.path / "encoder" / "tokenizer.json").exists()
    for split in ("dev", "test"):
        report = model.path / "reports" / split
        assert {p.name for p in report.iterdir()} >= {
            "metrics.json",
            "report.md",
            "confusion_nato.png",
            "confusion_sentiment.png",
        }


def test_resume_continues_from_the_last_epoch(transformer_tag: str, tiny_bert: Path, run_dir: Path) -> None:
    state = json.loads((run_dir / "last" / "trainer_state.json").read_text())
    assert state["state"]["epoch"] == 1
    resumed = get_model(train(config(tiny_bert, run_dir, epochs=2), resume=True))
    assert [h["epoch"] for h in resumed.metadata["history"]] == [1, 2]
    assert resumed.metadata["history"][0] == get_model(transformer_tag).metadata["history"][0]


def test_averaged_weights_are_scored_on_dev_and_kept_only_when_better(tiny_bert: Path, tmp_path: Path) -> None:
    # 160 sentences in batches of 16: 10 optimizer steps; the last half (steps 6-10) is averaged
    model = get_model(train(config(tiny_bert, tmp_path, average_last=0.5)))
    record = model.metadata["weight_average"]
    assert record["steps"] == 5
    assert record["chosen"] == (record["dev_score"] > record["best_epoch_score"])
    assert record["best_epoch_score"] == model.metadata["history"][0]["dev_score"]


def test_average_last_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(InputError, match="average_last"):
        TrainConfig(average_last=1.0)


def test_resume_without_checkpoint_is_a_clear_error(tiny_bert: Path, tmp_path: Path) -> None:
    with pytest.raises(SikapError, match="nothing to resume"):
        train(config(tiny_bert, tmp_path / "empty"), resume=True)


def test_crash_during_training_leaves_the_store_untouched(
    tiny_bert: Path, tmp_path: Path, monkeypatch, transformer_tag: str
) -> None:
    import sikap.models.transformer.train as training

    before = [m.tag for m in list_models()]

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "evaluate_model", crash)
    with pytest.raises(KeyboardInterrupt):
        train(config(tiny_bert, tmp_path / "crash"))
    assert [m.tag for m in list_models()] == before
    assert resolve().tag == before[0]


def test_transformer_predictions_follow_the_contract(transformer_tag: str) -> None:
    from sikap.models.loading import load_stored

    predictor = load_stored(get_model(transformer_tag))
    first, second = predictor.predict(["Rusia menembakkan rudal ke Kyiv.", "Harga cabai turun."], ["a", "b"])
    assert first["model"] == transformer_tag and first["id"] == "a"
    assert first["stance"]["Russia"]["mentions"] == ["Rusia"] and first["stance"]["Russia"]["label"] != "none"
    assert set(first["stance"]["Ukraine"]["scores"]) == set(STANCES)
    assert sum(first["sentiment"]["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert all(s["label"] == "none" for s in second["stance"].values())


def test_fallback_order_env_then_newest_transformer_then_default(
    transformer_tag: str, default_tag: str, monkeypatch
) -> None:
    assert resolve().kind == "transformer"
    monkeypatch.setenv("SIKAP_MODEL", default_tag)
    assert resolve().tag == default_tag


def test_evaluate_writes_metrics_report_and_plots(transformer_tag: str, tmp_path: Path) -> None:
    data = tmp_path / "eval.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": s.id, "article": s.article, "text": s.text, "sentiment": s.sentiment, "stance": s.stance})
            + "\n"
            for s in load_labels().split("test")[:40]
        )
    )
    result = runner.invoke(
        app, ["evaluate", "--model", transformer_tag, "--data", str(data), "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["n"] == 40 and set(metrics["targets"]) == {"NATO", "Russia", "Ukraine"}
    assert {"macro_f1", "f_avg", "mention_precision", "mention_recall", "per_class"} <= set(metrics["targets"]["NATO"])
    assert len(list((tmp_path / "r").glob("confusion_*.png"))) == 4


@pytest.mark.parametrize(
    ("base_model", "message"),
    [
        ("/nonexistent/indobert", "no such directory"),
        ("indobenchmark/indobert-base-p1", "huggingface-cli download indobenchmark/indobert-base-p1"),
        ("BROKEN", "could not be loaded"),
    ],
)
def test_unloadable_base_model_is_one_clear_message(base_model: str, message: str, tmp_path: Path, monkeypatch) -> None:
    if base_model == "BROKEN":
        (tmp_path / "broken").mkdir()
        (tmp_path / "broken" / "config.json").write_text("{not json")
        base_model = str(tmp_path / "broken")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    result = runner.invoke(app, ["train", "--base-model", base_model, "--output", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert message in result.output and base_model in result.output
    assert "Traceback" not in result.output


def test_service_serves_the_newest_transformer_then_env_override(transformer_tag: str, default_tag: str) -> None:
    import httpx
    from conftest import SESSION_HOME

    with running_service(SESSION_HOME, SIKAP_REQUEST_LOG="1") as service:  # per-request access log on
        url = service.url
        meta = httpx.get(f"{url}/metadata").json()
        # The store's choice, not the default: the transformer, or an export or ensemble of it if another test of
        # this worker made one first.
        chosen = resolve()
        assert meta["tag"] == chosen.tag and meta["kind"] == chosen.kind and chosen.kind != "baseline"
        body = httpx.post(f"{url}/classify", json={"sentences": ["NATO mengecam Moskow."]}).json()
        assert body["model"] == meta["tag"] and body["results"][0]["stance"]["NATO"]["label"] != "none"
        assert re.search(r"path=/classify\b.*status=200", log_once_it_says(service.log, r"path=/classify\b"))
    with running_service(SESSION_HOME, SIKAP_MODEL=default_tag) as service:
        url = service.url
        assert httpx.get(f"{url}/metadata").json()["tag"] == default_tag


def test_bento_build_packs_the_served_model(transformer_tag: str) -> None:
    import os
    import subprocess
    import sys

    from conftest import SESSION_HOME

    from sikap.paths import REPO_ROOT

    env = {**os.environ, "BENTOML_HOME": str(SESSION_HOME), "SIKAP_HOME": str(SESSION_HOME)}
    env.pop("SIKAP_MODEL", None)
    build = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", ".", "--output", "tag"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    info = subprocess.run(
        [sys.executable, "-m", "bentoml", "get", "sikap-service:latest", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    packed = {m["tag"] for s in json.loads(info.stdout)["services"] for m in s.get("models", [])}
    assert packed == {resolve().tag}


def test_time_budget_stops_before_an_epoch_that_would_overrun(tiny_bert: Path, tmp_path: Path) -> None:
    tag = train(config(tiny_bert, tmp_path, epochs=3, limit=32, time_budget_minutes=1e-6))
    assert [h["epoch"] for h in get_model(tag).metadata["history"]] == [1]
