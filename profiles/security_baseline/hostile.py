"""SB-XML-01/02 and SB-INPUT-01/02: external resolution, expansion and nesting bombs, body size and type."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

from conformance.http import HardenedClient, HttpFailure, Response
from conformance.live import LiveContext, Untested, Verdict, failed
from conformance.registry import inconclusive, not_applicable, passed
from conformance_profiles.openapi_contract.spec import Operation

from .api import Api, Call, call_for
from .judging import NOT_REACHED, consent_gate, failure, labels
from .payloads import (
    XXE_KINDS,
    billion_laughs,
    deep_json,
    deep_xml,
    expanded_marker,
    oversize,
    quadratic_blowup,
    xxe_probe,
)
from .sample import Seen, health, send

__all__ = ["BOMB_SECONDS", "DEFAULT_BODY_LIMIT", "XXE_WAIT_SECONDS", "body_limits", "entity_bombs",
           "nesting_bombs", "xxe"]

BOMB_SECONDS = 5.0
XXE_WAIT_SECONDS = 10.0
DEFAULT_BODY_LIMIT = 20 * 1024 * 1024


async def _sent(client: HardenedClient, call: Call, label: str, no_answer: str, ctx: LiveContext,
                problems: list[str], probes: list[dict[str, Any]]) -> Response | None:
    """Send one probe and keep its evidence; None, with the problem said, when no answer came."""
    try:
        response = await send(client, call)
    except HttpFailure as exc:
        problems.append(ctx.say(no_answer, probe=label, problem=str(exc)))
        probes.append({"probe": label, **failure(exc)})
        return None
    probes.append({"probe": label, "status": response.status, "exchange": response.exchange.to_json(),
                   "reached_the_parser": response.status not in NOT_REACHED})
    return response


# -- SB-XML-01: external resolution -------------------------------------------------------------------

async def xxe(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-XML-01: XXE, parameter entities, external DTDs and XInclude fetch nothing and expand nothing."""
    if api.spec is None:
        yield Verdict("SB-XML-01", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"), **api.evidence))
        return
    targets = api.accepting("xml")
    if not targets:
        yield Verdict("SB-XML-01", not_applicable(ctx.say("na.no_xml"), operations=labels(api)))
        return
    host = httpx.URL(ctx.base_url).host
    reachable = ctx.callback_reachable
    problems: list[str] = []
    probes: list[dict[str, Any]] = []
    with ctx.out_of_band() as listener:
        tokens: dict[str, str] = {}
        async with ctx.client(ctx.identities[0]) as client:
            for op, media in targets:
                for kind in XXE_KINDS:
                    token = listener.token()
                    label = f"{op.method.upper()} {op.path} ({kind})"
                    tokens[token] = label
                    call = call_for(op, media=media, content=xxe_probe(kind, listener.url(token), token))
                    response = await _sent(client, call, label, "xxe.no_answer", ctx, problems, probes)
                    if response is None:
                        continue
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
        return ctx.say("bomb.no_answer", probe=label, problem=str(exc)), {"probe": label, **failure(exc)}
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
    untested = consent_gate(ctx, ctx.say("probe.entity_bombs"))
    if untested is not None:
        yield Verdict("SB-XML-02", untested)
        return
    if api.spec is None:
        yield Verdict("SB-XML-02", inconclusive(ctx.say("api.unusable", problem=api.problem or "-"), **api.evidence))
        return
    targets = api.accepting("xml")
    if not targets:
        yield Verdict("SB-XML-02", not_applicable(ctx.say("na.no_xml"), operations=labels(api)))
        return
    laughs, blowup = billion_laughs(), quadratic_blowup()
    bombs = [(call_for(op, media=media, content=body), f"{op.method.upper()} {op.path} ({name}, {len(body)} bytes)")
             for op, media in targets for name, body in (("billion laughs", laughs), ("quadratic blowup", blowup))]
    async for verdict in _bombard(ctx, api, "SB-XML-02", bombs, lambda s: 400 <= s < 500, "bomb.ok"):
        yield verdict


async def nesting_bombs(ctx: LiveContext, api: Api) -> AsyncIterator[Verdict]:
    """SB-INPUT-01: 10,000-deep JSON and XML get 400, 413 or 422 within 5 s; the service stays up."""
    untested = consent_gate(ctx, ctx.say("probe.nesting_bombs"))
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
        yield Verdict("SB-INPUT-01", not_applicable(ctx.say("na.no_json_xml"), operations=labels(api)))
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
        yield Verdict("SB-INPUT-02", not_applicable(ctx.say("na.no_body"), operations=labels(api)))
        return
    problems: list[str] = []
    doubts: list[str] = []
    probes: list[dict[str, Any]] = []
    xml, json_ops = api.accepting("xml"), api.accepting("json")
    wrong = ([(op, "application/json", b'{"probe": true}') for op, _ in xml] if xml else
             [(op, "application/xml", b'<?xml version="1.0" encoding="UTF-8"?><probe/>') for op, _ in json_ops])
    limit = _body_limit(ctx)
    untested = consent_gate(ctx, ctx.say("probe.oversize", size=limit + 1))
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
                response = await _sent(client, call, label, "input.no_answer", ctx, problems, probes)
                if response is None or response.status in NOT_REACHED:
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


