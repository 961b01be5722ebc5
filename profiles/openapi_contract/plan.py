"""Turning an API document into live scenarios: one per operation, plus methods and links.

Shared by every profile that judges an API against a document: each profile says which of its
requirement ids each engine aspect stands for (``Mapping``), and gets scenarios that judge them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from conformance.apidoc import ApiDocument, DocumentProblem, fetch_document, locate, read_document
from conformance.live import LiveContext, Scenario, Verdict, failed
from conformance.registry import Judgement, inconclusive, not_applicable, passed

from .engine import OperationRun, exercise, follow_links, forged_token, probe_methods, say
from .spec import Operation, Spec, document_problems, load_spec

__all__ = ["AspectMap", "document_scenario", "load_document", "operation_scenarios", "unusable_scenario"]

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class AspectMap:
    """Which requirement id each engine aspect stands for in one profile (None: not judged there)."""

    server_error: str | None = None
    status: str | None = None
    content_type: str | None = None
    body: str | None = None
    headers: str | None = None
    negative: str | None = None
    positive: str | None = None
    auth: str | None = None
    problem: str | None = None
    problem_members: bool = False
    roundtrip: str | None = None
    methods: str | None = None
    links: str | None = None
    contract: tuple[str, ...] = ()  # aspects judged together under one id (edoc-exchange EXC-01)
    contract_id: str | None = None

    def operation_ids(self) -> tuple[str, ...]:
        """The requirement ids an operation scenario judges."""
        ids = [self.server_error, self.status, self.content_type, self.body, self.headers, self.negative,
               self.positive, self.auth, self.problem, self.roundtrip, self.contract_id]
        return tuple(dict.fromkeys(i for i in ids if i))


class LoadedDocument(NamedTuple):
    """The API document, or why it could not be had; ``invalid``: it was had, and is not a readable document."""

    document: ApiDocument | None
    problem: str | None
    evidence: dict[str, Any]
    invalid: bool = False


def load_document(ctx: LiveContext, given: ApiDocument | None = None) -> LoadedDocument:
    """The API document (from the profile, else from ``endpoints.openapi``), or why it could not be had."""
    if given is not None:
        return LoadedDocument(given, None, {"source": given.source})
    where = locate(ctx.target.data, ctx.target.path.parent)
    if where is None:
        return LoadedDocument(None, say(ctx.lang, "document.missing"), {})
    kind, value = where
    try:
        if kind == "file":
            return LoadedDocument(read_document(value, MAX_DOCUMENT_BYTES), None,  # type: ignore[arg-type]
                                  {"source": str(value)})
        return LoadedDocument(asyncio.run(_fetch(ctx, str(value))), None, {"source": str(value)})
    except DocumentProblem as exc:
        return LoadedDocument(None, exc.message, {"source": str(value), **exc.evidence}, exc.invalid)


async def _fetch(ctx: LiveContext, path: str) -> ApiDocument:
    async with ctx.client(ctx.identities[0]) as client:
        return await fetch_document(client, path)


def document_scenario(requirement: str, document: ApiDocument | None, problem: str | None,
                      evidence: dict[str, Any], *, invalid: bool = False) -> tuple[Scenario, Spec | None]:
    """The scenario judging the document itself, and the loaded spec when the document is usable.

    No document is inconclusive, unless it was had and could not be read as one (``invalid``): then it fails.
    """
    spec: Spec | None = None
    judgement: Judgement
    if document is None and invalid:
        judgement = failed(problem or "not a readable document", problems=[problem], **evidence)
    elif document is None:
        judgement = inconclusive(problem or "no document", **evidence)
    else:
        problems = document_problems(document.data)
        if problems:
            judgement = failed(problems[0], problems=problems, **evidence)
        else:
            spec = load_spec(document.data)
            judgement = passed("", version=spec.version, operations=[op.label for op in spec.operations], **evidence)

    async def judge(ctx: LiveContext) -> AsyncIterator[Verdict]:
        j = judgement
        if j.outcome.value == "fail":
            j = failed(say(ctx.lang, "document.invalid", problem=j.message), **j.evidence)
        elif j.outcome.value == "pass" and spec is not None:
            j = passed(say(ctx.lang, "document.valid", version=spec.version, operations=len(spec.operations)),
                       **j.evidence)
        yield Verdict(requirement, j)

    return Scenario("document", "API document", (requirement,), judge), spec


def unusable_scenario(ids: tuple[str, ...], problem: str) -> Scenario:
    """Every requirement that needs the document is inconclusive when the document cannot be used."""
    async def judge(ctx: LiveContext) -> AsyncIterator[Verdict]:
        for rid in ids:
            yield Verdict(rid, inconclusive(say(ctx.lang, "document.unusable", problem=problem)))
    return Scenario("operations", "API operations", ids, judge)


def _operation_verdicts(run: OperationRun, mapping: AspectMap, lang: str) -> list[Verdict]:
    verdicts = []
    simple = ((mapping.server_error, ("server-error",), "what.server_error"),
              (mapping.status, ("undocumented-status",), "what.status"),
              (mapping.content_type, ("content-type",), "what.content_type"),
              (mapping.body, ("body-schema",), "what.body"),
              (mapping.headers, ("headers",), "what.headers"),
              (mapping.negative, ("accepted-negative",), "what.negative"),
              (mapping.positive, ("refused-positive",), "what.positive"),
              (mapping.problem, ("problem-type", "problem-members") if mapping.problem_members else ("problem-type",),
               "what.problem"),
              (mapping.contract_id, mapping.contract, "what.status"))
    for rid, aspects, what in simple:
        if rid:
            verdicts.append(Verdict(rid, run.judge(aspects, lang, what=say(lang, what))))
    if mapping.auth:
        verdicts.append(Verdict(mapping.auth, run.judge(("auth",), lang, what=say(lang, "what.auth"))
                                if run.operation.secured else not_applicable(say(lang, "na.unsecured"))))
    if mapping.roundtrip:
        judged = run.judge(("nfc",), lang, what="NFC")
        if judged.outcome.value == "pass":
            judged = (passed(say(lang, "pass.roundtrip"), **run.evidence()) if run.roundtrip == "intact" else
                      not_applicable(say(lang, "na.roundtrip", count=run.judged["nfc"]), **run.evidence()))
        verdicts.append(Verdict(mapping.roundtrip, judged))
    return verdicts


def operation_scenarios(spec: Spec, mapping: AspectMap) -> list[Scenario]:
    """One scenario per operation (judging ``mapping.operation_ids()``), then methods and links."""
    scenarios = [Scenario(f"operation {op.label}", op.label, mapping.operation_ids(),
                          _operation_func(spec, op, mapping)) for op in spec.operations]
    if mapping.methods:
        rid = mapping.methods

        async def methods(ctx: LiveContext) -> AsyncIterator[Verdict]:
            async with ctx.client(ctx.identities[0]) as client:
                for path, judgement in await probe_methods(ctx, spec, client):
                    yield Verdict(rid, judgement, subject=path)
        scenarios.append(Scenario("methods", "undocumented methods", (rid,), methods))
    if mapping.links:
        link_id = mapping.links

        async def links(ctx: LiveContext) -> AsyncIterator[Verdict]:
            async with ctx.client(ctx.identities[0]) as client:
                found = await follow_links(ctx, spec, client)
            if not found:
                yield Verdict(link_id, not_applicable(say(ctx.lang, "na.nothing", what="links")))
            for subject, judgement in found:
                yield Verdict(link_id, judgement, subject=subject)
        scenarios.append(Scenario("links", "links", (link_id,), links))
    return scenarios


def _operation_func(spec: Spec, op: Operation, mapping: AspectMap) -> Any:
    async def run(ctx: LiveContext) -> list[Verdict]:
        identity = ctx.identities[0]
        async with ctx.client(identity) as client, ctx.client() as anonymous, \
                ctx.client(token=forged_token(identity.token)) as forged:
            result = await exercise(ctx, spec, op, client, anonymous, forged)
        return _operation_verdicts(result, mapping, ctx.lang)
    return run
