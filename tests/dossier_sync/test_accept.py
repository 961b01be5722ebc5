"""The fast acceptor agrees with the checks wherever it accepts: its proof obligation, tested.

It may only ever answer "every check passes or does not apply", or decline. These tests run the full checks
beside it on the corpus, on every reference message, and on mutations of them near the edges of each rule,
and require the same outcomes wherever it accepts.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.clock import Clock
from conformance.evaluate import evaluate_parts, evaluate_subject
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext, RawSubject, Stop
from conformance_fixtures.dossier_messages import day, ts
from conformance_profiles.dossier_sync import accept as accept_module
from conformance_profiles.dossier_sync import checks as checks_module
from conformance_profiles.dossier_sync.accept import accept
from tests.conftest import NOW

from .conftest import FOLDERS

PROFILE = resolve_profile("dossier-sync")
CHECKS = PROFILE.load_checks()
CTX = CheckContext(PROFILE.id, Clock(NOW), artefacts=dict(PROFILE.artefacts), limits=dict(PROFILE.limits),
                   messages=PROFILE.messages())
REFERENCE = [json.loads(body) for body in day(NOW)]


def full_outcomes(data: bytes) -> dict[str, Outcome] | None:
    """Every per-message check's outcome from the checks themselves (the acceptor is not consulted when listing)."""
    report = evaluate_subject(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("m", data), CTX, list_quiet=True)
    if report.omitted:
        return None
    return {r.requirement: r.outcome for r in report.results if r.requirement != "DVC-01"}


def accepted(data: bytes) -> dict[str, Outcome] | None:
    assert CHECKS.subject_loader is not None
    try:
        message = CHECKS.subject_loader.func(RawSubject("m", data), CTX)
    except Stop:
        return None
    return accept(message, CTX)


def agrees(data: bytes) -> bool:
    """Whether the acceptor accepted; fails the test when it accepts what the checks do not pass."""
    mine = accepted(data)
    if mine is not None:
        assert mine == full_outcomes(data), data[:300]
    return mine is not None


def test_the_tolerances_are_the_checks_tolerances() -> None:
    assert accept_module.FUTURE_TOLERANCE == checks_module.FUTURE_TOLERANCE


def test_it_answers_for_every_check_and_accepts_every_reference_message() -> None:
    for message in REFERENCE:
        data = json.dumps(message, ensure_ascii=False).encode()
        assert agrees(data)
        assert set(accepted(data) or {}) == CHECKS.check_ids


def test_on_the_corpus_it_accepts_only_what_passes_and_declines_every_failure(corpus: Path) -> None:
    for folder in FOLDERS:
        for path in sorted((corpus / folder).iterdir()):
            for part in CHECKS.subject_splitter(RawSubject(path.name, path.read_bytes()), CTX):  # type: ignore[misc]
                outcomes = full_outcomes(part.data)
                took = agrees(part.data)
                if outcomes is None or Outcome.FAIL in outcomes.values():
                    assert not took, part.name


def test_bulk_validation_through_the_acceptor_counts_what_the_checks_list(corpus: Path) -> None:
    data = (corpus / "conformant" / "day.ndjson").read_bytes()
    listed = list(evaluate_parts(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("d", data), CTX))
    counted = list(evaluate_parts(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("d", data), CTX,
                                  list_quiet=False))
    assert sorted((r.requirement, r.outcome) for rep in listed for r in rep.results) == \
        sorted(pair for rep in counted for pair in rep.counted)
    assert [rep.contributions for rep in listed] == [rep.contributions for rep in counted]


near = st.one_of(
    st.sampled_from(["", " ", "0", "1", "2", "3", "10", "11", "x", "1.0", "000.00.20.H10-261129-0001",
                     "0912345678", "12345", "+84 912 345 678", "a@b.vn", "a@@b.vn", "CCCD 001099012345",
                     "012345678", "0123456789", "20261129080000", "20261129100500", "20261129100501",
                     "20260230080000", "2026112908000", ts(NOW - timedelta(days=30)), ts(NOW + timedelta(days=30))]),
    st.integers(-2, 12), st.floats(0, 11, allow_nan=False), st.booleans(), st.none(), st.just([]), st.just({}))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(range(len(REFERENCE))), st.data())
def test_mutations_near_the_edges_are_accepted_only_when_the_checks_agree(index: int, data: st.DataObject) -> None:
    message: dict[str, Any] = json.loads(json.dumps(REFERENCE[index]))
    item = message["data"][data.draw(st.integers(0, len(message["data"]) - 1))]
    for _ in range(data.draw(st.integers(1, 3))):
        field = data.draw(st.sampled_from([*item, "NgayTra", "GhiChu", "KenhThucHien", "Email", "isUpdating"]))
        value = data.draw(near)
        if value is None and data.draw(st.booleans()):
            item.pop(field, None)
        else:
            item[field] = value
    agrees(json.dumps(message, ensure_ascii=False).encode())
