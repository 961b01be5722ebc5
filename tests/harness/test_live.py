"""Live scenarios through the pytest engine: WARN parts, security levels, untested with a reason, profile bugs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.live_session import RunOptions, run_live
from tests.conftest import load_valid_report

PROFILE = str(Path(__file__).parent / "profiles" / "probe")


def _run(tmp_path: Path, **target: Any) -> dict[str, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "target.yaml"
    path.write_text(yaml.safe_dump({"target": {"vendor": "v", "product": "p", "version": "1"}, **target}), "utf-8")
    run_live(RunOptions(target_file=path, out_dir=tmp_path / "out", profiles=[PROFILE], formats=["json"]))
    return load_valid_report(tmp_path / "out")


def _outcomes(report: dict[str, Any], requirement: str) -> list[tuple[str, str]]:
    return [(r["outcome"], r["level"]) for r in report["results"] if r["requirement"] == requirement]


def test_a_warn_part_is_shown_but_never_decides(tmp_path: Path) -> None:
    report = _run(tmp_path, security_level=1)
    assert _outcomes(report, "PRB-01") == [("pass", "mandatory"), ("fail", "recommended")]
    entry = report["summary"]["by_requirement"]["PRB-01"]
    assert entry["outcome"] == "pass" and entry["warnings"] == 1


def test_a_scenario_reads_the_parameters_of_its_profile(tmp_path: Path) -> None:
    [fine] = [r for r in _run(tmp_path)["results"] if r["requirement"] == "PRB-01" and r["outcome"] == "pass"]
    assert fine["message"] == "PRB-01: fine after 7"  # limits.fine_after of the probe profile's manifest


@pytest.mark.parametrize(("level", "expected", "verdict"), [(2, "recommended", "inconclusive"),
                                                           (3, "mandatory", "non-conformant")])
def test_mandatory_from_follows_the_security_level(tmp_path: Path, level: int, expected: str, verdict: str) -> None:
    report = _run(tmp_path, security_level=level)
    assert report["summary"]["by_requirement"]["PRB-02"]["level"] == expected
    assert report["verdict"] == verdict  # at level 2 only the untested consent probe keeps it from conformant


def test_a_probe_without_consent_is_untested_with_its_reason(tmp_path: Path) -> None:
    report = _run(tmp_path)
    assert "PRB-03" in report["summary"]["untested"]
    assert report["summary"]["untested_reasons"]["PRB-03"] == "needs consent: active"
    assert not _outcomes(report, "PRB-03")


def test_a_requirement_with_an_untested_part_is_untested_even_when_the_rest_passed(tmp_path: Path) -> None:
    passive = _run(tmp_path / "a")
    assert _outcomes(passive, "PRB-06") == [("pass", "mandatory")]
    assert "PRB-06" in passive["summary"]["untested"]
    assert passive["summary"]["untested_reasons"]["PRB-06"] == "the active part needs consent: active"
    active = _run(tmp_path / "b", consent="active")
    assert "PRB-06" not in active["summary"]["untested"]


def test_profile_bugs_are_errors_never_passes(tmp_path: Path) -> None:
    forgot = _run(tmp_path / "a")
    assert _outcomes(forgot, "PRB-04") == [("error", "mandatory")]
    assert "gave no verdict" in next(r["message"] for r in forgot["results"] if r["requirement"] == "PRB-04")
    raised = _run(tmp_path / "b", consent="active")
    assert _outcomes(raised, "PRB-04") == [("error", "mandatory")] == _outcomes(raised, "PRB-05")
    assert "ValueError: a bug in the profile" in next(r["message"] for r in raised["results"]
                                                       if r["requirement"] == "PRB-05")


def test_the_out_of_band_listener_names_the_callback_host_and_sees_a_fetch(tmp_path: Path) -> None:
    import urllib.request

    from conformance.oob import out_of_band_listener
    with out_of_band_listener("127.0.0.1") as listener:
        token = listener.token()
        url = listener.url(token, "/x.dtd")
        assert url.startswith(f"http://127.0.0.1:{listener.port}/{token}")
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=5)  # the listener answers 404 and never serves content
        assert [h.token for h in listener.wait_for(token, 2)] == [token]
        assert listener.hits(listener.token()) == []
