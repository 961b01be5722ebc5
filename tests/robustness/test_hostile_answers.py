"""Answers that are complete HTTP but hostile or large: each is judged, or said to be unjudgeable, never skipped.

- A body longer than the evidence excerpt (4 KiB) is judged whole: the excerpt is cut for the report,
  the body is not.
- A JSON body nested 50 000 levels deep cannot be read; the requirements that need it are
  ``inconclusive`` and say so, and nothing else of the run is lost.
- So is a body the parser could read but that passes the fixed limit (``apidoc.MAX_DEPTH``, 200 levels): the
  outcome never depends on how deep the harness's own stack happens to be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import NOW_ARG, load_valid_report
from tests.http import hostile_servers as hs
from tests.http.hostile_servers import Handler, LoopbackServer, Pki
from tests.robustness.hostile import Hostile, write_target

Cli = Callable[..., Result]


def _run(run_cli: Cli, tmp_path: Path, handler: Handler, pki: Pki) -> dict[str, Any]:
    server = LoopbackServer(handler).start()
    try:
        target = write_target(tmp_path, server, Hostile("answers", lambda _: handler, ""), "local", pki)
        result = run_cli("run", "-t", str(target), "-p", "openapi-contract", "-o", str(tmp_path / "out"),
                         "--seed", "2", "--max-examples", "5", "--now", NOW_ARG)
    finally:
        server.stop()
    assert result.exit_code in (1, 3), result.output
    assert "Traceback" not in result.output
    return load_valid_report(tmp_path / "out")


def _on(report: dict[str, Any], requirement: str, subject: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["requirement"] == requirement and r["subject"] == subject)


def test_a_body_longer_than_the_evidence_excerpt_is_still_judged(run_cli: Cli, tmp_path: Path, pki: Pki) -> None:
    # About 18 KiB of items whose id is an integer: the registry document says it is a string.
    items = [{"id": 7, "name": "Sở Nội vụ " * 10} for _ in range(100)]
    body = json.dumps(items, ensure_ascii=False).encode()
    assert len(body) > 3 * 4096
    report = _run(run_cli, tmp_path, hs.ok(body, {"Content-Type": "application/json"}), pki)
    listed = _on(report, "API-05", "GET /items")
    assert listed["outcome"] == "fail", listed["message"]
    assert re.search(r"\$\[\d+\]\.id: 7 is not of type 'string'", listed["message"]), listed["message"]
    exchange = listed["evidence"]["observations"][0]["exchange"]
    assert exchange["response"]["body_truncated"] and exchange["response"]["body_bytes"] == len(body)


@pytest.mark.parametrize("depth", [50_000, 600], ids=["beyond-the-parser", "beyond-the-limit"])
def test_a_body_too_deep_to_judge_is_inconclusive_and_says_so(run_cli: Cli, tmp_path: Path, pki: Pki,
                                                             depth: int) -> None:
    report = _run(run_cli, tmp_path, hs.deep_json(depth), pki)
    assert all(r["outcome"] != "error" for r in report["results"]), [
        r["message"] for r in report["results"] if r["outcome"] == "error"]
    listed = _on(report, "API-05", "GET /items")
    assert listed["outcome"] == "inconclusive", listed["message"]
    assert "deep" in listed["message"]
    assert _on(report, "API-02", "GET /items")["outcome"] == "pass"  # what could be judged still was
