"""Every HTTP-level requirement of security-baseline catches the violation planted for it, and the clean service passes.

Each test starts the test service with one defect and runs only the scenarios judging the requirement
it breaks: the requirement must fail (or, for a WARN part, warn), with the evidence that shows why.
"""

from __future__ import annotations

import socket

import pytest

from tests.live_server import serve

from .app import DEFECTS, redirect_app
from .conftest import Judged, Serve, judge

HTTP_IDS = ("SB-HTTP-01", "SB-HTTP-02", "SB-HDR-01", "SB-HDR-02", "SB-HDR-03", "SB-HDR-04", "SB-HDR-05",
            "SB-HDR-06", "SB-HDR-07", "SB-INFO-01", "SB-INFO-02", "SB-INFO-03", "SB-INFO-04", "SB-METH-01",
            "SB-METH-02", "SB-CORS-01", "SB-COOK-01", "SB-AUTH-01", "SB-AUTH-02", "SB-AUTH-03", "SB-XML-01",
            "SB-XML-02", "SB-INPUT-01", "SB-INPUT-02")
WARN_ONLY = {"csp-base-self", "xfo-only"}  # a WARN part fails; the requirement itself passes
RECOMMENDED = {"no-coop"}  # SB-HDR-07 is recommended at every level


def _messages(judged: Judged, requirement: str) -> list[str]:
    return [f"{r.outcome.value} {r.level.value}: {r.message}" for r in judged.of(requirement)]


def test_every_http_requirement_has_a_planted_defect() -> None:
    assert set(DEFECTS.values()) | {"SB-HTTP-01"} == set(HTTP_IDS)


def test_the_clean_service_passes_every_http_requirement(service: Serve) -> None:
    judged = judge(service(), *HTTP_IDS)
    assert judged.untested == {}
    bad = [f"{r.requirement} {r.subject}: {r.outcome.value} {r.message}" for r in judged.results
           if r.outcome.value != "pass"]
    assert bad == []
    assert {r.requirement for r in judged.results} == set(HTTP_IDS)
    assert all(r.evidence for r in judged.results)


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_the_defect_is_caught_by_its_requirement(service: Serve, defect: str) -> None:
    requirement = DEFECTS[defect]
    judged = judge(service([defect]), requirement)
    results = judged.of(requirement)
    if defect in WARN_ONLY:
        assert [r.outcome.value for r in judged.of(requirement, warnings=False)] == ["pass"], _messages(judged,
                                                                                                         requirement)
        warned = judged.of(requirement, warnings=True)
        assert [r.outcome.value for r in warned] == ["fail"], _messages(judged, requirement)
        assert warned[0].evidence["exchanges"]
        return
    wanted_level = "recommended" if defect in RECOMMENDED else "mandatory"
    failures = [r for r in results if r.outcome.value == "fail" and r.level.value == wanted_level]
    assert failures, _messages(judged, requirement)
    assert all(f.evidence for f in failures)


def test_a_plaintext_service_on_port_80_fails_http_01(service: Serve) -> None:
    judged = judge(service(http_url="same-app"), "SB-HTTP-01")
    [result] = judged.of("SB-HTTP-01")
    assert result.outcome.value == "fail" and "answered 200" in result.message
    assert result.evidence["port_80"]["exchange"]["response"]["status"] == 200


def test_plain_http_answered_on_the_https_port_fails_http_01(service: Serve) -> None:
    judged = judge(service(tls=False, http_url=None), "SB-HTTP-01")
    [result] = judged.of("SB-HTTP-01")
    assert result.outcome.value == "fail" and "plaintext answer" in result.message
    assert result.evidence["https_port"]["received"].startswith("HTTP/1.1 ")


def test_an_off_host_redirect_on_port_80_fails(service: Serve) -> None:
    with serve(redirect_app("https://elsewhere.example")) as http_url:
        judged = judge(service(http_url=http_url), "SB-HTTP-01")
    [result] = judged.of("SB-HTTP-01")
    assert result.outcome.value == "fail" and "https://elsewhere.example/" in result.message


def test_port_80_is_probed_only_when_the_target_gives_http_url(service: Serve) -> None:
    judged = judge(service(http_url=None), "SB-HTTP-01")
    [result] = judged.of("SB-HTTP-01")
    assert result.outcome.value == "pass" and "not probed" in result.evidence["port_80"]


def test_a_refused_port_80_is_no_plaintext_service(service: Serve) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    judged = judge(service(http_url=f"http://127.0.0.1:{port}"), "SB-HTTP-01")
    [result] = judged.of("SB-HTTP-01")
    assert result.outcome.value == "pass", result.message
    assert result.evidence["port_80"]["answer"] == "no plaintext service"
