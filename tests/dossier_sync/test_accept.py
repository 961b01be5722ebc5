"""The fast acceptors agree with the checks wherever they accept: their proof obligation, tested.

They may only ever answer "every check passes or does not apply", or decline. The raw acceptor, which starts from
the bytes, also answers for the loader (DVC-01) and gives the status reports DVC-07 gathers. These tests run the
loader, the checks and the gatherer beside them on the corpus, on every reference message, on mutations of
values near the edges of each rule and on edits of the bytes near the edges of the strict reading, and require
the same outcomes and facts wherever they accept.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.clock import Clock
from conformance.evaluate import evaluate_parts, evaluate_subject
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import Accepted, CheckContext, RawSubject, Stop
from conformance_fixtures.dossier_messages import day, ts
from conformance_profiles.dossier_sync import accept as accept_module
from conformance_profiles.dossier_sync import checks as checks_module
from conformance_profiles.dossier_sync.accept import accept, accept_raw
from tests.conftest import NOW

from .conftest import FOLDERS

PROFILE = resolve_profile("dossier-sync")
CHECKS = PROFILE.load_checks()
CTX = CheckContext(PROFILE.id, Clock(NOW), artefacts=dict(PROFILE.artefacts), limits=dict(PROFILE.limits),
                   messages=PROFILE.messages())
REFERENCE = [json.loads(body) for body in day(NOW)]


def full_outcomes(data: bytes, *, loader: bool = False) -> dict[str, Outcome] | None:
    """Every per-message check's outcome from the checks themselves (the acceptors are not consulted when listing),
    with the loader's (DVC-01) if asked."""
    report = evaluate_subject(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("m", data), CTX, list_quiet=True)
    if report.omitted:
        return None
    return {r.requirement: r.outcome for r in report.results if loader or r.requirement != "DVC-01"}


def loaded(data: bytes) -> Any:
    assert CHECKS.subject_loader is not None
    try:
        return CHECKS.subject_loader.func(RawSubject("m", data), CTX)
    except Stop:
        return None


def accepted(data: bytes) -> dict[str, Outcome] | None:
    message = loaded(data)
    return None if message is None else accept(message, CTX)


def raw_accepted(data: bytes) -> Accepted | None:
    return accept_raw(RawSubject("m", data), CTX)


def agrees(data: bytes) -> bool:
    """Whether an acceptor accepted; fails the test when one accepts what the loader and the checks do not pass,
    or gives other facts than the gatherer."""
    mine = accepted(data)
    if mine is not None:
        assert mine == full_outcomes(data), data[:300]
    raw = raw_accepted(data)
    if raw is not None:
        assert dict(raw.outcomes) == full_outcomes(data, loader=True), data[:300]
        assert {rid: list(facts) for rid, facts in raw.facts.items()} == {
            "DVC-07": checks_module.statuses(loaded(data), CTX)}, data[:300]
        assert mine is not None  # both judge the values alike: what the bytes prove, the message proves
    return mine is not None


def test_the_tolerances_are_the_checks_tolerances() -> None:
    assert accept_module.FUTURE_TOLERANCE == checks_module.FUTURE_TOLERANCE


def test_they_answer_for_every_check_and_accept_every_reference_message() -> None:
    for message in REFERENCE:
        data = json.dumps(message, ensure_ascii=False).encode()
        assert agrees(data)
        assert set(accepted(data) or {}) == CHECKS.check_ids
        raw = raw_accepted(data)
        assert raw is not None and set(raw.outcomes) == CHECKS.check_ids | {"DVC-01"}
        # Written with \u escapes, the text is judged string by string: the bytes alone prove too little.
        escaped = json.dumps(message).encode()
        assert agrees(escaped) and raw_accepted(escaped) is None


def test_on_the_corpus_it_accepts_only_what_passes_and_declines_every_failure(corpus: Path) -> None:
    for folder in FOLDERS:
        for path in sorted((corpus / folder).iterdir()):
            for part in CHECKS.subject_splitter(RawSubject(path.name, path.read_bytes()), CTX):  # type: ignore[misc]
                outcomes = full_outcomes(part.data)
                took = agrees(part.data)
                if outcomes is None or Outcome.FAIL in outcomes.values():
                    assert not took and raw_accepted(part.data) is None, part.name


