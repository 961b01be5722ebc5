"""The edoc-exchange profile: an exchange platform judged live (EXC-01…04, 10…16, 20…22).

EXC-01…04 run the openapi-contract engine on the profile's own API document. The other scenarios
create their own documents, each with a ``DocumentId`` unique to the run, so they can run against
a shared staging platform. Every scenario keeps the exchanges that prove its verdict.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from conformance.apidoc import read_document
from conformance.errors import ConfigError
from conformance.http import HttpFailure, Response
from conformance.live import Identity, LiveChecks, LiveContext, Scenario, Verdict, failed
from conformance.registry import Judgement, inconclusive, passed
from conformance_profiles.openapi_contract.plan import AspectMap, document_scenario, operation_scenarios

from .api import AgencyClient, agency_client, evidence, json_body
from .edxml_judge import edxml_failures
from .packages import Agency, PackageMaker

live = LiveChecks("edoc-exchange")

CONTRACT = AspectMap(server_error="EXC-02", negative="EXC-03", problem="EXC-04", problem_members=True,
                     contract=("undocumented-status", "content-type", "body-schema", "headers"), contract_id="EXC-01")
SEMANTIC = ("EXC-10", "EXC-11", "EXC-12", "EXC-13", "EXC-14", "EXC-15", "EXC-16", "EXC-20", "EXC-21", "EXC-22")
_QD20 = re.compile(r"[A-Y]\d{2}(?:\.[A-Z0-9]+)*")


@dataclass
class Parties:
    """The callers of one scenario: A (the default identity), B, maybe C, and the run's package maker."""

    ctx: LiveContext
    a: AgencyClient
    b: AgencyClient
    c: AgencyClient | None
    maker: PackageMaker
    agencies: list[Agency]

    def say(self, key: str, **params: object) -> str:
        """A message of the profile's catalogue."""
        return self.ctx.say(key, **params)


async def _parties(ctx: LiveContext, stack: AsyncExitStack, tag: str) -> Parties:
    ids = ctx.identities
    clients = [agency_client(ctx, i) for i in ids[:3]]
    for client in clients:
        await stack.enter_async_context(client.client)
    agencies: list[Agency] = []
    async with ctx.client() as anonymous:
        listed = await anonymous.request("GET", "/v1/agencies")
    for item in json_body(listed) or []:
        if isinstance(item, Mapping) and isinstance(item.get("organId"), str):
            agencies.append(Agency(item["organId"], str(item.get("name") or item["organId"])))
    named = {a.organ_id: a for a in agencies}
    for client in clients:
        found = named.get(client.identity.organ_id or "")
        if found is not None:
            client.identity = Identity(client.identity.name, found.organ_id, client.identity.token,
                                       client.identity.expired_token)
    maker = PackageMaker(f"{ctx.run_id}{tag}", ctx.clock.now())
    return Parties(ctx, clients[0], clients[1], clients[2] if len(clients) > 2 else None, maker, agencies)


def _agency(p: Parties, client: AgencyClient) -> Agency:
    return next((a for a in p.agencies if a.organ_id == client.identity.organ_id), client.agency)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _doc_id(response: Response) -> str | None:
    data = json_body(response)
    value = data.get("docId") if isinstance(data, Mapping) else None
    return value if isinstance(value, str) and value else None


async def _send_ok(p: Parties, sender: AgencyClient, recipients: list[AgencyClient],
                   **overrides: Any) -> tuple[bytes, str, Response, str | None]:
    package, document_id = p.maker.edoc(_agency(p, sender), [_agency(p, r) for r in recipients], **overrides)
    response = await sender.send(package)
    return package, document_id, response, _doc_id(response) if response.status == 201 else None


def _first_difference(a: bytes, b: bytes) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


# -- EXC-10 and EXC-14: delivery, and statuses reaching the sender ---------------------------------

