"""Per-request telemetry of the classification APIs: off by default, ``SIKAP_REQUEST_LOG=1`` turns it on.

BentoML writes an access-log line and opens an OpenTelemetry span for every request. With no tracing
exporter configured the span is recorded nowhere, and the log line is formatted for every request. Both
ran on the API worker's one thread: they took 40% of its CPU under 32 one-sentence clients. The API
worker answers the ~30 requests of a finished batch one after the other while the Classifier waits for the
next batch, so that CPU came straight off the throughput (`benchmarks/service_load.py`, README:
Performance). Health probes, ``/metadata``, errors and the service's own logs are unaffected, and so are
the Prometheus metrics at ``/metrics``.
"""

import os

REQUEST_LOG_ENV = "SIKAP_REQUEST_LOG"
# Searched in each URL (regular expressions): the public APIs and the Classifier's batch APIs ("/classify_…").
API_URL_PATTERNS = ("/classify", "/analyze")
_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def request_log_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether ``SIKAP_REQUEST_LOG`` asks for per-request access logs and trace spans (default: no)."""
    raw = (os.environ if environ is None else environ).get(REQUEST_LOG_ENV, "").strip().lower()
    if raw not in _ON | _OFF:
        raise ValueError(f"{REQUEST_LOG_ENV} must be 1 or 0 (also on/off, true/false, yes/no), got {raw!r}")
    return raw in _ON


def service_telemetry(environ: dict[str, str] | None = None) -> dict:
    """Keyword arguments of ``@bentoml.service`` for the request telemetry ``SIKAP_REQUEST_LOG`` asks for."""
    if request_log_enabled(environ):
        return {}
    return {"logging": {"access": {"enabled": False}}, "tracing": {"excluded_urls": list(API_URL_PATTERNS)}}
