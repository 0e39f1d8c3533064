import logging

import pytest
from bentoml._internal.marshal.dispatcher import CorkDispatcher

from sikap.service.batching import DEFAULT_POLL_MS, ENV, poll_interval_ms, set_batch_poll_interval


class FakeDispatcher:
    TICKET_INTERVAL = 0.001


def test_poll_interval_defaults_and_reads_the_setting() -> None:
    assert poll_interval_ms({}) == DEFAULT_POLL_MS
    assert poll_interval_ms({ENV: " "}) == DEFAULT_POLL_MS
    assert poll_interval_ms({ENV: "2.5"}) == 2.5


@pytest.mark.parametrize("raw", ["fast", "0", "-1", "1000"])
def test_poll_interval_rejects_nonsense(raw: str) -> None:
    with pytest.raises(ValueError, match=ENV):
        poll_interval_ms({ENV: raw})


def test_sets_the_dispatchers_interval_in_seconds_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = type("D", (FakeDispatcher,), {})
    with caplog.at_level(logging.INFO, logger="sikap.service.batching"):
        assert set_batch_poll_interval({ENV: "8"}, dispatcher) == 8
    assert round(dispatcher.TICKET_INTERVAL, 9) == 0.008
    assert "polls every 8 ms" in caplog.text and "it was 1 ms" in caplog.text


def test_a_bentoml_without_the_attribute_is_left_alone_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher = type("D", (), {})
    with caplog.at_level(logging.WARNING, logger="sikap.service.batching"):
        assert set_batch_poll_interval({ENV: "8"}, dispatcher) is None
    assert not hasattr(dispatcher, "TICKET_INTERVAL")
    assert "ignored" in caplog.text


def test_the_installed_bentoml_has_the_attribute_it_polls_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the upgrade of BentoML: its batcher must still read ``TICKET_INTERVAL`` from the class."""
    monkeypatch.setattr(CorkDispatcher, "TICKET_INTERVAL", CorkDispatcher.TICKET_INTERVAL)
    assert set_batch_poll_interval({ENV: "3"}) == 3
    assert round(CorkDispatcher.TICKET_INTERVAL, 9) == 0.003
    dispatcher = CorkDispatcher(max_latency_in_ms=1000, max_batch_size=4, fallback=lambda: None)
    assert round(dispatcher.TICKET_INTERVAL, 9) == 0.003