async def delivery(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """A sends to B (and C): each inbox lists it, GET gives the same bytes, ack removes it from pending."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "D")
        readers = [r for r in (p.b, p.c) if r is not None]
        package, document_id, sent, doc = await _send_ok(p, p.a, readers)
        if doc is None:
            yield Verdict("EXC-10", failed(p.say("send.refused", status=sent.status), exchanges=evidence(sent)))
            yield Verdict("EXC-14", inconclusive(p.say("send.needed", status=sent.status)))
            return
        problems: list[str] = []
        proof: list[dict[str, Any]] = []
        for reader in readers:
            items, _ = await reader.inbox("pending")
            listed = any(i.get("docId") == doc for i in items)
            got = await reader.get(doc)
            proof.append({"recipient": reader.identity.organ_id, "listed_in_pending_inbox": listed,
                          "status": got.status, "sha256_sent": _sha(package), "sha256_received": _sha(got.body),
                          "exchange": got.exchange.to_json()})
            if not listed:
                problems.append(p.say("delivery.not_listed", recipient=reader.identity.organ_id, doc=doc))
            if got.status != 200:
                problems.append(p.say("delivery.get_status", recipient=reader.identity.organ_id, status=got.status))
            elif got.body != package:
                problems.append(p.say("delivery.bytes_differ", recipient=reader.identity.organ_id,
                                      sent=len(package), got=len(got.body),
                                      offset=_first_difference(package, got.body)))
            acked = await reader.ack(doc)
            after, _ = await reader.inbox("pending")
            if acked.status != 204 or any(i.get("docId") == doc for i in after):
                problems.append(p.say("delivery.ack", recipient=reader.identity.organ_id, status=acked.status))
        verdict = (failed(problems[0], problems=problems, documents=proof, sent=sent.exchange.to_json())
                   if problems else passed(p.say("delivery.ok", count=len(readers), sha=_sha(package)),
                                           documents=proof, sent=sent.exchange.to_json()))
        yield Verdict("EXC-10", verdict)
        yield Verdict("EXC-14", await _statuses_reach_sender(p, doc, document_id))


async def _statuses_reach_sender(p: Parties, doc: str, document_id: str) -> Judgement:
    problems: list[str] = []
    exchanges: list[Response] = []
    ghost = f"nodoc{p.ctx.run_id}"
    orphan = await p.b.post_status(ghost, p.maker.status(_agency(p, p.b), document_id, "03"))
    exchanges.append(orphan)
    if orphan.status != 404:
        problems.append(p.say("status.orphan", status=orphan.status))
    other = document_id.rsplit("/", 1)[0] + "/OTHER"  # same agency and date, another document
    mismatch = await p.b.post_status(doc, p.maker.status(_agency(p, p.b), other, "03"))
    exchanges.append(mismatch)
    if mismatch.status != 400:
        problems.append(p.say("status.mismatch", status=mismatch.status))
    for code in ("03", "05"):
        posted = await p.b.post_status(doc, p.maker.status(_agency(p, p.b), document_id, code))
        exchanges.append(posted)
        if posted.status != 201:
            problems.append(p.say("status.refused", code=code, status=posted.status))
    listing = await p.a.statuses(doc)
    exchanges.append(listing)
    seen = [s for s in json_body(listing) or [] if isinstance(s, Mapping)]
    mine = [s.get("statusCode") for s in seen if s.get("from") == p.b.identity.organ_id]
    if listing.status != 200 or [c for c in mine if c in ("03", "05")] != ["03", "05"]:
        problems.append(p.say("status.not_at_sender", status=listing.status, seen=mine))
    if problems:
        return failed(problems[0], problems=problems, exchanges=evidence(*exchanges))
    return passed(p.say("status.ok", seen=[s.get("statusCode") for s in seen]), exchanges=evidence(*exchanges))


# -- EXC-11: invalid packages, wrong content type, unknown recipient -------------------------------

def _made_up_agency(p: Parties) -> Agency:
    known = {a.organ_id for a in p.agencies}
    code = f"H99.{p.ctx.run_id.upper()}"
    while code in known or not _QD20.fullmatch(code):
        code += "9"
    return Agency(code, "Cơ quan không tồn tại")


async def invalid(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Invalid packages get 400 naming a broken edxml id; a wrong content type 400/415; unknown recipient 422."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "I")
        problems: list[str] = []
        exchanges: list[Response] = []
        sender, recipient = _agency(p, p.a), _agency(p, p.b)
        broken = {"promulgation date 2026/02/30": p.maker.edoc(sender, [recipient], promulgation_date="2026/02/30"),
                  "empty subject": p.maker.edoc(sender, [recipient], subject="")}
        for what, (package, document_id) in broken.items():
            expected = edxml_failures(package, ctx.clock)
            if not expected:
                raise AssertionError(f"the '{what}' probe passes the edxml checks; the profile must be fixed")
            answer = await p.a.send(package)
            exchanges.append(answer)
            named = {e.get("requirement") for e in (json_body(answer) or {}).get("errors") or []
                     if isinstance(e, Mapping)} if isinstance(json_body(answer), Mapping) else set()
            if answer.status != 400:
                problems.append(p.say("invalid.accepted", what=what, status=answer.status))
            elif not named & set(expected):
                problems.append(p.say("invalid.errors", what=what, named=sorted(filter(None, named)) or "-",
                                      expected=sorted(expected)))
            items, _ = await p.b.inbox("all")
            if any(i.get("documentId") == document_id for i in items):
                problems.append(p.say("invalid.delivered", what=what))
        package, _ = p.maker.edoc(sender, [recipient])
        typed = await p.a.send(package, content_type="text/plain")
        exchanges.append(typed)
        if typed.status not in (400, 415):
            problems.append(p.say("invalid.content_type", status=typed.status))
        stranger = _made_up_agency(p)
        package, _ = p.maker.edoc(sender, [stranger])
        unknown = await p.a.send(package)
        exchanges.append(unknown)
        if unknown.status != 422:
            problems.append(p.say("invalid.unknown_recipient", organ=stranger.organ_id, status=unknown.status))
        yield Verdict("EXC-11", failed(problems[0], problems=problems, exchanges=evidence(*exchanges)) if problems
                      else passed(p.say("invalid.ok", count=len(exchanges)), exchanges=evidence(*exchanges)))


# -- EXC-12: hostile packages -----------------------------------------------------------------

_ALWAYS = ("doctype", "external-entity", "parameter-entity", "external-dtd", "xinclude", "local-file")
_LOCAL_FILE = re.compile(rb"root:[^:\n]*:0:0:")


async def hostile(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Hostile packages are refused (400, or 413 when too large), nothing is fetched or leaked, in time."""
    active = ctx.consent == "active"
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "H")
        listener = stack.enter_context(ctx.out_of_band())
        problems: list[str] = []
        exchanges: list[dict[str, Any]] = []
        tokens: dict[str, str] = {}
        kinds = list(_ALWAYS) + (["entity-expansion"] if active else [])
        for kind in kinds:
            token = tokens[kind] = listener.token()
            package = p.maker.hostile(kind, _agency(p, p.a), _agency(p, p.b), listener.url(token))
            try:
                answer = await p.a.send(package)
            except HttpFailure as exc:
                problems.append(p.say("hostile.no_answer", kind=kind, problem=str(exc)))
                if exc.exchange:
                    exchanges.append(exc.exchange.to_json())
                continue
            exchanges.append(answer.exchange.to_json())
            if answer.status != 400:
                problems.append(p.say("hostile.not_refused", kind=kind, status=answer.status))
            if _LOCAL_FILE.search(answer.body):
                problems.append(p.say("hostile.leak", kind=kind))
        if active:
            problems += await _over_limit(p, exchanges)
        for kind, token in tokens.items():
            for hit in listener.wait_for(token, 0.5 if kind == kinds[-1] else 0.0):
                problems.append(p.say("hostile.fetched", kind=kind, request=hit.request_line))
        skipped = [] if active else ["entity-expansion", "limit + 1 byte"]
        proof = {"probes": kinds, "exchanges": exchanges, "listener": listener.url("<token>"),
                 "untested_without_consent": skipped, "listener_reachable": ctx.callback_reachable}
        if problems:
            yield Verdict("EXC-12", failed(problems[0], problems=problems, **proof))
        elif not ctx.callback_reachable:  # no hit proves nothing when the platform cannot reach the listener
            yield Verdict("EXC-12", inconclusive(p.say("hostile.unreachable"), **proof))
        else:
            yield Verdict("EXC-12", passed(p.say("hostile.ok", count=len(kinds), skipped=", ".join(skipped) or "-"),
                                           **proof))


