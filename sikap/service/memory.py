"""Keep the service's resident memory flat: heap trimming, and a cap on oneDNN's primitive cache.

Soaks grew both workers. The API worker's growth was BentoML's request timers
(:mod:`sikap.service.request_timeout`); the Classifier's, with a torch member, was oneDNN's cache of one
primitive per batch shape (:func:`cap_onednn_cache`). :func:`start_trimming` returns the heaps' free pages
to the system every few seconds (no CPU cost measurable under load); outside glibc (macOS, musl) it does
nothing. Tuning glibc malloc (a pinned mmap threshold and two arenas, tried first) was dropped: in the Classifier
it cost 75% more CPU a sentence (the model's large arrays were mapped and unmapped on every batch), and in
the API worker it did not change the growth (101 → 123 vs 125 MiB in 5-minute soaks).
"""

import ctypes
import ctypes.util
import functools
import logging
import os
import threading
from collections.abc import MutableMapping

log = logging.getLogger("sikap.memory")

TRIM_SECONDS = 10.0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or None where malloc is another library's (looked up once: find_library runs ldconfig)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc has it
    except (OSError, AttributeError):
        return None
    return libc


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
# model's worker grew by hundreds of MiB over a soak; 8 bounds it, for 3-10% more CPU a sentence.
ONEDNN_CACHE_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
ONEDNN_CACHE_CAPACITY = 8


def cap_onednn_cache(environ: MutableMapping[str, str] | None = None) -> str:
    """Cap oneDNN's primitive cache for this process (before torch runs its first kernel), unless
    ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` is set already; returns the capacity in force."""
    environ = os.environ if environ is None else environ
    return environ.setdefault(ONEDNN_CACHE_ENV, str(ONEDNN_CACHE_CAPACITY))
