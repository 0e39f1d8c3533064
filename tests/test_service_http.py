"""The real service over HTTP: every endpoint, and every bad-input case gets a JSON 400 naming the field."""

import tempfile
from pathlib import Path

import httpx
import pytest

from sikap.api_models import EXAMPLE_ARTICLE, MAX_ARTICLE_CHARS, MAX_SENTENCE_CHARS, MAX_SENTENCES
from sikap.service_process import running_service


@pytest.fixture(scope="module")
def url():
    """A service started on an empty store: it must build the embedded default itself."""
    with tempfile.TemporaryDirectory(prefix="sikap-serve-") as home, running_service(Path(home)) as service:
        yield service.url


def post(url: str, path: str, body) -> httpx.Response:
    kwargs = {"content": body} if isinstance(body, str | bytes) else {"json": body}
    return httpx.post(f"{url}{path}", headers={"content-type": "application/json"}, timeout=60, **kwargs)


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


def test_metadata_names_the_model(url: str) -> None:
    meta = httpx.get(f"{url}/metadata").json()
    assert meta["kind"] == "baseline" and meta["tag"].startswith("sikap-default:")
    assert {"trained_at", "labels_hash", "metrics"} <= set(meta)


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/metrics", "/docs.json"])
def test_health_and_docs_endpoints(url: str, path: str) -> None:
    assert httpx.get(f"{url}{path}").status_code == 200


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