def test_bulk_validation_through_the_acceptor_counts_what_the_checks_list(corpus: Path) -> None:
    data = (corpus / "conformant" / "day.ndjson").read_bytes()
    listed = list(evaluate_parts(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("d", data), CTX))
    counted = list(evaluate_parts(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("d", data), CTX,
                                  list_quiet=False))
    assert sorted((r.requirement, r.outcome) for rep in listed for r in rep.results) == \
        sorted(pair for rep in counted for pair in rep.counted)
    # Subjects the raw acceptor proves fine come back together, one report per run of them: same facts, same order.
    assert [c for rep in listed for c in rep.contributions] == [c for rep in counted for c in rep.contributions]
    assert sum(rep.subjects for rep in listed) == sum(rep.subjects for rep in counted)


near = st.one_of(
    st.sampled_from(["", " ", "0", "1", "2", "3", "10", "11", "x", "1.0", "000.00.20.H10-261129-0001",
                     "000.00.20.H10-261128-0001", "000.00.20.H10-261128-001", "000.00.20.h10-261128-0001",
                     "H10.23-20261128-0000012", "H10.23-20261129-0000012", "H10.23-261128-0001", "Z10-20261128-0001",
                     "H10.23.5-20261129-00001", "20261128040000", "20261128035959", "20261129035959",
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


BYTE_EDITS: dict[str, Callable[[bytes], bytes]] = {
    "escape": lambda b: b.replace(b'"MaHoSo":"', b'"MaHoSo":"\\u0030', 1).replace(b'\\u00300', b"\\u0030", 1),
    "quote escape": lambda b: b.replace(b'"TrichYeuHoSo":"', b'"TrichYeuHoSo":"\\"', 1),
    "surrogate": lambda b: b.replace(b'"TrichYeuHoSo":"', b'"TrichYeuHoSo":"\\ud800', 1),
    "bom": lambda b: codecs.BOM_UTF8 + b,
    "duplicate key": lambda b: b.replace(b'{"MaHoSo":', b'{"MaHoSo":"x","MaHoSo":', 1),
    "duplicate envelope key": lambda b: b.replace(b'{"service":', b'{"service":"x","service":', 1),
    "1.0": lambda b: b.replace(b'"TrangThaiHoSo":1,', b'"TrangThaiHoSo":1.0,', 1).replace(
        b'"TrangThai":4,', b'"TrangThai":4.0,', 1),
    "4e0": lambda b: b.replace(b'"TrangThai":4,', b'"TrangThai":4e0,', 1),
    "float price": lambda b: b.replace(b'"Gia":75000', b'"Gia":75000.5', 1),
    "NaN": lambda b: b.replace(b'"Gia":75000', b'"Gia":NaN', 1),
    "huge integer": lambda b: b.replace(b'"Gia":75000', b'"Gia":' + b"7" * 4301, 1),
    "NFD": lambda b: unicodedata.normalize("NFD", b.decode()).encode(),
    "pretty": lambda b: json.dumps(json.loads(b), ensure_ascii=False, indent=2).encode(),
    "deep": lambda b: b.replace(b'"TaiLieuNop":', b'"TaiLieuNop":' + b"[" * 64, 1).replace(
        b'"DanhSachLePhi":', b"]" * 64 + b',"X":1,"DanhSachLePhi":', 1),
    "trailing": lambda b: b + b" x",
    "whitespace": lambda b: b" \n" + b + b"\n",
    "not utf-8": lambda b: b.replace(b"Nguy", b"Ng\xff", 1),
    "array": lambda b: b"[" + b + b"]",
}


@pytest.mark.parametrize("edit", BYTE_EDITS)
def test_edits_of_the_bytes_are_accepted_only_when_the_reader_and_the_checks_agree(edit: str) -> None:
    for message in REFERENCE:
        agrees(BYTE_EDITS[edit](json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()))
