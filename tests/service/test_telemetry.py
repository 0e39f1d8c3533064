"""SIKAP_REQUEST_LOG: per-request access logs and trace spans, off by default."""

import pytest
from _bentoml_sdk.service.config import validate
from opentelemetry.util.http import ExcludeList

from sikap.service.telemetry import REQUEST_LOG_ENV, request_log_enabled, service_telemetry


@pytest.mark.parametrize(
    ("raw", "enabled"),
    [(None, False), ("", False), ("0", False), ("off", False), (" No ", False), ("1", True), ("TRUE", True), ("on", True)],
)
def test_the_setting_reads_the_usual_spellings(raw: str | None, enabled: bool) -> None:
    environ = {} if raw is None else {REQUEST_LOG_ENV: raw}
    assert request_log_enabled(environ) is enabled


def test_an_unknown_value_is_an_error_naming_the_variable() -> None:
    with pytest.raises(ValueError, match=r"SIKAP_REQUEST_LOG must be 1 or 0 .* got 'sometimes'"):
        service_telemetry({REQUEST_LOG_ENV: "sometimes"})


def test_off_turns_off_the_access_log_and_the_spans_of_the_classification_apis_only() -> None:
    config = validate(service_telemetry({}))  # BentoML's own schema for @bentoml.service accepts it
    assert config["logging"]["access"]["enabled"] is False
    excluded = ExcludeList(config["tracing"]["excluded_urls"])  # as BentoML builds it for its tracing middleware
    for path in ("/classify", "/analyze", "/classify_batch", "/classify_in_context"):
        assert excluded.url_disabled(f"http://127.0.0.1:3000{path}")
    for path in ("/metadata", "/readyz", "/metrics", "/describe"):
        assert not excluded.url_disabled(f"http://127.0.0.1:3000{path}")


def test_on_leaves_bentomls_defaults() -> None:
    assert service_telemetry({REQUEST_LOG_ENV: "1"}) == {}
