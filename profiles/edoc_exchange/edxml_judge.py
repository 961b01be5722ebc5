"""Judging a package with the edxml profile's own checks, to know which ids a platform should name."""

from __future__ import annotations

from functools import cache

from conformance.clock import Clock
from conformance.evaluate import evaluate_subject
from conformance.model import Level, Outcome
from conformance.profiles import Profile, resolve_profile
from conformance.registry import CheckContext, RawSubject

__all__ = ["edxml_failures"]


@cache
def _edxml() -> Profile:
    return resolve_profile("edxml")


def edxml_failures(data: bytes, clock: Clock) -> dict[str, str]:
    """The mandatory edxml requirements ``data`` fails (and a present signature that breaks), with messages."""
    profile = _edxml()
    checks = profile.load_checks()
    ctx = CheckContext(profile.id, clock, frozenset(), (), dict(profile.artefacts), dict(profile.limits), "en",
                       messages=profile.messages())
    report = evaluate_subject(profile.id, profile.requirements, checks, RawSubject("package", data), ctx)
    return {r.requirement: r.message for r in report.results
            if r.outcome is Outcome.FAIL and r.level is not Level.RECOMMENDED}
