"""The real service over HTTP: every endpoint, and every bad-input case gets a JSON 400 naming the field."""

import copy
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from conftest import log_once_it_says
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from sikap.data.sample import write_sample_labels
from sikap.service.api_models import (
    EXAMPLE_ARTICLE,
    MAX_ARTICLE_CHARS,
    MAX_BODY_BYTES,
    MAX_REQUEST_CHARS,
    MAX_REQUEST_SENTENCES,
    MAX_SENTENCE_CHARS,
    MAX_SENTENCES,
)
from sikap.service.process import RunningService, running_service

API_KEY = "test-key-0123"
AUTH = {"authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def service() -> Iterator[RunningService]:
    """A service started on an empty store (it must build the embedded default itself, here from a small
    cut of the shipped labels), with an API key and the request log as configured by default (off)."""
    with tempfile.TemporaryDirectory(prefix="sikap-serve-") as home:
        labels = write_sample_labels(Path(home) / "labels")
        env = {"SIKAP_API_KEY": API_KEY, "SIKAP_LABELS": str(labels), "SIKAP_REQUEST_LOG": ""}
        with running_service(Path(home), **env) as service:
            yield service


@pytest.fixture(scope="module")
def url(service: RunningService) -> str:
    return service.url


def post(url: str, path: str, body, headers: dict | None = None) -> httpx.Response:
    kwargs = {"json": body} if isinstance(body, dict | list) else {"content": body}
    headers = {"content-type": "application/json", **AUTH, **(headers or {})}
    return httpx.post(f"{url}{path}", headers=headers, timeout=120, **kwargs)


def test_classify_returns_the_contract(url: str) -> None:
    response = post(
        url,
        "/classify",
        {"sentences": ["Pasukan Rusia kembali menggempur wilayah timur Ukraina.", "Harga cabai turun."]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["model"].startswith("sikap-default:")
    first, second = body["results"]
    assert first["stance"]["Russia"]["mentions"] == ["Rusia"]
    assert first["stance"]["Ukraine"]["label"] != "none"
    assert set(first["sentiment"]["scores"]) == {"positive", "negative", "neutral"}
    assert all(s["label"] == "none" for s in second["stance"].values())


def test_classify_keeps_order_of_many_sentences(url: str) -> None:
    sentences = [
        f"Sidang ke-{i} NATO digelar di Brussel." if i % 2 else f"Harga beras hari ke-{i} stabil."
        for i in range(MAX_SENTENCES)
    ]
    results = post(url, "/classify", {"sentences": sentences}).json()["results"]
    assert [r["text"] for r in results] == sentences
    assert [bool(r["stance"]["NATO"]["mentions"]) for r in results] == [bool(i % 2) for i in range(MAX_SENTENCES)]


def metric_total(url: str, prefix: str) -> float:
    text = httpx.get(f"{url}/metrics", headers=AUTH, timeout=30).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix))


def test_concurrent_requests_each_get_their_own_results_in_order(url: str) -> None:
    """Concurrent requests share Classifier calls (a large one split over several), which still go through
    BentoML's adaptive batcher: every response holds exactly its own sentences, in order, from one model."""
    requests = [
        [f"Permintaan {n} kalimat {i}: {'NATO' if (n + i) % 3 == 0 else 'Jakarta'} bersidang." for i in range(size)]
        for n, size in enumerate([1, 1, 3, 40, 1, 2, 70, 1, 5, 1, 1, 33, 1, 1, 8, 1])
    ]
    sentences_before = metric_total(url, "sikap_batch_size_sum")
    batches_before = metric_total(url, "bentoml_service_adaptive_batch_size_count")
    runs_before = metric_total(url, "sikap_batch_size_count")
    answers: dict[int, dict] = {}

    def send(n: int) -> None:
        answers[n] = post(url, "/classify", {"sentences": requests[n]}).json()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, sentences in enumerate(requests):
        results = answers[n]["results"]
        assert [r["text"] for r in results] == sentences
        assert [bool(r["stance"]["NATO"]["mentions"]) for r in results] == ["NATO" in s for s in sentences]
        assert {r["model"] for r in results} == {answers[n]["model"]}
    assert metric_total(url, "sikap_batch_size_sum") - sentences_before == sum(map(len, requests))  # each once
    # every batch the model ran was formed by BentoML's adaptive batcher, at most 32 sentences each
    batches = metric_total(url, "bentoml_service_adaptive_batch_size_count") - batches_before
    assert batches == metric_total(url, "sikap_batch_size_count") - runs_before >= sum(map(len, requests)) / 32


def test_analyze_segments_and_summarizes(url: str) -> None:
    response = post(url, "/analyze", {"articles": [EXAMPLE_ARTICLE]})
    assert response.status_code == 200
    article = response.json()["results"][0]
    assert article["id"] == EXAMPLE_ARTICLE["id"]
    reasons = [s["reason"] for s in article["sentences"] if s["skipped"]]
    assert reasons == ["dateline", "related-link"]
    for s in article["sentences"]:
        source = EXAMPLE_ARTICLE[s["field"]]
        assert source[s["start"] : s["end"]] == s["text"]
        assert (s["stance"] is None) == s["skipped"]
    summary = article["summary"]
    assert summary["sentences"] == 4 and summary["skipped"] == 2
    russia = summary["targets"]["Russia"]
    assert russia["mentioned"] == 2 and sum(russia["counts"].values()) == 4
    expected = (russia["counts"]["support"] - russia["counts"]["oppose"]) / 2
    assert russia["net_stance"] == pytest.approx(expected)
    assert sum(summary["sentiment"]["counts"].values()) == 4


def test_requests_leave_no_access_log_line_by_default(service: RunningService) -> None:
    """Per-request access logs are off unless SIKAP_REQUEST_LOG=1 (sikap.service.telemetry); failed requests are
    still logged."""
    assert post(service.url, "/classify", {"sentences": ["NATO menggelar latihan bersama."]}).status_code == 200
    assert post(service.url, "/classify", {"sentences": []}).status_code == 400
    # The API worker writes the failed request's line after anything it would have logged for the first one.
    log = log_once_it_says(service.log, re.escape("Exception on /classify [POST]"))
    assert "Service Classifier initialized" in log and "Exception on /classify [POST]" in log
    assert "path=/classify" not in log  # neither the API's line nor the Classifier's (path=/classify_batch)
    # one WARNING line (sikap.service.client_errors), not BentoML's ERROR with a traceback
    assert re.search(r"\[WARNING\] .*Exception on /classify \[POST\]: client error, answered 4xx: sentences: List", log)
    assert "pydantic_core._pydantic_core.ValidationError" not in log


def test_metadata_names_the_model(url: str) -> None:
    meta = httpx.get(f"{url}/metadata", headers=AUTH).json()
    assert meta["kind"] == "baseline" and meta["tag"].startswith("sikap-default:")
    assert {"trained_at", "labels_hash", "metrics"} <= set(meta)


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/docs.json", "/"])
def test_health_and_docs_endpoints_need_no_key(url: str, path: str) -> None:
    assert httpx.get(f"{url}{path}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/classify"), ("POST", "/analyze"), ("GET", "/metadata"), ("GET", "/metrics")]
)
def test_apis_need_the_key(url: str, method: str, path: str) -> None:
    body = {"sentences": ["NATO bersidang."]} if path == "/classify" else None
    for headers in ({}, {"authorization": "Bearer wrong"}):
        response = httpx.request(method, f"{url}{path}", json=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"][0]["loc"] == ["header", "authorization"]
    assert httpx.get(f"{url}/metrics", headers=AUTH).status_code == 200


def test_openapi_documents_the_apis_with_examples(url: str) -> None:
    spec = httpx.get(f"{url}/docs.json").json()
    assert {"/classify", "/analyze"} <= set(spec["paths"])
    schema = spec["paths"]["/classify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["sentences"]["examples"]


LONG_ARTICLE = {"text": "Rusia. " * (MAX_ARTICLE_CHARS // 7 + 1)}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/classify", '{"sentences": ["Rusia menyerang', None),
        ("/classify", "not json at all", None),
        ("/classify", {}, "sentences"),
        ("/classify", {"sentences": []}, "sentences"),
        ("/classify", {"sentences": "Rusia menyerang."}, "sentences"),
        ("/classify", {"sentences": ["ok"] * (MAX_SENTENCES + 1)}, "sentences"),
        ("/classify", {"sentences": ["Rusia.", "a" * (MAX_SENTENCE_CHARS + 1)]}, "sentences.1"),
        ("/classify", {"sentences": ["Rusia.", ""]}, "sentences.1"),
        ("/classify", {"sentences": ["   "]}, "sentences.0"),
        ("/classify", {"sentences": [42]}, "sentences.0"),
        ("/classify", {"sentences": [None]}, "sentences.0"),
        ("/analyze", {"articles": []}, "articles"),
        ("/analyze", {"articles": [EXAMPLE_ARTICLE] * 51}, "articles"),
        ("/analyze", {"articles": [{"id": "x"}]}, "articles.0.text"),
        ("/analyze", {"articles": [{"text": ""}]}, "articles.0.text"),
        ("/analyze", {"articles": [{"text": 5}]}, "articles.0.text"),
        ("/analyze", {"articles": [LONG_ARTICLE]}, "articles.0.text"),
        ("/analyze", {"articles": [{"text": "Rusia.", "body": "x"}]}, "articles.0.body"),
        ("/classify", {"sentences": ["Rusia."], "x": 1}, "x"),
        ("/analyze", {"articles": [{"text": "Rusia."}], "options": {}}, "options"),
    ],
)
def test_bad_input_gets_a_json_400_naming_the_field(url: str, path: str, body, field: str | None) -> None:
    response = post(url, path, body)
    assert response.status_code == 400
    payload = response.json()
    assert "error" in payload
    if field:
        locations = {".".join(map(str, d["loc"])) for d in payload["detail"]}
        assert field in locations
    else:
        assert payload["detail"][0]["type"] == "json_invalid"


def test_service_survives_bad_input(url: str) -> None:
    post(url, "/classify", b"\xff\xfe garbage")
    assert post(url, "/classify", {"sentences": ["NATO bersidang."]}).status_code == 200


def budget_message(response: httpx.Response, field: str) -> str:
    assert response.status_code == 400
    (detail,) = response.json()["detail"]
    assert detail["loc"] == [field] and detail["type"] == "work_budget_exceeded"
    assert "sikap score" in detail["msg"]
    return detail["msg"]


def test_classify_over_the_character_budget(url: str) -> None:
    sentences = ["a" * MAX_SENTENCE_CHARS] * (MAX_REQUEST_CHARS // MAX_SENTENCE_CHARS + 1)
    message = budget_message(post(url, "/classify", {"sentences": sentences}), "sentences")
    assert f"{len(sentences) * MAX_SENTENCE_CHARS:,} characters" in message and f"{MAX_REQUEST_CHARS:,}" in message


def test_analyze_over_the_character_budget(url: str) -> None:
    articles = [{"title": "Judul", "text": "Rusia. " * 1_000}] * (MAX_REQUEST_CHARS // 7_000 + 1)
    chars = sum(len(a["title"]) + len(a["text"]) for a in articles)
    message = budget_message(post(url, "/analyze", {"articles": articles}), "articles")
    assert f"{chars:,} characters" in message


def test_analyze_over_the_sentence_budget(url: str) -> None:
    text = "Ya. " * (MAX_REQUEST_SENTENCES + 1)
    message = budget_message(post(url, "/analyze", {"articles": [{"text": text}]}), "articles")
    assert f"{MAX_REQUEST_SENTENCES + 1:,} sentences" in message and f"{MAX_REQUEST_SENTENCES:,}" in message


@pytest.mark.parametrize("chunked", [False, True])
def test_body_over_the_byte_limit_is_refused_before_parsing(url: str, chunked: bool) -> None:
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    content = (body[i : i + 65_536] for i in range(0, len(body), 65_536)) if chunked else body
    response = post(url, "/classify", content)
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"


def heaviest_legal_articles() -> list[dict]:
    """50 articles, the character budget in all, just under the sentence budget."""
    per_article = MAX_REQUEST_CHARS // 50
    sentence = "Pasukan Rusia menggempur Kharkiv lagi dan NATO mengecamnya dengan keras sekali. "
    count = min(per_article // len(sentence), MAX_REQUEST_SENTENCES // 50 - 1)
    return [{"id": str(i), "title": "", "text": (sentence * count).ljust(per_article, "x")} for i in range(50)]


def test_probes_and_small_requests_answer_while_the_heaviest_request_runs(url: str) -> None:
    heavy: dict = {}

    def run_heavy() -> None:
        start = time.perf_counter()
        heavy["response"] = post(url, "/analyze", {"articles": heaviest_legal_articles()})
        heavy["seconds"] = time.perf_counter() - start

    thread = threading.Thread(target=run_heavy)
    thread.start()
    time.sleep(0.3)  # let the body arrive and the work start
    latencies: dict[str, list[float]] = {"/readyz": [], "/livez": [], "/classify": []}
    with httpx.Client(timeout=30) as client:
        while thread.is_alive() and len(latencies["/classify"]) < 40:
            for path in latencies:
                start = time.perf_counter()
                if path == "/classify":
                    response = client.post(f"{url}{path}", json={"sentences": ["NATO bersidang."]}, headers=AUTH)
                else:
                    response = client.get(f"{url}{path}")
                latencies[path].append(time.perf_counter() - start)
                assert response.status_code == 200
    thread.join()
    assert heavy["response"].status_code == 200, heavy["response"].text[:500]
    assert len(heavy["response"].json()["results"]) == 50
    assert latencies["/classify"], "the heavy request finished before any probe was sent"
    # A blocked event loop answers nothing until the heavy request is done (seconds). The median
    # is held to 200 ms; single answers get 1 s, as other jobs on a shared 2-core CI machine
    # can hold this one's cores for a few hundred milliseconds.
    median = {path: statistics.median(times) for path, times in latencies.items()}
    slowest = {path: max(times) for path, times in latencies.items()}
    report = f"median {median}, slowest {slowest} during a {heavy['seconds']:.1f} s request"
    assert all(t < 0.2 for t in median.values()) and all(t < 1.0 for t in slowest.values()), report


# ---------------------------------------------------------------- fuzzing from the OpenAPI spec

FUZZ_EXAMPLES = 40  # per operation and generation mode (valid / invalid)
# Invalid data may also be refused as too large (413) before it is parsed.
FUZZ_CONFIG = SchemathesisConfig.from_str(
    "[checks.negative_data_rejection]\n"
    "expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]\n"
)


def every_4xx_is_json_with_detail(ctx, response, case) -> None:
    if 400 <= response.status_code < 500:
        detail = response.json().get("detail")
        assert isinstance(detail, list) and detail, (
            f"{response.status_code} without a detail list: {response.text[:200]}"
        )


def text_only(spec: dict) -> dict:
    """The spec with articles given as ``text`` only. Schema-valid ``html`` can still hold no extractable article
    (a semantic check no schema expresses), so valid cases leave it out; tests/test_page_input.py covers html input.
    Generated from this spec rather than filtered: a filter threw away 94% of the valid /analyze bodies drawn."""
    spec = copy.deepcopy(spec)
    article = spec["components"]["schemas"]["Article"]
    del article["properties"]["html"]
    article["oneOf"] = [branch for branch in article["oneOf"] if branch["required"] == ["text"]]
    return spec


def test_api_follows_its_openapi_spec(url: str) -> None:
    """Schema-generated valid and invalid requests to every operation: no 5xx, every 4xx JSON with
    `detail`, responses as the spec declares them, no valid request rejected, no invalid one accepted."""
    spec = httpx.get(f"{url}/docs.json", timeout=30).json()
    assert "html" in spec["components"]["schemas"]["Article"]["properties"]
    schemas = {}
    for mode, source in ((GenerationMode.POSITIVE, text_only(spec)), (GenerationMode.NEGATIVE, spec)):
        schemas[mode] = schemathesis.openapi.from_dict(source, config=FUZZ_CONFIG)
        schemas[mode].config.update(base_url=url)
    operations = {mode: {r.ok().path: r.ok() for r in s.get_all_operations()} for mode, s in schemas.items()}
    assert {"/classify", "/analyze"} <= set(operations[GenerationMode.POSITIVE])
    for path in operations[GenerationMode.POSITIVE]:
        has_body = path in ("/classify", "/analyze")  # probes take no input to get wrong
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if has_body else (GenerationMode.POSITIVE,):
            strategy = operations[mode][path].as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(
                max_examples=FUZZ_EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
                database=None,
            )
            def fuzz(case) -> None:
                case.call_and_validate(headers=AUTH, timeout=60, additional_checks=[every_4xx_is_json_with_detail])

            fuzz()
