"""Calls from the API worker to the Classifier worker that survive a closed keep-alive connection.

BentoML's client keeps idle connections to the Classifier for 15 s, the Classifier's server closes
them after 5 s: a call that reuses one just as it is closed fails with "connection reset" or
"server disconnected" before the Classifier saw it. Batching concurrent requests
(:mod:`sikap.service.coalesce`) leaves connections idle longer, so this happens more often. The
Classifier's calls are idempotent (classification, description), so such a call is sent again once.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger("sikap.service")

# Connection failures; a timeout (aiohttp.ServerTimeoutError is one of them) is not retried.
RETRIED = (aiohttp.ClientConnectionError,)
NOT_RETRIED = (aiohttp.ServerTimeoutError, TimeoutError)


async def call_once_more_on_reset(call: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """``await call(*args)``, sent a second time if the first failed on its connection (not on a timeout)."""
    try:
        return await call(*args)
    except NOT_RETRIED:
        raise
    except RETRIED as exc:
        log.info("Classifier connection closed under a call (%s: %s); sending it again", type(exc).__name__, exc)
        return await call(*args)
