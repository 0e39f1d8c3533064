"""The fork runner behaves as ``subprocess.run([python, script, *args], …)`` and ``Popen`` would: argv, environment,
working directory, import path, output, signals, exit code and time limit; so do the processes a script starts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fork_runner import ForkedProcess, run_forked

SCRIPT = """
import json, os, sys
from pathlib import Path
import helper  # a module beside the script: the script's folder comes first on the import path
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": os.environ.get("PROBE"), "helper": helper.NAME,
                  "parent": os.getppid(), "session": os.getsid(0) == os.getpid(), "name": __name__}))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture()
def script(tmp_path: Path) -> Path:
    (tmp_path / "helper.py").write_text("NAME = 'beside'\n")
    path = tmp_path / "probe.py"
    path.write_text(SCRIPT)
    return path


@pytest.mark.parametrize("code", [0, 3])
def test_a_script_gets_its_argv_env_cwd_and_exit_code(script: Path, tmp_path: Path, code: int) -> None:
    env = {**os.environ, "PROBE": "seen"}
    os.environ.pop("PROBE", None)
    done = run_forked([sys.executable, str(script), str(code), "two"], tmp_path, env, timeout=60)
    assert done.returncode == code and done.stderr == "to stderr\n"
    seen = json.loads(done.stdout)
    assert seen["argv"] == [str(code), "two"] and seen["cwd"] == str(tmp_path) and seen["env"] == "seen"
    assert seen["helper"] == "beside" and seen["name"] == "__main__" and seen["session"]
    assert seen["parent"] != os.getpid()  # forked from the server, not from this process
    assert "PROBE" not in os.environ  # the environment given is the child's only


def test_an_uncaught_exception_exits_1_with_its_traceback(tmp_path: Path) -> None:
    script = tmp_path / "fails.py"
    script.write_text("raise ValueError('broken on purpose')\n")
    done = run_forked([sys.executable, str(script)], tmp_path, dict(os.environ), timeout=60)
    assert done.returncode == 1 and "ValueError: broken on purpose" in done.stderr


def test_a_script_over_its_time_limit_is_killed(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    script = tmp_path / "sleeps.py"
    script.write_text(f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n")
    warm = tmp_path / "warm.py"  # the server started (first use in this worker: seconds of imports) before timing
    warm.write_text("")
    assert run_forked([sys.executable, str(warm)], tmp_path, dict(os.environ), timeout=120).returncode == 0
    start = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        run_forked([sys.executable, str(script)], tmp_path, dict(os.environ), timeout=3)
    assert time.monotonic() - start < 30
    pid = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


PARENT = """
import json, os, signal, subprocess, sys, time
from pathlib import Path
here = Path(__file__).parent
python = sys.executable
# a worker, as the benchmark scripts start theirs: argv, environment, working directory, stdio and exit code
done = subprocess.run([python, str(here / "worker.py"), "7"], capture_output=True, text=True, cwd=here / "work",
                      env={**os.environ, "PROBE": "worker"})
# `python -c` and other commands: the real Python
real = subprocess.run([python, "-c", "import sys; print('torch' in sys.modules)"], capture_output=True, text=True)
# SIGTERM to the shim reaches the worker; SIGKILL to the shim ends the worker too
stopped = subprocess.Popen([python, str(here / "sleeper.py"), "term"])
while not (here / "term.pid").exists(): time.sleep(0.05)
stopped.terminate()
killed = subprocess.Popen([python, str(here / "sleeper.py"), "kill"])
while not (here / "kill.pid").exists(): time.sleep(0.05)
killed.kill()
print(json.dumps({"worker": json.loads(done.stdout), "code": done.returncode, "err": done.stderr,
                  "real_has_torch": real.stdout.strip(), "terminated": stopped.wait(), "killed": killed.wait()}))
"""

WORKER = """
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "env": os.environ.get("PROBE"), "name": __name__,
                  "torch_before_import": "torch" in sys.modules, "parent_script_ran": "imported_by_parent" in sys.modules}))
print("worker stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""

SLEEPER = """
import os, sys, time
from pathlib import Path
pid_file = Path(__file__).parent / (sys.argv[1] + ".pid")
pid_file.with_suffix(".tmp").write_text(str(os.getpid()))
pid_file.with_suffix(".tmp").replace(pid_file)  # whole: the parent signals this process as soon as the file exists
time.sleep(600)
"""


def test_a_scripts_own_python_processes_are_forked_from_its_twin(tmp_path: Path) -> None:
    """``python file.py`` started by a script runs forked (the preloaded libraries already there, nothing the script
    did), with its own argv, environment, working directory, stdio and exit code; signals reach it; ``-c`` is the
    real Python."""
    for name, source in (
        ("parent.py", "import imported_by_parent\n" + PARENT),
        ("imported_by_parent.py", ""),
        ("worker.py", WORKER),
        ("sleeper.py", SLEEPER),
    ):
        (tmp_path / name).write_text(source)
    (tmp_path / "work").mkdir()
    done = run_forked([sys.executable, str(tmp_path / "parent.py")], tmp_path, dict(os.environ), timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    worker = seen["worker"]
    assert worker["argv"] == ["7"] and worker["cwd"] == str(tmp_path / "work") and worker["env"] == "worker"
    assert worker["name"] == "__main__" and not worker["parent_script_ran"]
    assert worker["torch_before_import"]  # forked: a fresh `python worker.py` would not have torch yet
    assert seen["code"] == 7 and seen["err"] == "worker stderr\n"
    assert seen["real_has_torch"] == "False"
    assert seen["terminated"] == -signal.SIGTERM and seen["killed"] == -signal.SIGKILL
    deadline = time.monotonic() + 10
    for name in ("term", "kill"):
        pid = int((tmp_path / f"{name}.pid").read_text())
        while True:  # the worker of the killed shim ends once it sees the shim's side close
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, f"the {name} worker {pid} is still running"
            time.sleep(0.05)


def test_a_forked_process_is_the_commands_own_process(tmp_path: Path) -> None:
    """``ForkedProcess`` as ``Popen(…, stdout=PIPE, stderr=STDOUT)``: its pid is the command's (a signal sent to it
    ends the command), output and errors in one stream, the exit code; ``-c`` code and ``-m`` a module."""
    code = "import os, sys, time; print(os.getpid(), flush=True); print('err', file=sys.stderr, flush=True); time.sleep(600)"
    process = ForkedProcess([sys.executable, "-c", code], tmp_path, dict(os.environ))
    assert int(process.stdout.readline()) == process.pid and process.stdout.readline() == "err\n"
    assert process.poll() is None
    process.send_signal(signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL == process.returncode
    (tmp_path / "probe_module.py").write_text(
        "import sys, tempfile\nprint(sys.argv[1:], __name__, tempfile.gettempdir())\nsys.exit(5)\n"
    )
    scratch = tmp_path / "scratch"  # its $TMPDIR (the killed commands' leftovers go there), though the server's differs
    scratch.mkdir()
    module = ForkedProcess(
        [sys.executable, "-m", "probe_module", "a"], tmp_path, {**os.environ, "TMPDIR": str(scratch)}
    )
    assert module.communicate(timeout=60) == (f"['a'] __main__ {scratch}\n", None) and module.returncode == 5
