"""`sikap serve` stops on SIGTERM or SIGINT with every process it started, even with a request in flight."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import store_holding

from sikap.service.api_models import MAX_REQUEST_CHARS, MAX_REQUEST_SENTENCES
from sikap.service.process import PORT_ATTEMPTS, free_port, stop_tree


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "sikap serve exited before it was ready"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("service not ready")


@pytest.fixture(scope="module")
def home(default_tag: str, tmp_path_factory) -> Path:
    """A store holding only the embedded default, whatever the test files run before on this worker stored beside
    it in the session store (an ONNX export served there would import onnxruntime, which writes its telemetry
    session file ``.ses`` into ``$TMPDIR`` on import, and keeps it)."""
    return store_holding(default_tag, tmp_path_factory.mktemp("shutdown-home"))


def start_serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`sikap serve` on a free port, once ready: the process and its URL. Another process may bind the picked port
    before the service does (the tests beside this one start services and Ray); then it is started again on
    another port, as :func:`sikap.service.process.running_service` does."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        with log.open("w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "sikap.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, process)
            return process, url
        except AssertionError:
            taken = process.poll() is not None and "Address already in use" in log.read_text()
            if not taken:
                stop_tree(process.pid)  # a service that did not get ready, with all it started
            if not taken or attempt == PORT_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_every_process_within_10_s(home: Path, default_tag: str, stop: signal.Signals, tmp_path) -> None:
    # The temporary directory of sikap serve and all it starts; short (not in tmp_path): BentoML puts its workers'
    # Unix sockets there, whose paths may not exceed 107 bytes
    scratch = Path(tempfile.mkdtemp(prefix="shutdown-"))
    env = {**os.environ, "SIKAP_HOME": str(home), "TMPDIR": str(scratch)}
    env.pop("SIKAP_API_KEY", None)
    descendants: list[psutil.Process] = []
    try:
        process, url = start_serve(env, tmp_path / "serve.log")
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    try:
        assert httpx.get(f"{url}/metadata", timeout=10).json()["tag"] == default_tag
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 3  # bentoml serve, the API worker, the Classifier worker
        # the heaviest request the budgets allow (MAX_REQUEST_SENTENCES sentences), so it is still running
        text = "Pasukan Rusia menggempur Kharkiv lagi dan NATO mengecamnya. " * (MAX_REQUEST_SENTENCES // 2 - 1)
        assert len(text) < MAX_REQUEST_CHARS // 2
        body = {"articles": [{"text": text}, {"text": text}]}
        in_flight = threading.Thread(target=lambda: _post_quietly(f"{url}/analyze", body), daemon=True)
        in_flight.start()
        time.sleep(0.5)
        start = time.monotonic()
        process.send_signal(stop)
        assert process.wait(10) == 128 + stop
        _, alive = psutil.wait_procs(descendants, timeout=max(0.0, 10 - (time.monotonic() - start)))
        assert not alive, f"still running 10 s after {stop.name}: {alive}"
        assert not list(scratch.iterdir()), "temporary files left behind"
    finally:  # whatever the outcome, leave nothing running
        for leftover in descendants:
            with suppress(psutil.NoSuchProcess):
                leftover.kill()
        if process.poll() is None:
            process.kill()
        shutil.rmtree(scratch, ignore_errors=True)


def _post_quietly(url: str, body: dict) -> None:
    with suppress(httpx.HTTPError):  # the service is stopped under it: any outcome but a hang is fine
        httpx.post(url, json=body, timeout=60)
