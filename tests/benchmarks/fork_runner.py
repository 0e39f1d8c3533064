"""Run a script as ``python script.py args…`` would, in a fresh process forked from a server that has the heavy
libraries imported already (:data:`PRELOAD`).

Every benchmark script imports torch, transformers or scikit-learn, ~3–8 CPU-s a process on 2 cores, more than most
of the smoke runs take after that. A ``forkserver`` imports them once per test worker; each script runs in a child
forked from it: a new process (its own pid, session, environment, working directory, stdio and exit code) that has
run nothing before. The libraries listed read nothing that a script's environment changes (the stores' paths are read
by ``sikap`` and ``bentoml``, which are not preloaded); threads: the test worker's (one per library) at import.
"""

import atexit
import multiprocessing
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import traceback
from contextlib import suppress
from pathlib import Path

PRELOAD = [
    "numpy",
    "scipy.sparse",
    "scipy.stats",
    "pandas",
    "sklearn.feature_extraction.text",
    "sklearn.linear_model",
    "sklearn.pipeline",
    "torch",
    "transformers.modeling_utils",
    "transformers.models.bert.modeling_bert",
    "tokenizers",
    "onnxruntime",
    "psutil",
    "httpx",
]


def _run_script(script: str, args: list[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """In the forked child: the script as ``__main__``, then exit with its code (atexit handlers run, as in Python)."""
    os.setsid()  # its own process group, which a timeout kills whole
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own stdio
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.argv = [script, *args]
    # The import path of `python script.py` with this PYTHONPATH: without the test folders, whose `benchmarks` package
    # (this one) would hide the repository's `benchmarks/` from the script
    tests = Path(__file__).resolve().parents[1]
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        del sys.modules[name]
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(tests)]
    sys.path[:] = [str(Path(script).parent), *extra, *kept]
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read when the server starts: the first run of this process
    return context


def run_forked(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run(command, cwd=…, env=…, capture_output=True, text=True, timeout=…)`` for
    ``command = [python, script, *args]``, with the script run in a child of the fork server."""
    _, script, *args = command
    with tempfile.TemporaryDirectory(prefix="sikap-bench-run-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        out.touch()
        err.touch()
        child = _context().Process(target=_run_script, args=(script, args, env, str(cwd), str(out), str(err)))
        child.start()
        child.join(timeout)
        if child.is_alive():
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.join()
            raise subprocess.TimeoutExpired(command, timeout, out.read_text(), err.read_text())
        return subprocess.CompletedProcess(command, child.exitcode, out.read_text(), err.read_text())
