"""Levels follow the target's security level; WARN parts never decide; consent gates the disruptive probes.

Also: what is not applicable, and when, and what stays inconclusive rather than pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.live import LiveContext
from conformance.oob import is_loopback
from conformance_profiles.security_baseline import hostile
from conformance_profiles.security_baseline.tls_scanner import scanner_available

from .conftest import Serve, judge, run_full

GATED = ("SB-XML-02", "SB-INPUT-01", "SB-AUTH-03", "SB-INPUT-02")


@pytest.mark.parametrize(("level", "expected"), [(1, "recommended"), (2, "mandatory"), (3, "mandatory")])
def test_an_l2_check_is_recommended_at_level_1_and_mandatory_from_2(service: Serve, level: int,
                                                                     expected: str) -> None:
    judged = judge(service(["no-nosniff"], level=level), "SB-HDR-01")
    assert [(r.outcome.value, r.level.value) for r in judged.of("SB-HDR-01")] == [("fail", expected)]


@pytest.mark.parametrize(("level", "expected"), [(2, "recommended"), (3, "mandatory"), (5, "mandatory")])
def test_an_l3_check_is_mandatory_from_level_3(service: Serve, level: int, expected: str) -> None:
    judged = judge(service(["server-version"], level=level), "SB-INFO-01")
    assert [(r.outcome.value, r.level.value) for r in judged.of("SB-INFO-01")] == [("fail", expected)]


@pytest.mark.parametrize(("defect", "requirement"), [("hsts-no-subdomains", "SB-HTTP-02"),
                                                     ("cookie-no-samesite", "SB-COOK-01")])
def test_the_l2_part_of_an_l1_row_warns_at_level_1_and_fails_from_level_2(service: Serve, defect: str,
                                                                          requirement: str) -> None:
    low = judge(service([defect], level=1), requirement)
    assert [(r.outcome.value, r.level.value) for r in low.of(requirement)] == [("pass", "mandatory"),
                                                                              ("fail", "recommended")]
    high = judge(service([defect], level=2), requirement)
    assert [(r.outcome.value, r.level.value) for r in high.of(requirement)] == [("fail", "mandatory")]


def test_an_l1_check_is_mandatory_even_at_level_1(service: Serve) -> None:
    judged = judge(service(["missing-auth"], level=1), "SB-AUTH-01")
    assert ("fail", "mandatory") in [(r.outcome.value, r.level.value) for r in judged.of("SB-AUTH-01")]


def test_without_consent_the_disruptive_probes_are_untested_with_the_reason(service: Serve) -> None:
    judged = judge(service(consent="passive"), *GATED)
    assert set(judged.untested) == set(GATED)
    assert all("consent: active" in reason for reason in judged.untested.values())
    assert judged.results == []
    assert "partial pass is not a pass" in judged.untested["SB-INPUT-02"]


def test_without_consent_a_wrong_content_type_still_fails(service: Serve) -> None:
    judged = judge(service(["any-content-type"], consent="passive"), "SB-INPUT-02")
    assert judged.outcomes("SB-INPUT-02") == {"fail"}
    assert "application/json" in judged.of("SB-INPUT-02")[0].message


def test_the_brute_force_check_needs_a_declared_login(service: Serve) -> None:
    judged = judge(service(["no-throttle"], login=False), "SB-AUTH-03")
    [result] = judged.of("SB-AUTH-03")
    assert result.outcome.value == "not-applicable" and "endpoints.login" in result.message


def test_opaque_tokens_make_the_jwt_check_not_applicable(service: Serve) -> None:
    judged = judge(service(jwt=False), "SB-AUTH-02")
    [result] = judged.of("SB-AUTH-02")
    assert result.outcome.value == "not-applicable" and "JWT" in result.message


def test_without_an_api_document_the_operation_checks_are_inconclusive(service: Serve) -> None:
    ids = ("SB-METH-02", "SB-AUTH-01", "SB-XML-01", "SB-XML-02", "SB-INPUT-01", "SB-INPUT-02")
    judged = judge(service(openapi=None), *ids)
    assert {r.requirement: r.outcome.value for r in judged.results} == dict.fromkeys(ids, "inconclusive")
    assert all("endpoints.openapi" in r.message for r in judged.results)


def test_zero_callbacks_from_a_remote_target_is_inconclusive_never_pass(service: Serve,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LiveContext, "callback_reachable", property(lambda ctx: False))
    monkeypatch.setattr(hostile, "XXE_WAIT_SECONDS", 0.5)
    judged = judge(service(), "SB-XML-01")
    [result] = judged.of("SB-XML-01")
    assert result.outcome.value == "inconclusive" and "callback host" in result.message
    assert result.evidence["listener_reachable"] is False


def test_a_callback_from_a_remote_target_still_fails(service: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LiveContext, "callback_reachable", property(lambda ctx: False))
    judged = judge(service(["xxe"]), "SB-XML-01")
    [result] = judged.of("SB-XML-01")
    assert result.outcome.value == "fail" and result.evidence["hits"]


def test_loopback_hosts() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("cong.example.gov.vn")


def test_messages_are_said_in_vietnamese(service: Serve) -> None:
    judged = judge(service(["no-nosniff"]), "SB-HDR-01", lang="vi")
    assert "không có tiêu đề X-Content-Type-Options" in judged.of("SB-HDR-01")[0].message


# -- whole runs through the pytest engine ------------------------------------------------------------

def test_a_whole_run_of_the_clean_service_passes_everything_it_can_judge(service: Serve, tmp_path: Path) -> None:
    report = run_full(service(), tmp_path / "out")
    by_requirement = report["summary"]["by_requirement"]
    assert len(by_requirement) == 38
    mine = {rid: entry for rid, entry in by_requirement.items() if not rid.startswith(("SB-TLS", "SB-CERT"))}
    assert {rid: e["outcome"] for rid, e in mine.items() if e["outcome"] != "pass"} == {}
    assert report["summary"]["warnings"] == 0
    assert all(r["evidence"] for r in report["results"])
    if scanner_available():
        assert report["verdict"] == "conformant" and report["summary"]["untested"] == []
    else:  # without the tls extra, the rows only sslyze can judge are untested, and nothing else
        assert report["verdict"] == "inconclusive"
        assert all(rid.startswith(("SB-TLS", "SB-CERT")) for rid in report["summary"]["untested"])
    assert "ASVS-referenced automated baseline" in report["profiles"][0]["title"]


def test_a_warn_part_shows_in_the_report_but_never_decides(service: Serve, tmp_path: Path) -> None:
    report = run_full(service(["xfo-only"]), tmp_path / "out")
    entry = report["summary"]["by_requirement"]["SB-HDR-03"]
    assert entry["outcome"] == "pass" and entry["warnings"] >= 1
    assert report["verdict"] != "non-conformant"
    warned = [r for r in report["results"] if r["requirement"] == "SB-HDR-03" and r["outcome"] == "fail"]
    assert warned and all(r["level"] == "recommended" for r in warned)


def test_a_whole_passive_run_lists_the_gated_probes_as_untested(service: Serve, tmp_path: Path) -> None:
    report = run_full(service(consent="passive"), tmp_path / "out")
    assert set(GATED) <= set(report["summary"]["untested"])
    assert all("consent: active" in report["summary"]["untested_reasons"][rid] for rid in GATED)
    assert report["verdict"] == "inconclusive"
