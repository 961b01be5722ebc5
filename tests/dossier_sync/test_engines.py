"""The pytest engine gives the bulk engine's report on dossier-sync too: split files, and DVC-07 across the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import NOW_ARG, load_valid_report

from .conftest import FOLDERS, run_validate


def test_pytest_engine_matches_the_bulk_engine_across_files_and_workers(corpus: Path, tmp_path: Path) -> None:
    paths = [corpus / folder for folder in FOLDERS]
    bulk = run_validate(paths, tmp_path / "bulk")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
         "--conformance-profile", "dossier-sync", "--conformance-now", NOW_ARG,
         "--conformance-out", str(tmp_path / "py"), *(a for p in paths for a in ("--conformance-messages", str(p)))],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert "conformance verdict: non-conformant" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    items = load_valid_report(tmp_path / "py")
    assert items["summary"]["by_requirement"] == bulk["summary"]["by_requirement"]
    assert items["summary"]["untested"] == bulk["summary"]["untested"] == []
    key = lambda r: (r["subject"], r["requirement"], r["message"])  # noqa: E731
    strip = lambda rs: sorted(({k: v for k, v in r.items() if k != "duration_ms"} for r in rs), key=key)  # noqa: E731
    assert strip(items["results"]) == strip(bulk["results"])
    assert any(r["requirement"] == "DVC-07" and r["outcome"] == "fail" for r in items["results"])


def test_a_bulk_run_counts_what_a_listing_run_lists(corpus: Path, tmp_path: Path) -> None:
    # Bulk validation takes the fast paths (the acceptors, passes only counted, dossiers that pass never built
    # into results): the same summary and the same failures as a run that judges and lists everything.
    paths = [corpus / folder for folder in FOLDERS]
    listing = run_validate(paths, tmp_path / "listing")
    quiet = ("pass", "not-applicable")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "duration_ms"} for r in rs]  # noqa: E731
    for jobs in (1, 2):
        bulk = run_validate(paths, tmp_path / f"bulk{jobs}", list_passes=False, jobs=jobs)
        assert bulk["summary"] == listing["summary"]
        assert strip(bulk["results"]) == strip(r for r in listing["results"] if r["outcome"] not in quiet)
