"""EDX-18/19 verdict rules and the UTC+7 clock of EDX-08."""

from __future__ import annotations

from pathlib import Path

from conformance.clock import Clock, parse_now
from conformance.profiles import resolve_profile
from conformance.reporting.json_writer import validate_report
from conformance.session import ValidateOptions, validate
from conformance_fixtures.edxml_corpus import edoc_package
from tests.conftest import NOW

from .conftest import run_validate


def signed(corpus: Path) -> list[Path]:
    return sorted(p for p in (corpus / "conformant").iterdir() if "sign" in p.name)


def test_signed_packages_without_trust_anchors_are_inconclusive_never_pass(corpus: Path, tmp_path: Path) -> None:
    report = run_validate(signed(corpus), tmp_path)
    assert signed(corpus), "the corpus has signed conformant packages"
    assert report["verdict"] == "inconclusive"
    results = [r for r in report["results"] if r["requirement"] == "EDX-18"]
    assert results and all(r["outcome"] == "inconclusive" for r in results)
    assert "no trust anchors" in results[0]["message"]


def test_with_trust_anchors_they_pass(corpus: Path, tmp_path: Path) -> None:
    report = run_validate(signed(corpus), tmp_path, trust=[corpus / "trust" / "ca.pem"])
    assert report["verdict"] == "conformant"


def test_sha1_is_a_warning_not_a_failure(corpus: Path, tmp_path: Path) -> None:
    report = run_validate([corpus / "invalid" / "EDX-19-rsa-sha1.edxml"], tmp_path,
                          trust=[corpus / "trust" / "ca.pem"])
    assert report["verdict"] == "conformant"
    assert report["summary"]["warnings"] == 1
    assert report["summary"]["by_requirement"]["EDX-18"]["outcome"] == "pass"  # verified despite SHA-1


def test_a_missing_signature_fails_only_when_claimed(tmp_path: Path) -> None:
    path = tmp_path / "unsigned.edxml"
    path.write_bytes(edoc_package(now=NOW))
    assert run_validate([path], tmp_path / "a")["verdict"] == "conformant"
    claimed = run_validate([path], tmp_path / "b", claims=("edxml.signature",))
    assert claimed["verdict"] == "non-conformant"
    assert {r["requirement"] for r in claimed["results"] if r["outcome"] == "fail"} == {"EDX-18"}


def test_a_forged_signature_fails_even_unclaimed(corpus: Path, tmp_path: Path) -> None:
    report = run_validate([corpus / "invalid" / "EDX-18-tampered-after-signing.edxml"], tmp_path,
                          trust=[corpus / "trust" / "ca.pem"])
    assert report["verdict"] == "non-conformant"
    assert report["summary"]["by_requirement"]["EDX-18"]["decides"] is True


def _judge_on(path: Path, out: Path, now: str) -> str:
    opts = ValidateOptions(profiles=[resolve_profile("edxml")], paths=[path], clock=parse_now(now), out_dir=out,
                           formats=("json",))
    report, _ = validate(opts)
    assert validate_report(report) == []
    return str(report["summary"]["by_requirement"]["EDX-08"]["outcome"])


def test_not_in_the_future_is_judged_in_vietnam_time(tmp_path: Path) -> None:
    path = tmp_path / "today.edxml"
    path.write_bytes(edoc_package(now=NOW, promulgation_date="2026/11/30"))
    # 17:30 UTC on the 29th is 00:30 on the 30th in Vietnam: the date is today, not the future.
    assert _judge_on(path, tmp_path / "a", "2026-11-29T17:30:00Z") == "pass"
    assert _judge_on(path, tmp_path / "b", "2026-11-29T16:30:00Z") == "fail"


def test_the_clock_is_injected_not_read() -> None:
    assert Clock(NOW).today().isoformat() == "2026-11-29"
