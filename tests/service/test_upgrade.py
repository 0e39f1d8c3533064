"""The background build of the strong model: steps in order, a fallback, status with an ETA, low priority."""

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from sikap.service.upgrade import (
    Step,
    build_strong_model,
    eta_seconds,
    read_status,
    start_background_build,
    upgrade_wanted,
)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_steps_run_in_order_with_a_fallback_and_the_status_says_done(tmp_path):
    log = tmp_path / "ran.txt"
    steps = (
        Step("first", python(f"open({str(log)!r}, 'a').write('1')"), 5),
        Step("int8", python("raise SystemExit(3)"), 5, fallback=python(f"open({str(log)!r}, 'a').write('2')")),
        Step("last", python(f"import time; time.sleep(0.3); open({str(log)!r}, 'a').write('3')"), 5),
    )
    lines: list[str] = []
    assert build_strong_model(tmp_path, steps, echo=lines.append, poll=0.05)
    assert log.read_text() == "123"
    status = read_status(tmp_path)
    assert status["state"] == "done" and status["eta"] == 0
    assert any("2/3 int8" in line and "failed" in line for line in lines)


def test_a_failed_step_stops_the_build_and_says_why(tmp_path):
    marker = tmp_path / "later.txt"
    steps = (
        Step("fine-tuning", python("raise SystemExit(2)"), 5),
        Step("ensemble", python(f"open({str(marker)!r}, 'w')"), 5),
    )
    assert not build_strong_model(tmp_path, steps, echo=lambda _: None, poll=0.05)
    status = read_status(tmp_path)
    assert status["state"] == "failed" and status["step"] == "1/2 fine-tuning"
    assert "exit code 2" in status["reason"] and not marker.exists()


def test_status_while_running_has_step_and_eta(tmp_path):
    seen = []
    code = f"import json, time; time.sleep(0.4); open({str(tmp_path / 'snap.json')!r}, 'w').write(open({str(tmp_path / 'upgrade.json')!r}).read())"
    build_strong_model(tmp_path, (Step("only", python(code), 100),), echo=lambda _: None, poll=0.05)
    seen = json.loads((tmp_path / "snap.json").read_text())
    assert seen["state"] == "running" and seen["step"] == "1/1 only" and 90 <= seen["eta"] <= 100


def test_eta_counts_what_is_left():
    steps = (Step("a", [], 60), Step("b", [], 600), Step("c", [], 100))
    assert eta_seconds(steps, 0, 0) == 760
    assert eta_seconds(steps, 1, 100) == 600
    assert eta_seconds(steps, 2, 500) == 10  # overdue: never below 10 s while a step runs


def test_when_the_build_runs(monkeypatch):
    monkeypatch.delenv("SIKAP_MODEL", raising=False)
    monkeypatch.delenv("SIKAP_UPGRADE", raising=False)
    assert upgrade_wanted(None, "baseline", enabled=True) is None
    assert upgrade_wanted(None, None, enabled=True) is None
    assert "already has an ensemble" in upgrade_wanted(None, "ensemble", enabled=True)
    assert "pinned" in upgrade_wanted("sikap-default:1", "baseline", enabled=True)
    assert "turned off" in upgrade_wanted(None, "baseline", enabled=False)
    monkeypatch.setenv("SIKAP_UPGRADE", "0")
    assert "turned off" in upgrade_wanted(None, "baseline", enabled=True)
    monkeypatch.setenv("SIKAP_UPGRADE", "1")
    monkeypatch.setenv("SIKAP_MODEL", "sikap:1")
    assert "pinned" in upgrade_wanted(None, "baseline", enabled=True)


