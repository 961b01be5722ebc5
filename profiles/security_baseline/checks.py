"""The security-baseline profile: black-box checks of a deployed service (SB-HTTP, HDR, INFO, METH, CORS, COOK,
AUTH, XML, INPUT here; SB-TLS and SB-CERT in ``tls_checks``).

An ASVS-referenced automated baseline, never an ASVS certification. Every HTTP call goes through the
harness's hardened client, except the one raw-socket probe that sends plain HTTP to the HTTPS port.
The API document (``endpoints.openapi``) is read once, when the run is planned; the "every response"
rows share one response sample per process (``sample.py``). Authentication rows live in ``auth.py``,
hostile input in ``hostile.py``, and what every scenario judges with in ``judging.py``. Probes that may
disrupt a service run only with ``consent: active``; without it their requirements are listed as
untested, with the reason.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from functools import partial
from typing import Any

import httpx

from conformance.http import HardenedClient, HttpFailure, Response
from conformance.live import LiveChecks, LiveContext, Scenario, Verdict, failed
from conformance.registry import Judgement, inconclusive, not_applicable, passed
from conformance_profiles.openapi_contract.engine import probe_methods

from . import auth, hostile, rules
from .api import Api, Call, call_for, load_api, login_body
from .judging import Found, failure, parts
from .rules import Problem
from .sample import Sample, Seen, brief, send, take_sample
from .tls_checks import TLS_REQUIREMENTS, tls_scenario

live = LiveChecks("security-baseline")
live.scenario(*TLS_REQUIREMENTS, subject="TLS")(tls_scenario)

HEADER_IDS = ("SB-HTTP-02", "SB-HDR-01", "SB-HDR-02", "SB-HDR-03", "SB-HDR-04", "SB-HDR-05", "SB-HDR-06",
              "SB-HDR-07", "SB-INFO-01")
EVIL_ORIGIN = "https://evil.example"


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
            evidence = {"http_url": http_url, **failure(exc)}
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
        yield from parts(ctx, rid, _each(seen, judge), ctx.say(ok, count=len(seen)),
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
    yield from parts(ctx, "SB-HDR-05", found, ctx.say("ctype.ok", count=len(bodies)),
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
                files_seen.append({"path": path, **failure(exc)})
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
                endpoints_seen.append({"path": path, **failure(exc)})
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
        for path, engine_judgement in await probe_methods(ctx, api.spec, client):
            yield Verdict("SB-METH-02", engine_judgement, subject=path)
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
                yield Verdict("SB-METH-02", inconclusive(str(exc), **failure(exc)), subject=path)
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
    for verdict in parts(ctx, "SB-CORS-01", found, ctx.say("cors.ok", count=len(shown)), probes=shown,
                          **({"unanswered": doubts} if doubts else {})):
        yield verdict


# -- SB-COOK-01 ---------------------------------------------------------------------------------------

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
                    body, media = login_body(api, login, auth["username"], auth["password"])
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
    if not answers:
        yield Verdict("SB-COOK-01", inconclusive(ctx.say("sample.none", count=len(sample.seen)),
                                                 unanswered=sample.unanswered()))
        return
    if not judged:
        yield Verdict("SB-COOK-01", not_applicable(ctx.say("cookie.none", count=len(answers)),
                                                   responses=[where for where, _ in answers]))
        return
    for verdict in parts(ctx, "SB-COOK-01", found, ctx.say("cookie.ok", count=sum(len(j["cookies"]) for j in judged)),
                          cookies=judged):
        yield verdict


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
    (auth.missing_credentials, ("SB-AUTH-01",), "protected operations"),
    (auth.jwt, ("SB-AUTH-02",), "JWT manipulation"),
    (hostile.xxe, ("SB-XML-01",), "XML external resolution"),
    (hostile.body_limits, ("SB-INPUT-02",), "body size and type"),
    (hostile.entity_bombs, ("SB-XML-02",), "entity-expansion bombs"),
    (hostile.nesting_bombs, ("SB-INPUT-01",), "nesting bombs"),
    (auth.brute_force, ("SB-AUTH-03",), "brute force"),  # last: a lockout must not disturb the other probes
)


@live.planner(*(rid for _, ids, _ in _SCENARIOS for rid in ids))
def plan(ctx: LiveContext) -> Iterator[Scenario]:
    """Every HTTP-level scenario, bound to the API document read once here."""
    api = load_api(ctx)
    for func, ids, subject in _SCENARIOS:
        yield Scenario(func.__name__, subject, ids, partial(func, api=api))
