import logging

import pytest
from bentoml._internal.marshal.dispatcher import CorkDispatcher

from sikap.service.batching import (
    DEFAULT_GATHER_MS,
    DEFAULT_POLL_MS,
    ENV,
    GATHER_ENV,
    gather_ms,
    poll_interval_ms,
    set_batch_poll_interval,
)
from sikap.service.coalesce import Coalescer


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


def test_gathering_window_defaults_reads_the_setting_and_may_be_off() -> None:
    assert gather_ms({}) == DEFAULT_GATHER_MS and gather_ms({GATHER_ENV: "0"}) == 0 and gather_ms({GATHER_ENV: "12"}) == 12


@pytest.mark.parametrize("raw", ["long", "-1", "101"])
def test_gathering_window_rejects_nonsense(raw: str) -> None:
    with pytest.raises(ValueError, match=GATHER_ENV):
        gather_ms({GATHER_ENV: raw})


@pytest.mark.parametrize(("max_gather", "fraction"), [(-0.1, 0.25), (0.03, 1.5)])
def test_the_coalescer_rejects_a_negative_window_or_fraction_above_one(max_gather: float, fraction: float) -> None:
    with pytest.raises(ValueError, match="max_gather"):
        Coalescer(lambda items: items, 4, max_gather=max_gather, gather_fraction=fraction)


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
