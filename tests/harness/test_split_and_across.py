"""Files that hold several subjects (``Checks.splitter``) and requirements judged across a run (``Checks.across``).

Uses the ``tally`` toy profile: ``NAME COUNT`` lines, one subject per line; TAL-03 says a name's count never
goes down over the run, and leaves out lines rejected for a mandatory failure (TAL-02: a count over 9).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conformance.clock import Clock
from conformance.engine import judge_file
from conformance.errors import ProfileError
from conformance.profiles import load_profile
from conformance.registry import CheckContext, Checks
from tests.conftest import NOW, NOW_ARG, load_valid_report

from .conftest import PROFILES


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def run(run_cli: Callable[..., Result], paths: list[Path], out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("validate", "-p", "tally", *map(str, paths), "-o", str(out), "--now", NOW_ARG, *args)
    return result.exit_code, load_valid_report(out)


def outcomes(report: dict[str, Any], requirement: str) -> dict[str, str]:
    return {r["subject"]: r["outcome"] for r in report["results"] if r["requirement"] == requirement}


def test_each_line_is_a_subject_named_after_its_file_and_line(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"a.tally": "x 1\n\ny 12\nnot a line\n"})
    code, report = run(run_cli, [folder], tmp_path / "out", "--list-passes")
    assert code == 1
    assert report["summary"]["subjects"] == 3  # the blank line is no subject
    assert outcomes(report, "TAL-02") == {"in/a.tally:1": "pass", "in/a.tally:3": "fail"}
    assert outcomes(report, "TAL-01") == {"in/a.tally:1": "pass", "in/a.tally:3": "pass", "in/a.tally:4": "fail"}


def test_a_run_level_judgement_sees_every_file_in_order(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"1.tally": "x 1\ny 5\n", "2.tally": "x 3\ny 4\n", "3.tally": "x 2\n"})
    code, report = run(run_cli, [folder], tmp_path / "out")
    assert code == 1
    [x] = [r for r in report["results"] if r["subject"] == "name x"]
    [y] = [r for r in report["results"] if r["subject"] == "name y"]
    assert x["outcome"] == y["outcome"] == "fail"
    assert x["message"] == "TAL-03: x went down from 3 to 2 (in/3.tally:1)"
    assert y["evidence"]["findings"][0]["path"] == "in/2.tally:2"
    assert report["summary"]["by_requirement"]["TAL-03"]["counts"]["fail"] == 2
    assert report["summary"]["subjects"] == 5  # run-level results add no subject


def test_paths_are_taken_in_the_order_given(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"high.tally": "x 5\n", "low.tally": "x 1\n"})
    _, forward = run(run_cli, [folder / "low.tally", folder / "high.tally"], tmp_path / "o1", "--list-passes")
    _, backward = run(run_cli, [folder / "high.tally", folder / "low.tally"], tmp_path / "o2", "--list-passes")
    assert outcomes(forward, "TAL-03") == {"name x": "pass"}
    assert outcomes(backward, "TAL-03") == {"name x": "fail"}


def test_facts_travel_back_from_worker_processes_in_file_order(run_cli: Callable[..., Result],
                                                              tmp_path: Path) -> None:
    # 200 files over several chunks: x climbs by one per file, and drops once, in the 150th.
    files = {f"{i:03}.tally": f"x {min(i, 9) if i != 150 else 0}\n" for i in range(200)}
    folder = write(tmp_path / "in", files)
    _, serial = run(run_cli, [folder], tmp_path / "serial")
    _, parallel = run(run_cli, [folder], tmp_path / "parallel", "--jobs", "2")
    for report in (serial, parallel):
        [x] = [r for r in report["results"] if r["subject"] == "name x"]
        assert x["evidence"]["findings"] == [{"message": "x went down from 9 to 0", "path": "in/150.tally:1"}]
    assert serial["summary"]["by_requirement"] == parallel["summary"]["by_requirement"]


def test_a_subject_rejected_for_a_mandatory_failure_is_marked_rejected(run_cli: Callable[..., Result],
                                                                      tmp_path: Path) -> None:
    # "x 12" fails TAL-02 (mandatory), so the judgement leaves it out: 12 then 3 is not a drop.
    folder = write(tmp_path / "in", {"a.tally": "x 2\nx 12\nx 3\n"})
    _, report = run(run_cli, [folder], tmp_path / "out", "--list-passes")
    assert outcomes(report, "TAL-03") == {"name x": "pass"}
    assert outcomes(report, "TAL-02")["in/a.tally:2"] == "fail"


def test_a_broken_splitter_is_an_error_for_its_file_and_the_run_goes_on(run_cli: Callable[..., Result],
                                                                        tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"a.tally": "x 1\nSPLITBOOM 1\n", "b.tally": "x 2\n"})
    code, report = run(run_cli, [folder], tmp_path / "out", "--list-passes")
    assert code == 3
    [error] = [r for r in report["results"] if r["outcome"] == "error"]
    assert error["subject"] == "in/a.tally" and "splitter raised RuntimeError: the splitter broke" in error["message"]
    assert outcomes(report, "TAL-02") == {"in/b.tally:1": "pass"}


def test_a_broken_gatherer_is_an_error_on_its_subject(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"a.tally": "GATHERBOOM 1\nx 1\n"})
    code, report = run(run_cli, [folder], tmp_path / "out")
    assert code == 3
    [error] = [r for r in report["results"] if r["outcome"] == "error"]
    assert (error["requirement"], error["subject"]) == ("TAL-03", "in/a.tally:1")
    assert "ValueError: the gatherer broke" in error["message"]


def test_a_broken_run_level_judgement_is_an_error_never_a_fail(run_cli: Callable[..., Result],
                                                               tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"a.tally": "x 1\nACROSSBOOM 1\n"})
    code, report = run(run_cli, [folder], tmp_path / "out")
    assert code == 3 and report["verdict"] == "inconclusive"
    [error] = [r for r in report["results"] if r["requirement"] == "TAL-03"]
    assert error["outcome"] == "error" and error["subject"] == "the whole run"
    assert "RuntimeError: the judgement broke" in error["message"] and "trace" in error["evidence"]


def test_a_judgement_that_yields_nothing_leaves_its_requirement_untested(run_cli: Callable[..., Result],
                                                                        tmp_path: Path) -> None:
    folder = write(tmp_path / "in", {"a.tally": "SILENT 1\n"})
    code, report = run(run_cli, [folder], tmp_path / "out")
    assert code == 3
    assert report["summary"]["untested"] == ["TAL-03"]


def test_judge_file_keeps_every_part_of_a_split_file(tmp_path: Path) -> None:
    profile = load_profile(PROFILES / "tally")
    path = write(tmp_path, {"a.tally": "x 1\ny 22\n"}) / "a.tally"
    ctx = CheckContext("tally", Clock(NOW))
    report = judge_file(profile, profile.load_checks(), ctx, str(path), "a.tally", 1000)
    assert report.subjects == 2
    assert {(r.subject, r.requirement, r.outcome.value) for r in report.results} == {
        ("a.tally:1", "TAL-01", "pass"), ("a.tally:1", "TAL-02", "pass"),
        ("a.tally:2", "TAL-01", "pass"), ("a.tally:2", "TAL-02", "fail")}
    assert [(rid, c.subject, c.facts, c.rejected) for rid, c in report.contributions] == [
        ("TAL-03", "a.tally:1", (("x", 1),), False), ("TAL-03", "a.tally:2", (("y", 22),), True)]


def test_registering_twice_names_both_places() -> None:
    checks = Checks("twice")

    @checks.across("X-01", gather=lambda s, c: [])
    def first(contributions, ctx):  # type: ignore[no-untyped-def]
        return []

    with pytest.raises(ProfileError, match=r"X-01 is registered twice.*first.*second"):
        @checks.check("X-01")
        def second(subject, ctx):  # type: ignore[no-untyped-def]
            return []

    checks.splitter(lambda raw, ctx: [raw])
    with pytest.raises(ProfileError, match="two splitters"):
        checks.splitter(lambda raw, ctx: [raw])
    checks.peer(lambda session: None)
    with pytest.raises(ProfileError, match="two peers"):
        checks.peer(lambda session: None)
    assert checks.verified() == {"X-01"}


def test_a_bulk_run_counts_what_a_listing_run_lists(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    # Bulk validation counts passes, run-level ones included, without building them into results.
    folder = write(tmp_path / "in", {"1.tally": "x 1\ny 5\nz 2\n", "2.tally": "x 3\ny 4\nz 2\nw 12\n"})
    _, listing = run(run_cli, [folder], tmp_path / "listing", "--list-passes")
    _, bulk = run(run_cli, [folder], tmp_path / "bulk")
    assert bulk["summary"] == listing["summary"]
    assert outcomes(listing, "TAL-03") == {"name x": "pass", "name y": "fail", "name z": "pass", "name w": "pass"}
    quiet = ("pass", "not-applicable")
    untimed = [{**r, "duration_ms": 0} for r in listing["results"] if r["outcome"] not in quiet]
    assert [{**r, "duration_ms": 0} for r in bulk["results"]] == untimed != []


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 70_001, 3 * 1024 * 1024 + 7])
def test_judge_file_judges_exactly_the_bytes_of_the_file_up_to_the_cap(tmp_path: Path, size: int) -> None:
    import hashlib

    profile = load_profile(PROFILES / "toy")
    data = (b"a line that is far too long\n" * (size // 28 + 1))[:size]
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    ctx = CheckContext("toy", Clock(NOW))
    cap = max(size, 1000)
    report = judge_file(profile, profile.load_checks(), ctx, str(path), "f.txt", cap)
    judged = {tuple(sorted(r.evidence["judged"].items())) for r in report.results}
    assert judged == {(("bytes", size), ("sha256", hashlib.sha256(data).hexdigest()))}
    over = judge_file(profile, profile.load_checks(), ctx, str(path), "f.txt", size - 1) if size else None
    if over is not None:  # one byte over the cap: not read, inconclusive, naming the limit
        assert {r.outcome.value for r in over.results} == {"inconclusive"}
        assert f"size cap of {size - 1} bytes" in over.results[0].message
