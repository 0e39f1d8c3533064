"""Run a script as ``python script.py args…`` would, in a fresh process forked from a server that has the heavy
libraries imported already (:data:`PRELOAD`).

Every benchmark script imports torch, transformers or scikit-learn, ~3–10 CPU-s a process on 2 cores, more than most
of the smoke runs take after that. A ``forkserver`` imports them once per test worker; each script runs in a child
forked from it: a new process (its own pid, session, environment, working directory, stdio and exit code) that has
run nothing before. The libraries listed read nothing that a script's environment changes (the stores' paths are read
by ``sikap`` and ``bentoml``, which are not preloaded); threads: the test worker's (one per library) at import.

The scripts start fresh processes of their own (a worker per model measured, ``sikap`` commands): their
``sys.executable`` is :data:`SHIM_SOURCE`, a ``python`` that runs ``python file.py …`` and ``python -m sikap.cli …``
in a child forked from the script's twin, a copy of the script's process made before it ran anything (so the same
clean state, with its own pid, environment, working directory, stdio, signals and exit status); any other command
(``-c``, ``-m bentoml``) is the real Python, and so are the processes of :data:`FRESH_SCRIPTS`.
"""

import atexit
import json
import multiprocessing
import os
import runpy
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import traceback
from contextlib import suppress
from functools import cache
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


ADDRESS_VARIABLE = "SIKAP_TEST_FORK_ADDRESS"  # where a script's twin takes requests for fresh processes
PYTHON_VARIABLE = "SIKAP_TEST_FORK_PYTHON"  # the shim: the forked processes' ``sys.executable``
# Scripts whose processes report which libraries they import (the preloaded ones would be there already): run fresh.
FRESH_SCRIPTS = ("frozen_default.py",)

