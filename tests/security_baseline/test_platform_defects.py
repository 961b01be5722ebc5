"""security-baseline against the reference exchange platform: conformant clean, and each of its defects caught.

The platform is run as a vendor would be certified: over HTTPS, security level 3, consent: active. Its
TLS defects (tls10-accepted, expired-certificate) are proven at the end of this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.live_session import RunOptions, run_live
from conformance_fixtures.exchange_platform import SECURITY_DEFECTS, running_platform
from conformance_profiles.security_baseline.tls_scanner import scanner_available
from tests.conftest import failed_ids, load_valid_report

HTTP_DEFECTS = sorted(name for name, d in SECURITY_DEFECTS.items() if not d.tls)


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defects: list[str]) -> dict[str, Any]:
    with running_platform(tmp_path / "state", tls=True, defects=defects) as platform:
        secrets = platform.write_target(tmp_path / "target.yaml", consent="active")
        for name, value in secrets.items():
            monkeypatch.setenv(name, value)
        run_live(RunOptions(target_file=tmp_path / "target.yaml", out_dir=tmp_path / "out",
                            profiles=("security-baseline",), formats=["json"]))
    text = (tmp_path / "out" / "report.json").read_text("utf-8")
    assert not [name for name, value in secrets.items() if value in text], "a token reached the report"
    return load_valid_report(tmp_path / "out")


def test_the_http_defects_are_the_ones_this_file_proves() -> None:
    assert {SECURITY_DEFECTS[n].requirement for n in HTTP_DEFECTS} == {
        "SB-HTTP-02", "SB-INFO-01", "SB-INFO-02", "SB-CORS-01", "SB-METH-01", "SB-AUTH-01"}


def test_the_clean_platform_is_conformant_at_level_3_with_consent(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    report = _run(tmp_path, monkeypatch, [])
    problems = [f"{r['requirement']} {r['subject']}: {r['outcome']} {r['message']}" for r in report["results"]
                if r["outcome"] not in ("pass", "not-applicable")]
    if scanner_available():
        assert report["verdict"] == "conformant", problems
        assert report["summary"]["untested"] == []
    else:  # without the tls extra, the rows only sslyze can judge are untested, and nothing else fails
        assert report["verdict"] == "inconclusive" and not failed_ids(report), problems
        assert all(rid.startswith(("SB-TLS", "SB-CERT")) for rid in report["summary"]["untested"])
    assert len(report["summary"]["by_requirement"]) == 38
    assert all(r["evidence"] for r in report["results"])
    target = report["target"]
    assert target["security_level"] == 3 and target["consent"] == "active"
    assert all(i["token"] == "***" for i in target["identities"])


@pytest.mark.parametrize("defect", HTTP_DEFECTS)
def test_each_http_defect_is_caught_by_its_requirement_and_nothing_else(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        defect: str) -> None:
    wanted = SECURITY_DEFECTS[defect].requirement
    report = _run(tmp_path, monkeypatch, [defect])
    assert report["verdict"] == "non-conformant"
    assert failed_ids(report) == {wanted}, [r["message"] for r in report["results"] if r["outcome"] == "fail"]
    failure = next(r for r in report["results"] if r["outcome"] == "fail")
    assert failure["evidence"]


# The platform's TLS defects, caught by their own rows. Also failing: tls10-accepted offers its CBC suite under
# TLS 1.2 too (SB-TLS-03), and an expired certificate may fail SB-CERT-01 (the Precise rules allow it); the HTTP
# rows cannot be judged through a certificate the client refuses, so they are inconclusive, never a pass.
TLS_DEFECTS = {"tls10-accepted": ("SB-TLS-01", {"SB-TLS-03"}), "expired-certificate": ("SB-CERT-02", {"SB-CERT-01"})}


@pytest.mark.parametrize("defect", sorted(TLS_DEFECTS))
def test_each_tls_defect_is_caught_by_its_requirement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      defect: str) -> None:
    wanted, also = TLS_DEFECTS[defect]
    assert SECURITY_DEFECTS[defect].requirement == wanted
    report = _run(tmp_path, monkeypatch, [defect])
    assert report["verdict"] == "non-conformant"
    assert wanted in failed_ids(report) and failed_ids(report) <= {wanted} | also, failed_ids(report)
    failure = next(r for r in report["results"] if r["requirement"] == wanted and r["outcome"] == "fail")
    assert failure["evidence"]
    assert not [r for r in report["results"] if r["outcome"] == "error"]
