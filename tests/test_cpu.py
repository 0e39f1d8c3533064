"""CPU facts: the free cores a worker pool is sized to."""

import pytest

from sikap import cpu


@pytest.mark.parametrize(("busy_percent", "expected"), [(0.0, 2), (20.0, 2), (40.0, 1), (100.0, 1)])
def test_free_cores_leave_out_the_busy_ones_and_never_drop_below_one(
    busy_percent: float, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil

    monkeypatch.setattr(cpu, "physical_cores", lambda: 2)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 2)
    monkeypatch.setattr(psutil, "cpu_percent", lambda interval=None: busy_percent)
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert cpu.free_cores() == expected


def test_free_cores_are_at_most_the_cores_this_process_may_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setattr(cpu, "physical_cores", lambda: 8)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8)
    monkeypatch.setattr(psutil, "cpu_percent", lambda interval=None: 0.0)
    monkeypatch.setattr(cpu.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert cpu.free_cores() == 3
