"""openapi-contract finds each planted violation with the requirement made for it, and passes the clean API.

API-02, 03, 05, 07 and 09 (and 04, 12) are each proven on the registry API: a planted bug is found
with evidence, and the clean API (OpenAPI 3.0 and 3.1 documents alike) passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import failed_ids
from tests.openapi_contract.conftest import MANDATORY

Run = Callable[..., dict[str, Any]]

# violation -> (OpenAPI version, the requirement that must catch it, subject, other ids it may also break)
PLANTED = {
    "server-error": ("3.1.0", "API-02", "POST /items", {"API-03", "API-11"}),  # a 500 is also undocumented
    "undocumented-status": ("3.0.3", "API-03", "POST /items", {"API-13"}),
    "wrong-body": ("3.1.0", "API-05", "GET /items", set()),
    "accepts-out-of-range": ("3.0.3", "API-07", "POST /items", set()),
    "ignores-auth": ("3.1.0", "API-09", "GET /items/{itemId}", set()),
    "wrong-content-type": ("3.0.3", "API-04", "GET /items", set()),
    "nfd-names": ("3.1.0", "API-12", "POST /items", set()),
    "wrong-format": ("3.0.3", "API-05", "GET /items", set()),  # formats are judged, in 3.0 documents too
}


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_clean_api_passes(run_registry: Run, version: str) -> None:
    # The listed item has note: null, valid only because 3.0's nullable (and 3.1's type list) are honoured.
    report = run_registry(version)
    assert report["verdict"] == "conformant", [r["message"] for r in report["results"] if r["outcome"] == "fail"]
    assert failed_ids(report) == set()
    assert report["summary"]["untested"] == []
    outcomes = {r["requirement"]: r["outcome"] for r in report["results"] if r["subject"] == "POST /items"}
    assert outcomes["API-07"] == "pass" and outcomes["API-09"] == "pass" and outcomes["API-12"] == "pass"
    assert {r["requirement"] for r in report["results"]} >= MANDATORY


@pytest.mark.parametrize("violation", sorted(PLANTED))
def test_planted_violation_is_caught_by_its_requirement(run_registry: Run, violation: str) -> None:
    version, requirement, subject, also = PLANTED[violation]
    report = run_registry(version, frozenset({violation}))
    assert requirement in failed_ids(report, subject), [r["message"] for r in report["results"]]
    assert failed_ids(report) <= {requirement} | also
    failure = next(r for r in report["results"] if r["requirement"] == requirement and r["outcome"] == "fail")
    first = failure["evidence"]["observations"][0]
    assert first["curl"].startswith("curl ") and "registry-token" not in first["curl"]
    assert isinstance(failure["evidence"]["seed"], int)


def test_failures_are_deduplicated_with_a_count(run_registry: Run) -> None:
    report = run_registry("3.1.0", frozenset({"wrong-body"}), max_examples=40)
    failure = next(r for r in report["results"] if r["requirement"] == "API-05" and r["outcome"] == "fail")
    observations = failure["evidence"]["observations"]
    assert len(observations) == 1 and observations[0]["count"] > 1


def _signature(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((r["requirement"], r["subject"], r["outcome"], r["message"],
                   repr(r["evidence"].get("cases")), repr(r["evidence"].get("statuses")))
                  for r in report["results"])


def test_same_seed_same_cases_and_findings(run_registry: Run) -> None:
    first = run_registry("3.1.0", frozenset({"accepts-out-of-range"}), seed=11)
    again = run_registry("3.1.0", frozenset({"accepts-out-of-range"}), seed=11)
    assert _signature(first) == _signature(again)
    assert first["reproduce"]["seed"] == 11


def test_a_secret_never_reaches_the_report(run_registry: Run) -> None:
    report = run_registry("3.1.0", frozenset({"ignores-auth"}))
    assert "registry-token" not in str(report)
