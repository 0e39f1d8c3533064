"""The Bento carries what it serves, and it runs: built as `make bento` builds it, exported, imported into a
clean BentoML home and served from outside the checkout without network, it answers with the model it packed."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import store_holding

import sikap.paths
from sikap.paths import REPO_ROOT, sikap_home
from sikap.service.bento import packed_models
from sikap.service.process import serving_on_a_free_port

BENTOML = [sys.executable, "-m", "bentoml"]
NATO_SENTENCE = "Sekjen NATO menyambut keputusan Finlandia bergabung dengan aliansi pertahanan itu."
MAX_BENTO_MB = 25  # code, labels and the furniture detector: about 7 MB; a model or a venv would be far more
DEAD_PROXY = "http://127.0.0.1:9"  # nothing listens there: a client that goes through the proxy fails at once
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def offline_env(**extra: str) -> dict[str, str]:
    """This environment without anything that points into the checkout or a Sikap store, and offline as far as
    environment variables go: Hugging Face offline, BentoML's usage reports off, proxies leading nowhere."""
    dropped = {"PYTHONPATH", "SIKAP_HOME", "SIKAP_LABELS", "SIKAP_MODEL", "BENTOML_HOME", "no_proxy", "NO_PROXY"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and k not in PROXIES}
    offline = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "BENTOML_DO_NOT_TRACK": "True"}
    return {**env, **offline, **dict.fromkeys(PROXIES, DEAD_PROXY), "NO_PROXY": "127.0.0.1,localhost", **extra}


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``command``; its output, or a failure that shows the output."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command[2:])} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def build_bento(store: Path) -> str:
    """The model in ``store`` packed into a Bento as `make bento` does; the Bento's tag."""
    env = {**offline_env(), "SIKAP_HOME": str(store), "BENTOML_HOME": str(store)}
    output = run([*BENTOML, "build", ".", "--output", "tag"], REPO_ROOT, env)
    return next(line for line in output.splitlines() if line.startswith("__tag__:")).removeprefix("__tag__:")


def size_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def test_the_bento_serves_the_model_it_packs_from_a_clean_home(default_tag: str, tmp_path: Path) -> None:
    store, clean, elsewhere = tmp_path / "store", tmp_path / "clean", tmp_path / "elsewhere"
    elsewhere.mkdir()
    model = default_tag  # the session's small default, alone in a store of the test's own
    bento = build_bento(store_holding(model, store))
    run([*BENTOML, "export", bento, str(tmp_path / "sikap.bento")], elsewhere, offline_env(BENTOML_HOME=str(store)))
    # a clean home: nothing but the imported Bento; BentoML's default home (~/bentoml) under a HOME of its own
    env = offline_env(HOME=str(clean))
    run([*BENTOML, "import", str(tmp_path / "sikap.bento")], elsewhere, env)
    name, version = bento.split(":")
    bento_dir = clean / "bentoml" / "bentos" / name / version
    assert packed_models(bento_dir) == [model]
    assert (clean / "bentoml" / "models" / model.replace(":", "/") / "model.yaml").is_file()
    assert size_mb(bento_dir) < MAX_BENTO_MB, f"the Bento packs {size_mb(bento_dir):.1f} MB: more than it needs?"

    def command(port: int) -> list[str]:
        return [*BENTOML, "serve", bento, "--host", "127.0.0.1", "--port", str(port)]

    # ready in 10-30 s; a service that cannot load keeps restarting its workers until the timeout
    with serving_on_a_free_port(command, elsewhere, env, lambda port: tmp_path / "serve.log", timeout=120) as service:
        response = httpx.post(f"{service.url}/classify", json={"sentences": [NATO_SENTENCE]}, timeout=60)
        meta = httpx.get(f"{service.url}/metadata", timeout=30).json()
    assert response.status_code == 200, response.text
    body = response.json()
    result = body["results"][0]
    assert body["model"] == result["model"] == model == meta["tag"]
    assert result["sentiment"]["label"] in {"positive", "negative", "neutral"}
    assert result["stance"]["NATO"]["label"] != "none" and result["stance"]["NATO"]["mentions"] == ["NATO"]
    assert "Bento" in meta["hot_swap"]  # the packed model is pinned: no swaps
    assert not (bento_dir / "src" / "models").exists(), "the service wrote a model store into the Bento"


BENTO_YAML = """\
name: sikap-service
models: []
services:
- name: Sikap
  models: []
- name: Classifier
  models:
  - tag: sikap-ensemble:20261206-1-a
  - tag: sikap-onnx:20261206-1-a-int8
  - tag: sikap-default:20261206-1-a
"""


@pytest.fixture
def in_a_bento(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make this code look as if it ran from a Bento at ``tmp_path`` (sources in ``src/``); the Bento's folder."""
    (tmp_path / "bento.yaml").write_text(BENTO_YAML)
    monkeypatch.setattr(sikap.paths, "REPO_ROOT", tmp_path / "src")
    return tmp_path


def test_a_bento_packs_the_models_its_services_declare(in_a_bento: Path) -> None:
    assert packed_models() == [
        "sikap-default:20261206-1-a",
        "sikap-ensemble:20261206-1-a",
        "sikap-onnx:20261206-1-a-int8",
    ]
    (in_a_bento / "bento.yaml").write_text("name: sikap-service\nmodels: []\nservices: []\n")
    assert packed_models() is None  # no model packed: the service builds the default and follows the store


def test_outside_a_bento_nothing_is_packed() -> None:
    assert packed_models() is None


def test_inside_a_bento_the_home_is_bentomls(in_a_bento: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIKAP_HOME", "/somewhere/else")  # would send the workers to a home without the Bento
    monkeypatch.setenv("BENTOML_HOME", str(in_a_bento / "home"))
    assert sikap_home() == in_a_bento / "home"
    monkeypatch.delenv("BENTOML_HOME")
    monkeypatch.setenv("HOME", str(in_a_bento))
    assert sikap_home() == in_a_bento / "bentoml"  # BentoML's default, not the Bento's src/models