def test_the_background_build_runs_at_the_lowest_priority(tmp_path):
    process = start_background_build(tmp_path, tmp_path / "build.log", command=python("import time; time.sleep(5)"))
    try:
        assert psutil.Process(process.pid).nice() == 19
    finally:
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start_builder(home: Path) -> subprocess.Popen:
    """A process that writes a running status as the builder does, then works (sleeps); returns once written."""
    code = (
        "import sys, time; from pathlib import Path; from sikap.service.upgrade import write_status; "
        "write_status(Path(sys.argv[1]), state='running', step='2/4 fine-tuning', eta=600, started=time.time()); "
        "time.sleep(120)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(home)])
    wait_for(lambda: (home / "upgrade.json").exists() or process.poll() is not None, timeout=60)
    assert process.poll() is None, "the builder exited before writing its status"
    return process


def test_a_killed_build_reads_as_interrupted_and_is_started_again(tmp_path, monkeypatch):
    monkeypatch.delenv("SIKAP_UPGRADE", raising=False)  # the session turns the background build off
    process = start_builder(tmp_path)
    try:
        live = read_status(tmp_path)
        assert live["state"] == "running" and live["pid"] == process.pid and live["eta"] == 600
        assert "already running" in upgrade_wanted(None, "baseline", enabled=True, status=live)
        process.send_signal(signal.SIGKILL)
        wait_for(lambda: psutil.Process(process.pid).status() == psutil.STATUS_ZOMBIE)  # killed, not yet reaped
        zombie = read_status(tmp_path)
        process.wait()
        reaped = read_status(tmp_path)
    finally:
        process.kill()
        process.wait()
    for status in (zombie, reaped):
        assert status["state"] == "interrupted" and status["eta"] is None and status["step"] == "2/4 fine-tuning"
        assert f"pid {process.pid}" in status["reason"] and "sikap models build" in status["reason"]
    assert upgrade_wanted(None, "baseline", enabled=True, status=reaped) is None  # `sikap serve` starts it again
    assert json.loads((tmp_path / "upgrade.json").read_text())["state"] == "running"  # reading changes nothing


def test_a_pid_reused_by_another_process_counts_as_gone(tmp_path):
    other = subprocess.Popen(python("import time; time.sleep(60)"))
    try:
        started = psutil.Process(other.pid).create_time()
        status = {"state": "running", "pid": other.pid, "host": socket.gethostname()}
        (tmp_path / "upgrade.json").write_text(json.dumps({**status, "pid_started": started}))
        assert read_status(tmp_path)["state"] == "running"
        # the builder recorded under this pid started 30 s earlier: the pid now names another process
        (tmp_path / "upgrade.json").write_text(json.dumps({**status, "pid_started": started - 30}))
        assert read_status(tmp_path)["state"] == "interrupted"
    finally:
        other.kill()
        other.wait()


def test_a_status_from_another_host_or_without_a_pid_is_taken_as_written(tmp_path):
    for status in ({"state": "running", "pid": 2**22 + 1, "pid_started": 0, "host": "elsewhere"}, {"state": "running"}):
        (tmp_path / "upgrade.json").write_text(json.dumps(status))
        assert read_status(tmp_path)["state"] == "running"


BUILD_WITH_A_LONG_STEP = """
import sys
from pathlib import Path
from sikap.service.upgrade import Step, build_strong_model
step = Step("fine-tuning", [sys.executable, "-c", "import time; time.sleep(120)"], 100)
build_strong_model(Path(sys.argv[1]), (step,), echo=print, poll=0.05)
"""


def step_is_watched(builder: psutil.Popen, home: Path) -> bool:
    """The builder has started its step and polls it: it has a child, and the status it writes names it."""
    status = read_status(home)
    return bool(builder.children()) and status is not None and status.get("pid") == builder.pid


def test_a_stopped_build_stops_its_running_step(tmp_path):
    """SIGTERM or SIGINT to the builder alone (`kill PID`, not the terminal's whole group) stops the step it runs:
    `make model` killed during fine-tuning left the training process running on its own."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        home = tmp_path / sig.name  # a status file of its own: the wait below reads this builder's
        home.mkdir()
        # SIGINT at its default in the builder: an ignored SIGINT is inherited across exec, and Python then installs
        # no KeyboardInterrupt handler (a test worker that ignores it left the builder deaf to it: "still runs")
        builder = psutil.Popen(
            [sys.executable, "-c", BUILD_WITH_A_LONG_STEP, str(home)],
            stdout=subprocess.PIPE,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 60
        while not step_is_watched(builder, home):
            assert time.monotonic() < deadline and builder.poll() is None, "the step never started"
            time.sleep(0.05)
        [step] = builder.children()
        builder.send_signal(sig)
        # SIGTERM: SystemExit(143); SIGINT: KeyboardInterrupt, which Python ends by the signal itself
        try:
            code = builder.wait(20)
        except psutil.TimeoutExpired:
            raise AssertionError(f"the builder still runs 20 s after {sig.name}: {builder.status()}") from None
        assert code == {signal.SIGTERM: 143, signal.SIGINT: -signal.SIGINT}[sig], sig.name
        _, alive = psutil.wait_procs([step], timeout=5)
        assert not alive, f"the step outlived the builder stopped by {sig.name}"
        assert read_status(home)["state"] == "interrupted"
