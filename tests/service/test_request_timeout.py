import asyncio
import logging

import pytest
from bentoml._internal.server.http.traffic import TimeoutMiddleware

from sikap.service.request_timeout import cancel_finished_timers


async def answer(scope: dict, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def never_answer(scope: dict, receive, send) -> None:
    await asyncio.sleep(60)


def run(app, timeout: float) -> tuple[list[dict], list[asyncio.TimerHandle]]:
    """Messages the middleware sent, and the timers it armed."""
    sent: list[dict] = []
    timers: list[asyncio.TimerHandle] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        call_later = loop.call_later

        def spy(*args, **kwargs):
            timers.append(call_later(*args, **kwargs))
            return timers[-1]

        loop.call_later = spy

        async def send(message: dict) -> None:
            sent.append(message)

        await TimeoutMiddleware(app, timeout)({"type": "http"}, None, send)

    asyncio.run(main())
    return sent, timers


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TimeoutMiddleware, "__call__", TimeoutMiddleware.__call__)
    assert cancel_finished_timers() is True


def test_bentoml_keeps_a_timer_for_the_whole_timeout_after_the_answer() -> None:
    """The leak being fixed: without the patch the timer of an answered request is still armed."""
    sent, timers = run(answer, 300)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert len(timers) == 1 and not timers[0].cancelled()
    timers[0].cancel()


def test_an_answered_request_cancels_its_timer(patched: None) -> None:
    sent, timers = run(answer, 300)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert len(timers) == 1 and timers[0].cancelled()


def test_a_request_over_the_timeout_still_gets_a_504(patched: None) -> None:
    sent, _ = run(never_answer, 0.05)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 504
    assert b"0.05 seconds" in sent[1]["body"]


def test_an_unexpected_middleware_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    other = type("Other", (), {"__call__": lambda self: None})
    before = other.__call__
    with caplog.at_level(logging.WARNING, logger="sikap.service.request_timeout"):
        assert cancel_finished_timers(other) is False
    assert other.__call__ is before and "left as they are" in caplog.text
