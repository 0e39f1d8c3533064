"""`sikap serve` stops on SIGTERM or SIGINT with every process it started, even with a request in flight."""

import os
import signal
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx
import psutil
import pytest
from conftest import store_holding

from sikap.paths import REPO_ROOT
from sikap.service.api_models import MAX_REQUEST_CHARS, MAX_REQUEST_SENTENCES
from sikap.service.process import serving_on_a_free_port


@pytest.fixture(scope="module")
def home(default_tag: str, tmp_path_factory) -> Path:
    """A store holding only the embedded default, whatever the test files run before on this worker stored beside
    it in the session store (an ONNX export served there would import onnxruntime, which writes its telemetry
    session file ``.ses`` into ``$TMPDIR`` on import, and keeps it)."""
    return store_holding(default_tag, tmp_path_factory.mktemp("shutdown-home"))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_every_process_within_10_s(home: Path, default_tag: str, stop: signal.Signals, tmp_path) -> None:
    env = {**os.environ, "SIKAP_HOME": str(home)}
    env.pop("SIKAP_API_KEY", None)

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "sikap.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]

    descendants: list[psutil.Process] = []
    # `serving` gives sikap serve a TMPDIR of its own (short, in the system's: BentoML puts its workers' Unix
    # sockets there, whose paths may not exceed 107 bytes) and removes it only after these checks
    log = tmp_path / "serve.log"
    with serving_on_a_free_port(command, REPO_ROOT, env, lambda port: log, timeout=180) as service:
        process, url = service.process, service.url
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
            assert not list(service.tmpdir.iterdir()), "temporary files left behind"
        finally:  # whatever the outcome, leave nothing running (the service itself: `serving` stops it)
            for leftover in descendants:
                with suppress(psutil.NoSuchProcess):
                    leftover.kill()


def _post_quietly(url: str, body: dict) -> None:
    with suppress(httpx.HTTPError):  # the service is stopped under it: any outcome but a hang is fine
        httpx.post(url, json=body, timeout=60)
