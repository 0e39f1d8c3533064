"""BentoML's request timeout, without holding every request's memory for the whole timeout.

BentoML 1.4's ``TimeoutMiddleware`` (``traffic={"timeout": ...}``) arms ``loop.call_later(timeout, ...)``
for every request and never cancels it. The timer keeps a copy of the request's context (its tracing
span, BentoML's request variables) and its future alive until it fires: with the service's 300 s timeout
the API worker held about 5 KB per one-sentence request and 18 KB per article for five minutes, so its
RSS grew through every soak (tracemalloc: OpenTelemetry spans and context variables of finished requests).

:func:`cancel_finished_timers` replaces the middleware's ``__call__`` with the same logic that cancels
the timer once the request is answered. If BentoML ever changes that class, nothing is replaced and a
warning is logged.
"""

import asyncio
import logging
from typing import Any

log = logging.getLogger("sikap.service.request_timeout")


async def _call(self: Any, scope: dict, receive: Any, send: Any) -> None:
    """BentoML 1.4's ``TimeoutMiddleware.__call__``, with the timer cancelled when the request is done."""
    if scope["type"] not in ("http", "websocket"):
        return await self.app(scope, receive, send)
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    timer = loop.call_later(self.timeout, self._set_timer_out, waiter)

    async def _send(message: dict) -> None:
        if not waiter.done():
            waiter.set_result(None)
        await send(message)

    fut = asyncio.ensure_future(self.app(scope, receive, _send), loop=loop)
    try:
        try:
            await waiter
        except TimeoutError:
            if fut.cancel():
                from starlette.responses import JSONResponse

                resp = JSONResponse(
                    {"error": f"Not able to process the request in {self.timeout} seconds"}, status_code=504
                )
                await resp(scope, receive, send)
        else:
            timer.cancel()  # answered (headers sent): the timeout can no longer fire
            await fut
    finally:
        timer.cancel()


def cancel_finished_timers(middleware: type | None = None) -> bool:
    """Make BentoML's ``TimeoutMiddleware`` cancel a request's timer once it is answered; False (and a
    warning) where the class is missing or not the one this was written for."""
    if middleware is None:
        try:
            from bentoml._internal.server.http.traffic import TimeoutMiddleware as middleware
        except ImportError:
            middleware = None
    if middleware is None or not callable(getattr(middleware, "_set_timer_out", None)):
        log.warning("BentoML's TimeoutMiddleware is not the expected one: its request timers are left as they are")
        return False
    middleware.__call__ = _call
    return True
