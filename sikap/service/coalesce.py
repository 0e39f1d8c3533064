"""Shared batches for concurrent requests: one call to the model worker per batch, not per request.

The API worker answers many small requests at once. Sent one by one, every one-sentence request
costs a round trip to the Classifier worker (serialization, an HTTP exchange on a local socket,
the batcher's bookkeeping) on the same cores the model needs. A :class:`Coalescer` queues the items
of concurrent calls and sends them as batches of at most ``max_batch`` items, with at most
``max_in_flight`` batches on their way at a time. A full batch goes out as soon as fewer than
``max_in_flight`` are on their way (it waits at the Classifier, which then never idles between
batches); a partial one only when none is: while a batch runs, the next one gathers what arrives.
So batches grow with the load, and no timer delays a request on an idle service.

Gathering: when a batch of several items returns and the next one is partial, the next one waits a short
window (``gather_fraction`` of the returned batch's time, at most ``max_gather`` seconds) for the callers
just answered, which in a busy service send their next request within milliseconds; it goes out as soon as
as many items as those callers sent have arrived. Items of a call that still has pieces queued (the first
chunk of a long request) do not count: that caller is not answered yet. Without it, 32 clients
settled into two alternating batches of 16, and the model's cost a sentence is much higher in batches of 16
than of 32. A one-item batch (an idle or single-client service) opens no window, and a batch that fills
up goes out at once. In the service this
is a front for the Classifier's batchable APIs: BentoML's adaptive batcher still forms the batches the
model runs, from these calls (at most two at a time, so it always has the next one queued).
"""

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Send = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass(eq=False)
class _Job:
    """One caller's items; ``results`` fill in as the batches holding its pieces return."""

    items: list[Any]
    future: asyncio.Future
    results: list[Any] = field(default_factory=list)
    missing: int = 0

    def __post_init__(self) -> None:
        self.results = [None] * len(self.items)
        self.missing = len(self.items)


@dataclass(eq=False)
class _Piece:
    """Items ``start:end`` of a job, as one batch carries them."""

    job: _Job
    start: int
    end: int


class Coalescer:
    """Send the items of concurrent calls through ``send`` in shared batches, in arrival order.

    ``await coalescer(items)`` returns ``send``'s results for ``items``, in order. A call larger than
    the room left in a batch is split over batches. If ``send`` raises, every call with items in that
    batch raises the same exception. Items of a cancelled call that are still queued are not sent.
    """

    def __init__(
        self,
        send: Send,
        max_batch: int,
        max_in_flight: int = 2,
        max_gather: float = 0.0,
        gather_fraction: float = 0.25,
    ) -> None:
        """``max_gather`` (seconds; 0: off) and ``gather_fraction``: the gathering window (module docstring)."""
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        if max_gather < 0 or not 0 <= gather_fraction <= 1:
            raise ValueError("max_gather must be at least 0 and gather_fraction between 0 and 1")
        self.send = send
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.max_gather = max_gather
        self.gather_fraction = gather_fraction
        self._gathering: asyncio.TimerHandle | None = None  # a partial batch waits for answered callers
        self._gather_target = 0  # ... until this many items are queued (as many as were answered), or the window ends
        self.in_flight = 0
        self.batches_sent = 0
        self._queue: deque[_Piece] = deque()
        self._queued = 0  # items in the queue (those of cancelled calls too, until they are dropped)
        self._tasks: set[asyncio.Task] = set()  # strong references until each batch is answered

    async def __call__(self, items: list[Any]) -> list[Any]:
        if not items:
            return []
        job = _Job(list(items), asyncio.get_running_loop().create_future())
        self._queue.append(_Piece(job, 0, len(job.items)))
        self._queued += len(job.items)
        self._pump()
        return await job.future  # a cancelled caller cancels the future: its queued pieces are dropped

    def _next_batch(self) -> list[_Piece]:
        batch: list[_Piece] = []
        room = self.max_batch
        while self._queue and room:
            piece = self._queue.popleft()
            self._queued -= piece.end - piece.start
            if piece.job.future.done():  # cancelled, or failed in an earlier batch
                continue
            size = piece.end - piece.start
            if size > room:
                self._queue.appendleft(_Piece(piece.job, piece.start + room, piece.end))
                self._queued += size - room
                piece = _Piece(piece.job, piece.start, piece.start + room)
                size = room
            batch.append(piece)
            room -= size
        return batch

    def _pump(self) -> None:
        if self._gathering and self._queued >= self._gather_target:  # the answered callers are back
            self._gathering.cancel()
            self._gathering = None
        while self.in_flight < self.max_in_flight:
            if (self.in_flight or self._gathering) and self._queued < self.max_batch:
                return  # a partial batch waits for the running one (or the window): what arrives joins it
            batch = self._next_batch()
            if not batch:
                return
            self.in_flight += 1
            self.batches_sent += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _gather(self, size: int, seconds: float) -> None:
        """After a batch that took ``seconds`` and answered calls of ``size`` items in full: hold a partial next
        batch for a short window."""
        window = min(self.max_gather, self.gather_fraction * seconds)
        if size < 2 or window <= 0 or self.in_flight or self._gathering or self._queued >= self.max_batch:
            return
        self._gather_target = min(self.max_batch, self._queued + size)
        self._gathering = asyncio.get_running_loop().call_later(window, self._end_gathering)

    def _end_gathering(self) -> None:
        self._gathering = None
        self._pump()

    async def _run(self, batch: list[_Piece]) -> None:
        items = [item for piece in batch for item in piece.job.items[piece.start : piece.end]]
        started = time.monotonic()
        try:
            results = await self.send(items)
            if len(results) != len(items):
                raise RuntimeError(f"{len(results)} results for a batch of {len(items)}")
        except (Exception, asyncio.CancelledError) as exc:
            self.in_flight -= 1
            self._pump()  # the next batch goes out before the callers are told
            for piece in batch:
                if piece.job.future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    piece.job.future.cancel()
                else:
                    piece.job.future.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self.in_flight -= 1
        # Callers this batch answers in full may come back; a call with pieces still queued will not.
        answered = sum(p.end - p.start for p in batch if not p.job.future.done() and p.job.missing == p.end - p.start)
        self._gather(answered, time.monotonic() - started)
        self._pump()  # keep the model busy: the next batch goes out before this one's callers resume
        offset = 0
        for piece in batch:
            job, size = piece.job, piece.end - piece.start
            if not job.future.done():
                job.results[piece.start : piece.end] = results[offset : offset + size]
                job.missing -= size
                if not job.missing:
                    job.future.set_result(job.results)
            offset += size
