"""Keep the service's resident memory flat: glibc malloc settings for a long-running worker, and trimming.

A long soak grew the workers' RSS although Python's own allocations stayed flat: request bodies and
validation strings of megabytes are freed at once, but glibc raises its mmap threshold to the
largest block freed, so later large blocks come from the heap, whose free pages are seldom
returned, and every thread that runs request work gets an arena of its own. :func:`tune_malloc`
pins the mmap threshold (large blocks are mapped and unmapped again) and caps the arenas;
:func:`start_trimming` returns the heaps' free pages to the system every few seconds. Outside
glibc (macOS, musl) both do nothing. The service tunes malloc in the API worker only and trims in both:
in the Classifier the pinned threshold maps and unmaps the model's large arrays on every batch (75% more
CPU a sentence, measured with the e5-small + TF-IDF ensemble).
"""

import ctypes
import ctypes.util
import functools
import logging
import os
import threading
from collections.abc import MutableMapping

log = logging.getLogger("sikap.memory")

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024  # blocks from this size up are mapped on their own and unmapped when freed
TRIM_THRESHOLD = 1024 * 1024  # free memory at the top of a heap above this is returned at once
ARENA_MAX = 2
TRIM_SECONDS = 10.0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or None where malloc is another library's (looked up once: find_library runs ldconfig)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - glibc has both
    except (OSError, AttributeError):
        return None
    return libc


def tune_malloc() -> bool:
    """Pin the mmap and trim thresholds and cap the arenas for this process; False where this is not glibc."""
    libc = _libc()
    if libc is None:
        return False
    settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_ARENA_MAX, ARENA_MAX))
    return all(libc.mallopt(param, value) == 1 for param, value in settings)


def trim() -> bool:
    """Return the free pages of every malloc heap to the system; True if some were returned."""
    libc = _libc()
    return bool(libc and libc.malloc_trim(0))


def start_trimming(interval: float = TRIM_SECONDS) -> threading.Event | None:
    """:func:`trim` every ``interval`` seconds in a daemon thread; set the returned event to stop it.
    None where this is not glibc."""
    if _libc() is None:
        return None
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                trim()
            except Exception as exc:  # never let memory housekeeping take the worker down
                log.warning("malloc_trim failed: %s", exc)

    threading.Thread(target=loop, name="sikap-malloc-trim", daemon=True).start()
    return stop


# oneDNN (torch's CPU kernels, bf16 included) caches a primitive for every input shape it meets, 1,024 by
# default. Served batches come in hundreds of shapes (1-32 sentences × every token length), so a torch
# model's worker grew by hundreds of MiB over a soak; with 8 it stays flat at the same speed.
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_CAPACITY = 8


def cap_onednn_cache(environ: MutableMapping[str, str] | None = None) -> str:
    """Cap oneDNN's primitive cache for this process (before torch runs its first kernel), unless
    ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` is set already; returns the capacity in force."""
    environ = os.environ if environ is None else environ
    return environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_CAPACITY))
