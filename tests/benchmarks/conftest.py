"""Running the scripts of ``benchmarks/`` as a user would: a fresh process (forked from a server with the heavy
libraries imported: ``tests/fork_runner.py``), small sizes, a time limit."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fork_runner import run_forked

REPO = Path(__file__).resolve().parents[2]

Run = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def bench_env(bench_labels: Path) -> dict[str, str]:
    """This process's environment (the session store, one thread per library) with this checkout first on the
    import path and ``bench_labels`` as ``labels/``: the scripts train, evaluate and read sentences in seconds."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "SIKAP_LABELS": str(bench_labels), "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="session")
def run_benchmark(bench_env: dict[str, str]) -> Run:
    """``run_benchmark("x.py", *args, timeout=..., env={...})`` runs ``benchmarks/x.py`` from the repository root
    and returns the finished process; a non-zero exit fails the test with the end of its output."""

    def run(script: str, *args: object, timeout: float = 300, env: dict[str, str] | None = None):
        command = [sys.executable, str(REPO / "benchmarks" / script), *map(str, args)]
        done = run_forked(command, REPO, {**bench_env, **(env or {})}, timeout)
        assert done.returncode == 0, f"{script} exited with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    return run
