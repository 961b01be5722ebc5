"""Offline validation end to end on the toy profile: outcomes, listing rule, caps, parallelism, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import NOW_ARG, failed_ids, load_valid_report


def by_subject(report: dict, subject: str) -> dict[str, str]:
    return {r["requirement"]: r["outcome"] for r in report["results"] if r["subject"] == subject}


def test_each_defect_is_caught_by_its_requirement(run_cli: Callable[..., Result], toy_files: Path,
                                                  tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "toy", str(toy_files), "-o", str(tmp_path / "out"), "--now", NOW_ARG)
    assert result.exit_code == 1, result.output
    report = load_valid_report(tmp_path / "out")
    assert report["verdict"] == "non-conformant"
    assert failed_ids(report, "msgs/long.txt") == {"TOY-02"}
    assert failed_ids(report, "msgs/nonewline.txt") == {"TOY-03"}
    assert failed_ids(report, "msgs/badsig.txt") == {"TOY-04"}  # present, so judged though unclaimed
    assert failed_ids(report, "msgs/good.txt") == set()
    long = next(r for r in report["results"] if r["subject"] == "msgs/long.txt")
    assert long["evidence"]["findings"][0] == {"message": "line 1 has 25 characters", "line": 1,
                                                "value": "this line is far too long"}
    assert long["message"] == "TOY-02: line 1 has 25 characters (line 1)"
    assert report["summary"]["subjects"] == 7  # ignored.dat is not picked up from a folder
    assert report["summary"]["warnings"] == 1


def test_a_stop_omits_the_other_rules_and_does_not_make_them_untested(run_cli: Callable[..., Result],
                                                                      toy_files: Path, tmp_path: Path) -> None:
    run_cli("validate", "-p", "toy", str(toy_files / "latin1.txt"), "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    report = load_valid_report(tmp_path / "o")
    assert by_subject(report, str(toy_files / "latin1.txt")) == {"TOY-01": "fail"}
    assert report["summary"]["untested"] == []
    assert "Evaluation stopped" in report["results"][0]["message"]
    assert report["verdict"] == "non-conformant"


def test_a_broken_check_is_an_error_never_a_fail(run_cli: Callable[..., Result], toy_files: Path,
                                                 tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "toy", str(toy_files / "boom.txt"), "-o", str(tmp_path / "o"),
                     "--now", NOW_ARG)
    assert result.exit_code == 3
    report = load_valid_report(tmp_path / "o")
    boom = [r for r in report["results"] if r["requirement"] == "TOY-05"]
    assert boom[0]["outcome"] == "error"
    assert "ValueError: the checker broke" in boom[0]["message"]
    assert report["verdict"] == "inconclusive"
    assert "Traceback" not in result.output


def test_over_the_size_cap_is_inconclusive_and_names_the_limit(run_cli: Callable[..., Result], toy_files: Path,
                                                               tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "toy", str(toy_files / "big.txt"), "-o", str(tmp_path / "o"),
                     "--now", NOW_ARG)
    assert result.exit_code == 3
    report = load_valid_report(tmp_path / "o")
    [entry] = report["results"]
    assert entry["outcome"] == "inconclusive"
    assert "size cap of 1000 bytes" in entry["message"]
    assert entry["evidence"] == {"size_bytes": 1200, "limit_bytes": 1000}
    # --max-bytes raises the cap, and the file is then judged in full
    result = run_cli("validate", "-p", "toy", str(toy_files / "big.txt"), "-o", str(tmp_path / "o2"),
                     "--max-bytes", "5000", "--now", NOW_ARG)
    assert result.exit_code == 0, result.output


def test_claimed_feature_that_is_missing_fails(run_cli: Callable[..., Result], toy_files: Path,
                                               tmp_path: Path) -> None:
    path = toy_files / "nonewline.txt"
    run_cli("validate", "-p", "toy", str(path), "-o", str(tmp_path / "a"), "--now", NOW_ARG)
    assert load_valid_report(tmp_path / "a")["summary"]["by_requirement"]["TOY-04"]["outcome"] == "not-applicable"
    result = run_cli("validate", "-p", "toy", str(path), "--claim", "toy.sig", "-o", str(tmp_path / "b"),
                     "--now", NOW_ARG)
    assert result.exit_code == 1
    assert failed_ids(load_valid_report(tmp_path / "b")) == {"TOY-03", "TOY-04"}


def test_bulk_listing_grows_with_failures_not_passes(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"{i:04}.txt").write_text("ok\n")
    (folder / "bad.txt").write_text("much too long line\n")
    run_cli("validate", "-p", "toy", str(folder), "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    report = load_valid_report(tmp_path / "o")
    assert report["listing"] == "non-passing"
    assert [r["subject"] for r in report["results"]] == ["many/bad.txt"]
    assert report["summary"]["by_requirement"]["TOY-02"]["counts"]["pass"] == 300
    assert report["summary"]["by_requirement"]["TOY-04"]["counts"]["not-applicable"] == 301
    run_cli("validate", "-p", "toy", str(folder), "-o", str(tmp_path / "all"), "--list-passes", "--now", NOW_ARG)
    assert len(load_valid_report(tmp_path / "all")["results"]) == 301 * 5


def test_jobs_two_gives_the_same_report_as_jobs_one(run_cli: Callable[..., Result], toy_files: Path,
                                                    tmp_path: Path) -> None:
    for jobs in ("1", "2"):
        run_cli("validate", "-p", "toy", str(toy_files), "--jobs", jobs, "-o", str(tmp_path / jobs),
                "--now", NOW_ARG, "--list-passes")
    one, two = load_valid_report(tmp_path / "1"), load_valid_report(tmp_path / "2")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "duration_ms"} for r in rs]  # noqa: E731
    assert strip(one["results"]) == strip(two["results"])
    assert one["summary"] == two["summary"]


def test_reproduce_pins_the_clock(run_cli: Callable[..., Result], toy_files: Path, tmp_path: Path) -> None:
    run_cli("validate", "-p", "toy", str(toy_files / "good.txt"), "-o", str(tmp_path / "o"))
    report = load_valid_report(tmp_path / "o")
    assert "--now" in report["reproduce"]["command"]
    assert report["clock"] in report["reproduce"]["command"]


def test_outputs_are_all_written(run_cli: Callable[..., Result], toy_files: Path, tmp_path: Path) -> None:
    run_cli("validate", "-p", "toy", str(toy_files / "good.txt"), "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    assert {p.name for p in (tmp_path / "o").iterdir()} == {"report.json", "report.html", "junit.xml",
                                                            "allure-results"}
    run_cli("validate", "-p", "toy", str(toy_files / "good.txt"), "-o", str(tmp_path / "j"), "--format", "junit")
    assert {p.name for p in (tmp_path / "j").iterdir()} == {"report.json", "junit.xml"}  # json is canonical


def test_report_rerenders_in_another_language(run_cli: Callable[..., Result], toy_files: Path,
                                              tmp_path: Path) -> None:
    run_cli("validate", "-p", "toy", str(toy_files / "long.txt"), "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    before = (tmp_path / "o" / "report.json").read_bytes()
    result = run_cli("report", str(tmp_path / "o" / "report.json"), "--format", "html", "--format", "json",
                     "--lang", "vi", "-o", str(tmp_path / "vi"))
    assert result.exit_code == 0, result.output
    assert load_valid_report(tmp_path / "vi")["lang"] == "vi"
    assert "Không phù hợp" in (tmp_path / "vi" / "report.html").read_text("utf-8")
    assert (tmp_path / "o" / "report.json").read_bytes() == before


def test_report_refuses_a_file_that_is_not_a_report(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    bogus = tmp_path / "r.json"
    bogus.write_text('{"format": "something else"}')
    result = run_cli("report", str(bogus), "--format", "html")
    assert result.exit_code == 2
    assert "not a conformance-report/1 document" in result.output
    bogus.write_text("{not json")
    assert run_cli("report", str(bogus), "--format", "html").exit_code == 2


def test_a_fifo_in_a_folder_is_inconclusive_not_a_hang(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    import os

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "good.txt").write_text("ok\n")
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block until a writer comes
    result = run_cli("validate", "-p", "toy", str(folder), "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    assert result.exit_code == 3
    report = load_valid_report(tmp_path / "o")
    [pipe] = [r for r in report["results"] if r["subject"] == "m/pipe.txt"]
    assert pipe["outcome"] == "inconclusive" and "not a regular file" in pipe["message"]
    named = run_cli("validate", "-p", "toy", str(folder / "pipe.txt"))
    assert named.exit_code == 2 and "neither a regular file nor a folder" in named.output


def _stderr_of_validate(folder: Path, out: Path, *, tty: bool) -> str:
    import os
    import pty
    import subprocess
    import sys

    args = [sys.executable, "-m", "conformance.cli", "validate", "-p", "toy", str(folder), "-o", str(out),
            "--now", NOW_ARG]
    if not tty:
        return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False).stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_only(toy_files: Path, tmp_path: Path) -> None:
    assert "validating" in _stderr_of_validate(toy_files, tmp_path / "a", tty=True)
    assert "validating" not in _stderr_of_validate(toy_files, tmp_path / "b", tty=False)


def test_a_subject_that_kills_a_worker_is_an_error_and_the_run_goes_on(run_cli: Callable[..., Result],
                                                                        tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(150):  # several chunks, so other chunks are in flight when the worker dies
        (folder / f"{i:03}.txt").write_text("ok\n")
    (folder / "050-die.txt").write_text("die\n")
    result = run_cli("validate", "-p", "toy", str(folder), "--jobs", "2", "-o", str(tmp_path / "o"),
                     "--now", NOW_ARG)
    assert result.exit_code == 3, result.output
    report = load_valid_report(tmp_path / "o")
    assert report["summary"]["subjects"] == 151  # nothing lost
    [crash] = [r for r in report["results"] if r["outcome"] == "error"]
    assert crash["subject"] == "many/050-die.txt" and "process judging this subject died" in crash["message"]
    assert report["summary"]["by_requirement"]["TOY-02"]["counts"]["pass"] == 150
