"""The security-baseline profile: black-box checks of a deployed service (SB-HTTP, HDR, INFO, METH, CORS, COOK,
AUTH, XML, INPUT here; SB-TLS and SB-CERT in ``tls_checks``).

An ASVS-referenced automated baseline, never an ASVS certification. Every HTTP call goes through the
harness's hardened client, except the one raw-socket probe that sends plain HTTP to the HTTPS port.
The API document (``endpoints.openapi``) is read once, when the run is planned; the "every response"
rows share one response sample per process (``sample.py``). Probes that may disrupt a service run only
with ``consent: active``; without it their requirements are listed as untested, with the reason.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from functools import partial
from typing import Any

import httpx

from conformance.http import HardenedClient, HttpFailure, Response
from conformance.live import LiveChecks, LiveContext, Scenario, Untested, Verdict, failed
from conformance.registry import Judgement, inconclusive, not_applicable, passed
from conformance_profiles.openapi_contract.engine import forged_token, probe_methods
from conformance_profiles.openapi_contract.spec import Operation

from . import rules
from .api import Api, Call, call_for, load_api, media_kind
from .payloads import (
    XXE_KINDS,
    billion_laughs,
    deep_json,
    deep_xml,
    expanded_marker,
    jwt_parts,
    jwt_with,
    oversize,
    quadratic_blowup,
    xxe_probe,
)
from .rules import PART_L2, PART_WARN, Problem
from .sample import Sample, Seen, brief, health, send, take_sample
from .tls_checks import TLS_REQUIREMENTS, tls_scenario

live = LiveChecks("security-baseline")
live.scenario(*TLS_REQUIREMENTS, subject="TLS")(tls_scenario)

HEADER_IDS = ("SB-HTTP-02", "SB-HDR-01", "SB-HDR-02", "SB-HDR-03", "SB-HDR-04", "SB-HDR-05", "SB-HDR-06",
              "SB-HDR-07", "SB-INFO-01")
BOMB_SECONDS = 5.0
XXE_WAIT_SECONDS = 10.0
BRUTE_FORCE_ATTEMPTS = 20
BRUTE_FORCE_WINDOW_S = 60.0
DEFAULT_BODY_LIMIT = 20 * 1024 * 1024
EVIL_ORIGIN = "https://evil.example"
MAX_SHOWN = 5
# Answers that come before any body is read: a path parameter naming no resource, a refused token. A probe
# answered so judged nothing, and is not counted for or against the parser behind the operation.
NOT_REACHED = frozenset({401, 403, 404})

Found = list[tuple[Problem, dict[str, Any] | None]]


# -- judging helpers -------------------------------------------------------------------------------

def _said(ctx: LiveContext, problem: Problem) -> str:
    return ctx.say(problem.phrase.key, **problem.phrase.params)


def _exchanges(found: Found) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for _, exchange in found:
        if exchange is not None and exchange not in seen:
            seen.append(exchange)
    return seen[:MAX_SHOWN]


def _parts(ctx: LiveContext, rid: str, found: Found, ok: str, **evidence: Any) -> Iterator[Verdict]:
    """The verdicts of one requirement: its own part (pass or fail), then an L2 part below level 2, then WARN."""
    level = ctx.target.security_level
    main = [f for f in found if f[0].part not in (PART_L2, PART_WARN) or (f[0].part == PART_L2 and level >= 2)]
    below = [f for f in found if f[0].part == PART_L2 and level < 2]
    warned = [f for f in found if f[0].part == PART_WARN]
    if main:
        said = [_said(ctx, p) for p, _ in main]
        yield Verdict(rid, failed(said[0], problems=said[:20], exchanges=_exchanges(main), **evidence))
    else:
        yield Verdict(rid, passed(ok, **evidence))
    for part in (below, warned):
        if part:
            said = [_said(ctx, p) for p, _ in part]
            yield Verdict(rid, failed(said[0], problems=said[:20], exchanges=_exchanges(part), **evidence),
                          warning=True)


def _failure(exc: HttpFailure) -> dict[str, Any]:
    return {"problem": str(exc), "exchange": exc.exchange.to_json() if exc.exchange else None}


def _credentials(ctx: LiveContext) -> bool:
    auth = ctx.target.data.get("auth", {})
    return any(i.token for i in ctx.identities) or auth.get("type", "none") != "none"


def _consent(ctx: LiveContext, probe: str) -> Untested | None:
    return None if ctx.consent == "active" else Untested(ctx.say("untested.consent", probe=probe))


def _labels(api: Api) -> list[str]:
    """Every documented operation with the media types its body may take: what a not-applicable rests on."""
    return [op.label + (f" ({', '.join(op.body_media)})" if op.body_media else "") for op in api.operations]


def _shape(token: str | None) -> str:
    """What a token looks like, never what it is."""
    if not token:
        return "none"
    return f"{len(token)} characters, {token.count('.') + 1} dot-separated part(s)"


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# -- SB-HTTP-01: plain HTTP --------------------------------------------------------------------------

async def _raw_plaintext(host: str, port: int, connect_s: float, read_s: float) -> dict[str, Any]:
    """Plain HTTP to the HTTPS port over a raw socket (the one probe the hardened client cannot make)."""
    shown = f"[{host}]" if ":" in host else host
    request = (f"GET / HTTP/1.1\r\nHost: {shown}:{port}\r\nUser-Agent: lienthong-conformance\r\n"
               "Connection: close\r\n\r\n").encode()
    record: dict[str, Any] = {"sent": request.decode(), "to": f"{shown}:{port}"}
    try:
        async with asyncio.timeout(connect_s):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as exc:
        record["connected"] = False
        record["problem"] = f"{type(exc).__name__}: {exc}"[:300]
        return record
    record["connected"] = True
    received = b""
    try:
        writer.write(request)
        async with asyncio.timeout(read_s):
            await writer.drain()
            while len(received) < 4096:
                chunk = await reader.read(4096 - len(received))
                if not chunk:
                    record["closed"] = True
                    break
                received += chunk
    except TimeoutError:
        record["silent_for_s"] = read_s
    except OSError as exc:
        record["closed"] = True
        record["problem"] = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        writer.close()
        try:
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            pass
    record["received_bytes"] = len(received)
    record["received"] = received[:512].decode("utf-8", "backslashreplace")
    record["plaintext_http"] = received.startswith(b"HTTP/")
    record["tls_alert"] = received[:2] in (b"\x15\x03",)
    return record


def _same_host(location: str, host: str) -> bool:
    try:
        url = httpx.URL(location)
    except (httpx.InvalidURL, ValueError):
        return False
    return url.scheme == "https" and url.host.lower() == host.lower()


async def _port_80(ctx: LiveContext, http_url: str) -> tuple[str | None, str | None, dict[str, Any]]:
    """(problem, doubt, evidence) of the endpoints.http_url probe: first hop only, no redirects followed."""
    host = httpx.URL(http_url).host
    async with HardenedClient(http_url, limits=ctx.limits, masker=ctx.target.masker()) as client:
        try:
            response = await client.request("GET", "/")
        except HttpFailure as exc:
            evidence = {"http_url": http_url, **_failure(exc)}
            if exc.kind == "connect" or (exc.kind == "timeout" and exc.message.startswith("could not connect")):
                return None, None, {**evidence, "answer": "no plaintext service"}
            return None, ctx.say("plain.port80_unclear", url=http_url, problem=str(exc)), evidence
    evidence = {"http_url": http_url, "exchange": response.exchange.to_json()}
    status, location = response.status, response.headers.get("location", "")
    if status in (301, 308) and _same_host(location, host):
        return None, None, evidence
    if status in (301, 308):
        return ctx.say("plain.port80_redirect", url=http_url, status=status, location=location[:200] or "-"), None, \
            evidence
    if 400 <= status < 500:
        return None, None, evidence
    return ctx.say("plain.port80_status", url=http_url, status=status, location=location[:200] or "-"), None, evidence


async def plaintext(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-HTTP-01: plain HTTP to the HTTPS port gets no plaintext answer; port 80 redirects or refuses."""
    base = httpx.URL(ctx.base_url)
    problems: list[str] = []
    doubts: list[str] = []
    evidence: dict[str, Any] = {}
    if base.scheme != "https":
        problems.append(ctx.say("plain.base_http", url=ctx.base_url))
    else:
        probe = await _raw_plaintext(base.host, base.port or 443, ctx.limits.connect_s, min(ctx.limits.read_s, 5.0))
        evidence["https_port"] = probe
        if not probe["connected"]:
            doubts.append(ctx.say("plain.no_connect", to=probe["to"], problem=probe.get("problem", "-")))
        elif probe["plaintext_http"]:
            line = probe["received"].split("\r\n", 1)[0]
            problems.append(ctx.say("plain.answered", to=probe["to"], line=line[:200]))
    http_url = ctx.target.data.get("endpoints", {}).get("http_url")
    if http_url:
        problem, doubt, seen = await _port_80(ctx, str(http_url))
        evidence["port_80"] = seen
        problems += [problem] if problem else []
        doubts += [doubt] if doubt else []
    else:
        evidence["port_80"] = ctx.say("plain.port80_not_given")
    if problems:
        yield Verdict("SB-HTTP-01", failed(problems[0], problems=problems, **evidence))
    elif doubts:
        yield Verdict("SB-HTTP-01", inconclusive(doubts[0], **evidence))
    else:
        yield Verdict("SB-HTTP-01", passed(ctx.say("plain.ok", port80=bool(http_url)), **evidence))


