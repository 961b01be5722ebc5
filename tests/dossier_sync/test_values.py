"""The value rules of DVC-04, DVC-05, DVC-08 and DVC-09, at their edges, each shown to catch its defect."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.clock import VIETNAM
from conformance.i18n import Phrase
from conformance_fixtures.dossier_messages import (
    DOSSIER_REPORT,
    PROGRESS,
    Dossier,
    dossier_item,
    encode,
    envelope,
    progress_item,
    ts,
)
from conformance_profiles.dossier_sync import values
from conformance_profiles.dossier_sync.values import (
    email_problem,
    has_id_number_run,
    id_number_runs,
    is_local_time,
    mask_digits,
    parse_dossier_code,
    parse_local_time,
    phone_is_plausible,
)
from tests.conftest import NOW

from .conftest import run_validate


@pytest.mark.parametrize(("value", "expected"), [
    ("20261129080000", datetime(2026, 11, 29, 8, 0, tzinfo=VIETNAM)),
    ("20240229235959", datetime(2024, 2, 29, 23, 59, 59, tzinfo=VIETNAM)),
    ("20250229000000", "is not a real local time"),   # 2025 is no leap year
    ("20261129240000", "is not a real local time"),
    ("20261129235960", "is not a real local time"),   # no leap second
    ("00001129080000", "is not a real local time"),   # year 0000
    ("20261329080000", "is not a real local time"),
    ("2026112908000", "is not 14 digits yyyyMMddHHmmss"),
    ("202611290800000", "is not 14 digits yyyyMMddHHmmss"),
    ("2026-11-29T08:0", "is not 14 digits yyyyMMddHHmmss"),
    ("２０２６１１２９０８００００", "is not 14 digits yyyyMMddHHmmss"),  # full-width digits are not ASCII digits
    ("20261129080000\n", "is not 14 digits yyyyMMddHHmmss"),
])
def test_local_times(value: str, expected: object) -> None:
    got = parse_local_time(value)
    if isinstance(expected, datetime):
        assert got == expected
    else:
        assert isinstance(got, Phrase) and got == expected


@pytest.mark.parametrize(("value", "form", "date_part"), [
    ("000.00.20.H10-261129-0001", "legacy", "261129"),
    ("000.00.20.H10-261129-12345678", "legacy", "261129"),
    ("H10.23-20261129-0000012", "newer", "20261129"),
    ("G22-20261129-0001", "newer", "20261129"),
    ("H10.23.5.A1-20261129-0000012", "newer", "20261129"),
    ("000.00.20.H10-20261129-0001", None, None),    # legacy agency code, newer date: the forms do not mix
    ("H10.23-261129-0000012", None, None),          # newer agency code, legacy date
    ("Z10.23-20261129-0000012", None, None),        # Z is no agency letter of the newer form
    ("000.00.20.H10-261129-001", None, None),       # fewer than 4 digits of sequence
    ("000.00.20.h10-261129-0001", None, None),
    ("000.00.20.H10-261129-0001 ", None, None),
    ("000.00.20.H10-２61129-0001", None, None),
])
def test_dossier_code_forms(value: str, form: str | None, date_part: str | None) -> None:
    code = parse_dossier_code(value)
    assert (code.form, code.date_part) == (form, date_part) if code else form is None


# The two forms as the catalogue states them, one pattern each: the single pattern of values.py must cut every
# string as they do.
LEGACY = re.compile(r"([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})-([0-9]{6})-([0-9]{4,})")
NEWER = re.compile(r"([A-Y][0-9]{2}(?:\.[0-9A-Z]+)*)-([0-9]{8})-([0-9]{4,})")


def two_patterns(value: str) -> tuple[str, str, str, str] | None:
    for form, pattern in (("legacy", LEGACY), ("newer", NEWER)):
        found = pattern.fullmatch(value)
        if found:
            return (form, *found.groups())  # type: ignore[return-value]
    return None


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(LEGACY, fullmatch=True), st.from_regex(NEWER, fullmatch=True),
                 st.from_regex(r"[0-9A-Z.]{3,12}-[0-9]{6,8}-[0-9]{3,8}", fullmatch=True), st.text(max_size=30)),
       st.sampled_from(["", " ", "-0001", "\n", "a"]), st.booleans())
def test_one_pattern_cuts_codes_as_the_two_forms_do(value: str, tail: str, append: bool) -> None:
    value = value + tail if append else value
    code = parse_dossier_code(value)
    assert ((code.form, code.agency, code.date_part, code.number) if code else None) == two_patterns(value)


def test_the_date_part_is_compared_with_the_local_day() -> None:
    late = datetime(2026, 11, 29, 23, 30, tzinfo=VIETNAM)
    assert parse_dossier_code("000.00.20.H10-261129-0001").same_day(late)  # type: ignore[union-attr]
    assert parse_dossier_code("H10.23-20261129-0000012").same_day(late)  # type: ignore[union-attr]
    assert not parse_dossier_code("000.00.20.H10-261130-0001").same_day(late)  # type: ignore[union-attr]


@pytest.mark.parametrize(("phone", "ok"), [
    ("0912345678", True), ("0912 345 678", True), ("(024) 3824.1234", True), ("+84 912-345-678", True),
    ("+84912345678", True), ("02438241234", True), ("091234567", True), ("09123456789", True),
    ("09123456", False), ("091234567890", False),
    ("0912345", False), ("84912345678", False), ("+1 (555) 0100", False), ("0912\u00a0345\u00a0678", True),
    ("091234567a", False), ("", False),
])
def test_phone_numbers(phone: str, ok: bool) -> None:
    assert phone_is_plausible(phone) is ok


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+ .-()８", max_size=16))
def test_a_number_of_digits_only_is_judged_as_the_pattern_judges_it(phone: str) -> None:
    assert phone_is_plausible(phone) is values._phone_is_plausible(phone)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(r"[0-9]{14}", fullmatch=True),
                 st.builds(lambda y, m, d, rest: f"{y:04d}{m:02d}{d:02d}{rest}", st.integers(0, 9999),
                           st.integers(0, 13), st.integers(0, 32), st.from_regex(r"[0-9]{6}", fullmatch=True)),
                 st.text(alphabet="0123456789２ ", min_size=13, max_size=15)))
def test_a_local_time_is_real_exactly_when_it_parses(value: str) -> None:
    assert is_local_time(value) is isinstance(parse_local_time(value), datetime)


@pytest.mark.parametrize("value", [
    "00000101120000", "00010101000000", "99991231235959", "20260229000000", "20240229000000", "20240230000000",
    "20260431000000", "20260430000000", "20261231000000", "20261232000000", "20260001000000", "20261301000000",
    "20260100000000", "20260101240000", "20260101236000", "20260101235960", "20260128235959", "2026012823595",
])
def test_local_times_at_the_edges_of_the_shortcut(value: str) -> None:
    assert is_local_time(value) is isinstance(parse_local_time(value), datetime)


def validator_says(address: str) -> str | None:
    """What email-validator itself says, without the shortcut for plain addresses."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(values._PLAIN_EMAIL, fullmatch=True),
                 st.from_regex(r"[a-zA-Z0-9._+-]{1,12}@[a-zA-Z0-9.-]{1,12}\.(vn|com|local|test|arpa|x1|VN|Test)",
                               fullmatch=True)))
