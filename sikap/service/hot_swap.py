"""Hot swap: serve the model the store would now choose, without a restart.

A :class:`ModelSlot` holds the served predictor. :meth:`ModelSlot.check` asks the store which model it
would choose now (``SIKAP_MODEL``, else the newest ensemble, …: :func:`sikap.models.store.resolve`); when
that differs from the one served, it loads the new one beside the old, warms it up, and replaces the
reference in one assignment. A batch reads :attr:`ModelSlot.predictor` once, so it runs on one model
from start to end, and requests in flight finish on the old one. A model that fails to load or to warm
up is logged and skipped (the old one keeps serving) until the store's choice changes again.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sikap.models.predictor import Predictor
from sikap.models.store import StoredModel

log = logging.getLogger("sikap.hot_swap")

WARM_UP = "Warm-up: NATO, Rusia dan Ukraina."
DEFAULT_POLL_SECONDS = 5.0


@dataclass
class SwapEvent:
    """One change of the served model (or a failed attempt, with ``error``)."""

    old: str
    new: str
    at: float
    seconds: float
    error: str | None = None


@dataclass
class ModelSlot:
    """The served predictor and the logic that replaces it.

    ``choose`` returns the stored model to serve now (None: keep what is served); ``load`` turns it into a
    predictor; ``on_swap`` is told of every swap and failed attempt (metrics, logs); ``run(fn, *args)`` runs
    the warm-up pass (the service passes its :class:`~sikap.service.inference_thread.InferenceThread`, so the
    new model's first pass runs on the thread that runs all the others).
    """

    predictor: Predictor
    choose: Callable[[], StoredModel | None]
    load: Callable[[StoredModel], Predictor]
    on_swap: Callable[[SwapEvent], None] = lambda event: None
    run: Callable[..., Any] = lambda fn, *args: fn(*args)
    history: list[SwapEvent] = field(default_factory=list)
    _failed: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tag(self) -> str:
        return self.predictor.tag

    def check(self) -> SwapEvent | None:
        """One poll: swap if the store now chooses another model. Returns the event, if any."""
        with self._lock:  # one load at a time, however often check() is called
            try:
                chosen = self.choose()
            except Exception as exc:  # an unreadable store must not stop the service
                log.warning("model store not readable, keeping %s: %s", self.tag, exc)
                return None
            if chosen is None or chosen.tag == self.tag or chosen.tag == self._failed:
                return None
            old, start = self.tag, time.monotonic()
            log.info("store now chooses %s (serving %s): loading it beside the old one", chosen.tag, old)
            try:
                candidate = self.load(chosen)
                self.run(candidate.predict, [WARM_UP])
            except Exception as exc:
                self._failed = chosen.tag
                event = SwapEvent(old, chosen.tag, time.time(), time.monotonic() - start, f"{type(exc).__name__}: {exc}")
                log.error("could not load %s, %s keeps serving: %s", chosen.tag, old, event.error)
                self._record(event)
                return event
            self.predictor = candidate  # the swap: one reference assignment
            self._failed = None
            event = SwapEvent(old, chosen.tag, time.time(), time.monotonic() - start)
            log.info("now serving %s (was %s; loaded and warmed up in %.1f s)", chosen.tag, old, event.seconds)
            self._record(event)
            return event

    def _record(self, event: SwapEvent) -> None:
        self.history.append(event)
        self.on_swap(event)

    def describe(self) -> dict:
        """What ``/metadata`` shows about swaps: the last few, newest last."""
        return {
            "swaps": [
                {"from": e.old, "to": e.new, "at": e.at, "seconds": round(e.seconds, 2), "error": e.error}
                for e in self.history[-5:]
            ]
        }

    def watch(self, interval: float = DEFAULT_POLL_SECONDS) -> threading.Event:
        """Poll the store every ``interval`` seconds in a daemon thread; set the returned event to stop."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                self.check()

        threading.Thread(target=loop, name="sikap-model-watch", daemon=True).start()
        return stop
