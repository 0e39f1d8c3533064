"""Memory housekeeping of the service workers: glibc malloc settings and trimming."""

import ctypes
import threading

import pytest

from sikap.service import memory


def test_trim_runs_after_freeing_a_heaps_worth() -> None:
    """On Linux (glibc) malloc_trim is found and runs."""
    assert memory._libc() is not None
    blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(200)]  # ~13 MB from the heap
    del blocks
    assert isinstance(memory.trim(), bool)


def test_trimming_thread_runs_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = threading.Semaphore(0)
    monkeypatch.setattr(memory, "trim", lambda: calls.release() or True)
    stop = memory.start_trimming(interval=0.01)
    assert stop is not None
    assert calls.acquire(timeout=30) and calls.acquire(timeout=30)  # trimmed, and again
    stop.set()
    for thread in threading.enumerate():
        if thread.name == "sikap-malloc-trim":
            thread.join(timeout=30)
            assert not thread.is_alive()


def test_without_glibc_nothing_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_libc", lambda: None)
    assert memory.trim() is False
    assert memory.start_trimming() is None


def test_onednn_cache_is_capped_unless_set() -> None:
    environ: dict[str, str] = {}
    assert memory.cap_onednn_cache(environ) == str(memory.ONEDNN_CACHE_CAPACITY)
    assert environ == {memory.ONEDNN_CACHE_ENV: str(memory.ONEDNN_CACHE_CAPACITY)}
    chosen = {memory.ONEDNN_CACHE_ENV: "256"}
    assert memory.cap_onednn_cache(chosen) == "256" and chosen == {memory.ONEDNN_CACHE_ENV: "256"}