def test_the_shortcut_for_plain_addresses_says_what_the_validator_says(address: str) -> None:
    assert (email_problem(address) is None) is (validator_says(address) is None), address


def test_email_addresses() -> None:
    assert email_problem("hoa.nguyen@example.vn") is None
    assert email_problem("nguyễn@bộ.gov.vn") is None  # internationalised addresses are addresses
    assert email_problem("hoa.nguyen@@example.vn")
    assert email_problem("no-at-sign.example.vn")
    assert email_problem("a@" + "b" * 400 + ".vn") == "it is longer than any e-mail address can be"


@pytest.mark.parametrize(("text", "runs"), [
    ("CMND 012345678", ["012345678"]), ("CCCD 001099012345.", ["001099012345"]),
    ("số 0123456789 (10 chữ số)", []), ("01234567890 (11)", []), ("12345678", []),
    ("a012345678b001099012345", ["012345678", "001099012345"]), ("0123456789012", []),
])
def test_identity_number_runs(text: str, runs: list[str]) -> None:
    assert id_number_runs(text) == runs
    assert has_id_number_run(text) is bool(runs)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 a.Đ", max_size=40))
def test_a_run_is_there_exactly_when_the_runs_are_found(text: str) -> None:
    assert has_id_number_run(text) is bool(id_number_runs(text))


