"""The fork runner behaves as ``subprocess.run([python, script, *args], …)``: argv, environment, working directory,
import path, output, exit code and time limit."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .fork_runner import run_forked

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
