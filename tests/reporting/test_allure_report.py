"""allure-results/: one result per listed result and per requirement, statuses, labels, history ids."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import write_reports
from conformance.reporting.allure import history_id, write_allure

HOSTILE_SCRIPT = "<script>alert(1)</script>"
STATUS = {
    "pass": "passed",
    "fail": "failed",
    "error": "broken",
    "inconclusive": "skipped",
    "not-applicable": "skipped",
    "untested": "skipped",
}


def load(report: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """Write ``report`` as Allure results under ``folder`` and read every result back."""
    path = write_allure(report, folder)
    assert path == folder / "allure-results" and path.is_dir()
    return [json.loads(p.read_text("utf-8")) for p in sorted(path.glob("*-result.json"))]


def labels(result: dict[str, Any]) -> dict[str, str]:
    return {label["name"]: label["value"] for label in result["labels"]}


def by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    named = {r["name"]: r for r in results}
    assert len(named) == len(results)
    return named


def test_one_result_per_listed_result_and_per_requirement(any_report: dict[str, Any], tmp_path: Path) -> None:
    results = load(any_report, tmp_path)
    by_requirement = any_report["summary"]["by_requirement"]
    assert len(results) == len(any_report["results"]) + len(by_requirement)
    names = [r["name"] for r in results]
    assert sorted(n for n in names if n.endswith(" (all subjects)")) == sorted(
        f"{req} (all subjects)" for req in by_requirement
    )


def test_statuses_are_mapped(any_report: dict[str, Any], tmp_path: Path) -> None:
    results = by_name(load(any_report, tmp_path))
    for r in any_report["results"]:
        assert results[f"{r['requirement']}: {r['subject']}"]["status"] == STATUS[r["outcome"]]
    for req, info in any_report["summary"]["by_requirement"].items():
        assert results[f"{req} (all subjects)"]["status"] == STATUS[info["outcome"]]


def test_labels_place_each_result(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    results = by_name(load(nonconformant_report, tmp_path))
    for r in nonconformant_report["results"]:
        got = labels(results[f"{r['requirement']}: {r['subject']}"])
        assert {k: got[k] for k in ("suite", "subSuite", "feature", "tag", "epic")} == {
            "suite": r["profile"],
            "subSuite": r["requirement"],
            "feature": r["requirement"],
            "tag": r["level"],
            "epic": "conformance",
        }
    assert labels(results["SB-TLS-01 (all subjects)"])["suite"] == "security-baseline"
    assert labels(results["EDX-12 (all subjects)"])["tag"] == "recommended"


def test_messages_evidence_and_parameters(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    results = by_name(load(nonconformant_report, tmp_path))
    hostile = results[f"EDX-08: samples/{HOSTILE_SCRIPT}.edxml"]
    assert (
        hostile["statusDetails"]["message"]
        == f"PromulgationDate ']]>{HOSTILE_SCRIPT}' is not a real date␁ (line 12)"
    )
    assert "path /edXML/PromulgationDate, line 12" in hostile["statusDetails"]["trace"]
    assert hostile["parameters"] == [{"name": "subject", "value": f"samples/{HOSTILE_SCRIPT}.edxml"}]
    (attachment,) = hostile["attachments"]
    assert attachment["type"] == "application/json" and attachment["name"] == "evidence"
    evidence = json.loads((tmp_path / "allure-results" / attachment["source"]).read_text("utf-8"))
    assert evidence["findings"][0]["value"] == "2014/02/30]]>␁"
    assert evidence["findings"][1]["value"] == "A" * 5000  # the attachment keeps the whole evidence
    assert evidence["omitted_findings"] == 7
    assert "attachments" not in results["SB-HTTP-01: target"]  # no evidence, no attachment
    summary = results["EDX-08 (all subjects)"]
    assert (
        summary["statusDetails"]["message"]
        == "fail: pass 8, fail 2, inconclusive 0, error 0, not-applicable 0"
    )
    assert {"name": "count.fail", "value": "2"} in summary["parameters"]


def test_untested_requirement_is_skipped_with_its_reason(
    inconclusive_report: dict[str, Any], tmp_path: Path
) -> None:
    results = by_name(load(inconclusive_report, tmp_path))
    tls = results["SB-TLS-01 (all subjects)"]
    assert tls["status"] == "skipped"
    assert tls["statusDetails"]["message"] == "untested: the target file has no TLS endpoint"


def test_history_ids_are_stable_and_distinct(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    first = load(nonconformant_report, tmp_path / "a")
    second = load(nonconformant_report, tmp_path / "b")
    ids = {r["name"]: r["historyId"] for r in first}
    assert ids == {r["name"]: r["historyId"] for r in second}
    assert len(set(ids.values())) == len(ids)
    assert {r["uuid"] for r in first}.isdisjoint({r["uuid"] for r in second})
    assert ids["EDX-08: samples/doc-001.edxml"] == history_id("edxml", "EDX-08", "samples/doc-001.edxml")
    assert all(r["testCaseId"] == r["historyId"] for r in first)


def test_repeated_subject_keeps_both_results(
    make_report: Callable[..., dict[str, Any]], make_result: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    twice = [make_result("EDX-01", "pass", "a.edxml"), make_result("EDX-01", "fail", "a.edxml")]
    results = load(make_report(twice), tmp_path)
    listed = [r for r in results if r["name"] == "EDX-01: a.edxml"]
    assert sorted(r["status"] for r in listed) == ["failed", "passed"]
    assert len({r["historyId"] for r in listed}) == 2


def test_times_come_from_created_and_durations(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    results = by_name(load(nonconformant_report, tmp_path))
    created = int(datetime.fromisoformat(nonconformant_report["created"]).timestamp() * 1000)
    hostile = results[f"EDX-08: samples/{HOSTILE_SCRIPT}.edxml"]
    assert hostile["stop"] - hostile["start"] == 1500
    assert min(r["start"] for r in results.values()) == created
    first = results["EDX-01: samples/doc-000.edxml"]
    assert (first["start"], first["stop"]) == (created, created + 3)


def test_rewriting_replaces_the_folder(conformant_report: dict[str, Any], tmp_path: Path) -> None:
    stale = tmp_path / "allure-results" / "old-result.json"
    stale.parent.mkdir()
    stale.write_text("{}", "utf-8")
    results = load(conformant_report, tmp_path)
    assert not stale.exists()
    assert len(results) == len(conformant_report["results"]) + 6


def test_environment_properties(conformant_report: dict[str, Any], tmp_path: Path) -> None:
    load(conformant_report, tmp_path)
    lines = (tmp_path / "allure-results" / "environment.properties").read_text("ascii").splitlines()
    assert "verdict=conformant" in lines
    assert "profile.edxml=1.0.0" in lines
    # Java reads properties as ISO-8859-1: non-ASCII text is \\u-escaped.
    assert "target.vendor=C\\u00f4ng ty Ph\\u1ea7n m\\u1ec1m V\\u00ed d\\u1ee5" in lines


def test_lone_surrogates_do_not_break_the_files(
    make_report: Callable[..., dict[str, Any]], make_result: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    report = make_report([make_result("EDX-01", "fail", "s\ud800", "m\udfff\x07", evidence={"v": "\ud83d"})])
    results = by_name(load(report, tmp_path))
    (result,) = [r for n, r in results.items() if n.startswith("EDX-01: ")]
    assert result["name"] == "EDX-01: s\ufffd"
    assert result["statusDetails"]["message"] == "m\ufffd␇"


@pytest.mark.parametrize("formats", [["allure"], ["json", "allure"]])
def test_writer_is_registered(conformant_report: dict[str, Any], tmp_path: Path, formats: list[str]) -> None:
    assert tmp_path / "allure-results" in write_reports(conformant_report, tmp_path, formats)
