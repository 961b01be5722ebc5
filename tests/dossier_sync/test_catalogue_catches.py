"""Every labelled subject gives exactly the failures its label names, with evidence; the others give none."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conformance.profiles import resolve_profile
from conformance_fixtures.dossier_messages import build_corpus
from tests.conftest import NOW

from .conftest import FOLDERS, labels, run_validate


def _label_names() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:  # parametrise from a throwaway build: one test id per subject
        return sorted(build_corpus(Path(folder), now=NOW))


LABELLED = _label_names()


def _by_subject(report: dict[str, Any]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    by: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for result in report["results"]:
        by[result["subject"]][result["outcome"]].append(result)
    return by


@pytest.mark.parametrize("name", LABELLED)
def test_subject_fails_exactly_what_its_label_says(name: str, corpus: Path, corpus_report: dict[str, Any]) -> None:
    expected = set(labels(corpus)[name]["breaks"])
    results = _by_subject(corpus_report)[name]
    assert results, f"no result for {name}"
    assert {r["requirement"] for r in results["fail"]} == expected
    assert results["error"] == [] and results["inconclusive"] == []
    for failure in results["fail"]:
        findings = failure["evidence"]["findings"]
        assert findings and all(f["message"] for f in findings)
        assert failure["message"].startswith(f"{failure['requirement']}: ")
        if failure["requirement"] not in ("DVC-01",):
            assert all("path" in f for f in findings), failure  # evidence points into the message


def test_every_subject_of_the_run_is_labelled(corpus: Path, corpus_report: dict[str, Any]) -> None:
    subjects = {r["subject"] for r in corpus_report["results"]}
    dossiers = {s for s in subjects if s.startswith("MaHoSo ")}
    assert subjects - dossiers <= set(labels(corpus))
    failing = {r["subject"] for r in corpus_report["results"] if r["outcome"] == "fail"}
    assert failing <= set(labels(corpus)), "a failure nobody labelled"
    assert corpus_report["summary"]["subjects"] == len([n for n in LABELLED if not n.startswith("MaHoSo ")])
    assert corpus_report["summary"]["untested"] == []


def test_every_catalogue_id_is_caught_by_some_labelled_subject(corpus: Path) -> None:
    caught = {rid for label in labels(corpus).values() for rid in label["breaks"]}
    assert caught == set(resolve_profile("dossier-sync").requirements)


def test_the_conformant_folder_is_conformant_with_positive_evidence(corpus: Path, tmp_path: Path) -> None:
    report = run_validate([corpus / "conformant"], tmp_path)
    assert report["verdict"] == "conformant"
    assert report["summary"]["warnings"] == 0
    forms = {c["form"] for r in report["results"] if r["requirement"] == "DVC-05" and r["outcome"] == "pass"
             for c in r["evidence"]["codes"]}
    assert forms == {"legacy", "newer"}  # the evidence says which dossier-code form was used
    sequences = [r for r in report["results"] if r["requirement"] == "DVC-07"]
    assert len(sequences) == 12 and {r["outcome"] for r in sequences} == {"pass"}  # two days of five, and two
    assert any(r["message"].endswith("1 → 2 → 4 → 5 → 4 → 4 → 9 → 10") for r in sequences)


def test_the_messages_say_what_and_where(corpus_report: dict[str, Any]) -> None:
    def message(subject: str, requirement: str) -> str:
        [result] = [r for r in corpus_report["results"] if r["subject"] == subject and r["requirement"] == requirement]
        return str(result["message"])

    assert message("invalid/DVC-04-unreal.json", "DVC-04") == \
        "DVC-04: NgayHenTra '20261231256000' is not a real local time (/data/0/NgayHenTra)"
    assert message("invalid/DVC-02-status-exponent.json", "DVC-02") == \
        "DVC-02: TrangThaiHoSo is written 2e0; an integer is written without fraction or exponent " \
        "(/data/0/TrangThaiHoSo)"
    assert message("invalid/DVC-01-duplicate-key.json", "DVC-01").startswith(
        "DVC-01: an object repeats the key HinhThuc: RFC 8259 names must be unique for every reader to agree "
        "(/data/0). Evaluation stopped here")
    assert message("invalid/DVC-03-subject-type.json", "DVC-03") == \
        "DVC-03: LoaiDoiTuong 3 is not in its code list: \"1\" (citizen), \"2\" (business) (/data/0/LoaiDoiTuong)"
    assert "follows neither dossier-code form" in message("invalid/DVC-05-mixed-form.json", "DVC-05")
    assert message("invalid/DVC-09-id-number.json", "DVC-09") == \
        "DVC-09: TrichYeuHoSo holds a run of 9 digits (012****78), which looks like an identity-card number " \
        "(/data/0/TrichYeuHoSo)"


def test_an_identity_number_is_never_written_whole(corpus_report: dict[str, Any], tmp_path: Path) -> None:
    text = str(corpus_report)
    assert "012345678" not in text and "001099012345" not in text


def test_arrays_and_ndjson_streams_are_cut_into_named_subjects(corpus_report: dict[str, Any]) -> None:
    subjects = {r["subject"] for r in corpus_report["results"]}
    assert "conformant/day.ndjson:1" in subjects and "conformant/day.ndjson:20" in subjects
    assert "conformant/day-array.json[0]" in subjects and "conformant/day-array.json[19]" in subjects
    assert "conformant/day.ndjson" not in subjects and "conformant/day-array.json" not in subjects
    assert "conformant/single-0.json" in subjects  # a pretty-printed message is one subject


def test_a_sequence_is_judged_across_files_and_lines(corpus: Path, corpus_report: dict[str, Any]) -> None:
    lifecycle = {r["subject"]: r for r in corpus_report["results"] if r["requirement"] == "DVC-07"}
    [x_code] = [name for name, label in labels(corpus).items() if label["why"] == "1 → 10 skips the lifecycle"]
    x = lifecycle[x_code]
    assert x["outcome"] == "fail"
    assert x["evidence"]["findings"][0]["path"] == "lifecycle/02-x-returned.json /data/0/TrangThaiHoSo"
    [y_code] = [n for n, label in labels(corpus).items() if label["why"].startswith("9 → 2")]
    y = lifecycle[y_code]
    assert [(s["subject"], s["note"]) for s in y["evidence"]["sequence"]] == [
        ("lifecycle/03-y-z.ndjson:1", "taken"), ("lifecycle/03-y-z.ndjson:2", "taken"),
        ("lifecycle/03-y-z.ndjson:3", "rejected"), ("lifecycle/03-y-z.ndjson:4", "taken"),
        ("lifecycle/03-y-z.ndjson:5", "taken"), ("lifecycle/03-y-z.ndjson:6", "illegal")]
    assert "cannot follow 9 (processed)" in y["message"]


def test_parallel_workers_give_the_same_report(corpus: Path, corpus_report: dict[str, Any], tmp_path: Path) -> None:
    parallel = run_validate([corpus / folder for folder in FOLDERS], tmp_path, jobs=2)
    assert parallel["summary"]["by_requirement"] == corpus_report["summary"]["by_requirement"]
    key = [(r["subject"], r["requirement"], r["outcome"]) for r in corpus_report["results"]]
    assert [(r["subject"], r["requirement"], r["outcome"]) for r in parallel["results"]] == key


def test_bulk_validation_lists_only_what_did_not_pass(corpus: Path, tmp_path: Path) -> None:
    report = run_validate([corpus / "conformant"], tmp_path, list_passes=False)
    assert report["results"] == [] and report["listing"] == "non-passing"
    assert report["summary"]["by_requirement"]["DVC-07"]["counts"]["pass"] == 12
