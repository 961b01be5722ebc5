"""The response sample that the "every response" rows are judged on, taken once per process.

GET /, a random 404, the API document's URL, up to six GET operations (secured ones with and without
the first identity's token), and the application's answers to a malformed JSON body, a malformed XML
body and an undocumented method. The 64 KiB header probe is taken here too, but it is judged by
SB-INFO-02 only: its answer comes from the HTTP parser, before any application code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.http import HardenedClient, HttpFailure, Response
from conformance.live import LiveContext

from .api import Api, Call, call_for

__all__ = ["LONG_HEADER_BYTES", "Sample", "Seen", "brief", "health", "send", "take_sample"]

LONG_HEADER_BYTES = 64 * 1024
MAX_GETS = 6
MALFORMED_JSON = b'{"probe": [1, 2,'
MALFORMED_XML = b'<?xml version="1.0" encoding="UTF-8"?><probe><unclosed></probe>'
_KEY = "security-baseline.sample"


@dataclass(frozen=True)
class Seen:
    """One sampled request: what it was, and its response or why there was none."""

    label: str
    kind: str  # root, missing, document, operation, error-json, error-xml, method, long-header
    response: Response | None
    failure: HttpFailure | None = None
    credentialed: bool = False
    secured: bool = False

    @property
    def exchange(self) -> dict[str, Any] | None:
        """The exchange as report evidence."""
        if self.response is not None:
            return self.response.exchange.to_json()
        if self.failure is not None and self.failure.exchange is not None:
            return self.failure.exchange.to_json()
        return None

    @property
    def where(self) -> str:
        """The request and its status, as messages name it."""
        status = self.response.status if self.response is not None else "-"
        return f"{self.label} → {status}"


@dataclass
class Sample:
    """Every sampled request, in order."""

    seen: list[Seen] = field(default_factory=list)

    def answered(self) -> list[Seen]:
        """The sampled responses that the header rows judge (the long-header probe excluded)."""
        return [s for s in self.seen if s.response is not None and s.kind != "long-header"]

    def of(self, *kinds: str) -> list[Seen]:
        """The sampled requests of ``kinds``."""
        return [s for s in self.seen if s.kind in kinds]

    def unanswered(self) -> list[dict[str, Any]]:
        """The requests that got no response, with why."""
        return [{"request": s.label, "problem": str(s.failure)} for s in self.seen if s.response is None]


async def send(client: HardenedClient, call: Call, **extra_headers: str) -> Response:
    """Send ``call`` (plus headers) with ``client``. Raises HttpFailure."""
    headers = {**call.headers, **extra_headers}
    return await client.request(call.method, call.path, params=list(call.params) or None, headers=headers,
                                content=call.content)


async def _take(client: HardenedClient, call: Call, label: str, kind: str, *, credentialed: bool = False,
                secured: bool = False, headers: Mapping[str, str] | None = None) -> Seen:
    try:
        response = await send(client, call, **dict(headers or {}))
    except HttpFailure as exc:
        return Seen(label, kind, None, exc, credentialed, secured)
    return Seen(label, kind, response, None, credentialed, secured)


def _undocumented(api: Api) -> Call:
    """An undocumented method on the first documented path (DELETE / without a document)."""
    for op in api.operations:
        documented = {o.method.upper() for o in api.operations if o.path == op.path}
        spare = next((m for m in ("DELETE", "PATCH", "PUT", "POST", "GET") if m not in documented), None)
        if spare is not None:
            base = call_for(op)
            return Call(spare, base.path, base.params)
    return Call("DELETE", "/")


def _body_call(api: Api, kind: str, body: bytes, media: str) -> Call:
    """``body`` as ``media`` to an operation taking ``kind``, else the first taking a body, else POST /."""
    chosen = api.accepting(kind) or api.with_body()
    if chosen:
        op, _ = chosen[0]
        return call_for(op, media=media, content=body)
    return Call("POST", "/", (), {"Content-Type": media}, body)


async def _sample(ctx: LiveContext, api: Api) -> Sample:
    identity = ctx.identities[0]
    sample = Sample()
    async with ctx.client() as anonymous, ctx.client(identity) as authed:
        credentials = bool(identity.token)
        sample.seen.append(await _take(anonymous, Call("GET", "/"), "GET / (no credentials)", "root"))
        missing = Call("GET", f"/conformance-{ctx.run_id}-no-such-page")
        sample.seen.append(await _take(anonymous, missing, f"{missing.label} (no credentials)", "missing"))
        if api.document_url:
            document = Call("GET", api.document_url)
            sample.seen.append(await _take(anonymous, document, f"{document.label} (API document)", "document"))
        unauthenticated = 0
        for op in api.gets()[:MAX_GETS]:
            call = call_for(op)
            if op.secured and credentials:
                sample.seen.append(await _take(authed, call, f"{call.label} (with token)", "operation",
                                               credentialed=True, secured=True))
            if not op.secured or unauthenticated < 2:
                unauthenticated += op.secured
                sample.seen.append(await _take(anonymous, call, f"{call.label} (no credentials)", "operation",
                                               secured=op.secured))
        caller = authed if credentials else anonymous
        for kind, body, media in (("json", MALFORMED_JSON, "application/json"),
                                  ("xml", MALFORMED_XML, "application/xml")):
            call = _body_call(api, kind, body, media)
            sample.seen.append(await _take(caller, call, f"{call.label} (malformed {kind.upper()})", f"error-{kind}",
                                           credentialed=credentials))
        wrong = _undocumented(api)
        sample.seen.append(await _take(caller, wrong, f"{wrong.label} (undocumented method)", "method",
                                       credentialed=credentials))
        sample.seen.append(await _take(anonymous, Call("GET", "/"), f"GET / ({LONG_HEADER_BYTES // 1024} KiB header)",
                                       "long-header", headers={"X-Conformance-Padding": "a" * LONG_HEADER_BYTES}))
    return sample


async def take_sample(ctx: LiveContext, api: Api) -> Sample:
    """The run's sample (taken by the first scenario that asks, then shared within the process)."""
    cached = ctx.shared.get(_KEY)
    if isinstance(cached, Sample):
        return cached
    sample = await _sample(ctx, api)
    ctx.shared[_KEY] = sample
    return sample


async def health(ctx: LiveContext, api: Api) -> Seen:
    """The health probe: the API document's URL, else /, without credentials."""
    call = Call("GET", api.document_url or "/")
    async with ctx.client() as client:
        return await _take(client, call, f"{call.label} (health)", "health")


def brief(seen: Iterable[Seen], *names: str) -> list[dict[str, Any]]:
    """Sampled answers without their bodies: request, status, every response header (masked as in the
    exchange), the headers ``names`` the row judged, and the curl line that repeats the request."""
    out = []
    for s in seen:
        entry: dict[str, Any] = {"request": s.label}
        exchange = s.exchange
        if s.response is not None:
            entry["status"] = s.response.status
            entry["judged"] = {n: s.response.headers.get_list(n) for n in names}
        else:
            entry["problem"] = str(s.failure)
        if exchange is not None:
            entry["url"] = exchange["url"]
            if exchange.get("response"):
                entry["response_headers"] = exchange["response"]["headers"]
            entry["curl"] = exchange["curl"]
        out.append(entry)
    return out
