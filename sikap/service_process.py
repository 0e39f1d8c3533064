"""Run the real service (``bentoml serve``) as a child process on a free local port.

Used by the integration tests and the service benchmark; it binds to 127.0.0.1 only.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sikap.errors import SikapError
from sikap.paths import REPO_ROOT


@dataclass(frozen=True)
class RunningService:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_service(home: Path, log: Path | None = None, timeout: float = 240, **env: str) -> Iterator[RunningService]:
    """Serve ``serving.service:Sikap`` with the model store at ``home`` (extra ``env``, e.g. ``SIKAP_MODEL``);
    yields once ``/readyz`` answers, and stops the whole process group afterwards."""
    import httpx

    port = free_port()
    environ = {**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home), **env}
    if "SIKAP_MODEL" not in env:
        environ.pop("SIKAP_MODEL", None)
    log = log or home / f"serve-{port}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bentoml",
                "serve",
                "serving.service:Sikap",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO_ROOT,
            env=environ,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise SikapError(f"service exited with {process.returncode}:\n{log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SikapError(f"service not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield RunningService(url, process.pid)
        finally:
            os.killpg(process.pid, 15)
            try:
                process.wait(8)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(5)
