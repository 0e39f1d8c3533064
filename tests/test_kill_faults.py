"""kill -9 in the middle of `sikap train`, `sikap export` and `sikap label import` leaves no partial
model or label file: `sikap models list` works and the service still serves the previous model."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sikap.service_process import running_service
from tests.conftest import SESSION_HOME


def sikap_process(home: Path, *args: str, labels: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "SIKAP_HOME": str(home)}
    env.pop("SIKAP_MODEL", None)
    if labels:
        env["SIKAP_LABELS"] = str(labels)
    return subprocess.Popen(
        [sys.executable, "-m", "sikap.cli", *args],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def sikap(home: Path, *args: str, labels: Path | None = None) -> str:
    process = sikap_process(home, *args, labels=labels)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def kill_when(process: subprocess.Popen, marker: str, timeout: float = 240) -> str:
    """SIGKILL ``process`` as soon as its output contains ``marker``; the output up to then."""
    os.set_blocking(process.stdout.fileno(), False)
    seen, deadline = "", time.monotonic() + timeout
    while marker not in seen:
        assert process.poll() is None, f"finished before {marker!r} showed up:\n{seen[-2000:]}"
        assert time.monotonic() < deadline, f"no {marker!r} after {timeout} s:\n{seen[-2000:]}"
        seen += process.stdout.read() or ""
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    return seen


def store_state(home: Path) -> tuple[list[str], str]:
    """(`sikap models list` rows, the tag the service would serve), both read by fresh processes."""
    return sikap(home, "models", "list").splitlines(), served_tag(home)


def served_tag(home: Path) -> str:
    process = sikap_process(home, "classify")
    output, _ = process.communicate("NATO bersidang.\n", timeout=300)
    assert process.returncode == 0, output
    (record,) = [line for line in output.splitlines() if line.startswith('{"')]  # logs are mixed in
    return json.loads(record)["model"]


@pytest.fixture(scope="module")
def home(default_tag: str, tiny_bert: Path, tmp_path_factory) -> Path:
    """A copy of the session store (the embedded default) plus a tiny transformer, served from there."""
    home = tmp_path_factory.mktemp("faults") / "home"
    shutil.copytree(SESSION_HOME, home, ignore=shutil.ignore_patterns("serve-*.log"))
    sikap(home, "train", "--base-model", str(tiny_bert), "--epochs", "1", "--limit", "160",
          "--output", str(home / "run-ok"))  # fmt: skip
    return home


def test_kill_during_train(home: Path, tiny_bert: Path) -> None:
    before = store_state(home)
    process = sikap_process(home, "train", "--base-model", str(tiny_bert), "--epochs", "3", "--limit", "400",
                            "--output", str(home / "run-killed"))  # fmt: skip
    kill_when(process, "epoch")
    assert store_state(home) == before


def test_kill_during_export(home: Path) -> None:
    before = store_state(home)
    transformer = before[1]
    assert transformer.startswith("sikap:")
    process = sikap_process(home, "export", "--model", transformer, "--onnx")
    kill_when(process, "exported")
    assert store_state(home) == before


def test_kill_during_label_import(home: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    shutil.copytree(Path(__file__).parents[1] / "labels", labels)
    files_before = {p.name: p.read_bytes() for p in (labels / "data").glob("*.jsonl")}
    rows = [
        {"id": f"impor-{i}", "text": f"Delegasi ke-{i} dari Rusia dan NATO bertemu di kota nomor {i * 7919} hari ini.",
         "sentiment": "neutral", "stance": {"NATO": "neutral", "Russia": "neutral", "Ukraine": "none"}}
        for i in range(3_000)
    ]  # fmt: skip
    source = tmp_path / "new.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    for delay in (0.5, 1.5, 3.0):
        process = sikap_process(home, "label", "import", str(source), labels=labels)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(60)
        added = [p for p in (labels / "data").glob("*.jsonl") if p.name not in files_before]
        assert all(p.read_bytes() == files_before[p.name] for p in (labels / "data").glob("*.jsonl") if p not in added)
        for path in added:  # a completed import: whole, never cut short
            assert len(path.read_text().splitlines()) == len(rows)
            path.unlink()
    sikap(home, "labels", "check", labels=labels)


def test_a_save_cut_short_is_skipped(home: Path) -> None:
    """What kill -9 leaves when it lands while BentoML copies a model into the store: a version
    folder with some files and no model.yaml."""
    before = store_state(home)
    partial = home / "models" / "sikap" / "29990101-000000-deadbeef"
    partial.mkdir(parents=True)
    (partial / "model.safetensors").write_bytes(b"\0" * 1000)
    assert store_state(home) == before


def test_service_serves_the_previous_model_after_the_kills(home: Path) -> None:
    rows, served = store_state(home)
    assert not any("onnx" in row for row in rows)
    with running_service(home) as service:
        assert httpx.get(f"{service.url}/metadata").json()["tag"] == served
