"""Raw acceptors (``Checks.accept_raw``) in bulk validation: what they prove is counted, anything else is ignored.

Uses the ``tally`` toy profile (``NAME COUNT`` lines; TAL-01 the form, TAL-02 a count of at most 9, TAL-03 across
the run) with acceptors put in place for each test: a bulk run with one must count, list and gather exactly
what the same run without one does, and an answer that is not a proof changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.clock import Clock
from conformance.engine import _judge_batch
from conformance.errors import ProfileError
from conformance.evaluate import AcceptingRun, SubjectReport, evaluate_parts
from conformance.model import Outcome
from conformance.profiles import load_profile
from conformance.registry import Accepted, CheckContext, Checks, RawSubject
from tests.conftest import NOW

from .conftest import PROFILES

PROFILE = load_profile(PROFILES / "tally")
CHECKS = PROFILE.load_checks()
CTX = CheckContext("tally", Clock(NOW))
P, NA, FAIL = Outcome.PASS, Outcome.NOT_APPLICABLE, Outcome.FAIL
FILE = b"x 1\ny 5\nnot a line\nx 3\ny 12\nx 2\n\nz 7\n"
PROOF = {"TAL-01": P, "TAL-02": P}


def tally_acceptor(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
    """A correct raw acceptor: a line NAME COUNT with a count of at most 9."""
    parts = raw.data.decode("utf-8", "replace").split()
    if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) > 9:
        return None
    return Accepted(PROOF, {"TAL-03": [(parts[0], int(parts[1]))]})


def judged(acceptor: Callable[[RawSubject, CheckContext], Any] | None,
           monkeypatch: pytest.MonkeyPatch) -> list[SubjectReport]:
    monkeypatch.setattr(CHECKS, "raw_acceptor", acceptor)
    return list(evaluate_parts("tally", PROFILE.requirements, CHECKS, RawSubject("f", FILE), CTX, list_quiet=False))


def summary(reports: list[SubjectReport]) -> tuple[Any, ...]:
    """Everything bulk validation keeps of the reports: counts, listed results, facts in order, subjects."""
    counts = Counter(pair for report in reports for pair in report.counted)
    counts.update((r.requirement, r.outcome) for report in reports for r in report.results)
    listed = sorted((r.subject, r.requirement, r.outcome.value, r.message) for rep in reports for r in rep.results)
    facts = [(rid, c.subject, c.facts, c.rejected) for report in reports for rid, c in report.contributions]
    return counts, listed, facts, sum(report.subjects for report in reports)


def test_what_a_raw_acceptor_proves_is_counted_as_the_checks_would(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counting(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
        calls.append(raw.name)
        return tally_acceptor(raw, ctx)

    without = judged(None, monkeypatch)
    with_it = judged(counting, monkeypatch)
    assert summary(with_it) == summary(without)
    assert calls == ["f:1", "f:2", "f:3", "f:4", "f:5", "f:6", "f:8"]
    # Runs of proven lines come back as one report each, between the lines judged in full.
    assert [(report.subjects, bool(report.results)) for report in with_it] == [
        (2, False), (1, True), (1, False), (1, True), (2, False)]


@pytest.mark.parametrize("answer", [
    Accepted({"TAL-01": P, "TAL-02": FAIL}, {"TAL-03": [("x", 1)]}),  # it may only accept
    Accepted({"TAL-02": P}, {"TAL-03": [("x", 1)]}),  # the loader's requirement missing
    Accepted({**PROOF, "TAL-03": P}, {"TAL-03": [("x", 1)]}),  # a run-level requirement among the outcomes
    Accepted(PROOF, {}),  # no facts for the run-level judgement
    Accepted(PROOF, {"TAL-03": [], "TAL-09": []}),  # facts for a judgement that does not exist
], ids=["fail", "missing", "extra", "no-facts", "unknown-facts"])
def test_an_answer_that_is_not_a_proof_changes_nothing(monkeypatch: pytest.MonkeyPatch, answer: Accepted) -> None:
    assert summary(judged(lambda raw, ctx: answer, monkeypatch)) == summary(judged(None, monkeypatch))


def test_an_acceptor_that_raises_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
        raise RuntimeError("the acceptor broke")

    assert summary(judged(broken, monkeypatch)) == summary(judged(None, monkeypatch))


def test_an_answer_changed_after_it_was_checked_is_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = dict(PROOF)

    def fickle(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
        if raw.name == "f:5":  # "y 12": the same mapping as before, now saying what is true, and no proof
            shared["TAL-02"] = FAIL
            return Accepted(shared, {"TAL-03": [("y", 12)]})
        accepted = tally_acceptor(raw, ctx)
        return None if accepted is None else Accepted(shared, accepted.facts)

    assert summary(judged(fickle, monkeypatch)) == summary(judged(None, monkeypatch))


def test_a_raw_acceptor_is_not_asked_when_every_result_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(raw: RawSubject, ctx: CheckContext) -> Accepted | None:
        raise AssertionError("asked while listing")

    monkeypatch.setattr(CHECKS, "raw_acceptor", never)
    reports = list(evaluate_parts("tally", PROFILE.requirements, CHECKS, RawSubject("f", FILE), CTX))
    assert sum(report.subjects for report in reports) == 7


def test_registering_two_raw_acceptors_names_both_places() -> None:
    checks = Checks("twice")
    checks.accept_raw(tally_acceptor)
    with pytest.raises(ProfileError, match=r"two raw acceptors: at .*tally_acceptor.* and at .*"):
        checks.accept_raw(lambda raw, ctx: None)


def test_a_batch_of_files_is_judged_with_a_raw_acceptor_as_without(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    import hashlib

    files = {"1.tally": FILE, "2.tally": b"x 4\nz 8\n", "big.tally": b"x 1\n" * 300, "3.tally": b"y 99\nz 1\n",
             "boom.tally": b"x 1\nSPLITBOOM 1\n", "4.tally": b"", "5.tally": b"z 9\ny 3\n"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    items = [(str(tmp_path / name), name) for name in files]

    def batch(acceptor: Callable[[RawSubject, CheckContext], Any] | None) -> Any:
        monkeypatch.setattr(CHECKS, "raw_acceptor", acceptor)
        return _judge_batch(PROFILE, CHECKS, CTX, items, 1000, False)

    without, with_it = batch(None), batch(tally_acceptor)

    def listed(found: Any) -> list[tuple[Any, ...]]:
        return sorted((r.subject, r.requirement, r.outcome.value, r.message, r.evidence.get("judged") == {
            "sha256": hashlib.sha256(files[r.subject.split(":")[0]]).hexdigest(),
            "bytes": len(files[r.subject.split(":")[0]])}) for r in found.listed)

    assert with_it.counts == without.counts
    assert listed(with_it) == listed(without)
    # Every listed result of a file that was read names its bytes; the unread (too large) file's result does not.
    assert {(subject.split(":")[0], stamped) for subject, *_, stamped in listed(with_it)} == {
        ("1.tally", True), ("3.tally", True), ("big.tally", False), ("boom.tally", True)}
    assert [(rid, c.subject, c.facts, c.rejected) for rid, c in with_it.contributions] == \
        [(rid, c.subject, c.facts, c.rejected) for rid, c in without.contributions]
    assert with_it.subjects == without.subjects == 15  # 7 + 2 + 1 (unread) + 2 + 1 (split error) + 0 + 2


def test_a_long_run_of_proofs_is_given_out_in_bounded_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AcceptingRun, "longest", 2)
    with_it = judged(tally_acceptor, monkeypatch)
    assert summary(with_it) == summary(judged(None, monkeypatch))
    assert [(report.subjects, bool(report.results)) for report in with_it] == [
        (2, False), (1, True), (1, False), (1, True), (2, False)]
    monkeypatch.setattr(AcceptingRun, "longest", 1)
    with_it = judged(tally_acceptor, monkeypatch)
    assert summary(with_it) == summary(judged(None, monkeypatch))
    assert max(report.subjects for report in with_it) == 1 and len(with_it) == 7
