"""``conformance run`` runs the harness and the profiles only: no conftest.py of the folder it is started from.

Live runs go through pytest in-process, and pytest imports ``conftest.py`` from the folder it starts
in and from its ``test*/`` folders. A vendor starting a run from their own repository would run
their test fixtures inside the harness: side effects, a crash, a report never written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from conformance.reporting.json_writer import validate_report
from conformance_fixtures.registry_api import document
from tests.robustness.hostile import TIMEOUT_S, WALL_S

CONFTEST = """from pathlib import Path
Path({canary!r}).write_text("imported")
raise SystemExit(42)
"""


def test_a_run_ignores_the_conftest_files_of_its_working_folder(tmp_path: Path, closed_port: int) -> None:
    work = tmp_path / "vendor-repo"
    (work / "tests").mkdir(parents=True)
    canary = tmp_path / "canary"
    for folder in (work, work / "tests"):
        (folder / "conftest.py").write_text(CONFTEST.format(canary=str(canary)), "utf-8")
    (work / "openapi.json").write_text(json.dumps(document("3.1.0")), "utf-8")
    (work / "target.yaml").write_text(yaml.safe_dump({
        "target": {"vendor": "v", "product": "p", "version": "1"},
        "endpoints": {"base_url": f"http://127.0.0.1:{closed_port}", "openapi": "openapi.json"},
        "limits": {"timeout_s": TIMEOUT_S}}), "utf-8")
    conformance = Path(sys.executable).with_name("conformance")
    done = subprocess.run([str(conformance), "run", "-t", "target.yaml", "-p", "openapi-contract", "-o", "out",
                           "--max-examples", "3"], cwd=work, capture_output=True, text=True, timeout=WALL_S)
    assert not canary.exists(), "the run imported a conftest.py of its working folder"
    assert done.returncode == 3, done.stdout + done.stderr
    report = json.loads((work / "out" / "report.json").read_text("utf-8"))
    assert validate_report(report) == []
    assert report["verdict"] == "inconclusive"