async def _over_limit(p: Parties, exchanges: list[dict[str, Any]]) -> list[str]:
    limit = int(p.ctx.target.limits.get("max_package_bytes", 20 * 1024 * 1024))
    package, _ = p.maker.edoc(_agency(p, p.a), [_agency(p, p.b)])
    marker = b"</edXML>"
    padding = limit + 1 - len(package)
    big = package.replace(marker, b"<!--" + b"x" * max(padding - 7, 0) + b"-->" + marker, 1)[: limit + 1]
    try:
        answer = await p.a.send(big)
    except HttpFailure as exc:
        return [p.say("hostile.no_answer", kind="limit + 1 byte", problem=str(exc))]
    exchanges.append(answer.exchange.to_json())
    return [] if answer.status == 413 else [p.say("hostile.size", size=len(big), status=answer.status)]


# -- EXC-13: resending ----------------------------------------------------------------------

async def resend(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Re-sending the same DocumentId never makes a second document: 409, or 201 with the same docId."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "R")
        package, document_id, first, doc = await _send_ok(p, p.a, [p.b])
        if doc is None:
            yield Verdict("EXC-13", inconclusive(p.say("send.needed", status=first.status),
                                                 exchanges=evidence(first)))
            return
        again = await p.a.send(package)
        items, _ = await p.b.inbox("all")
        copies = [i for i in items if i.get("documentId") == document_id]
        proof = {"exchanges": evidence(first, again), "inbox_copies": len(copies)}
        same = again.status == 201 and _doc_id(again) == doc
        if not (again.status == 409 or same):
            yield Verdict("EXC-13", failed(p.say("resend.answer", status=again.status, first=doc,
                                                 second=_doc_id(again) or "-"), **proof))
        elif len(copies) != 1:
            yield Verdict("EXC-13", failed(p.say("resend.copies", count=len(copies)), **proof))
        else:
            yield Verdict("EXC-13", passed(p.say("resend.ok", status=again.status), **proof))


# -- EXC-15: the status table ---------------------------------------------------------------

async def status_table(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Forbidden transitions get 409, a status from the wrong party 403; allowed ones 201."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "S")
        _, first_id, sent1, doc1 = await _send_ok(p, p.a, [p.b])
        _, second_id, _, doc2 = await _send_ok(p, p.a, [p.b])
        if doc1 is None or doc2 is None:
            yield Verdict("EXC-15", inconclusive(p.say("send.needed", status=sent1.status), exchanges=evidence(sent1)))
            return
        a, b = p.a, p.b
        # (who, document, code, expected status): the digest's "Precise rules", step by step
        steps = [(b, doc1, first_id, "04", 409), (b, doc1, first_id, "03", 201), (b, doc1, first_id, "02", 409),
                 (b, doc1, first_id, "05", 201), (b, doc1, first_id, "04", 409), (b, doc1, first_id, "06", 201),
                 (b, doc1, first_id, "05", 409), (a, doc1, first_id, "13", 409),
                 (a, doc2, second_id, "03", 403), (b, doc2, second_id, "13", 403),
                 (b, doc2, second_id, "15", 409), (a, doc2, second_id, "13", 201), (a, doc2, second_id, "13", 409),
                 (b, doc2, second_id, "15", 201), (b, doc2, second_id, "16", 409)]
        problems, log = [], []
        for who, doc, about, code, expected in steps:
            answer = await who.post_status(doc, p.maker.status(_agency(p, who), about, code))
            role = "sender" if who is a else "recipient"
            log.append({"by": role, "code": code, "expected": expected, "status": answer.status,
                        "exchange": answer.exchange.to_json()})
            if answer.status != expected:
                problems.append(p.say("table.step", role=role, code=code, expected=expected, status=answer.status))
        if problems:
            yield Verdict("EXC-15", failed(problems[0], problems=problems, steps=log))
        else:
            yield Verdict("EXC-15", passed(p.say("table.ok", count=len(steps)), steps=log))


# -- EXC-16: concurrent sends ---------------------------------------------------------------

async def concurrency(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """N distinct packages sent at once by several agencies all arrive, each exactly once."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "C")
        pairs = [(p.a, p.b), (p.b, p.a)] * 6
        made = [(s, r, *p.maker.edoc(_agency(p, s), [_agency(p, r)])) for s, r in pairs]
        answers = await asyncio.gather(*(s.send(pkg) for s, _, pkg, _ in made), return_exceptions=True)
        problems: list[str] = []
        refused = [a for a in answers if not isinstance(a, Response) or a.status != 201]
        if refused:
            problems.append(p.say("concurrency.refused", count=len(refused), total=len(made)))
        inboxes = {id(c): (await c.inbox("all"))[0] for c in (p.a, p.b)}
        for _, recipient, _, document_id in made:
            copies = sum(1 for i in inboxes[id(recipient)] if i.get("documentId") == document_id)
            if copies != 1:
                problems.append(p.say("concurrency.copies", doc=document_id, count=copies))
        ids = [_doc_id(a) for a in answers if isinstance(a, Response) and a.status == 201]
        if len(set(ids)) != len(ids):
            problems.append(p.say("concurrency.shared_ids", count=len(ids) - len(set(ids))))
        proof = {"sent": len(made), "created": len(ids),
                 "statuses": [a.status if isinstance(a, Response) else str(a)[:200] for a in answers]}
        yield Verdict("EXC-16", failed(problems[0], problems=problems, **proof) if problems
                      else passed(p.say("concurrency.ok", count=len(made)), **proof))


# -- EXC-20: tokens ---------------------------------------------------------------------------

async def tokens(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Every operation but GET /agencies refuses a missing, malformed, unknown or expired token with 401."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "T")
        _, _, _, doc = await _send_ok(p, p.a, [p.b])
        doc = doc or f"nodoc{ctx.run_id}"
        package, _ = p.maker.edoc(_agency(p, p.a), [_agency(p, p.b)])
        status = p.maker.status(_agency(p, p.b), "000.00.00.G22,2026/01/01,1/X", "03")
        calls = [("GET", "/v1/edocs", [("box", "inbox")], None), ("POST", "/v1/edocs", None, package),
                 ("GET", f"/v1/edocs/{doc}", None, None), ("POST", f"/v1/edocs/{doc}/ack", None, None),
                 ("GET", f"/v1/edocs/{doc}/status", None, None), ("POST", f"/v1/edocs/{doc}/status", None, status)]
        real = p.a.identity.token or ""
        unknown = "".join("A" if ch.isalpha() else "7" if ch.isdigit() else ch for ch in real) or "A" * 32
        if unknown == real:
            unknown = real[::-1]
        variants: list[tuple[str, dict[str, str]]] = [
            ("no token", {}), ("malformed header", {"Authorization": "Bearer"}),
            ("other scheme", {"Authorization": "Basic Y29uZm9ybWFuY2U6cHJvYmU="}),  # conformance:probe
            ("unknown token of the same shape", {"Authorization": f"Bearer {unknown}"})]
        expired = p.a.identity.expired_token or (p.b.identity.expired_token if p.b else None)
        if expired:
            variants.append(("expired token", {"Authorization": f"Bearer {expired}"}))
        problems, log = [], []
        async with ctx.client() as bare:
            for method, path, params, body in calls:
                for what, headers in variants:
                    sent_headers = {**headers, **({"Content-Type": "application/xml"} if body else {})}
                    answer = await bare.request(method, path, params=params, content=body, headers=sent_headers)
                    log.append(answer.exchange.to_json())
                    if answer.status != 401:
                        problems.append(p.say("auth.accepted", method=method, path=path, what=what,
                                              status=answer.status))
        proof = {"variants": [v for v, _ in variants], "operations": len(calls), "exchanges": log[:12],
                 "expired_token_tested": bool(expired)}
        yield Verdict("EXC-20", failed(problems[0], problems=problems, **proof) if problems
                      else passed(p.say("auth.ok", count=len(log)), **proof))


# -- EXC-21 and EXC-22: other agencies' documents, and sending as someone else ---------------------

async def access(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """B cannot list, read, ack or post status on a document of A's not addressed to B; the sender cannot ack."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "A")
        outsider = p.b
        others = [a for a in p.agencies if a.organ_id not in (p.a.identity.organ_id, outsider.identity.organ_id)]
        if p.c is not None:
            addressee = _agency(p, p.c)
        elif others:
            addressee = others[0]
        else:
            yield Verdict("EXC-21", inconclusive(p.say("access.no_third")))
            return
        package, document_id = p.maker.edoc(_agency(p, p.a), [addressee])
        sent = await p.a.send(package)
        doc = _doc_id(sent) if sent.status == 201 else None
        if doc is None:
            yield Verdict("EXC-21", inconclusive(p.say("send.needed", status=sent.status), exchanges=evidence(sent)))
            return
        attempts = [("read", await outsider.get(doc)), ("ack", await outsider.ack(doc)),
                    ("status list", await outsider.statuses(doc)),
                    ("status", await outsider.post_status(doc, p.maker.status(_agency(p, outsider), document_id,
                                                                              "03"))),
                    ("ack by the sender", await p.a.ack(doc))]
        problems = []
        for what, answer in attempts:
            if answer.status not in (403, 404):
                problems.append(p.say("access.allowed", what=what, status=answer.status))
            elif document_id.encode() in answer.body or package[:200] in answer.body:
                problems.append(p.say("access.leak", what=what))
        items, _ = await outsider.inbox("all")
        if any(i.get("docId") == doc or i.get("documentId") == document_id for i in items):
            problems.append(p.say("access.listed"))
        proof = {"document_for": addressee.organ_id, "exchanges": evidence(sent, *(a for _, a in attempts))}
        yield Verdict("EXC-21", failed(problems[0], problems=problems, **proof) if problems
                      else passed(p.say("access.ok", count=len(attempts) + 1), **proof))


async def impersonation(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """A package whose From/OrganId is another agency than the token's is refused with 403."""
    async with AsyncExitStack() as stack:
        p = await _parties(ctx, stack, "F")
        package, document_id = p.maker.edoc(_agency(p, p.a), [_agency(p, p.a)], from_organ=_agency(p, p.b))
        answer = await p.a.send(package)
        items, _ = await p.a.inbox("all")
        delivered = any(i.get("documentId") == document_id for i in items)
        proof = {"token_of": p.a.identity.organ_id, "from_organ_id": p.b.identity.organ_id,
                 "exchanges": evidence(answer)}
        if answer.status != 403 or delivered:
            yield Verdict("EXC-22", failed(p.say("impersonation.accepted", status=answer.status), **proof))
        else:
            yield Verdict("EXC-22", passed(p.say("impersonation.ok"), **proof))


# -- EXC-04: error bodies outside the generated requests ------------------------------------

async def error_bodies(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """An unknown path and an undocumented method get problem+json with type, title and status."""
    probes = [("GET", f"/v1/no-such-resource-{ctx.run_id}"), ("DELETE", "/v1/agencies"), ("PUT", "/v1/edocs"),
              ("DELETE", f"/v1/edocs/nodoc{ctx.run_id}")]
    problems, log = [], []
    async with ctx.client(ctx.identities[0]) as client:
        for method, path in probes:
            answer = await client.request(method, path)
            log.append(answer.exchange.to_json())
            body = json_body(answer)
            media = (answer.headers.get("content-type") or "").split(";")[0].strip().lower()
            missing = [m for m in ("type", "title", "status") if not isinstance(body, Mapping) or m not in body]
            if answer.status < 400:
                continue
            if media != "application/problem+json" or missing:
                problems.append(ctx.say("errors.not_problem", method=method, path=path, status=answer.status,
                                        media=media or "-", missing=", ".join(missing) or "-"))
    yield Verdict("EXC-04", failed(problems[0], problems=problems, exchanges=log) if problems
                  else passed(ctx.say("errors.ok", count=len(log)), exchanges=log))


_SCENARIOS = ((delivery, ("EXC-10", "EXC-14"), "delivery"), (invalid, ("EXC-11",), "invalid packages"),
              (hostile, ("EXC-12",), "hostile packages"), (resend, ("EXC-13",), "resend"),
              (status_table, ("EXC-15",), "status table"), (concurrency, ("EXC-16",), "concurrent sends"),
              (tokens, ("EXC-20",), "tokens"), (access, ("EXC-21",), "object-level access"),
              (impersonation, ("EXC-22",), "sending as another agency"), (error_bodies, ("EXC-04",), "error bodies"))


def _check_identities(ctx: LiveContext) -> None:
    usable = [i for i in ctx.identities if i.token and i.organ_id]
    if len(usable) < 2 or len(usable) != len(ctx.identities[: len(usable)]):
        raise ConfigError("edoc-exchange needs at least two identities, each with organ_id and token",
                          hint="add identities: [{name: agency-a, organ_id: '…', token: '${env:TOKEN_A}'}, "
                               "{name: agency-b, …}] to the target file")


@live.planner("EXC-01", "EXC-02", "EXC-03", "EXC-04", *SEMANTIC)
def plan(ctx: LiveContext) -> Iterator[Scenario]:
    """The contract scenarios on the profile's API document, then the exchange scenarios."""
    _check_identities(ctx)
    document = read_document(ctx.artefact("openapi"), 16 * 1024 * 1024)
    _, spec = document_scenario("EXC-01", document, None, {"source": "profile artefact openapi.yaml"})
    if spec is None:
        raise AssertionError("the profile's own API document is not valid OpenAPI")
    yield from operation_scenarios(spec, CONTRACT)
    for func, ids, subject in _SCENARIOS:
        yield Scenario(func.__name__, subject, ids, func)
