"""Start the real service (``bentoml serve``) on a free local port for integration tests."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_service(home: Path, timeout: float = 240, **env: str) -> Iterator[str]:
    """Serve ``serving.service:Sikap`` with the model store at ``home``; yields the base URL once ready."""
    port = free_port()
    environ = {**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home), **env}
    environ.pop("SIKAP_MODEL", None) if "SIKAP_MODEL" not in env else None
    log = (home / f"serve-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bentoml", "serve", "serving.service:Sikap", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"service exited with {process.returncode}: {(home / log.name).read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"service not ready after {timeout}s: {Path(log.name).read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(8)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()
