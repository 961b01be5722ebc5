"""Both engines (bulk validate and pytest items) give the same report; bulk reports grow with failures only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conformance_fixtures.edxml_corpus import bulk_packages, edoc_package
from tests.conftest import NOW, NOW_ARG, load_valid_report

from .conftest import run_validate


def test_pytest_engine_matches_the_bulk_engine(corpus: Path, tmp_path: Path) -> None:
    paths = [corpus / "invalid", corpus / "conformant"]
    bulk = run_validate(paths, tmp_path / "bulk", trust=[corpus / "trust" / "ca.pem"])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
         "--conformance-profile", "edxml", "--conformance-now", NOW_ARG,
         "--conformance-trust", str(corpus / "trust" / "ca.pem"), "--conformance-out", str(tmp_path / "py"),
         *(a for p in paths for a in ("--conformance-messages", str(p)))],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]  # the invalid packages fail
    assert "conformance verdict: non-conformant" in done.stdout
    items = load_valid_report(tmp_path / "py")
    assert items["verdict"] == bulk["verdict"]
    assert items["summary"]["by_requirement"] == bulk["summary"]["by_requirement"]
    key = lambda r: (r["subject"], r["requirement"])  # noqa: E731
    strip = lambda rs: sorted(({k: v for k, v in r.items() if k != "duration_ms"} for r in rs), key=key)  # noqa: E731
    assert strip(items["results"]) == strip(bulk["results"])


def test_report_of_2000_packages_grows_with_failures_not_passes(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for name, data in bulk_packages(2000, now=NOW, approx_bytes=3000):
        (folder / name).write_bytes(data)
    for i in range(3):
        (folder / f"bad-{i}.edxml").write_bytes(edoc_package(now=NOW, promulgation_date="2014/02/30",
                                                             document_id=None))
    report = run_validate([folder], tmp_path / "o", list_passes=False, jobs=2)
    assert report["summary"]["subjects"] == 2003
    assert {r["subject"] for r in report["results"]} == {f"many/bad-{i}.edxml" for i in range(3)}
    assert report["summary"]["by_requirement"]["EDX-02"]["counts"]["pass"] == 2003
    size = (tmp_path / "o" / "report.json").stat().st_size
    assert size < 60_000, size  # a listing of 2000 × 26 passes would be megabytes


def test_pytest_engine_reports_a_bad_profile_as_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--conformance-profile", "edxm",
                           "--conformance-messages", str(tmp_path)], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path)
    assert done.returncode == 4  # pytest's usage-error exit code
    assert "unknown profile 'edxm'" in done.stderr and "Did you mean 'edxml'?" in done.stderr
    assert "Traceback" not in done.stderr
