"""Scenarios for the harness tests: a WARN part, a security-level requirement, consent, and two profile bugs."""

from collections.abc import AsyncIterator

from conformance.live import LiveChecks, LiveContext, Untested, Verdict, failed
from conformance.registry import passed

live = LiveChecks("probe")


@live.scenario("PRB-01", "PRB-02", subject="probe")
async def judged(ctx: LiveContext) -> AsyncIterator[Verdict]:
    yield Verdict("PRB-01", passed(f"fine after {ctx.profile_limits['fine_after']}"))
    yield Verdict("PRB-01", failed("a WARN part failed"), warning=True)
    yield Verdict("PRB-02", failed("broken"))


@live.scenario("PRB-03", "PRB-06", subject="consent")
async def gated(ctx: LiveContext) -> AsyncIterator[Verdict]:
    yield Verdict("PRB-06", passed("the passive part"))
    if ctx.consent == "active":
        yield Verdict("PRB-03", passed("probed"))
        yield Verdict("PRB-06", passed("the active part"))
    else:
        yield Verdict("PRB-03", Untested("needs consent: active"))
        yield Verdict("PRB-06", Untested("the active part needs consent: active"))


@live.scenario("PRB-04", "PRB-05", subject="bugs")
async def buggy(ctx: LiveContext) -> AsyncIterator[Verdict]:
    if ctx.consent == "active":
        raise ValueError("a bug in the profile")
    yield Verdict("PRB-05", passed("only this one"))
