"""The operations security-baseline probes, read from the target's API document, and requests to call them.

The document is the one ``endpoints.openapi`` names (a URL path on the system, or a file), read with
the openapi-contract engine's loader. Without a usable document the checks that need operations say
why; the others still run on ``/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.apidoc import locate
from conformance.live import LiveContext
from conformance_profiles.openapi_contract.plan import load_document
from conformance_profiles.openapi_contract.spec import Operation, Parameter, Spec, document_problems, load_spec

__all__ = ["PROBE_VALUE", "Api", "Call", "call_for", "load_api", "login_body", "login_operation", "media_kind",
           "minimal_body"]

PROBE_VALUE = "conformance-probe"
_PLACEHOLDER = re.compile(r"\{([^}/]+)\}")
_XML_BODY = b'<?xml version="1.0" encoding="UTF-8"?><probe>conformance</probe>'


@dataclass(frozen=True)
class Call:
    """One request to make: method, concrete path, query, headers and body."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes | None = None

    @property
    def label(self) -> str:
        """``GET /v1/items/conformance-probe``: the request as it appears in a message."""
        return f"{self.method} {self.path}"


def _value(param: Parameter) -> str:
    schema = param.schema
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return str(schema["enum"][0])
    for key in ("example", "default"):
        if key in schema and not isinstance(schema[key], (dict, list)):
            return str(schema[key]).lower() if isinstance(schema[key], bool) else str(schema[key])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind in ("integer", "number"):
        return str(max(1, int(schema.get("minimum", 1) or 1)))
    if kind == "boolean":
        return "true"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return PROBE_VALUE


def media_kind(media: str) -> str | None:
    """``xml``, ``json`` or ``form`` for a request media type, else None."""
    base = media.split(";")[0].strip().lower()
    if base in ("application/xml", "text/xml") or base.endswith("+xml"):
        return "xml"
    if base == "application/json" or base.endswith("+json"):
        return "json"
    if base == "application/x-www-form-urlencoded":
        return "form"
    return None


def minimal_body(media: str) -> bytes:
    """A small, well-formed body of ``media``: what a probe sends when the body is not the point."""
    kind = media_kind(media)
    if kind == "xml":
        return _XML_BODY
    if kind == "json":
        return b"{}"
    return b""


def call_for(op: Operation, *, media: str | None = None, content: bytes | None = None,
             method: str | None = None) -> Call:
    """A request to ``op``: path and required query/header parameters filled; a body of ``media`` if given.

    Without ``media``, an operation that takes a body gets a minimal one of its first media type.
    """
    values = {p.name: _value(p) for p in op.parameters if p.location == "path"}
    path = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), PROBE_VALUE), op.path)
    params = tuple((p.name, _value(p)) for p in op.parameters if p.location == "query" and p.required)
    headers = {p.name: _value(p) for p in op.parameters if p.location == "header" and p.required
               and p.name.lower() not in ("authorization", "content-type", "accept")}
    chosen = media if media is not None else next(iter(op.body_media), None)
    if chosen is not None:
        headers["Content-Type"] = chosen
        content = content if content is not None else minimal_body(chosen)
    return Call(method or op.method.upper(), path, params, headers, content)


@dataclass(frozen=True)
class Api:
    """The system's operations from its API document, or why there are none to probe."""

    spec: Spec | None
    problem: str | None = None
    document_url: str | None = None  # the document's URL path on the system, when it is fetched from there
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every documented operation (none without a document)."""
        return self.spec.operations if self.spec else ()

    def secured(self) -> list[Operation]:
        """Operations the document protects."""
        return [op for op in self.operations if op.secured]

    def gets(self) -> list[Operation]:
        """GET operations, secured ones first, in document order otherwise."""
        found = [op for op in self.operations if op.method == "get"]
        return sorted(found, key=lambda op: not op.secured)

    def accepting(self, kind: str) -> list[tuple[Operation, str]]:
        """Operations whose request body may be of ``kind`` (``xml``, ``json``), with that media type."""
        found = []
        for op in self.operations:
            media = next((m for m in op.body_media if media_kind(m) == kind), None)
            if media is not None:
                found.append((op, media))
        return found

    def with_body(self) -> list[tuple[Operation, str]]:
        """Operations that take a body, XML ones first, with their first media type."""
        xml = self.accepting("xml")
        rest = [(op, next(iter(op.body_media))) for op in self.operations
                if op.body_media and op not in [o for o, _ in xml]]
        return xml + rest

    def documented(self, path: str) -> bool:
        """Whether ``path`` is a path of the document or the document's own URL."""
        if self.document_url and path.rstrip("/") == self.document_url.rstrip("/"):
            return True
        return any(_PLACEHOLDER.sub("x", op.path).rstrip("/") == path.rstrip("/") for op in self.operations)


def load_api(ctx: LiveContext) -> Api:
    """The API document of the target, loaded once per process (planning happens before any scenario)."""
    cached = ctx.shared.get("security-baseline.api")
    if isinstance(cached, Api):
        return cached
    document, problem, evidence, _ = load_document(ctx)
    where = locate(ctx.target.data, ctx.target.path.parent)
    url = str(where[1]) if where is not None and where[0] == "url" else None
    api: Api
    if document is None:
        api = Api(None, problem or "no API document", url, evidence)
    else:
        problems = document_problems(document.data)
        api = (Api(None, problems[0], url, {**evidence, "problems": problems[:5]}) if problems
               else Api(load_spec(document.data), None, url, evidence))
    ctx.shared["security-baseline.api"] = api
    return api


def login_operation(api: Api, login: str) -> Operation | None:
    """The documented POST operation at ``login``, if the document has one."""
    return next((op for op in api.operations if op.method == "post" and op.path.rstrip("/") == login.rstrip("/")),
                None)


def login_body(api: Api, login: str, username: str, password: str) -> tuple[bytes, str]:
    """A login request body: JSON, or a form when the documented login operation takes only forms."""
    op = login_operation(api, login)
    media = list(op.body_media) if op is not None else []
    user_field, pass_field = "username", "password"
    if op is not None and media and api.spec is not None:
        schema = api.spec.resolve(api.spec.schema_at(op.body_media[media[0]]))
        names = list((schema.get("properties") or {}).keys()) if isinstance(schema, dict) else []
        user_field = next((n for n in names if re.search(r"user|login|email|account|name", n, re.I)), user_field)
        pass_field = next((n for n in names if re.search(r"pass", n, re.I)), pass_field)
    if media and all(media_kind(m) == "form" for m in media):
        body = httpx.QueryParams({user_field: username, pass_field: password})
        return str(body).encode(), "application/x-www-form-urlencoded"
    return json.dumps({user_field: username, pass_field: password}).encode(), "application/json"
