"""Mutation score of the edoc-exchange profile: every platform defect is caught by the requirement it was made for.

The clean reference platform is conformant; each ``--defect`` makes exactly its own requirement fail
(EXC-16 and EXC-04 are recommended: their failure is a warning), and no other mandatory one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance_fixtures.exchange_platform import DEFECTS
from tests.conftest import failed_ids

Run = Callable[..., dict[str, Any]]
EXC_IDS = {"EXC-01", "EXC-02", "EXC-03", "EXC-04", "EXC-10", "EXC-11", "EXC-12", "EXC-13", "EXC-14", "EXC-15",
           "EXC-16", "EXC-20", "EXC-21", "EXC-22"}


def test_every_requirement_has_a_defect() -> None:
    assert {d.requirement for d in DEFECTS.values()} == EXC_IDS


def test_clean_platform_is_conformant_with_evidence_for_every_requirement(run_platform: Run) -> None:
    report = run_platform(tls=True)
    assert report["verdict"] == "conformant", [r["message"] for r in report["results"] if r["outcome"] != "pass"]
    assert report["summary"]["untested"] == []
    judged = {r["requirement"] for r in report["results"] if r["outcome"] == "pass"}
    assert judged == EXC_IDS
    assert all(r["evidence"] for r in report["results"])


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_defect_is_caught_by_its_requirement_and_nothing_else(run_platform: Run, defect: str) -> None:
    wanted = DEFECTS[defect].requirement
    report = run_platform([defect], max_examples=25 if wanted in ("EXC-02", "EXC-03") else 12)
    assert failed_ids(report) == {wanted}, [r["message"] for r in report["results"] if r["outcome"] == "fail"]
    errors = [r["message"] for r in report["results"] if r["outcome"] in ("error", "inconclusive")]
    assert errors == []
    failure = next(r for r in report["results"] if r["outcome"] == "fail")
    assert failure["evidence"], "a failure must carry its evidence"


def test_active_consent_runs_the_expansion_and_size_probes(run_platform: Run) -> None:
    passive = run_platform()
    active = run_platform(consent="active")
    hostile = {r["evidence"].get("untested_without_consent") is not None and r["requirement"]: r
               for r in (passive["results"] + active["results"]) if r["requirement"] == "EXC-12"}
    assert hostile
    before = next(r for r in passive["results"] if r["requirement"] == "EXC-12")
    after = next(r for r in active["results"] if r["requirement"] == "EXC-12")
    assert before["evidence"]["untested_without_consent"] == ["entity-expansion", "limit + 1 byte"]
    assert after["evidence"]["untested_without_consent"] == []
    assert "entity-expansion" in after["evidence"]["probes"] and after["outcome"] == "pass"
