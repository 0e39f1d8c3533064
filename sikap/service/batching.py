"""How often BentoML's adaptive batcher polls its queue, set once in the Classifier process.

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


def poll_interval_ms(environ: dict[str, str] | None = None) -> float:
    """The interval asked for by ``SIKAP_BATCH_POLL_MS`` (default :data:`DEFAULT_POLL_MS`), in ms."""
    raw = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not raw:
        return DEFAULT_POLL_MS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{ENV} must be a number of milliseconds, got {raw!r}") from None
    if not 0.1 <= value <= 100:
        raise ValueError(f"{ENV} must be between 0.1 and 100 ms, got {raw!r}")
    return value


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
