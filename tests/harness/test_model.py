"""The verdict roll-up and exit codes of design.md."""

from __future__ import annotations

import pytest

from conformance.model import (
    ExitCode,
    Level,
    Outcome,
    Requirement,
    RequirementTally,
    Verdict,
    exit_code_for,
    roll_up,
    worst_outcome,
)


def tally(level: Level, *outcomes: Outcome, feature: str | None = None, rid: str = "X-01") -> RequirementTally:
    req = Requirement(rid, level, {"en": rid}, "clause", feature=feature)
    t = RequirementTally(req, "p")
    for outcome in outcomes:
        t.add(outcome)
    return t


M, R, OPT = Level.MANDATORY, Level.RECOMMENDED, Level.OPTIONAL
P, F, INC, E, NA = Outcome.PASS, Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.ERROR, Outcome.NOT_APPLICABLE


@pytest.mark.parametrize(("tallies", "claims", "expected"), [
    ([tally(M, P, P)], set(), Verdict.CONFORMANT),
    ([tally(M, P, F)], set(), Verdict.NON_CONFORMANT),
    ([tally(M, P, INC)], set(), Verdict.INCONCLUSIVE),
    ([tally(M, P, E)], set(), Verdict.INCONCLUSIVE),
    ([tally(M, F, E)], set(), Verdict.NON_CONFORMANT),  # a failure outweighs an error elsewhere
    ([tally(M, P), tally(R, F, rid="X-02")], set(), Verdict.CONFORMANT),  # a warning only
    ([tally(M, P), tally(OPT, NA, feature="f", rid="X-02")], set(), Verdict.CONFORMANT),
    ([tally(M, P), tally(OPT, INC, NA, feature="f", rid="X-02")], set(), Verdict.INCONCLUSIVE),  # present, unclaimed
    ([tally(M, P), tally(OPT, F, feature="f", rid="X-02")], set(), Verdict.NON_CONFORMANT),  # broken, unclaimed
    ([tally(M, P), tally(OPT, NA, feature="f", rid="X-02")], {"f"}, Verdict.CONFORMANT),
    ([tally(M, NA)], set(), Verdict.CONFORMANT),
])
def test_roll_up(tallies: list[RequirementTally], claims: set[str], expected: Verdict) -> None:
    assert roll_up(tallies, frozenset(claims), []) is expected


def test_untested_mandatory_is_inconclusive_never_a_pass() -> None:
    assert roll_up([tally(M)], frozenset(), ["X-01"]) is Verdict.INCONCLUSIVE


def test_untested_claimed_optional_is_inconclusive_but_unclaimed_is_not() -> None:
    optional = tally(OPT, feature="f")
    assert roll_up([optional], frozenset({"f"}), ["X-01"]) is Verdict.INCONCLUSIVE
    assert roll_up([optional], frozenset(), ["X-01"]) is Verdict.CONFORMANT


def test_untested_recommended_does_not_decide() -> None:
    assert roll_up([tally(R)], frozenset(), ["X-01"]) is Verdict.CONFORMANT


def test_exit_codes() -> None:
    assert exit_code_for(Verdict.CONFORMANT) is ExitCode.OK
    assert exit_code_for(Verdict.NON_CONFORMANT) == 1
    assert exit_code_for(Verdict.INCONCLUSIVE) == 3
    assert ExitCode.USAGE == 2


def test_worst_outcome_precedence() -> None:
    assert worst_outcome([NA, P, INC, E, F]) is F
    assert worst_outcome([NA, P, INC]) is INC
    assert worst_outcome([E, INC]) is E
    assert worst_outcome([NA, P]) is P
    assert worst_outcome([]) is None