# The shim's code, run by the real Python without site-packages (``-S``: milliseconds to start).
SHIM_SOURCE = """
import json, os, signal, socket, sys

python, argv, address = {python!r}, sys.argv[1:], os.environ.get({variable!r})
script = bool(argv) and argv[0].endswith(".py") and os.path.isfile(argv[0])
script = script and os.path.basename(argv[0]) not in {fresh!r}
if not address or not (script or argv[:2] == ["-m", "sikap.cli"]):
    os.execv(python, [python, *argv])
connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
connection.connect(address)
request = json.dumps({{"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
socket.send_fds(connection, [request], [0, 1, 2])
pid = json.loads(connection.recv(1 << 16))["pid"]


def pass_on(number, _frame):
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # what this process is sent, its child gets
    signal.signal(number, pass_on)
reply = connection.recv(1 << 16)
if not reply:
    sys.exit(f"fork runner: the twin that ran {{argv}} is gone")
code = os.waitstatus_to_exitcode(json.loads(reply)["status"])
if code < 0:  # killed by a signal: so is this process, as the caller of a real Python would see it
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


@cache
def shim() -> str:
    """The ``python`` of the forked scripts, written once per test process (removed when it exits)."""
    folder = tempfile.mkdtemp(prefix="sikap-fork-python-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "python"
    source = SHIM_SOURCE.format(python=sys.executable, variable=ADDRESS_VARIABLE, fresh=FRESH_SCRIPTS)
    path.write_text(f"#!{sys.executable} -S\n{source}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def _run_main(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """``python *argv`` (a script, ``-m`` a module or ``-c`` code) in this process, then exit with its code
    (atexit handlers run, as in Python). Stdio is already this process's."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # $TMPDIR read again, as a new interpreter does (a preloaded library asked already)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own stdio
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.executable = env.get(PYTHON_VARIABLE, sys.executable)
    module = argv[1] if argv[0] == "-m" else None
    code_text = argv[1] if argv[0] == "-c" else None
    sys.argv = ["-c", *argv[2:]] if code_text is not None else argv[1:] if module else list(argv)
    # The import path of `python script.py` (or `-m`, `-c`) with this PYTHONPATH: without the test folders, whose
    # `benchmarks` package (tests/benchmarks/) would hide the repository's `benchmarks/` from the script
    tests = Path(__file__).resolve().parent
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        del sys.modules[name]
    extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    kept = [p for p in sys.path if p and not Path(p).resolve().is_relative_to(tests)]
    sys.path[:] = [cwd if module or code_text is not None else str(Path(argv[0]).parent), *extra, *kept]
    code = 0
    try:
        if module:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        elif code_text is not None:
            exec(compile(code_text, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        else:
            runpy.run_path(argv[0], run_name="__main__")
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


def _serve_fresh_processes(listener: socket.socket, script_pid: int) -> None:
    """The script's twin: for each request of :data:`SHIM_SOURCE`, fork a child that runs it, tell the shim its pid
    and, once it ended, its wait status. Ends with the script."""
    listener.settimeout(0.2)
    waiting: dict[int, socket.socket] = {}
    while os.getppid() == script_pid or waiting:
        with suppress(TimeoutError):
            connection, _ = listener.accept()
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                listener.close()
                for other in waiting.values():
                    other.close()
                _run_request(connection, request, fds)
            for fd in fds:
                os.close(fd)
            connection.send(json.dumps({"pid": pid}).encode())
            waiting[pid] = connection
        while waiting:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            with suppress(OSError), waiting.pop(pid) as connection:
                connection.send(json.dumps({"status": status}).encode())
    os._exit(0)


def _run_request(connection: socket.socket, request: dict, fds: list[int]) -> None:
    """In the child forked for a request: its stdio, and an end when the shim's process is killed (its side of the
    connection closes: SIGKILL cannot be passed on)."""
    for fd, received in enumerate(fds):
        os.dup2(received, fd)
        os.close(received)

    def end_with_the_shim() -> None:
        with suppress(OSError):
            connection.recv(1)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=end_with_the_shim, daemon=True).start()
    _run_main(request["argv"], request["env"], request["cwd"])


def _run_script(argv: list[str], env: dict[str, str], cwd: str, out: str, err: str) -> None:
    """In the forked child: its twin started (:func:`_serve_fresh_processes`), then ``python *argv``."""
    os.setsid()  # its own process group, which a timeout kills whole
    address = os.path.join(os.path.dirname(out), "twin")  # in the run's folder, which run_forked removes
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(address)
    listener.listen(16)
    script_pid = os.getpid()
    if os.fork() == 0:
        _serve_fresh_processes(listener, script_pid)
    listener.close()
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    _run_main(argv, {**env, ADDRESS_VARIABLE: address}, cwd)


def _run_started(argv: list[str], env: dict[str, str], cwd: str, output) -> None:
    """In the child of a :class:`ForkedProcess`: its own session, no input, its output and errors to ``output``
    (``None``: discarded)."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    for fd in (1, 2):
        os.dup2(output.fileno() if output else null, fd)
    os.close(null)
    if output:
        output.close()
    _run_main(argv, env, cwd)


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # read when the server starts: the first run of this process
    return context


def run_forked(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run(command, cwd=…, env=…, capture_output=True, text=True, timeout=…)`` for
    ``command = [python, *argv]`` (a script, ``-m`` a module or ``-c`` code), run in a child of the fork server."""
    env = {**env, PYTHON_VARIABLE: shim()}
    with tempfile.TemporaryDirectory(prefix="sikap-bench-run-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        out.touch()
        err.touch()
        child = _context().Process(target=_run_script, args=(command[1:], env, str(cwd), str(out), str(err)))
        child.start()
        child.join(timeout)
        if child.is_alive():
            with suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.join()
            raise subprocess.TimeoutExpired(command, timeout, out.read_text(), err.read_text())
        return subprocess.CompletedProcess(command, child.exitcode, out.read_text(), err.read_text())


class ForkedProcess:
    """What the tests use of ``subprocess.Popen(command, cwd=…, env=…, stdout=PIPE, stderr=STDOUT, text=True)``, for
    ``command = [python, *argv]`` forked from the fork server: ``pid`` (the process itself: signals reach it and
    nothing else), ``stdout`` (output and errors; ``quiet``: both discarded, as ``subprocess.DEVNULL``), ``poll``,
    ``wait``, ``send_signal``, ``communicate``, ``returncode``.
    """

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], quiet: bool = False) -> None:
        self.args = command
        reader, writer = multiprocessing.Pipe(duplex=False) if not quiet else (None, None)
        self._process = _context().Process(target=_run_started, args=(command[1:], env, str(cwd), writer))
        self._process.start()
        self.pid = self._process.pid
        self.stdout = None
        if reader and writer:
            writer.close()
            self.stdout = open(os.dup(reader.fileno()), encoding="utf-8", errors="replace")  # noqa: SIM115
            reader.close()

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return None if self._process.is_alive() else self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self._process.exitcode

    def send_signal(self, number: int) -> None:
        with suppress(ProcessLookupError):
            os.kill(self.pid, number)

    def communicate(self, timeout: float | None = None) -> tuple[str, None]:
        """All of the output once the process closes it, and the process ended; ``TimeoutExpired`` after ``timeout``."""
        result: list[str] = []
        reading = threading.Thread(target=lambda: result.append(self.stdout.read()), daemon=True)
        reading.start()
        reading.join(timeout)
        if reading.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout)
        self.wait(timeout)
        return result[0], None
