"""kill -9 in the middle of `sikap train`, `sikap export` and `sikap label import` leaves no partial
model or label file: `sikap models list` works and the service still serves the previous model."""

import json
import os
import shutil
import signal
import sys
import time
from contextlib import suppress
from pathlib import Path

import httpx
import pytest
from conftest import SESSION_HOME
from fork_runner import ForkedProcess, run_forked

from sikap.service.process import running_service


def sikap_process(home: Path, *args: str, labels: Path | None = None) -> ForkedProcess:
    """``python -m sikap.cli *args`` in a process forked from a server that imported torch and transformers once
    (``tests/fork_runner.py``): the command's own process, which the tests kill -9."""
    # Temporary files inside the test's folder: a process killed with -9 cannot remove them (the export's staging)
    scratch = home.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "SIKAP_HOME": str(home), "TMPDIR": str(scratch)}
    env.pop("SIKAP_MODEL", None)
    if labels:
        env["SIKAP_LABELS"] = str(labels)
    return ForkedProcess([sys.executable, "-m", "sikap.cli", *args], Path.cwd(), env)


def sikap(home: Path, *args: str, labels: Path | None = None) -> str:
    process = sikap_process(home, *args, labels=labels)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output
    return output


def kill_when(process: ForkedProcess, marker: str, timeout: float = 240) -> str:
    """SIGKILL ``process`` as soon as its output contains ``marker``; the output up to then."""
    fd = process.stdout.fileno()
    os.set_blocking(fd, False)
    seen, deadline = "", time.monotonic() + timeout
    while marker not in seen:
        assert process.poll() is None, f"finished before {marker!r} showed up:\n{seen[-2000:]}"
        assert time.monotonic() < deadline, f"no {marker!r} after {timeout} s:\n{seen[-2000:]}"
        with suppress(BlockingIOError):
            seen += os.read(fd, 65_536).decode(errors="replace")
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    return seen


STATE = """
from typer.testing import CliRunner
from sikap.cli import app
from sikap.models.store import resolve
listing = CliRunner().invoke(app, ["models", "list"])
assert listing.exit_code == 0, listing.output
print(listing.output + "served: " + resolve().tag)
"""


def store_state(home: Path) -> str:
    """`sikap models list` and the tag the service would serve, read by a fresh process."""
    env = {**os.environ, "SIKAP_HOME": str(home)}
    env.pop("SIKAP_MODEL", None)
    result = run_forked([sys.executable, "-c", STATE], Path.cwd(), env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def home(default_tag: str, tiny_bert: Path, tmp_path_factory) -> Path:
    """A copy of the session store (the embedded default) plus a tiny transformer, served from there."""
    home = tmp_path_factory.mktemp("faults") / "home"
    shutil.copytree(SESSION_HOME, home, ignore=shutil.ignore_patterns("serve-*.log"))
    sikap(home, "train", "--base-model", str(tiny_bert), "--epochs", "1", "--limit", "160",
          "--output", str(home / "run-ok"))  # fmt: skip
    return home


@pytest.fixture(scope="module")
def before(home: Path) -> str:
    return store_state(home)


def test_kill_during_train(home: Path, before: str, tiny_bert: Path) -> None:
    process = sikap_process(home, "train", "--base-model", str(tiny_bert), "--epochs", "3", "--limit", "400",
                            "--output", str(home / "run-killed"))  # fmt: skip
    kill_when(process, "epoch")
    assert store_state(home) == before


def test_kill_during_export(home: Path, before: str) -> None:
    transformer = before.rsplit("served: ", 1)[1].strip()
    assert transformer.startswith("sikap:")
    process = sikap_process(home, "export", "--model", transformer, "--onnx")
    kill_when(process, "exported")
    assert store_state(home) == before


def test_kill_during_label_import(home: Path, tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    shutil.copytree(Path(__file__).parents[2] / "labels", labels)
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


def test_a_save_cut_short_is_skipped(home: Path, before: str) -> None:
    """What kill -9 leaves when it lands while BentoML copies a model into the store: a version
    folder with some files and no model.yaml."""
    partial = home / "models" / "sikap" / "29990101-000000-deadbeef"
    partial.mkdir(parents=True)
    (partial / "model.safetensors").write_bytes(b"\0" * 1000)
    assert store_state(home) == before


def test_service_serves_the_previous_model_after_the_kills(home: Path, before: str) -> None:
    assert store_state(home) == before
    served = before.rsplit("served: ", 1)[1].strip()
    with running_service(home) as service:
        assert httpx.get(f"{service.url}/metadata").json()["tag"] == served
