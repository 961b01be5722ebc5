"""How security-baseline turns what it saw into verdicts: parts of a row, evidence, consent, reachability."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.http import HttpFailure
from conformance.live import LiveContext, Untested, Verdict, failed
from conformance.registry import passed

from .api import Api
from .rules import PART_L2, PART_WARN, Problem

__all__ = ["MAX_SHOWN", "NOT_REACHED", "Found", "consent_gate", "credentials_given", "failure", "labels",
           "parts", "said", "shown_exchanges", "token_shape"]

MAX_SHOWN = 5
# Answers that come before any body is read: a path parameter naming no resource, a refused token. A probe
# answered so judged nothing, and is not counted for or against the parser behind the operation.
NOT_REACHED = frozenset({401, 403, 404})

Found = list[tuple[Problem, dict[str, Any] | None]]


def said(ctx: LiveContext, problem: Problem) -> str:
    """A problem said in the run's language."""
    return ctx.say(problem.phrase.key, **problem.phrase.params)


def shown_exchanges(found: Found) -> list[dict[str, Any]]:
    """The distinct exchanges behind ``found``, the first few: the evidence of a failure."""
    seen: list[dict[str, Any]] = []
    for _, exchange in found:
        if exchange is not None and exchange not in seen:
            seen.append(exchange)
    return seen[:MAX_SHOWN]


def parts(ctx: LiveContext, rid: str, found: Found, ok: str, **evidence: Any) -> Iterator[Verdict]:
    """The verdicts of one requirement: its own part (pass or fail), then an L2 part below level 2, then WARN."""
    level = ctx.target.security_level
    main = [f for f in found if f[0].part not in (PART_L2, PART_WARN) or (f[0].part == PART_L2 and level >= 2)]
    below = [f for f in found if f[0].part == PART_L2 and level < 2]
    warned = [f for f in found if f[0].part == PART_WARN]
    if main:
        texts = [said(ctx, p) for p, _ in main]
        yield Verdict(rid, failed(texts[0], problems=texts[:20], exchanges=shown_exchanges(main), **evidence))
    else:
        yield Verdict(rid, passed(ok, **evidence))
    for part in (below, warned):
        if part:
            texts = [said(ctx, p) for p, _ in part]
            yield Verdict(rid, failed(texts[0], problems=texts[:20], exchanges=shown_exchanges(part), **evidence),
                          warning=True)


def failure(exc: HttpFailure) -> dict[str, Any]:
    """A request that got no usable answer, as evidence."""
    return {"problem": str(exc), "exchange": exc.exchange.to_json() if exc.exchange else None}


def credentials_given(ctx: LiveContext) -> bool:
    """Whether the target file gives any credentials."""
    auth = ctx.target.data.get("auth", {})
    return any(i.token for i in ctx.identities) or auth.get("type", "none") != "none"


def consent_gate(ctx: LiveContext, probe: str) -> Untested | None:
    """Why ``probe`` may not run (no ``consent: active``), or None when it may."""
    return None if ctx.consent == "active" else Untested(ctx.say("untested.consent", probe=probe))


def labels(api: Api) -> list[str]:
    """Every documented operation with the media types its body may take: what a not-applicable rests on."""
    return [op.label + (f" ({', '.join(op.body_media)})" if op.body_media else "") for op in api.operations]


def token_shape(token: str | None) -> str:
    """What a token looks like, never what it is."""
    if not token:
        return "none"
    return f"{len(token)} characters, {token.count('.') + 1} dot-separated part(s)"
