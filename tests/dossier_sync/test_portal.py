"""The portal simulator (``listen -p dossier-sync``) against the reference one-stop client, clean and defective.

Every call is judged and recorded; a message that fails a mandatory requirement is refused with error_code 7
naming it; the lifecycle is judged in arrival order, and a refused call never advances a dossier.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.clock import Clock
from conformance.listen import Listening
from conformance.listen_fixture import conformance_listener  # noqa: F401  (the fixture)
from conformance.reporting.json_writer import validate_report
from conformance_fixtures.dossier_messages import (
    DEFECTS,
    DOSSIER_REPORT,
    MANDATORY_DEFECTS,
    Dossier,
    dossier_item,
    encode,
    envelope,
)
from conformance_fixtures.onestop_client import DSTCODE, run_day
from conformance_profiles.dossier_sync.peer import ERRORS
from tests.conftest import NOW

Start = Callable[..., Listening]


@pytest.fixture
def portal(conformance_listener: Start) -> Start:  # noqa: F811
    """Start the portal with the pinned clock and every report format."""
    def start(**options: Any) -> Listening:
        return conformance_listener("dossier-sync", clock=Clock(NOW), **options)

    return start


def failed(report: dict[str, Any]) -> set[str]:
    return {r["requirement"] for r in report["results"] if r["outcome"] == "fail"}


def test_the_reference_day_is_taken_and_conformant(portal: Start) -> None:
    run = portal()
    day = run_day(run.url, now=NOW)
    assert day.auth["error_code"] == 0 and day.refused == []
    report = run.stop()
    assert validate_report(report) == []
    assert report["verdict"] == "conformant" and report["listing"] == "all"
    assert report["summary"]["subjects"] == len(day.answers) == 20
    assert len(report["results"]) == report["summary"]["results"]  # passes are listed in a live run
    lifecycle = [r for r in report["results"] if r["requirement"] == "DVC-07"]
    assert len(lifecycle) == 5 and {r["outcome"] for r in lifecycle} == {"pass"}
    first = next(r for r in report["results"] if r["subject"] == "#1 POST /dvcqg/integration")
    assert first["evidence"]["exchange"]["request"]["session"] == "valid"
    assert first["evidence"]["exchange"]["response"]["error_code"] == 0


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_of_the_client_fails_exactly_its_requirement(portal: Start, defect: str) -> None:
    run = portal()
    day = run_day(run.url, now=NOW, defect=defect)
    report = run.stop()
    assert failed(report) == {defect}
    assert report["summary"]["subjects"] == 21
    if defect in MANDATORY_DEFECTS:
        [refusal] = day.refused  # the portal refused the one defective message, naming the requirement
        assert refusal["error_code"] == ERRORS["rejected"] and f"it fails {defect}." in refusal["message"]
        assert report["verdict"] == "non-conformant"
    else:
        assert day.refused == [] and report["verdict"] == "conformant" and report["summary"]["warnings"] == 1


def _auth(url: str, body: Any, **headers: str) -> dict[str, Any]:
    answer = httpx.post(url + "/dvcqg/auth", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200
    return dict(answer.json())


def _send(url: str, message: dict[str, Any] | bytes, **extra: Any) -> dict[str, Any]:
    body = message if isinstance(message, bytes) else json.dumps({**extra, **message}, ensure_ascii=False).encode()
    answer = httpx.post(url + "/dvcqg/integration", content=body, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    return dict(answer.json())


def test_authentication_needs_dstcode_and_the_given_credentials(portal: Start) -> None:
    run = portal(credentials=("motcua", "pass-1"))
    assert _auth(run.url, {"username": "motcua", "password": "pass-1"})["error_code"] == ERRORS["no_dstcode"]
    assert _auth(run.url, {"username": "motcua", "password": "wrong"}, dstcode=DSTCODE)["error_code"] == \
        ERRORS["bad_credentials"]
    assert _auth(run.url, ["not", "an", "object"], dstcode=DSTCODE)["error_code"] == ERRORS["unparseable"]
    good = _auth(run.url, {"username": "motcua", "password": "pass-1"}, dstcode=DSTCODE)
    assert good["error_code"] == 0 and len(good["session"]) > 20
    assert run.stop()["summary"]["subjects"] == 0  # auth calls are never judged nor counted


def test_count_counts_integration_calls_only_and_refused_ones_too(portal: Start) -> None:
    run = portal(count=2)
    session = _auth(run.url, {"username": "a", "password": "b"}, dstcode=DSTCODE)["session"]
    _auth(run.url, {"username": "a", "password": "b"}, dstcode=DSTCODE)
    d = Dossier("000.00.20.H10-261129-0001", NOW - timedelta(hours=1))
    assert _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 1)), session="forged", madonvi="X")[
        "error_code"] == ERRORS["bad_session"]
    assert run.running
    assert _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 1)), session=session, madonvi="X")[
        "error_code"] == 0
    run._thread.join(timeout=10)  # type: ignore[union-attr]
    assert not run.running
    assert run.stop()["summary"]["subjects"] == 2


def test_bad_calls_are_refused_recorded_and_do_not_advance_a_dossier(portal: Start) -> None:
    run = portal(max_bytes=100_000)
    session = _auth(run.url, {"username": "a", "password": "b"}, dstcode=DSTCODE)["session"]
    d = Dossier("000.00.20.H10-261129-0002", NOW - timedelta(hours=1))
    answers = [
        _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 1)), session=session, madonvi="X"),
        _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 10, NgayTra="20261129093000"), updating=True),
              session="forged", madonvi="X"),
        _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 10, NgayTra="20261129093000"), updating=True),
              session=session),
        _send(run.url, envelope("DongBoHoSo", dossier_item(d, 2)), session=session, madonvi="X"),
        _send(run.url, b'{"session": "' + session.encode() + b'", "data": [1, 2,'),
        _send(run.url, b"[" * 200_000),
        _send(run.url, envelope(DOSSIER_REPORT, dossier_item(d, 2), updating=True), session=session, madonvi="X"),
    ]
    assert [a["error_code"] for a in answers] == [0, ERRORS["bad_session"], ERRORS["no_madonvi"],
                                                  ERRORS["unknown_service"], ERRORS["unparseable"],
                                                  ERRORS["too_large"], 0]
    unknown = httpx.get(run.url + "/dvcqg/integration", timeout=10).json()
    assert unknown["error_code"] == ERRORS["not_found"]
    report = run.stop()
    assert report["summary"]["subjects"] == 7  # every integration call is recorded; the GET is not
    by_subject = {(r["subject"], r["requirement"]): r for r in report["results"]}
    assert by_subject[("#4 POST /dvcqg/integration", "DVC-02")]["outcome"] == "fail"
    assert by_subject[("#5 POST /dvcqg/integration", "DVC-01")]["outcome"] == "fail"
    assert by_subject[("#6 POST /dvcqg/integration", "DVC-01")]["outcome"] == "inconclusive"
    assert by_subject[("#2 POST /dvcqg/integration", "DVC-02")]["evidence"]["exchange"]["request"]["session"] == \
        "unknown"
    # 1 → (10 with a forged session, 10 without madonvi: both refused) → 2: the dossier followed the lifecycle.
    [sequence] = [r for r in report["results"] if r["requirement"] == "DVC-07"]
    assert sequence["outcome"] == "pass"
    assert [s["note"] for s in sequence["evidence"]["sequence"]] == ["taken", "rejected", "rejected", "taken"]


def test_the_session_token_and_the_password_never_reach_a_report(portal: Start, tmp_path: Path) -> None:
    password = "Pa55-never-written-7f3a"
    run = portal(credentials=("motcua", password), out_dir=tmp_path / "out",
                 formats=("json", "html", "junit", "allure"))
    day = run_day(run.url, now=NOW, username="motcua", password=password, defect="DVC-02")
    token = day.auth["session"]
    run.stop()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(written) > 4
    for path in written:
        text = path.read_text("utf-8", errors="replace")
        assert token not in text and password not in text, path


def test_hostile_bodies_get_an_answer_and_the_portal_goes_on(portal: Start) -> None:
    run = portal()
    session = _auth(run.url, {"username": "a", "password": "b"}, dstcode=DSTCODE)["session"]
    hostile = [b"", b"\xff\xfe\x00", b'{"a":' * 5000 + b"1" + b"}" * 5000, b'{"service": NaN}', b"9" * 100_000,
               b'{"session":"' + session.encode() + b'","madonvi":"X","service":"DongBoHoSoMC","data":"x"}',
               encode(envelope(DOSSIER_REPORT, {"MaHoSo": ["nested"]})).replace(b"{", b'{"session":null,', 1)]
    for body in hostile:
        assert _send(run.url, body)["error_code"] != 0
    report = run.stop()
    assert report["summary"]["subjects"] == len(hostile)
    assert report["summary"]["by_outcome"]["error"] == 0
