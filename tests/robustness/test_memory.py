"""Peak memory of ``conformance run`` against the peers that try to make it swallow bytes: under 500 MB.

Each run is a subprocess of a small Python wrapper, whose ``RUSAGE_CHILDREN`` then holds the peak
resident size of that run alone (Linux reports it in KiB). Answers are judged a window of
``LiveContext.concurrency`` (8) at a time, each up to the 10 MiB ``max_response_bytes``: a budget of
10 cases per operation fills the window as the default 50 would, in a fifth of the time. The last
test keeps the default budget, to prove memory does not grow with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting.json_writer import validate_report
from conformance_fixtures.registry_api import document
from tests.http import hostile_servers as hs
from tests.http.hostile_servers import Pki
from tests.robustness.hostile import HOSTILES, MODES, WALL_S, Hostile, Mode, hostile_server, write_target

PEAK_MB = 500
MEASURED = ("gzip-bomb", "endless-chunked", "huge-headers", "deep-json")
# Runs argv[2:] and writes its exit code, output and peak RSS (KiB) to argv[1] as JSON.
WRAPPER = """import json, resource, subprocess, sys
done = subprocess.run(sys.argv[2:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "peak_kib": peak}, out)
"""


# Just under the 10 MiB cap, valid for the registry's item list: every request's answer is read and judged whole.
BIG_BODY = json.dumps([{"id": "a1", "name": "x" * (9 * 1024 * 1024)}]).encode()


def _measure(tmp_path: Path, hostile: Hostile, mode: Mode, pki: Pki, bomb: bytes,
             api: dict[str, Any] | None = None, budget: int | None = None) -> tuple[dict[str, Any], float]:
    """Run ``conformance run`` against ``hostile`` in a measured subprocess: (what it did, seconds).

    ``api`` replaces the local API document (``local`` mode).
    """
    conformance = Path(sys.executable).with_name("conformance")
    measured = tmp_path / "measured.json"
    with hostile_server(hostile, pki, bomb) as server:
        target = write_target(tmp_path, server, hostile, mode, pki)
        if api is not None:
            (tmp_path / "openapi.json").write_text(json.dumps(api), "utf-8")
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", WRAPPER, str(measured), str(conformance), "run", "-t", str(target),
                        "-p", "openapi-contract", "-o", str(tmp_path / "out"), "--seed", "3",
                        *(["--max-examples", str(budget)] if budget else [])],
                       check=True, timeout=WALL_S * 2)
        elapsed = time.monotonic() - started
    run: dict[str, Any] = json.loads(measured.read_text("utf-8"))
    print(f"\npeak memory of a run against {hostile} ({mode}): {int(run['peak_kib']) / 1024:.0f} MB "
          f"in {elapsed:.1f} s")
    return run, elapsed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", MEASURED)
def test_peak_memory_of_a_run_against_a_hostile_system(tmp_path: Path, pki: Pki, gzip_bomb_body: bytes,
                                                       name: str, mode: Mode) -> None:
    hostile = next(h for h in HOSTILES if h.name == name)
    run, elapsed = _measure(tmp_path, hostile, mode, pki, gzip_bomb_body, budget=10)
    peak_mb = int(run["peak_kib"]) / 1024
    assert peak_mb < PEAK_MB, f"{peak_mb:.0f} MB"
    assert elapsed < WALL_S, f"the run took {elapsed:.0f} s"
    output = f"{run['stdout']}{run['stderr']}"
    assert run["code"] in (1, 3), output
    assert "Traceback" not in output
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert validate_report(report) == []


def test_peak_memory_does_not_grow_with_the_case_budget(tmp_path: Path, pki: Pki) -> None:
    # Answers are judged in order and dropped, a window of them at a time. When all the answers to the default
    # budget of 50 cases were held at once, 9 MiB answers took 650 MB.
    big = Hostile("big-answers", lambda _: hs.ok(BIG_BODY, {"Content-Type": "application/json"}), "")
    listing = document("3.1.0")
    listing["paths"] = {"/items": {"get": listing["paths"]["/items"]["get"]}}  # one operation: a shorter run
    run, _ = _measure(tmp_path, big, "local", pki, b"", listing)
    assert int(run["peak_kib"]) / 1024 < PEAK_MB
    assert run["code"] == 1, f"{run['stdout']}{run['stderr']}"  # API-07: it accepts a limit above 50
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert validate_report(report) == []
    listed = next(r for r in report["results"] if r["requirement"] == "API-05" and r["subject"] == "GET /items")
    assert listed["outcome"] == "pass", listed["message"]  # judged whole, 9 MiB at a time
    assert sum(listed["evidence"]["cases"].values()) > 50  # the whole budget was sent and judged
