"""SB-AUTH-01…03: missing and forged credentials, JWT manipulation, brute force on the login."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from conformance.http import HttpFailure, Response
from conformance.live import LiveContext, Verdict, failed
from conformance.registry import inconclusive, not_applicable, passed
from conformance_profiles.openapi_contract.engine import forged_token

from .api import Api, call_for, login_body
from .judging import consent_gate, credentials_given, failure, labels, token_shape
from .payloads import jwt_parts, jwt_with
from .sample import health, send

__all__ = ["BRUTE_FORCE_ATTEMPTS", "BRUTE_FORCE_WINDOW_S", "brute_force", "jwt", "missing_credentials"]

BRUTE_FORCE_ATTEMPTS = 20
BRUTE_FORCE_WINDOW_S = 60.0


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
        if credentials_given(ctx):
            yield Verdict("SB-AUTH-01", inconclusive(ctx.say("auth.nothing_secured")))
        else:
            yield Verdict("SB-AUTH-01", not_applicable(ctx.say("auth.no_security"), operations=labels(api)))
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
                    exchanges.append(failure(exc))
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
        yield Verdict("SB-AUTH-02", not_applicable(ctx.say("jwt.not_jwt"), token_shape=token_shape(identity.token)))
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
    untested = consent_gate(ctx, ctx.say("probe.brute_force"))
    if untested is not None:
        yield Verdict("SB-AUTH-03", untested)
        return
    account = str(ctx.target.data.get("auth", {}).get("username") or "conformance-probe")
    body, media = login_body(api, login, account, f"wrong-{secrets.token_hex(8)}")
    attempts: list[dict[str, Any]] = []
    signal: str | None = None
    problem: str | None = None
    doubt: str | None = None  # the probe could not be made as the row says: no verdict either way
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
        except TimeoutError:  # slow answers (or requests_per_s) kept 20 attempts from fitting in the window
            doubt = ctx.say("brute.window", count=len(attempts), seconds=BRUTE_FORCE_WINDOW_S)
        except HttpFailure as exc:  # a tarpit and a broken service look alike from here
            doubt = ctx.say("brute.no_answer", attempt=len(attempts) + 1, problem=str(exc))
    evidence: dict[str, Any] = {"login": login, "account": account, "attempts": attempts,
                                "seconds": round(time.monotonic() - started, 2)}
    if problem is None and signal is not None and len(attempts) >= BRUTE_FORCE_ATTEMPTS:
        problem = ctx.say("brute.late", attempt=len(attempts), limit=BRUTE_FORCE_ATTEMPTS)
    if problem is None and signal is None and doubt is None:
        problem = ctx.say("brute.none", count=len(attempts))
    other = await health(ctx, api)
    evidence["other_client"] = other.exchange
    refused = other.response is None or other.response.status == 429 or other.response.status >= 500
    if problem is None and doubt is None and refused:
        problem = ctx.say("brute.others_refused", request=other.where)
    if problem is not None:
        yield Verdict("SB-AUTH-03", failed(problem, **evidence))
    elif doubt is not None:
        yield Verdict("SB-AUTH-03", inconclusive(doubt, **evidence))
    else:
        yield Verdict("SB-AUTH-03", passed(signal or "", **evidence))


