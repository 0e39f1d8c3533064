"""The background build of the strong model: steps in order, a fallback, status with an ETA, low priority."""

import json
import sys

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
