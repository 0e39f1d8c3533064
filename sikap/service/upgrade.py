"""The strong model without asking for it: build it in the background, report progress, let the service swap.

:func:`build_strong_model` runs the steps of ``make model`` (base model → fine-tuning → ONNX export →
ensemble) as child commands and keeps ``upgrade.json`` in the model store up to date with
``{state, step, eta}``; ``sikap models build`` and ``make model`` run it in the foreground, and
``sikap serve`` starts it at low CPU priority when the store has no ensemble yet. The service's model
watcher (:mod:`sikap.service.hot_swap`) swaps the ensemble in when the build has stored it.

The status names the builder process (pid, start time, host): a ``running`` build whose process is gone
(killed from outside) reads as ``interrupted``, and ``sikap serve`` starts it again.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sikap.io import write_atomic
from sikap.service.process import stop_tree

STATUS_FILE = "upgrade.json"
# seconds: psutil derives a process's start time from the boot time, which it reads to the second
START_TOLERANCE = 1.0
STEP_GRACE_SECONDS = 10.0  # a step's process asked to stop (SIGTERM) is killed after this


@dataclass(frozen=True)
class Step:
    name: str
    command: list[str]
    expected_seconds: float  # on 2 quiet cores; only for the ETA
    fallback: list[str] | None = None  # run when the command fails (int8 export → fp32)


def _sikap(*args: str) -> list[str]:
    return [sys.executable, "-m", "sikap.cli", *args]


STEPS = (
    Step("base model", _sikap("base-model", "prepare"), 60),
    Step("fine-tuning", _sikap("train"), 840),
    Step("ONNX export", _sikap("export", "--onnx", "--int8"), 150, fallback=_sikap("export", "--onnx")),
    Step("ensemble", _sikap("ensemble", "build"), 120),
)


def status_path(home: Path) -> Path:
    return home / STATUS_FILE


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None if it is gone or a zombie (killed,
    not yet reaped by its parent). Together with the pid it names one process: pids are reused."""
    import psutil

    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.create_time()
    except psutil.Error:
        return None


def builder_alive(status: dict) -> bool:
    """Whether the process that wrote ``status`` still runs. True when this cannot be told here: a status
    without a pid (written by an older Sikap) or written on another host."""
    if "pid" not in status or status.get("host") != socket.gethostname():
        return True
    started = process_started(int(status["pid"]))
    recorded = status.get("pid_started")
    return started is not None and recorded is not None and abs(started - float(recorded)) < START_TOLERANCE


def _interrupted(status: dict) -> dict:
    step = f" in step {status['step']}" if status.get("step") else ""
    reason = (
        f"the build process (pid {status['pid']}) stopped{step} without finishing (killed?); the served model "
        "stays as it is. Restart it with `make model` or `sikap models build` (`sikap serve` restarts it by itself)"
    )
    return {**status, "state": "interrupted", "eta": None, "reason": reason}


def read_status(home: Path) -> dict | None:
    """The last status a build wrote, or None (no build yet, or unreadable). A ``running`` status whose
    builder process is gone reads as ``interrupted``, with a reason naming the pid."""
    try:
        status = json.loads(status_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if status.get("state") == "running" and not builder_alive(status):
        return _interrupted(status)
    return status


def write_status(home: Path, **status: object) -> None:
    """Write ``status`` with the time and the identity of this process, the builder."""
    pid = os.getpid()
    builder = {"pid": pid, "pid_started": process_started(pid), "host": socket.gethostname()}
    write_atomic(status_path(home), json.dumps({**status, **builder, "updated": time.time()}))


def eta_seconds(steps: tuple[Step, ...], index: int, elapsed: float) -> int:
    """Seconds left: what remains of step ``index`` (at least 10 s while it runs) plus every later step."""
    current = max(steps[index].expected_seconds - elapsed, 10.0)
    return round(current + sum(s.expected_seconds for s in steps[index + 1 :]))


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def sigterm_exits() -> Iterator[None]:
    """Inside, SIGTERM raises SystemExit (in the main thread; elsewhere signals cannot be handled) instead of
    ending the process at once, so cleanup in ``finally`` runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build_strong_model(
    home: Path,
    steps: tuple[Step, ...] = STEPS,
    echo: Callable[[str], None] = print,
    poll: float = 2.0,
    run_kwargs: dict | None = None,
) -> bool:
    """Run ``steps`` in order, writing the status after each change; True when all succeeded.

    Stopped (Ctrl-C, SIGTERM, an error), it stops the running step's process first: a step is never left running
    on its own. The status then reads ``interrupted`` (:func:`read_status`)."""
    with sigterm_exits():
        return _run_steps(home, steps, echo, poll, run_kwargs)


def _run_steps(
    home: Path, steps: tuple[Step, ...], echo: Callable[[str], None], poll: float, run_kwargs: dict | None
) -> bool:
    started = time.time()
    for index, step in enumerate(steps):
        label = f"{index + 1}/{len(steps)} {step.name}"
        echo(f"==> [{label}] (about {eta_seconds(steps, index, 0) // 60 + 1} min left)")
        for command in filter(None, (step.command, step.fallback)):
            step_start = time.monotonic()
            process = subprocess.Popen(command, **(run_kwargs or {}))
            try:
                while process.poll() is None:
                    elapsed = time.monotonic() - step_start
                    eta = eta_seconds(steps, index, elapsed)
                    write_status(home, state="running", step=label, eta=eta, started=started)
                    time.sleep(poll)
            finally:
                if process.poll() is None:  # stopped from outside while the step runs: it and its children
                    stop_tree(process.pid, STEP_GRACE_SECONDS)
            if process.returncode == 0:
                break
            echo(f"step {label} failed with exit code {process.returncode}: {' '.join(command[2:])}")
        else:
            reason = f"step {label} failed (exit code {process.returncode}); the served model stays as it is"
            write_status(home, state="failed", step=label, eta=None, started=started, reason=reason)
            return False
    write_status(home, state="done", step=None, eta=0, started=started, seconds=round(time.time() - started))
    echo(f"==> strong model built in {(time.time() - started) / 60:.1f} min")
    return True


def upgrade_wanted(
    requested_model: str | None, served_kind: str | None, enabled: bool, status: dict | None = None
) -> str | None:
    """Why the background build should not run (a reason), or None when it should. ``status`` is the last
    build's (:func:`read_status`): a build still running is not started twice; a failed or interrupted one is."""
    if not enabled or os.environ.get("SIKAP_UPGRADE", "1") == "0":
        return "turned off (--no-upgrade or SIKAP_UPGRADE=0)"
    if requested_model or os.environ.get("SIKAP_MODEL"):
        return "the model is pinned (--model or SIKAP_MODEL)"
    if served_kind == "ensemble":
        return "the store already has an ensemble"
    if status and status.get("state") == "running":
        return f"a build is already running (pid {status.get('pid', '?')}, step {status.get('step')})"
    return None


def start_background_build(home: Path, log: Path | None = None, command: list[str] | None = None) -> subprocess.Popen:
    """``sikap models build`` (or ``command``) as a child at the lowest CPU priority (nice 19), so serving
    comes first; its output goes to ``log`` or the console."""
    output = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it open
    return subprocess.Popen(
        command or _sikap("models", "build"),
        preexec_fn=lambda: os.nice(19),  # runs in the child before exec
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
        env={**os.environ, "SIKAP_HOME": str(home), "BENTOML_HOME": str(home)},
    )
