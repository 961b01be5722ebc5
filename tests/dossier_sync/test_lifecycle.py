"""DVC-07: the lifecycle, exhaustively over every pair of statuses, and against a model on generated runs."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.clock import Clock
from conformance.evaluate import judge_across
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext, Contribution
from conformance_profiles.dossier_sync.codebook import codebook
from conformance_profiles.dossier_sync.lifecycle import Lifecycle, Step
from tests.conftest import NOW

PROFILE = resolve_profile("dossier-sync")
RULES = codebook(PROFILE.artefacts["codes"]).lifecycle

# The catalogue's words, written out independently of the code book: 1 → 2 or 3; 2 → 4; 4 → 5, 6, 8 or 9;
# 5 or 6 → 4; 9 → 10; 7 from any open state (1, 2, 4, 5, 6); 3, 7, 8 and 10 are final; repeats are allowed.
NEXT = {1: {2, 3}, 2: {4}, 4: {5, 6, 8, 9}, 5: {4}, 6: {4}, 9: {10}}
OPEN = {1, 2, 4, 5, 6}


def allowed(before: int, after: int) -> bool:
    return after == before or after in NEXT.get(before, set()) or (after == 7 and before in OPEN)


def step(status: int, dossier: str = "X", subject: str = "m") -> Step:
    return Step(dossier, status, subject, "/data/0/TrangThaiHoSo")


@pytest.mark.parametrize(("before", "after"), list(itertools.product(range(1, 11), repeat=2)))
def test_every_pair_of_statuses_is_judged_as_the_catalogue_says(before: int, after: int) -> None:
    cycle = Lifecycle(RULES, {"X": before})
    illegal = cycle.offer([step(after)])
    assert (not illegal) is allowed(before, after)
    assert cycle.state["X"] == (after if allowed(before, after) else before)  # an illegal step does not advance


def test_the_first_status_may_be_any_and_finals_stay_final() -> None:
    for status in range(1, 11):
        assert Lifecycle(RULES).offer([step(status)]) == []
    for final in (3, 7, 8, 10):
        assert {after for after in range(1, 11) if not Lifecycle(RULES, {"X": final}).offer([step(after)])} == \
            {final}


def test_an_out_of_range_status_is_not_judged_here() -> None:
    cycle = Lifecycle(RULES, {"X": 4})
    assert cycle.offer([step(0), step(11)]) == [] and cycle.state == {"X": 4}


def test_a_message_is_taken_whole_or_not_at_all() -> None:
    cycle = Lifecycle(RULES, {"A": 1, "B": 2})
    [bad] = cycle.offer([step(2, "A"), step(9, "B")])
    assert bad.step.dossier == "B" and bad.before == 2
    assert cycle.state == {"A": 1, "B": 2}  # A's legal step was refused with the message
    assert cycle.offer([step(2, "A"), step(4, "A")]) == [] and cycle.state["A"] == 4  # steps within one message


def _model(messages: Sequence[tuple[bool, Sequence[tuple[str, int]]]]) -> tuple[dict[str, int], set[tuple[int, int]]]:
    """The expected final states and (message, step) positions that break the lifecycle."""
    state: dict[str, int] = {}
    broken: set[tuple[int, int]] = set()
    for m, (rejected, steps) in enumerate(messages):
        if rejected:
            continue
        tentative = dict(state)
        bad = set()
        for i, (dossier, status) in enumerate(steps):
            if dossier in tentative and not allowed(tentative[dossier], status):
                bad.add((m, i))
            else:
                tentative[dossier] = status
        if bad:
            broken |= bad
        else:
            state = tentative
    return state, broken


messages = st.lists(st.tuples(st.booleans(), st.lists(st.tuples(st.sampled_from("AB"), st.integers(1, 10)),
                                                      min_size=1, max_size=3)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(messages)
def test_generated_runs_agree_with_the_model(run: list[tuple[bool, list[tuple[str, int]]]]) -> None:
    cycle = Lifecycle(RULES)
    broken: set[tuple[int, int]] = set()
    for m, (rejected, steps) in enumerate(run):
        if rejected:
            continue
        for bad in cycle.offer([Step(d, s, str(m), f"/data/{i}") for i, (d, s) in enumerate(steps)]):
            broken.add((m, int(bad.step.path.split("/")[2])))
    expected_state, expected_broken = _model(run)
    assert cycle.state == expected_state
    assert broken == expected_broken


@settings(max_examples=100, deadline=None)
@given(messages)
def test_the_run_level_judgement_fails_exactly_the_dossiers_that_break_it(
        run: list[tuple[bool, list[tuple[str, int]]]]) -> None:
    contributions = [("DVC-07", Contribution(f"#{m}", tuple((d, s, f"/data/{i}/TrangThaiHoSo")
                                                            for i, (d, s) in enumerate(steps)), rejected))
                     for m, (rejected, steps) in enumerate(run)]
    ctx = CheckContext(PROFILE.id, Clock(NOW), artefacts=dict(PROFILE.artefacts), messages=PROFILE.messages())
    results = judge_across(PROFILE.id, PROFILE.requirements, PROFILE.load_checks(), contributions, ctx)
    _, broken = _model(run)
    failing = {run[m][1][i][0] for m, i in broken}
    assert {r.subject for r in results if r.outcome.value == "fail"} == {f"MaHoSo {d}" for d in failing}
    seen = {d for _, steps in run for d, _ in steps}
    assert {r.subject for r in results} == ({f"MaHoSo {d}" for d in seen} or {"all messages"})
