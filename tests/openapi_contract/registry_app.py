"""A small purpose-built API (an agency registry) with switchable planted violations, in OpenAPI 3.0 and 3.1.

Clean, it conforms to its document. Each name in ``VIOLATIONS`` plants one bug that one API
requirement must catch.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "registry-token-0123456789abcdefghijklmnop"

VIOLATIONS = {
    "server-error": "API-02: a 500 when a created item's name has a non-ASCII character",
    "undocumented-status": "API-03: POST /items answers 200, which is not documented",
    "wrong-body": "API-05: GET /items lists items whose id is an integer, not a string",
    "accepts-out-of-range": "API-07: POST /items takes any size, even above the maximum 10",
    "ignores-auth": "API-09: GET /items/{itemId} answers without checking credentials",
    "wrong-content-type": "API-04: GET /items answers text/plain",
    "nfd-names": "API-12: names are stored in NFD",
}

_ITEM = {"type": "object", "required": ["id", "name"], "additionalProperties": False,
         "properties": {"id": {"type": "string", "pattern": "^[a-z0-9]+$"}, "name": {"type": "string"},
                        "size": {"type": "integer", "minimum": 0, "maximum": 10},
                        "note": {"type": ["string", "null"]}}}
_NEW_ITEM = {"type": "object", "required": ["name"], "additionalProperties": False,
             "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 40},
                            "size": {"type": "integer", "minimum": 0, "maximum": 10}}}
_PROBLEM = {"application/problem+json": {"schema": {"type": "object", "required": ["title", "status"],
                                                     "properties": {"title": {"type": "string"},
                                                                    "status": {"type": "integer"}}}}}


def document(version: str = "3.1.0") -> dict[str, Any]:
    """The registry's OpenAPI document, as 3.1 or as 3.0 (``nullable`` instead of a type list)."""
    item = copy.deepcopy(_ITEM)
    if version.startswith("3.0"):
        item["properties"]["note"] = {"type": "string", "nullable": True}
    error = {"description": "error", "content": _PROBLEM}
    return {
        "openapi": version,
        "info": {"title": "registry", "version": "1"},
        "components": {"schemas": {"Item": item, "NewItem": _NEW_ITEM},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/items": {
                "get": {"operationId": "listItems", "security": [],
                        "parameters": [{"name": "limit", "in": "query", "schema":
                                        {"type": "integer", "minimum": 1, "maximum": 50}}],
                        "responses": {"200": {"description": "items", "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
                            "400": error}},
                "post": {"operationId": "createItem",
                         "requestBody": {"required": True, "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/NewItem"}}}},
                         "responses": {"201": {"description": "created", "content": {"application/json": {
                             "schema": {"$ref": "#/components/schemas/Item"}}},
                             "links": {"GetItem": {"operationId": "getItem",
                                                   "parameters": {"itemId": "$response.body#/id"}}}},
                             "400": error, "401": error, "415": error}},
            },
            "/items/{itemId}": {
                "get": {"operationId": "getItem",
                        "parameters": [{"name": "itemId", "in": "path", "required": True,
                                        "schema": {"type": "string", "pattern": "^[a-z0-9]+$", "maxLength": 16}}],
                        "responses": {"200": {"description": "the item", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Item"}}}},
                            "400": error, "401": error, "404": error}},
            },
        },
    }


def _problem(status: int, title: str) -> JSONResponse:
    return JSONResponse({"title": title, "status": status}, status, media_type="application/problem+json")


def _authorised(request: Request) -> bool:
    return request.headers.get("authorization") == f"Bearer {TOKEN}"


def make_app(version: str = "3.1.0", violations: frozenset[str] = frozenset()) -> Starlette:
    """The registry API, clean or with ``violations`` planted."""
    unknown = violations - set(VIOLATIONS)
    if unknown:
        raise ValueError(f"unknown violations {sorted(unknown)}; known: {sorted(VIOLATIONS)}")
    items: dict[str, dict[str, Any]] = {"a1": {"id": "a1", "name": "Sở Nội vụ", "note": None}}

    async def spec(request: Request) -> JSONResponse:
        return JSONResponse(document(version))

    async def list_items(request: Request) -> Response:
        raw = request.query_params.get("limit")
        if raw is not None and (not raw.isdigit() or not 1 <= int(raw) <= 50):
            return _problem(400, "limit must be an integer from 1 to 50")
        listed = list(items.values())[: int(raw) if raw else 50]
        if "wrong-body" in violations:
            listed = [{**i, "id": 7} for i in listed]
        if "wrong-content-type" in violations:
            return Response(json.dumps(listed), media_type="text/plain")
        return JSONResponse(listed)

    async def create_item(request: Request) -> Response:
        if not _authorised(request):
            return _problem(401, "credentials required")
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return _problem(415, "send application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _problem(400, "not JSON")
        if not isinstance(body, dict) or set(body) - {"name", "size"} or not isinstance(body.get("name"), str):
            return _problem(400, "name is required; only name and size are allowed")
        name, size = body["name"], body.get("size", 0)
        if not 1 <= len(name) <= 40 or not isinstance(size, int) or isinstance(size, bool):
            return _problem(400, "invalid name or size")
        if not 0 <= size <= 10 and "accepts-out-of-range" not in violations:
            return _problem(400, "size must be 0 to 10")
        if "server-error" in violations and not name.isascii():
            return Response("Internal Server Error", 500, media_type="text/plain")
        item_id = f"i{len(items) + 1}"
        stored = unicodedata.normalize("NFD", name) if "nfd-names" in violations else name
        items[item_id] = {"id": item_id, "name": stored, "size": min(max(size, 0), 10)}
        return JSONResponse(items[item_id], 200 if "undocumented-status" in violations else 201)

    async def get_item(request: Request) -> Response:
        if not _authorised(request) and "ignores-auth" not in violations:
            return _problem(401, "credentials required")
        item_id = request.path_params["itemId"]
        if not item_id.isalnum() or not item_id.isascii() or item_id != item_id.lower() or len(item_id) > 16:
            return _problem(400, "bad item id")
        if item_id not in items:
            return _problem(404, "no such item")
        return JSONResponse(items[item_id])

    async def not_allowed(request: Request) -> Response:
        allow = "GET, POST" if request.url.path == "/items" else "GET"
        response = _problem(405, "method not allowed")
        response.headers["Allow"] = allow
        return response

    return Starlette(routes=[
        Route("/openapi.json", spec),
        Route("/items", list_items, methods=["GET"]),
        Route("/items", create_item, methods=["POST"]),
        Route("/items", not_allowed, methods=["PUT", "PATCH", "DELETE"]),
        Route("/items/{itemId}", get_item, methods=["GET"]),
        Route("/items/{itemId}", not_allowed, methods=["PUT", "PATCH", "DELETE", "POST"]),
    ])
