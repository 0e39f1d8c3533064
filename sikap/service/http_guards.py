"""ASGI middleware of the HTTP service: access control, body size limit and the corrected OpenAPI spec.

They run before BentoML reads a request, so a refused request costs neither parsing nor memory.
Every refusal is JSON ``{"error": ..., "detail": [{"loc", "msg", "type"}]}``, like a validation 400.
"""

import hmac
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from starlette.datastructures import Headers

from sikap.service.api_models import LARGE_JOBS, MAX_BODY_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_KEY_ENV = "SIKAP_API_KEY"
# Reachable without the key: health probes, the OpenAPI page and its assets, the specs.
OPEN_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/", "/docs.json", "/schema.json"})
OPEN_PREFIXES = ("/static_content/", "/assets/")
API_PATHS = ("/classify", "/analyze")
DRAIN_BYTES = 64 * 1024 * 1024  # read (and drop) at most this much of a refused body before closing


async def send_error(send: Send, status: int, error: str, loc: list[str], msg: str, kind: str, **headers: str) -> None:
    """Send a JSON error response in the shape of the service's validation errors."""
    body = json.dumps({"error": error, "detail": [{"loc": loc, "msg": msg, "type": kind}]}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class ApiKeyGuard:
    """When ``SIKAP_API_KEY`` is set, require ``Authorization: Bearer <key>`` outside :data:`OPEN_PATHS`."""

    def __init__(self, app: ASGIApp, key: str | None = None) -> None:
        self.app = app
        key = key if key is not None else os.environ.get(API_KEY_ENV, "")
        self.key = key.encode() if key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.key is None or scope["type"] != "http" or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return await self.app(scope, receive, send)
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.key):
            return await self.app(scope, receive, send)
        await send_error(
            send,
            401,
            "missing or wrong API key",
            ["header", "authorization"],
            "this service requires 'Authorization: Bearer <key>' with the key set in SIKAP_API_KEY",
            "unauthorized",
            **{"www-authenticate": "Bearer"},
        )


class BodyLimit:
    """Refuse POST bodies over ``max_bytes`` (413) by Content-Length, or while streaming, before parsing;
    refuse API bodies that are not JSON (415)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, receive: Receive, send: Send, size: str, more_body: bool = True) -> None:
        """Answer 413, then read and drop the rest of the body (up to ``DRAIN_BYTES``), so that a client
        still uploading gets to read the answer instead of a reset connection."""
        await send_error(
            send,
            413,
            "request body too large",
            ["body"],
            f"body has {size} bytes, more than the {self.max_bytes:,} allowed; {LARGE_JOBS}",
            "body_too_large",
        )
        drained = 0
        while more_body and drained < DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            more_body = message.get("more_body", False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if scope.get("path") in API_PATHS and media_type != "application/json":
            return await send_error(
                send, 415, "unsupported media type", ["header", "content-type"],
                f"send the body as application/json, not {media_type or 'an empty type'}", "unsupported_media_type",
            )  # fmt: skip
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.max_bytes:
            return await self._too_large(receive, send, f"{int(length):,}")
        chunks, size = [], 0
        while True:  # read (at most max_bytes of) the body here, then replay it to the app
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                more = message.get("more_body", False)
                return await self._too_large(receive, send, f"more than {self.max_bytes:,}", more)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


class OpenAPIFix:
    """Patch ``GET /docs.json`` so the spec describes what the service does: error bodies with a
    ``detail`` list, unknown fields refused, and the 401/413/415 refusals of the guards above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/docs.json" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        start: Message = {}
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                parts.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(parts)
        if start.get("status") == 200:
            body = json.dumps(fix_spec(json.loads(body))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class JsonErrors:
    """Give plain-text 4xx answers of the router (404 unknown path, 405 wrong method) the JSON error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        replaced: dict[str, Any] = {}

        async def send_json(message: Message) -> None:
            if message["type"] == "http.response.start":
                media = Headers(raw=message.get("headers", [])).get("content-type", "")
                if 400 <= message["status"] < 500 and not media.startswith("application/json"):
                    replaced["status"] = message["status"]
                    return
            elif replaced:
                if not message.get("more_body", False):
                    status = replaced["status"]
                    phrase = HTTPStatus(status).phrase
                    msg = f"{scope['method']} {scope.get('path', '')}: {phrase.lower()}"
                    await send_error(send, status, phrase, ["path"], msg, phrase.lower().replace(" ", "_"))
                return
            await send(message)

        await self.app(scope, receive, send_json)


DETAIL_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["loc", "msg", "type"],
        "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "title": "RequestError",
    "description": "Every 4xx answer has a detail list; a 500 may carry only the error message.",
    "required": ["error"],
    "properties": {"error": {"type": "string", "title": "Message"}, "detail": DETAIL_SCHEMA},
}
REFUSALS = {
    "400": "Invalid request: bad JSON, a wrong or missing field, an unknown field, or over a limit or the "
    "work budget; detail[].loc names the field.",
    "413": f"Body over {MAX_BODY_BYTES:,} bytes, refused before parsing.",
    "415": "Body not sent as application/json.",
}
UNAUTHORIZED = f"Missing or wrong API key (only when {API_KEY_ENV} is set)."
BENTOML_ERRORS = ("InvalidArgument", "NotFound", "InternalServerError")


def fix_spec(spec: dict) -> dict:
    """The service's OpenAPI spec with the error bodies and request strictness it really has."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in BENTOML_ERRORS:
        schemas.pop(name, None)
    schemas["RequestError"] = ERROR_SCHEMA
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RequestError"}}}}
    for path, item in spec.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for response in responses.values():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
                if ref.rsplit("/", 1)[-1] in BENTOML_ERRORS:
                    response.update(error)
            if path not in OPEN_PATHS:
                responses["401"] = {"description": UNAUTHORIZED, **error}
            if path in API_PATHS:
                operation.setdefault("requestBody", {})["required"] = True
                for media in operation["requestBody"].get("content", {}).values():
                    media.get("schema", {})["additionalProperties"] = False
                for status, description in REFUSALS.items():
                    responses[status] = {"description": description, **error}
    return spec
