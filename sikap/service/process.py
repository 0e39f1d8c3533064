"""Run the real service (``bentoml serve``) as a child process, and stop it with all its workers.

``running_service`` is used by the integration tests and the benchmarks (it binds to 127.0.0.1
only); ``serve_until_signalled`` is ``sikap serve``. BentoML starts each worker in a process
group of its own, so stopping the group of ``bentoml serve`` is not enough: :func:`stop_tree`
collects every descendant first, asks the parent to stop, and kills whatever is left after a grace period.
"""

import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sikap.errors import SikapError
from sikap.paths import REPO_ROOT

# For bentoml to stop its workers, before they are killed; all are gone within 10 s. 6 s was too close: on a
# loaded 2-core machine the kill and the reaping after it took the total past 10 s.
GRACE_SECONDS = 5.0


def stop_tree(pid: int, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM process ``pid``; after ``grace`` seconds SIGKILL it and every descendant still running."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
        parent.terminate()
    except psutil.NoSuchProcess:
        return
    _, alive = psutil.wait_procs(processes, timeout=grace)
    for process in alive:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=3)


@contextmanager
def scratch_dir(parent: str | None = None) -> Iterator[str]:
    """A temporary folder (in ``parent``, else the system's) to be a service's ``TMPDIR``, removed with whatever
    its processes left there: BentoML's client in the API worker makes a folder in the temporary directory at
    start and leaves it behind when the worker is stopped."""
    with tempfile.TemporaryDirectory(prefix="sikap-serve-", dir=parent, ignore_cleanup_errors=True) as path:
        yield path


def serve_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "bentoml", "serve", "serving.service:Sikap", "--host", host, "--port", str(port)]


def serve_until_signalled(host: str, port: int, companions: list[subprocess.Popen] | None = None) -> int:
    """Run ``bentoml serve`` until it exits or this process gets SIGINT/SIGTERM, which stop the
    service and all its workers (within ``GRACE_SECONDS`` + 3 s), and the ``companions`` (a background
    build) with them. Returns the exit code."""
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: received.append(signum)) for sig in STOP_SIGNALS}
    with ExitStack() as undo:  # on the way out, in reverse: companions stopped, scratch removed, handlers back
        undo.callback(lambda: [signal.signal(sig, handler) for sig, handler in previous.items()])
        scratch = undo.enter_context(scratch_dir())
        undo.callback(lambda: [stop_tree(c.pid) for c in companions or [] if c.poll() is None])
        process = subprocess.Popen(serve_command(host, port), cwd=REPO_ROOT, env={**os.environ, "TMPDIR": scratch})
        while process.poll() is None and not received:
            time.sleep(0.2)
        if received:
            stop_tree(process.pid)
            return 128 + received[0]
        return process.returncode


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class RunningService:
    url: str
    pid: int
    log: Path  # the service's output (both workers)
    process: subprocess.Popen
    tmpdir: Path  # the service's TMPDIR, removed with what is left in it when the service is stopped


def ephemeral_ports() -> range:
    """The kernel's range for ports bound to 0 (Linux default 32768–60999)."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


# Ray's default ports for its workers (``min_worker_port`` / ``max_worker_port``): a local Ray instance (the
# ``ray`` scoring engine) binds ports there while it starts workers.
RAY_WORKER_PORTS = range(10_002, 20_000)
PORT_ATTEMPTS = 3  # ports tried by running_service


def free_port() -> int:
    """A free port *outside* the ephemeral range and Ray's worker ports: BentoML's workers pick their own
    ports by binding to 0 (its control socket, runner sockets), and Ray binds its workers' ports in
    :data:`RAY_WORKER_PORTS`; a port we had picked in either and released could be taken before the HTTP
    server bound it ("Address already in use")."""
    ephemeral = ephemeral_ports()
    below, above = range(RAY_WORKER_PORTS.stop, ephemeral.start), range(ephemeral.stop, 65_536)
    candidates = max(below, above, key=len)  # the larger of the two sides the kernel never hands out
    for port in random.sample(candidates, min(64, len(candidates))):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SikapError(f"no free port found in {candidates.start}–{candidates.stop - 1}")


@contextmanager
def running_service(home: Path, log: Path | None = None, timeout: float = 240, **env: str) -> Iterator[RunningService]:
    """Serve ``serving.service:Sikap`` with the model store at ``home`` (extra ``env``, e.g. ``SIKAP_MODEL``);
    yields once ``/readyz`` answers, and stops the whole process group afterwards.

    The port: :func:`serving_on_a_free_port`.
    """
    environ = {**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home), **env}
    if "SIKAP_MODEL" not in env:
        environ.pop("SIKAP_MODEL", None)
    command = partial(serve_command, "127.0.0.1")
    with serving_on_a_free_port(
        command, REPO_ROOT, environ, lambda port: log or home / f"serve-{port}.log", timeout
    ) as service:
        yield service


@contextmanager
def serving_on_a_free_port(
    command: Callable[[int], list[str]],
    cwd: Path,
    env: dict[str, str],
    log: Callable[[int], Path],
    timeout: float = 240,
) -> Iterator[RunningService]:
    """:func:`serving` of ``command(port)`` on a :func:`free_port`, its output in ``log(port)``. A port is free when
    it is picked, but another process may bind it before the service does: a service that exits with "Address
    already in use" is started again on another port (``PORT_ATTEMPTS`` in all)."""
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        started = ExitStack()
        try:
            service = started.enter_context(serving(command(port), port, cwd, env, log(port), timeout))
        except SikapError as exc:
            if "Address already in use" in str(exc) and attempt < PORT_ATTEMPTS:
                continue
            raise
        with started:
            yield service
        return


@contextmanager
def serving(
    command: list[str], port: int, cwd: Path, env: dict[str, str], log: Path, timeout: float = 240
) -> Iterator[RunningService]:
    """Run ``command``, a ``bentoml serve`` listening on 127.0.0.1:``port``, in ``cwd`` with exactly ``env`` (its
    ``TMPDIR`` a :func:`scratch_dir` in env's), its output in ``log``; yields once ``/readyz`` answers, and stops it
    and all its workers afterwards."""
    import httpx

    with log.open("w") as handle, scratch_dir(env.get("TMPDIR")) as scratch:
        process = subprocess.Popen(
            command, cwd=cwd, env={**env, "TMPDIR": scratch}, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
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
            yield RunningService(url, process.pid, log, process, Path(scratch))
        finally:
            stop_tree(process.pid)
            process.wait(5)
