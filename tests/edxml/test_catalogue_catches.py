"""Every labelled package gives exactly the failures its label names, with evidence; good ones give none."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conformance.profiles import resolve_profile
from conformance.reporting.json_writer import validate_report
from conformance_fixtures.edxml_corpus import build_corpus
from tests.conftest import NOW

from .conftest import labels, run_validate


def _label_names() -> list[str]:
    # Parametrise from a throwaway build, so each package is its own test id.
    with tempfile.TemporaryDirectory() as folder:
        return sorted(build_corpus(Path(folder), now=NOW))


LABELLED = _label_names()


def _results(report: dict[str, Any]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    by: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for result in report["results"]:
        by[result["subject"]][result["outcome"]].append(result)
    return by


def test_the_corpus_report_is_valid(corpus_report: dict[str, Any]) -> None:
    assert validate_report(corpus_report) == []
    assert corpus_report["summary"]["subjects"] == len(LABELLED)
    assert corpus_report["summary"]["untested"] == []


@pytest.mark.parametrize("name", LABELLED)
def test_package_fails_exactly_what_its_label_says(name: str, corpus: Path, corpus_report: dict[str, Any]) -> None:
    expected = set(labels(corpus)[name]["breaks"])
    results = _results(corpus_report)[name]
    assert {r["requirement"] for r in results["fail"]} == expected
    assert results["error"] == [] and results["inconclusive"] == []
    for failure in results["fail"]:
        findings = failure["evidence"]["findings"]
        assert findings and all(f["message"] for f in findings)
        assert failure["message"].startswith(f"{failure['requirement']}: ")
        if failure["requirement"] not in ("EDX-01", "EDX-17"):
            assert any("path" in f for f in findings), failure  # evidence points into the package


def test_every_catalogue_id_is_caught_by_some_labelled_package(corpus: Path) -> None:
    caught = {rid for label in labels(corpus).values() for rid in label["breaks"]}
    assert caught == set(resolve_profile("edxml").requirements)


def test_the_message_says_what_and_where(corpus_report: dict[str, Any]) -> None:
    [result] = [r for r in corpus_report["results"]
                if r["subject"] == "invalid/EDX-08-impossible-date.edxml" and r["requirement"] == "EDX-08"]
    assert result["message"].startswith("EDX-08: PromulgationDate '2014/02/30' is not a real date (/ed:edXML/"
                                        "ed:edXMLEnvelope/ed:edXMLHeader/ed:MessageHeader/ed:PromulgationInfo/"
                                        "ed:PromulgationDate, line ")
    finding = result["evidence"]["findings"][0]
    assert finding["value"] == "2014/02/30" and isinstance(finding["line"], int)


def test_conformant_corpus_has_no_failure_and_is_conformant(corpus: Path, tmp_path: Path) -> None:
    report = run_validate([corpus / "conformant"], tmp_path, trust=[corpus / "trust" / "ca.pem"])
    assert report["verdict"] == "conformant"
    assert report["summary"]["by_outcome"]["fail"] == 0
    assert report["summary"]["by_outcome"]["error"] == 0
    by_req = report["summary"]["by_requirement"]
    assert by_req["EDX-18"]["counts"]["pass"] >= 1 and by_req["EDX-18"]["decides"]
    # positive evidence for the signature and the agency-code syntax
    sig = next(r for r in report["results"] if r["requirement"] == "EDX-18" and r["outcome"] == "pass")
    assert "subject" in sig["evidence"]["certificate"]
    organ = next(r for r in report["results"] if r["requirement"] == "EDX-06" and r["outcome"] == "pass")
    assert {o["syntax"] for o in organ["evidence"]["organ_ids"]} <= {"QCVN 102:2016 (legacy)", "QĐ 20/2020"}