# -- SB-HTTP-02, SB-HDR-01…07, SB-INFO-01: the response sample -------------------------------------

def _each(seen: Iterable[Seen], judge: Callable[[Any, str], list[Problem]]) -> Found:
    found: Found = []
    for s in seen:
        assert s.response is not None
        found += [(p, s.exchange) for p in judge(s.response.headers, s.where)]
    return found


async def response_headers(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """The header rows, each judged on every answer of the sample it concerns."""
    sample = await take_sample(ctx, api)
    for verdict in _header_verdicts(ctx, sample):
        yield verdict


def _header_verdicts(ctx: LiveContext, sample: Sample) -> Iterator[Verdict]:
    answered = sample.answered()
    unanswered = sample.unanswered()
    if not answered:
        reason = ctx.say("sample.none", count=len(sample.seen))
        for rid in HEADER_IDS:
            yield Verdict(rid, inconclusive(reason, unanswered=unanswered))
        return
    common: dict[str, Any] = {"unanswered": unanswered} if unanswered else {}
    count = len(answered)

    def judged(rid: str, seen: list[Seen], judge: Callable[[Any, str], list[Problem]], ok: str,
               *names: str) -> Iterator[Verdict]:
        yield from _parts(ctx, rid, _each(seen, judge), ctx.say(ok, count=len(seen)),
                          responses=brief(seen, *names), **common)

    if httpx.URL(ctx.base_url).scheme != "https":
        yield Verdict("SB-HTTP-02", failed(ctx.say("hsts.not_https", url=ctx.base_url), **common))
    else:
        yield from judged("SB-HTTP-02", answered, rules.hsts, "hsts.ok", "strict-transport-security")
    yield from judged("SB-HDR-01", answered, rules.nosniff, "nosniff.ok", "x-content-type-options")
    html = [s for s in answered if s.response is not None and rules.is_html(s.response.headers)]
    if html:
        yield from judged("SB-HDR-02", html, rules.csp, "html.ok", "content-security-policy")
        yield from judged("SB-HDR-07", html, rules.isolation, "html.ok", "cross-origin-opener-policy",
                          "cross-origin-resource-policy")
    else:
        for rid in ("SB-HDR-02", "SB-HDR-07"):
            yield Verdict(rid, not_applicable(ctx.say("na.no_html", count=count),
                                              responses=brief(answered, "content-type"), **common))
    yield from judged("SB-HDR-03", answered, rules.anti_framing, "framing.ok", "content-security-policy",
                      "x-frame-options")
    yield from judged("SB-HDR-04", answered, rules.referrer_policy, "referrer.ok", "referrer-policy")
    bodies = [s for s in answered if s.response is not None and s.response.body
              and s.response.status not in (204, 304)]
    found: Found = [(p, s.exchange) for s in bodies if s.response is not None
                    for p in rules.content_type(s.response.headers, s.response.body, s.where)]
    yield from _parts(ctx, "SB-HDR-05", found, ctx.say("ctype.ok", count=len(bodies)),
                      responses=brief(bodies, "content-type"), **common)
    credentialed = [s for s in answered if s.credentialed and s.secured]
    if credentialed:
        yield from judged("SB-HDR-06", credentialed, rules.cache_control, "cache.ok", "cache-control")
    else:
        reason = ctx.say("na.no_credentials") if not ctx.identities[0].token else ctx.say("na.no_secured_get")
        yield Verdict("SB-HDR-06", not_applicable(reason, responses=brief(answered, "cache-control"), **common))
    yield from judged("SB-INFO-01", answered, rules.version_headers, "version.ok", "server", "x-powered-by")


# -- SB-INFO-02: error disclosure -------------------------------------------------------------------

async def error_disclosure(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """A random 404, malformed bodies, a wrong method and an over-long header: 4xx, and no debug output."""
    sample = await take_sample(ctx, api)
    probes = sample.of("missing", "error-json", "error-xml", "method", "long-header")
    problems: list[str] = []
    doubts: list[str] = []
    shown: list[dict[str, Any]] = []
    for s in probes:
        exchange = s.exchange
        if exchange is not None:
            shown.append(exchange)
        if s.response is None:
            assert s.failure is not None
            if s.kind == "long-header" and s.failure.kind in ("connect", "protocol"):
                continue  # closing the connection is a refusal (RFC 9112 §2.2, §5)
            doubts.append(ctx.say("errors.no_answer", request=s.label, problem=str(s.failure)))
            continue
        status = s.response.status
        if not 400 <= status < 500:
            problems.append(ctx.say("errors.status", request=s.label, status=status))
        signatures = rules.disclosure(s.response.body)
        if signatures:
            problems.append(ctx.say("errors.signature", request=s.label, status=status,
                                    signatures=", ".join(signatures)))
    evidence = {"probes": [s.label for s in probes], "exchanges": shown}
    if problems:
        yield Verdict("SB-INFO-02", failed(problems[0], problems=problems, **evidence))
    elif doubts:
        yield Verdict("SB-INFO-02", inconclusive(doubts[0], problems=doubts, **evidence))
    else:
        yield Verdict("SB-INFO-02", passed(ctx.say("errors.ok", count=len(probes)), **evidence))


# -- SB-INFO-03, SB-INFO-04: exposed files and endpoints ---------------------------------------------

LISTING_PATHS = ("/", "/static/", "/uploads/", "/files/", "/.git/")
MONITORING_PATHS = ("/swagger-ui/", "/v3/api-docs", "/actuator", "/metrics", "/server-status", "/phpinfo.php")


def _first_segments(api: Api) -> list[str]:
    found = []
    for op in api.operations:
        first = op.path.strip("/").split("/")[0]
        if first and "{" not in first and f"/{first}/" not in found:
            found.append(f"/{first}/")
    return found


async def exposed(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-INFO-03 (metadata, backups, listings) and SB-INFO-04 (undeclared docs and monitoring endpoints)."""
    files_problems: list[str] = []
    files_seen: list[dict[str, Any]] = []
    files_doubts: list[str] = []
    endpoints_problems: list[str] = []
    endpoints_doubts: list[str] = []
    endpoints_seen: list[dict[str, Any]] = []
    declared: list[str] = []
    async with ctx.client() as client:
        checks = [(path, matcher) for path, matcher in rules.EXPOSED_FILES]
        listings = list(dict.fromkeys([*LISTING_PATHS, *_first_segments(api)]))
        for path, matcher in [*checks, *((p, None) for p in listings)]:
            try:
                response = await client.request("GET", path)
            except HttpFailure as exc:
                files_doubts.append(ctx.say("exposed.no_answer", path=path, problem=str(exc)))
                files_seen.append({"path": path, **_failure(exc)})
                continue
            hit = response.status == 200 and (matcher.search(response.body) if matcher is not None
                                               else rules.directory_listing(response.body))
            files_seen.append({"path": path, "status": response.status, "matched": bool(hit),
                               **({"exchange": response.exchange.to_json()} if hit else
                                  {"curl": response.exchange.curl()})})
            if hit:
                key = "exposed.file" if matcher is not None else "exposed.listing"
                files_problems.append(ctx.say(key, path=path))
        for path in MONITORING_PATHS:
            if api.documented(path):
                declared.append(path)
                continue
            try:
                response = await client.request("GET", path, max_redirects=3)
            except HttpFailure as exc:
                endpoints_doubts.append(ctx.say("exposed.no_answer", path=path, problem=str(exc)))
                endpoints_seen.append({"path": path, **_failure(exc)})
                continue
            endpoints_seen.append({"path": path, "status": response.status, "exchange": response.exchange.to_json()})
            if response.status not in (401, 403, 404):
                endpoints_problems.append(ctx.say("exposed.endpoint", path=path, status=response.status))
    if files_problems:
        yield Verdict("SB-INFO-03", failed(files_problems[0], problems=files_problems, probes=files_seen))
    elif len(files_doubts) == len(files_seen):
        yield Verdict("SB-INFO-03", inconclusive(files_doubts[0], probes=files_seen))
    else:
        yield Verdict("SB-INFO-03", passed(ctx.say("exposed.files_ok", count=len(files_seen) - len(files_doubts)),
                                           probes=files_seen))
    evidence = {"probes": endpoints_seen, "declared": declared}
    if endpoints_problems:
        yield Verdict("SB-INFO-04", failed(endpoints_problems[0], problems=endpoints_problems, **evidence))
    elif endpoints_doubts:
        yield Verdict("SB-INFO-04", inconclusive(endpoints_doubts[0], problems=endpoints_doubts, **evidence))
    elif not endpoints_seen:
        yield Verdict("SB-INFO-04", not_applicable(ctx.say("exposed.all_declared"), **evidence))
    else:
        yield Verdict("SB-INFO-04", passed(ctx.say("exposed.endpoints_ok", count=len(endpoints_seen)), **evidence))


# -- SB-METH-01, SB-METH-02: methods --------------------------------------------------------------

async def trace(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-METH-01: TRACE / with a canary header is refused (405, 501, 403) and nothing is echoed."""
    canary = f"conformance-canary-{secrets.token_hex(8)}"
    async with ctx.client() as client:
        response = await client.request("TRACE", "/", headers={"X-Conformance-Canary": canary})
    echoed = canary.encode() in response.body or any(canary in v for _, v in response.headers.multi_items())
    evidence = {"canary_header": "X-Conformance-Canary", "exchange": response.exchange.to_json()}
    problems = []
    if response.status not in (403, 405, 501):
        problems.append(ctx.say("trace.status", status=response.status))
    if echoed:
        problems.append(ctx.say("trace.echo", status=response.status))
    if problems:
        yield Verdict("SB-METH-01", failed(problems[0], problems=problems, **evidence))
    else:
        yield Verdict("SB-METH-01", passed(ctx.say("trace.ok", status=response.status), **evidence))


def _allow(response: Response) -> set[str]:
    return {m.strip().upper() for v in response.headers.get_list("allow") for m in v.split(",") if m.strip()}


async def methods(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-METH-02: undocumented methods (the openapi-contract engine) and OPTIONS on every documented path."""
    if api.spec is None:
        yield Verdict("SB-METH-02", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"),
                                                 **api.evidence))
        return
    if not api.operations:
        yield Verdict("SB-METH-02", not_applicable(ctx.say("api.no_operations"), **api.evidence))
        return
    async with ctx.client(ctx.identities[0]) as client:
        for path, judgement in await probe_methods(ctx, api.spec, client):
            yield Verdict("SB-METH-02", judgement, subject=path)
        by_path: dict[str, list[Any]] = {}
        for op in api.operations:
            by_path.setdefault(op.path, []).append(op)
        for path, ops in sorted(by_path.items()):
            documented = {op.method.upper() for op in ops}
            if "OPTIONS" in documented:
                continue
            call = call_for(ops[0], method="OPTIONS")
            try:
                response = await client.request("OPTIONS", call.path, params=list(call.params) or None)
            except HttpFailure as exc:
                yield Verdict("SB-METH-02", inconclusive(str(exc), **_failure(exc)), subject=path)
                continue
            allow = _allow(response)
            tolerated = documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
            evidence = {"method": "OPTIONS", "documented": sorted(documented), "exchange": response.exchange.to_json()}
            if response.status not in (204, 405):
                judgement: Judgement = failed(ctx.say("options.status", status=response.status), **evidence)
            elif not allow or not documented <= allow or not allow <= tolerated:
                judgement = failed(ctx.say("options.allow", status=response.status,
                                           allow=", ".join(sorted(allow)) or "-",
                                           documented=", ".join(sorted(documented))), **evidence)
            else:
                judgement = passed(ctx.say("options.ok", status=response.status, allow=", ".join(sorted(allow))),
                                   **evidence)
            yield Verdict("SB-METH-02", judgement, subject=path)


# -- SB-CORS-01 ---------------------------------------------------------------------------------------

async def cors(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-CORS-01: hostile origins are not reflected, null is not allowed, * never with credentials."""
    identity = ctx.identities[0]
    found: Found = []
    shown: list[dict[str, Any]] = []
    doubts: list[str] = []
    async with ctx.client() as anonymous, ctx.client(identity) as authed:
        targets: list[tuple[Call, HardenedClient, bool]] = [(Call("GET", "/"), anonymous, False)]
        for op in api.gets()[:4]:
            credentialed = op.secured and bool(identity.token)
            targets.append((call_for(op), authed if credentialed else anonymous, credentialed))
        first = api.operations[0] if api.operations else None
        preflight_path = call_for(first).path if first else "/"
        for call, client, credentialed in targets:
            for origin in (EVIL_ORIGIN, "null"):
                try:
                    response = await send(client, call, Origin=origin)
                except HttpFailure as exc:
                    doubts.append(str(exc))
                    continue
                where = f"{call.label} (Origin: {origin}{', with token' if credentialed else ''}) → {response.status}"
                exchange = response.exchange.to_json()
                shown.append({"request": where, "access-control-allow-origin":
                              response.headers.get_list("access-control-allow-origin"), "curl": exchange["curl"]})
                found += [(p, exchange) for p in rules.cors(response.headers, origin, credentialed, where)]
        try:
            response = await anonymous.request("OPTIONS", preflight_path, headers={
                "Origin": EVIL_ORIGIN, "Access-Control-Request-Method": (first.method.upper() if first else "GET"),
                "Access-Control-Request-Headers": "authorization, content-type"})
        except HttpFailure as exc:
            doubts.append(str(exc))
        else:
            where = f"OPTIONS {preflight_path} (preflight, Origin: {EVIL_ORIGIN}) → {response.status}"
            exchange = response.exchange.to_json()
            shown.append({"request": where, "access-control-allow-origin":
                          response.headers.get_list("access-control-allow-origin"), "curl": exchange["curl"]})
            found += [(p, exchange) for p in rules.cors(response.headers, EVIL_ORIGIN, False, where)]
    if not shown:
        yield Verdict("SB-CORS-01", inconclusive(ctx.say("sample.none", count=len(doubts)), problems=doubts))
        return
    for verdict in _parts(ctx, "SB-CORS-01", found, ctx.say("cors.ok", count=len(shown)), probes=shown,
                          **({"unanswered": doubts} if doubts else {})):
        yield verdict


# -- SB-COOK-01 ---------------------------------------------------------------------------------------

def _login_operation(api: Api, login: str) -> Any:
    return next((op for op in api.operations if op.method == "post" and op.path.rstrip("/") == login.rstrip("/")),
                None)


def _login_body(ctx: LiveContext, api: Api, login: str, username: str, password: str) -> tuple[bytes, str]:
    """A login request body: JSON, or a form when the documented login operation takes only forms."""
    op = _login_operation(api, login)
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


async def cookies(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-COOK-01: every Set-Cookie of the sample, of the login page and of a real login."""
    sample = await take_sample(ctx, api)
    answers: list[tuple[str, Response]] = [(s.where, s.response) for s in sample.answered() if s.response is not None]
    session_names: set[str] = set()
    login = ctx.target.data.get("endpoints", {}).get("login")
    auth = ctx.target.data.get("auth", {})
    if login:
        async with ctx.client() as client:
            try:
                page = await client.request("GET", login)
                answers.append((f"GET {login} → {page.status}", page))
                if auth.get("username") and auth.get("password"):
                    body, media = _login_body(ctx, api, login, auth["username"], auth["password"])
                    signed_in = await client.request("POST", login, content=body, headers={"Content-Type": media})
                    answers.append((f"POST {login} (login) → {signed_in.status}", signed_in))
                    for value in signed_in.headers.get_list("set-cookie"):
                        parsed = rules.parse_cookie(value)
                        if parsed is not None:
                            session_names.add(parsed.name)
            except HttpFailure:
                pass  # the login page is optional evidence; the sample still stands
    found: Found = []
    judged: list[dict[str, Any]] = []
    now = ctx.clock.now()
    for where, response in answers:
        problems, names = rules.cookies(response.headers.get_list("set-cookie"), where, now, frozenset(session_names))
        if names:
            masked = [v for n, v in response.exchange.response_headers if n.lower() == "set-cookie"]
            judged.append({"response": where, "cookies": names, "set-cookie": masked})
        found += [(p, response.exchange.to_json()) for p in problems]
    if not judged:
        yield Verdict("SB-COOK-01", not_applicable(ctx.say("cookie.none", count=len(answers)),
                                                   responses=[where for where, _ in answers]))
        return
    for verdict in _parts(ctx, "SB-COOK-01", found, ctx.say("cookie.ok", count=sum(len(j["cookies"]) for j in judged)),
                          cookies=judged):
        yield verdict


# -- SB-AUTH-01: missing and invalid credentials ----------------------------------------------------

def _strings(value: Any, into: set[str]) -> None:
    stack = [value]
    while stack and len(into) < 200:
        node = stack.pop()
        if isinstance(node, str) and len(node) >= 8:
            into.add(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _leaked(authorized: Response | None, refused: Response) -> str | None:
    """A value of the authorized answer that the refused one carries, if any."""
    if authorized is None or not 200 <= authorized.status < 300 or not authorized.body:
        return None
    if refused.body == authorized.body:
        return refused.body[:60].decode("utf-8", "replace")
    values: set[str] = set()
    try:
        _strings(json.loads(authorized.body), values)
    except (ValueError, RecursionError):
        return None
    text = refused.body.decode("utf-8", "replace")
    return next((v for v in sorted(values) if v in text), None)


async def missing_credentials(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-AUTH-01: every secured operation refuses no credentials and a forged token with 401/403, never 429."""
    if api.spec is None:
        yield Verdict("SB-AUTH-01", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"), **api.evidence))
        return
    secured = api.secured()
    if not secured:
        if _credentials(ctx):
            yield Verdict("SB-AUTH-01", inconclusive(ctx.say("auth.nothing_secured")))
        else:
            yield Verdict("SB-AUTH-01", not_applicable(ctx.say("auth.no_security"), operations=_labels(api)))
        return
    identity = ctx.identities[0]
    async with ctx.client(identity) as authed, ctx.client() as anonymous, \
            ctx.client(token=forged_token(identity.token)) as forged:
        for op in secured:
            call = call_for(op)
            authorized: Response | None = None
            if op.method in ("get", "head") and identity.token:
                try:
                    authorized = await send(authed, call)
                except HttpFailure:
                    authorized = None
            problems: list[str] = []
            exchanges: list[dict[str, Any]] = []
            for what, client in ((ctx.say("what.no_credentials"), anonymous), (ctx.say("what.forged"), forged)):
                try:
                    response = await send(client, call)
                except HttpFailure as exc:
                    problems.append(ctx.say("auth.no_answer", what=what, problem=str(exc)))
                    exchanges.append(_failure(exc))
                    continue
                exchanges.append(response.exchange.to_json())
                if response.status == 429:
                    problems.append(ctx.say("auth.throttled", what=what))
                elif response.status not in (401, 403):
                    problems.append(ctx.say("auth.accepted", what=what, status=response.status))
                leaked = _leaked(authorized, response)
                if leaked is not None:
                    problems.append(ctx.say("auth.leak", what=what, status=response.status, value=leaked[:60]))
            evidence = {"exchanges": exchanges,
                        **({"authorized_status": authorized.status} if authorized is not None else {})}
            if problems:
                yield Verdict("SB-AUTH-01", failed(problems[0], problems=problems, **evidence), subject=op.label)
            else:
                yield Verdict("SB-AUTH-01", passed(ctx.say("auth.refused", count=len(exchanges)), **evidence),
                              subject=op.label)


# -- SB-AUTH-02: JWT manipulation ---------------------------------------------------------------------

async def jwt(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-AUTH-02: alg:none, a flipped signature byte and an expired exp each get 401."""
    identity = ctx.identities[0]
    parts = jwt_parts(identity.token)
    if identity.token is None:
        yield Verdict("SB-AUTH-02", not_applicable(ctx.say("na.no_credentials"), identities=len(ctx.identities)))
        return
    if parts is None:
        yield Verdict("SB-AUTH-02", not_applicable(ctx.say("jwt.not_jwt"), token_shape=_shape(identity.token)))
        return
    token = identity.token
    header, payload, signature = parts
    candidates = [op for op in api.secured() if op.method == "get"] or api.secured()
    candidates.sort(key=lambda op: "{" in op.path)
    if not candidates:
        reason = api.problem or ctx.say("jwt.no_operation")
        yield Verdict("SB-AUTH-02", inconclusive(ctx.say("api.unusable", problem=reason)))
        return
    call = call_for(candidates[0])
    expired = identity.expired_token if jwt_parts(identity.expired_token) is not None else None
    now = int(ctx.clock.now().timestamp())
    forged = {
        ctx.say("what.alg_none"): jwt_with(token, header={**header, "alg": "none"}, signature=b""),
        ctx.say("what.flipped"): (jwt_with(token, signature=bytes([signature[0] ^ 0x01]) + signature[1:])
                                  if signature else None),
        ctx.say("what.expired"): expired or jwt_with(token, payload={**payload, "exp": now - 3600}),
    }
    async with ctx.client(identity) as real:
        control = await send(real, call)
    evidence: dict[str, Any] = {"operation": call.label, "alg": header.get("alg"),
                                "expired_token": "identity expired_token" if expired else "exp moved into the past",
                                "control": control.exchange.to_json()}
    if control.status in (401, 403):
        yield Verdict("SB-AUTH-02", inconclusive(ctx.say("jwt.control", status=control.status), **evidence))
        return
    problems: list[str] = []
    exchanges = []
    for what, variant in forged.items():
        if variant is None:
            continue
        async with ctx.client(token=variant) as client:
            response = await send(client, call)
        exchanges.append({"variant": what, "exchange": response.exchange.to_json()})
        if response.status != 401:
            problems.append(ctx.say("jwt.accepted", what=what, status=response.status))
    evidence["variants"] = exchanges
    if problems:
        yield Verdict("SB-AUTH-02", failed(problems[0], problems=problems, **evidence))
    else:
        yield Verdict("SB-AUTH-02", passed(ctx.say("jwt.ok", count=len(exchanges)), **evidence))


# -- SB-AUTH-03: brute force ---------------------------------------------------------------------------

_LOCKED = re.compile(rb"locked|lockout|captcha|too many|b\xe1\xbb\x8b kh\xc3\xb3a", re.IGNORECASE)


async def brute_force(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-AUTH-03: 20 failed logins meet a 429 with Retry-After, a lockout or a challenge; others still served."""
    login = ctx.target.data.get("endpoints", {}).get("login")
    if not login:
        yield Verdict("SB-AUTH-03", not_applicable(ctx.say("brute.no_login"),
                                                   endpoints=sorted(ctx.target.data.get("endpoints", {}))))
        return
    untested = _consent(ctx, ctx.say("probe.brute_force"))
    if untested is not None:
        yield Verdict("SB-AUTH-03", untested)
        return
    account = str(ctx.target.data.get("auth", {}).get("username") or "conformance-probe")
    body, media = _login_body(ctx, api, login, account, f"wrong-{secrets.token_hex(8)}")
    attempts: list[dict[str, Any]] = []
    signal: str | None = None
    problem: str | None = None
    first_status: int | None = None
    started = time.monotonic()
    async with ctx.client() as client:
        try:
            async with asyncio.timeout(BRUTE_FORCE_WINDOW_S):
                for attempt in range(1, BRUTE_FORCE_ATTEMPTS + 1):
                    response = await client.request("POST", login, content=body, headers={"Content-Type": media})
                    status = response.status
                    first_status = status if first_status is None else first_status
                    attempts.append({"attempt": attempt, "status": status,
                                     "retry_after": response.headers.get("retry-after")})
                    if status == 429:
                        if response.headers.get("retry-after"):
                            signal = ctx.say("brute.throttled", attempt=attempt)
                        else:
                            problem = ctx.say("brute.no_retry_after", attempt=attempt)
                        attempts[-1]["exchange"] = response.exchange.to_json()
                        break
                    if status == 423 or (400 <= status < 500 and status != first_status
                                         and _LOCKED.search(response.body[:65536])):
                        signal = ctx.say("brute.locked", attempt=attempt, status=status)
                        attempts[-1]["exchange"] = response.exchange.to_json()
                        break
                    if 200 <= status < 300:
                        problem = ctx.say("brute.accepted", attempt=attempt, status=status)
                        attempts[-1]["exchange"] = response.exchange.to_json()
                        break
        except TimeoutError:
            problem = ctx.say("brute.window", count=len(attempts), seconds=BRUTE_FORCE_WINDOW_S)
        except HttpFailure as exc:
            problem = ctx.say("brute.no_answer", attempt=len(attempts) + 1, problem=str(exc))
    evidence: dict[str, Any] = {"login": login, "account": account, "attempts": attempts,
                                "seconds": round(time.monotonic() - started, 2)}
    if problem is None and signal is not None and len(attempts) >= BRUTE_FORCE_ATTEMPTS:
        problem = ctx.say("brute.late", attempt=len(attempts), limit=BRUTE_FORCE_ATTEMPTS)
    if problem is None and signal is None:
        problem = ctx.say("brute.none", count=len(attempts))
    other = await health(ctx, api)
    evidence["other_client"] = other.exchange
    if problem is None and (other.response is None or other.response.status == 429 or other.response.status >= 500):
        problem = ctx.say("brute.others_refused", request=other.where)
    if problem is not None:
        yield Verdict("SB-AUTH-03", failed(problem, **evidence))
    else:
        yield Verdict("SB-AUTH-03", passed(signal or "", **evidence))


# -- SB-XML-01: external resolution -------------------------------------------------------------------

async def xxe(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-XML-01: XXE, parameter entities, external DTDs and XInclude fetch nothing and expand nothing."""
    from conformance.oob import out_of_band_listener

    if api.spec is None:
        yield Verdict("SB-XML-01", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"), **api.evidence))
        return
    targets = api.accepting("xml")
    if not targets:
        yield Verdict("SB-XML-01", not_applicable(ctx.say("na.no_xml"), operations=_labels(api)))
        return
    host = httpx.URL(ctx.base_url).host
    reachable = _loopback(host)
    problems: list[str] = []
    probes: list[dict[str, Any]] = []
    with out_of_band_listener() as listener:
        tokens: dict[str, str] = {}
        async with ctx.client(ctx.identities[0]) as client:
            for op, media in targets:
                for kind in XXE_KINDS:
                    token = listener.token()
                    label = f"{op.method.upper()} {op.path} ({kind})"
                    tokens[token] = label
                    call = call_for(op, media=media, content=xxe_probe(kind, listener.url(token), token))
                    try:
                        response = await send(client, call)
                    except HttpFailure as exc:
                        problems.append(ctx.say("xxe.no_answer", probe=label, problem=str(exc)))
                        probes.append({"probe": label, **_failure(exc)})
                        continue
                    probes.append({"probe": label, "status": response.status, "exchange": response.exchange.to_json(),
                                   "reached_the_parser": response.status not in NOT_REACHED})
                    if response.status >= 500:
                        problems.append(ctx.say("xxe.server_error", probe=label, status=response.status))
                    if expanded_marker(token) in response.body:
                        problems.append(ctx.say("xxe.reflected", probe=label, status=response.status))
        deadline = time.monotonic() + XXE_WAIT_SECONDS
        while time.monotonic() < deadline and not listener.hits():
            await asyncio.sleep(0.1)
        hits = listener.hits()
    for hit in hits:
        problems.append(ctx.say("xxe.fetched", probe=tokens.get(hit.token, hit.token), request=hit.request_line))
    evidence = {"listener": listener.url("<token>"), "probes": probes, "waited_s": XXE_WAIT_SECONDS,
                "hits": [{"probe": tokens.get(h.token, h.token), "request": h.request_line, "peer": h.peer}
                         for h in hits], "listener_reachable": reachable}
    if problems:
        yield Verdict("SB-XML-01", failed(problems[0], problems=problems, **evidence))
    elif not any(p.get("reached_the_parser") for p in probes):
        yield Verdict("SB-XML-01", inconclusive(ctx.say("probe.not_reached", count=len(probes)), **evidence))
    elif not reachable:
        yield Verdict("SB-XML-01", inconclusive(ctx.say("xxe.unreachable", host=host), **evidence))
    else:
        yield Verdict("SB-XML-01", passed(ctx.say("xxe.ok", count=len(probes), seconds=XXE_WAIT_SECONDS),
                                          **evidence))


# -- SB-XML-02, SB-INPUT-01: bombs -------------------------------------------------------------------

async def _bomb(client: HardenedClient, call: Call, label: str, allowed: Callable[[int], bool],
                ctx: LiveContext) -> tuple[str | None, dict[str, Any]]:
    """Send one bomb: (problem, evidence). It must be refused with an allowed status within BOMB_SECONDS."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(BOMB_SECONDS):
            response = await send(client, call)
    except TimeoutError:
        return ctx.say("bomb.timeout", probe=label, seconds=BOMB_SECONDS), {"probe": label, "timeout_s": BOMB_SECONDS}
    except HttpFailure as exc:
        return ctx.say("bomb.no_answer", probe=label, problem=str(exc)), {"probe": label, **_failure(exc)}
    elapsed = round(time.monotonic() - started, 3)
    evidence = {"probe": label, "status": response.status, "seconds": elapsed, "exchange": response.exchange.to_json(),
                "reached_the_parser": response.status not in NOT_REACHED}
    if response.status in NOT_REACHED:
        return None, evidence
    if not allowed(response.status):
        return ctx.say("bomb.status", probe=label, status=response.status), evidence
    return None, evidence


async def _after(ctx: LiveContext, api: Api, before: Seen) -> str | None:
    """Why the health probe is not answered as before, if it is not."""
    after = await health(ctx, api)
    if after.response is None:
        return ctx.say("bomb.health_down", request=after.label, problem=str(after.failure))
    earlier = before.response.status if before.response is not None else None
    if after.response.status >= 500 or (earlier is not None and after.response.status != earlier):
        return ctx.say("bomb.health_changed", request=after.label, status=after.response.status,
                       before=earlier if earlier is not None else "-")
    return None


async def _bombard(ctx: LiveContext, api: Api, rid: str, bombs: list[tuple[Call, str]],
                   allowed: Callable[[int], bool], ok_key: str) -> AsyncIterator[Verdict]:
    before = await health(ctx, api)
    problems: list[str] = []
    probes: list[dict[str, Any]] = []
    async with ctx.client(ctx.identities[0]) as client:
        for call, label in bombs:
            problem, evidence = await _bomb(client, call, label, allowed, ctx)
            probes.append(evidence)
            if problem:
                problems.append(problem)
    down = await _after(ctx, api, before)
    if down:
        problems.append(down)
    evidence = {"probes": probes, "health_before": before.exchange}
    if problems:
        yield Verdict(rid, failed(problems[0], problems=problems, **evidence))
    elif not any(p.get("reached_the_parser") for p in probes):
        yield Verdict(rid, inconclusive(ctx.say("probe.not_reached", count=len(probes)), **evidence))
    else:
        yield Verdict(rid, passed(ctx.say(ok_key, count=len(probes), seconds=BOMB_SECONDS), **evidence))


async def entity_bombs(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-XML-02: billion laughs (~1 KB) and quadratic blowup (~1 MB) get a 4xx within 5 s; the service stays up."""
    untested = _consent(ctx, ctx.say("probe.entity_bombs"))
    if untested is not None:
        yield Verdict("SB-XML-02", untested)
        return
    if api.spec is None:
        yield Verdict("SB-XML-02", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"), **api.evidence))
        return
    targets = api.accepting("xml")
    if not targets:
        yield Verdict("SB-XML-02", not_applicable(ctx.say("na.no_xml"), operations=_labels(api)))
        return
    laughs, blowup = billion_laughs(), quadratic_blowup()
    bombs = [(call_for(op, media=media, content=body), f"{op.method.upper()} {op.path} ({name}, {len(body)} bytes)")
             for op, media in targets for name, body in (("billion laughs", laughs), ("quadratic blowup", blowup))]
    async for verdict in _bombard(ctx, api, "SB-XML-02", bombs, lambda s: 400 <= s < 500, "bomb.ok"):
        yield verdict


async def nesting_bombs(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-INPUT-01: 10,000-deep JSON and XML get 400, 413 or 422 within 5 s; the service stays up."""
    untested = _consent(ctx, ctx.say("probe.nesting_bombs"))
    if untested is not None:
        yield Verdict("SB-INPUT-01", untested)
        return
    if api.spec is None:
        yield Verdict("SB-INPUT-01", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"),
                                                  **api.evidence))
        return
    bombs = []
    for kind, body in (("json", deep_json()), ("xml", deep_xml())):
        for op, media in api.accepting(kind):
            bombs.append((call_for(op, media=media, content=body),
                          f"{op.method.upper()} {op.path} ({kind.upper()} nested 10,000 deep, {len(body)} bytes)"))
    if not bombs:
        yield Verdict("SB-INPUT-01", not_applicable(ctx.say("na.no_json_xml"), operations=_labels(api)))
        return
    async for verdict in _bombard(ctx, api, "SB-INPUT-01", bombs, lambda s: s in (400, 413, 422), "bomb.ok"):
        yield verdict


# -- SB-INPUT-02: size and type -----------------------------------------------------------------------

def _body_limit(ctx: LiveContext) -> int:
    limits = ctx.target.limits
    return int(limits.get("max_body_bytes") or limits.get("max_package_bytes") or DEFAULT_BODY_LIMIT)


async def body_limits(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-INPUT-02: the wrong Content-Type gets 415/400; the declared limit + 1 byte gets 413 (consent)."""
    if api.spec is None:
        yield Verdict("SB-INPUT-02", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"),
                                                  **api.evidence))
        return
    targets = api.with_body()
    if not targets:
        yield Verdict("SB-INPUT-02", not_applicable(ctx.say("na.no_body"), operations=_labels(api)))
        return
    problems: list[str] = []
    doubts: list[str] = []
    probes: list[dict[str, Any]] = []
    xml, json_ops = api.accepting("xml"), api.accepting("json")
    wrong = ([(op, "application/json", b'{"probe": true}') for op, _ in xml] if xml else
             [(op, "application/xml", b'<?xml version="1.0" encoding="UTF-8"?><probe/>') for op, _ in json_ops])
    limit = _body_limit(ctx)
    untested = _consent(ctx, ctx.say("probe.oversize", size=limit + 1))
    big: list[tuple[Operation, str, bytes]] = []
    if untested is None:
        op, media = sorted(targets, key=lambda t: "{" in t[0].path)[0]
        big.append((op, media, oversize(media, limit + 1)))
    async with ctx.client(ctx.identities[0]) as client:
        for probes_of, expected, key in ((wrong, (400, 415), "input.wrong_type"), (big, (413,), "input.oversize")):
            reached = 0
            for op, media, body in probes_of:
                call = call_for(op, media=media, content=body)
                label = (f"{call.label} ({len(body)} bytes, limit {limit})" if expected == (413,)
                         else f"{call.label} (as {media})")
                try:
                    response = await send(client, call)
                except HttpFailure as exc:
                    problems.append(ctx.say("input.no_answer", probe=label, problem=str(exc)))
                    probes.append({"probe": label, **_failure(exc)})
                    continue
                probes.append({"probe": label, "status": response.status, "exchange": response.exchange.to_json(),
                               "reached_the_parser": response.status not in NOT_REACHED})
                if response.status in NOT_REACHED:
                    continue
                reached += 1
                if response.status not in expected:
                    problems.append(ctx.say(key, probe=label, status=response.status))
            if probes_of and not reached:
                doubts.append(ctx.say("probe.not_reached", count=len(probes_of)))
    evidence = {"probes": probes, "limit": limit}
    if problems:
        yield Verdict("SB-INPUT-02", failed(problems[0], problems=problems, **evidence))
    elif untested is not None:
        # A pass of the wrong-type part alone would hide the untested size probe: the requirement stays untested.
        yield Verdict("SB-INPUT-02", Untested(ctx.say("untested.partial", reason=untested.reason, count=len(probes))))
    elif doubts:
        yield Verdict("SB-INPUT-02", inconclusive(doubts[0], **evidence))
    elif not wrong:
        yield Verdict("SB-INPUT-02", passed(ctx.say("input.ok_size_only", size=limit + 1), **evidence))
    else:
        yield Verdict("SB-INPUT-02", passed(ctx.say("input.ok", count=len(probes), size=limit + 1), **evidence))


# -- planning -----------------------------------------------------------------------------------------

_SCENARIOS: tuple[tuple[Callable[..., AsyncIterator[Verdict]], tuple[str, ...], str], ...] = (
    (plaintext, ("SB-HTTP-01",), "plain HTTP"),
    (response_headers, HEADER_IDS, "response headers"),
    (error_disclosure, ("SB-INFO-02",), "error responses"),
    (exposed, ("SB-INFO-03", "SB-INFO-04"), "exposed paths"),
    (trace, ("SB-METH-01",), "TRACE /"),
    (methods, ("SB-METH-02",), "methods"),
    (cors, ("SB-CORS-01",), "CORS"),
    (cookies, ("SB-COOK-01",), "cookies"),
    (missing_credentials, ("SB-AUTH-01",), "protected operations"),
    (jwt, ("SB-AUTH-02",), "JWT manipulation"),
    (xxe, ("SB-XML-01",), "XML external resolution"),
    (body_limits, ("SB-INPUT-02",), "body size and type"),
    (entity_bombs, ("SB-XML-02",), "entity-expansion bombs"),
    (nesting_bombs, ("SB-INPUT-01",), "nesting bombs"),
    (brute_force, ("SB-AUTH-03",), "brute force"),  # last: a lockout must not disturb the other probes
)


@live.planner(*(rid for _, ids, _ in _SCENARIOS for rid in ids))
def plan(ctx: LiveContext) -> Iterator[Scenario]:
    """Every HTTP-level scenario, bound to the API document read once here."""
    api = load_api(ctx)
    for func, ids, subject in _SCENARIOS:
        yield Scenario(func.__name__, subject, ids, partial(func, api=api))
