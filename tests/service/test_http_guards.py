"""The service's ASGI guards in isolation: API key, body limit before parsing, JSON 4xx, corrected spec."""

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from sikap.service.http_guards import ApiKeyGuard, BodyLimit, JsonErrors, fix_spec

LIMIT = 1_000


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


async def probe(_: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def client(key: str | None = None) -> TestClient:
    app = Starlette(routes=[Route("/classify", echo, methods=["POST"]), Route("/readyz", probe)])
    app.add_middleware(BodyLimit, max_bytes=LIMIT)
    app.add_middleware(ApiKeyGuard, key=key or "")
    app.add_middleware(JsonErrors)
    return TestClient(app)


def assert_error(response, status: int, kind: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["error"] and body["detail"][0]["type"] == kind
    assert {"loc", "msg", "type"} <= set(body["detail"][0])


def test_body_within_the_limit_reaches_the_app_whole() -> None:
    response = client().post("/classify", content=b"x" * LIMIT, headers={"content-type": "application/json"})
    assert response.json() == {"bytes": LIMIT}


def test_body_over_the_limit_is_refused_by_content_length() -> None:
    response = client().post("/classify", content=b"x" * (LIMIT + 1), headers={"content-type": "application/json"})
    assert_error(response, 413, "body_too_large")
    assert "1,001 bytes" in response.json()["detail"][0]["msg"] and "sikap score" in response.json()["detail"][0]["msg"]


def test_streamed_body_over_the_limit_is_refused() -> None:
    chunks = (b"x" * 100 for _ in range(50))  # chunked: no Content-Length to go by
    response = client().post("/classify", content=chunks, headers={"content-type": "application/json"})
    assert_error(response, 413, "body_too_large")
    assert "more than 1,000 bytes" in response.json()["detail"][0]["msg"]


def test_api_bodies_must_be_json() -> None:
    assert_error(
        client().post("/classify", content=b"{}", headers={"content-type": "text/plain"}), 415, "unsupported_media_type"
    )


def test_router_errors_become_json() -> None:
    assert_error(client().get("/classify"), 405, "method_not_allowed")
    assert_error(client().get("/nowhere"), 404, "not_found")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer wrong"}, 401),
        ({"authorization": "Basic s3cret"}, 401),
        ({"authorization": "Bearer s3cret"}, 200),
        ({"authorization": "bearer s3cret"}, 200),
    ],
)
def test_api_key_is_required_when_set(headers: dict, status: int) -> None:
    response = client("s3cret").post("/classify", json={}, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


def test_probes_are_open_and_no_key_means_open() -> None:
    assert client("s3cret").get("/readyz").status_code == 200
    assert client().post("/classify", json={}).status_code == 200


def test_spec_fix_declares_the_real_error_body_and_strict_requests() -> None:
    ref = {"$ref": "#/components/schemas/InvalidArgument"}
    spec = {
        "components": {"schemas": {"InvalidArgument": {"properties": {"detail": {"type": "string"}}}}},
        "paths": {
            "/classify": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"400": {"content": {"application/json": {"schema": ref}}}},
                }
            },
            "/readyz": {"get": {"responses": {"200": {"description": "ok"}}}},
        },
    }
    fixed = fix_spec(spec)
    operation = fixed["paths"]["/classify"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["additionalProperties"] is False
    assert {"400", "401", "413", "415"} <= set(operation["responses"])
    error = fixed["components"]["schemas"]["RequestError"]
    assert error["properties"]["detail"]["type"] == "array"
    assert "InvalidArgument" not in fixed["components"]["schemas"]
    assert "401" not in fixed["paths"]["/readyz"]["get"]["responses"]
