"""How often BentoML's adaptive batcher polls its queue (set once in the Classifier process), and how long the
API worker's coalescer gathers a partial batch (``SIKAP_BATCH_GATHER_MS``, :mod:`sikap.service.coalesce`).

BentoML's ``CorkDispatcher`` (the adaptive batcher behind ``@bentoml.api(batchable=True)``) wakes
every ``TICKET_INTERVAL`` seconds (1 ms in BentoML 1.4) while a batch runs or while it waits for a
batch to fill, taking the GIL from the model's thread each time. ``SIKAP_BATCH_POLL_MS`` sets the
interval (default :data:`DEFAULT_POLL_MS`); a batch then starts at most that long after the previous
one ends. Measured with ``benchmarks/service_load.py`` (README, Performance): at 5 ms the Classifier's
event loop used half the CPU during 32-sentence batches (0.31 vs 0.61 ms a sentence), latency unchanged.
"""

import logging
import os

log = logging.getLogger("sikap.service.batching")

DEFAULT_POLL_MS = 5.0
ENV = "SIKAP_BATCH_POLL_MS"
# The API worker's gathering window (sikap.service.coalesce): at most this long, and at most a quarter of the
# returned batch's time, a partial batch waits for the callers just answered. 0 turns it off.
DEFAULT_GATHER_MS = 30.0
GATHER_ENV = "SIKAP_BATCH_GATHER_MS"


def env_milliseconds(name: str, default: float, low: float, high: float, environ: dict[str, str] | None = None) -> float:
    """``$name`` in ms (unset or empty: ``default``), checked to lie in [``low``, ``high``]."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of milliseconds, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g} ms, got {raw!r}")
    return value


def poll_interval_ms(environ: dict[str, str] | None = None) -> float:
    """The interval asked for by ``SIKAP_BATCH_POLL_MS`` (default :data:`DEFAULT_POLL_MS`), in ms."""
    return env_milliseconds(ENV, DEFAULT_POLL_MS, 0.1, 100, environ)


def gather_ms(environ: dict[str, str] | None = None) -> float:
    """The longest gathering window, ``SIKAP_BATCH_GATHER_MS`` (default :data:`DEFAULT_GATHER_MS`), in ms."""
    return env_milliseconds(GATHER_ENV, DEFAULT_GATHER_MS, 0, 100, environ)


def set_batch_poll_interval(environ: dict[str, str] | None = None, dispatcher: type | None = None) -> float | None:
    """Set BentoML's batcher poll interval from ``SIKAP_BATCH_POLL_MS``; returns it in ms, or None when
    this BentoML has no ``CorkDispatcher.TICKET_INTERVAL`` (then nothing is changed and a warning is logged)."""
    ms = poll_interval_ms(environ)
    if dispatcher is None:
        try:
            from bentoml._internal.marshal.dispatcher import CorkDispatcher as dispatcher
        except ImportError:
            dispatcher = None
    if dispatcher is None or not isinstance(getattr(dispatcher, "TICKET_INTERVAL", None), int | float):
        log.warning("BentoML has no CorkDispatcher.TICKET_INTERVAL: %s=%g ignored, its own poll interval kept", ENV, ms)
        return None
    old = dispatcher.TICKET_INTERVAL
    dispatcher.TICKET_INTERVAL = ms / 1000
    log.info("adaptive batcher polls every %g ms (%s; it was %g ms)", ms, ENV, old * 1000)
    return ms