def test_masking_keeps_only_the_ends() -> None:
    assert mask_digits("001099012345") == "001*******45"
    assert mask_digits("012345678") == "012****78"


def _report(tmp_path: Path, *messages: dict[str, Any]) -> dict[str, Any]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "m.ndjson").write_bytes(b"\n".join(encode(m) for m in messages) + b"\n")
    return run_validate([folder], tmp_path / "out")


def _outcome(report: dict[str, Any], requirement: str, line: int = 1) -> str:
    subject = f"in/m.ndjson:{line}"
    [result] = [r for r in report["results"] if r["requirement"] == requirement and r["subject"] == subject]
    return str(result["outcome"])


def test_the_future_tolerance_is_five_minutes_for_past_dated_fields_only(tmp_path: Path) -> None:
    received = NOW - timedelta(hours=1)
    d = Dossier("000.00.20.H10-261129-0001", received)
    report = _report(
        tmp_path,
        envelope(PROGRESS, progress_item(d, 4, NOW + timedelta(minutes=5))),
        envelope(PROGRESS, progress_item(d, 4, NOW + timedelta(minutes=5, seconds=1))),
        envelope(DOSSIER_REPORT, dossier_item(d, 4, NgayHenTra=ts(NOW + timedelta(days=400))), updating=True),
        envelope(DOSSIER_REPORT, dossier_item(d, 4, NgayTra=ts(NOW + timedelta(minutes=6))), updating=True),
    )
    assert [_outcome(report, "DVC-04", n) for n in (1, 2, 3, 4)] == ["pass", "fail", "pass", "fail"]


def test_the_appointment_may_equal_the_reception_but_not_precede_it(tmp_path: Path) -> None:
    received = NOW - timedelta(hours=1)
    d = Dossier("000.00.20.H10-261129-0001", received)
    report = _report(
        tmp_path,
        envelope(DOSSIER_REPORT, dossier_item(d, 1, NgayHenTra=ts(received))),
        envelope(DOSSIER_REPORT, dossier_item(d, 1, NgayHenTra=ts(received - timedelta(seconds=1)))),
        envelope(DOSSIER_REPORT, dossier_item(d, 1, NgayHenTra="not a date")),  # DVC-04's, not judged here
    )
    assert [_outcome(report, "DVC-06", n) for n in (1, 2, 3)] == ["pass", "fail", "not-applicable"]
    assert _outcome(report, "DVC-04", 3) == "fail"


def test_an_optional_empty_string_counts_as_absent_whatever_its_type(tmp_path: Path) -> None:
    d = Dossier("000.00.20.H10-261129-0001", NOW - timedelta(hours=1))
    item = dossier_item(d, 1, KenhThucHien="", NgayTra="", GhiChu="", TaiLieuNop="",
                        DanhSachLePhi=[{"Gia": "", "SoLuong": ""}])
    report = _report(tmp_path, envelope(DOSSIER_REPORT, item), envelope(DOSSIER_REPORT, {**item, "KenhThucHien": "2"}))
    assert _outcome(report, "DVC-02", 1) == "pass"
    assert _outcome(report, "DVC-02", 2) == "fail"  # a non-empty string where an integer belongs


@pytest.mark.parametrize("year", ["0000", "0001", "1900", "2000", "2024", "2026", "9999"])
def test_every_month_and_day_is_judged_as_the_calendar_judges_it(year: str) -> None:
    for month in range(14):
        for day in range(33):
            value = f"{year}{month:02d}{day:02d}235959"
            assert is_local_time(value) is isinstance(parse_local_time(value), datetime), value
