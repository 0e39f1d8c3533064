"""CPU facts: the free cores a worker pool is sized to, and what the benchmarks print of the CPU."""

import os

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


FAKE_LSCPU = """Architecture:            x86_64
CPU(s):                  4
On-line CPU(s) list:     0-3
Model name:              Example Xeon 9000
Thread(s) per core:      2
Core(s) per socket:      2
Flags:                   fpu sse4_2 avx avx2 fma avx512f avx512_vnni
NUMA node0 CPU(s):       0-3
"""


def fake_lscpu(folder, monkeypatch: pytest.MonkeyPatch, output: str = FAKE_LSCPU, code: int = 0) -> None:
    """An ``lscpu`` first on PATH that prints ``output`` and exits with ``code``."""
    script = folder / "lscpu"
    script.write_text(f"#!/bin/sh\ncat <<'END'\n{output}END\nexit {code}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_lscpu_summary_keeps_the_benchmark_fields_in_lscpus_order(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_lscpu(tmp_path, monkeypatch)
    assert cpu.lscpu_summary().splitlines() == [
        "CPU(s): 4",
        "Model name: Example Xeon 9000",
        "Thread(s) per core: 2",
        "Core(s) per socket: 2",
        "Flags: fpu sse4_2 avx avx2 fma avx512f avx512_vnni",
    ]
    assert cpu.lscpu_summary(("Flags",)) == "Flags: fpu sse4_2 avx avx2 fma avx512f avx512_vnni"
    line = cpu.cpu_line()
    assert line.startswith("CPU: Example Xeon 9000, ") and line.endswith("flags: sse4_2 avx avx2 fma avx512f avx512_vnni")


@pytest.mark.parametrize("code", [0, 1])
def test_without_a_working_lscpu_the_summary_says_so_and_the_line_reads_cpuinfo(
    code: int, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if code:
        fake_lscpu(tmp_path, monkeypatch, "lscpu: failed\n", code)
    else:
        monkeypatch.setenv("PATH", str(tmp_path))  # no lscpu at all
    monkeypatch.setattr(cpu, "cpu_flags", lambda: frozenset({"avx2", "fma", "sse"}))
    assert cpu.lscpu_fields() == {}
    assert cpu.lscpu_summary() == "lscpu: not available"
    assert cpu.cpu_line().endswith("flags: avx2 fma")
