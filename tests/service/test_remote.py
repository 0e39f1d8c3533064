"""Classifier calls are sent again once when their keep-alive connection was closed under them."""

import asyncio

import aiohttp
import pytest

from sikap.service.remote import call_once_more_on_reset


class Flaky:
    """Fails its first ``failures`` calls with ``error``, then echoes its argument."""

    def __init__(self, error: BaseException, failures: int = 1) -> None:
        self.error, self.failures, self.calls = error, failures, 0

    async def __call__(self, items: list) -> list:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return items


@pytest.mark.parametrize(
    "error",
    [aiohttp.ClientOSError(104, "Connection reset by peer"), aiohttp.ServerDisconnectedError()],
)
def test_a_call_failing_on_its_connection_is_sent_again(error: BaseException) -> None:
    call = Flaky(error)
    assert asyncio.run(call_once_more_on_reset(call, [1, 2])) == [1, 2]
    assert call.calls == 2


def test_only_once() -> None:
    call = Flaky(aiohttp.ServerDisconnectedError(), failures=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(call_once_more_on_reset(call, [1]))
    assert call.calls == 2


@pytest.mark.parametrize("error", [aiohttp.ServerTimeoutError("read timeout"), TimeoutError(), ValueError("bad")])
def test_timeouts_and_other_errors_are_not_retried(error: BaseException) -> None:
    call = Flaky(error)
    with pytest.raises(type(error)):
        asyncio.run(call_once_more_on_reset(call, [1]))
    assert call.calls == 1
