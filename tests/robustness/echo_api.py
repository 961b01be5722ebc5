"""A purpose-built API that echoes the credentials it receives, in every form a report could carry them.

It serves its OpenAPI document at ``/openapi.json`` and, on every other path, answers with the
``Authorization`` header and the bare secret in it (a bearer token, or a Basic password) in its
response headers, in a cookie, in a ``Location``, and in the body: plain, base64, URL-encoded,
JSON-escaped, inside a non-NFC string, and as the value a link carries. The document is written so
that the echoed values break it (an integer header, a schema the body breaks, an NFD string), so the
secrets also reach the judgement messages, not only the evidence. A run against it writes no
secret anywhere only if the harness masks what a system under test sends back.
"""

from __future__ import annotations

import base64
import json
import unicodedata
import urllib.parse
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["document", "make_echo_app", "received_secret"]

Scheme = Literal["bearer", "basic"]


def document(scheme: Scheme) -> dict[str, Any]:
    """The echo API's OpenAPI 3.1 document, secured with HTTP ``scheme``."""
    problem = {"description": "refused", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "echo", "version": "1"},
        "components": {"securitySchemes": {"creds": {"type": "http", "scheme": scheme}}},
        "security": [{"creds": []}],
        "paths": {
            "/echo": {"get": {
                "operationId": "echo",
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 8}}],
                "responses": {
                    "200": {
                        "description": "what the caller sent",
                        # An integer header and a one-character header: the echoed secrets break both.
                        "headers": {"X-Echo-Authorization": {"required": True, "schema": {"type": "integer"}},
                                    "X-Echo-Secret": {"required": True, "schema": {"type": "string",
                                                                                    "maxLength": 1}}},
                        "content": {"application/json": {"schema": {
                            "type": "object", "required": ["authorization"],
                            "properties": {"authorization": {"type": "integer"}}}}},
                        "links": {"Thing": {"operationId": "thing",
                                            "parameters": {"thingId": "$response.body#/secret"}}},
                    },
                    "401": problem,
                },
            }},
            "/things/{thingId}": {"get": {
                "operationId": "thing",
                "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the thing", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}},
                    "401": problem},
            }},
        },
    }


def received_secret(authorization: str, scheme: Scheme) -> str | None:
    """The secret an ``Authorization`` header of ``scheme`` carries: the bearer token, or the Basic password."""
    sent, _, rest = authorization.partition(" ")
    if sent.lower() != scheme or not rest:
        return None
    if scheme == "bearer":
        return rest
    if scheme == "basic":
        try:
            return base64.b64decode(rest).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def _echo(authorization: str, secret: str) -> dict[str, Any]:
    credentials = authorization.partition(" ")[2]
    return {
        "authorization": authorization,
        "secret": secret,
        "credentials": credentials,  # Basic: base64 of user:password
        "base64": base64.b64encode(secret.encode()).decode(),
        "url": urllib.parse.quote(secret, safe=""),
        "url_plus": urllib.parse.quote_plus(secret),
        "json_escaped": json.dumps(secret)[1:-1],
        "json_escaped_utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "nfd": unicodedata.normalize("NFD", "Hồ sơ ") + secret,  # not NFC: the NFC check quotes it
        "id": secret,
    }


def _headers(authorization: str, secret: str) -> dict[str, str]:
    latin = secret.encode("utf-8").decode("latin-1")  # header values travel as latin-1
    return {
        "X-Echo-Authorization": authorization.encode("utf-8").decode("latin-1"),
        "X-Echo-Secret": latin,
        "X-Echo-Base64": base64.b64encode(secret.encode()).decode(),
        "Set-Cookie": f"session={urllib.parse.quote(secret, safe='')}; Path=/; HttpOnly",
        "Location": f"/things/{urllib.parse.quote(secret, safe='')}",
        "WWW-Authenticate": f'Bearer realm="echo", error_description="{urllib.parse.quote(secret, safe="")}"',
    }


def make_echo_app(scheme: Scheme) -> Starlette:
    """The echo API for callers using HTTP ``scheme`` credentials; ``app.state.echoed`` counts the echoes."""
    spec = document(scheme)

    async def openapi(request: Request) -> Response:
        return JSONResponse(spec)

    async def echo(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        secret = received_secret(authorization, scheme)
        if secret is None:
            return JSONResponse({"type": "about:blank", "title": "credentials required", "status": 401,
                                 "detail": f"you sent {authorization!r}"}, 401,
                                media_type="application/problem+json")
        request.app.state.echoed += 1
        body = _echo(authorization, secret)
        return JSONResponse(body, 200, headers=_headers(authorization, secret))

    app = Starlette(routes=[
        Route("/openapi.json", openapi),
        Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    ])
    app.state.echoed = 0  # answers that carried credentials back
    return app
