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
