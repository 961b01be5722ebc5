"""``conformance run`` and ``doctor`` against hostile systems: they end, they say why, they write the report.

Each hostile peer (``hostile.HOSTILES``) misbehaves on every path. A run against it, through the real
command line, must end well inside a generous wall-clock bound with the target's ``timeout_s: 2``,
exit 1 or 3 without a traceback, write a report.json that validates, and give each requirement an
outcome whose message names the misbehaviour. Nothing but the peer's own loopback port is ever
contacted: the redirect to the cloud metadata address is neither followed nor resolved.

To cover another profile, add one line to ``PROFILES``; profile-specific expectations go in ``EXPECT``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conformance.http import UNRESPONSIVE_AFTER
from tests.conftest import NOW_ARG, load_valid_report
from tests.http.conftest import LoopbackGuard
from tests.http.hostile_servers import LoopbackServer, Pki
from tests.robustness.hostile import (
    HOSTILES,
    METADATA,
    MODES,
    WALL_S,
    Hostile,
    Mode,
    hostile_server,
    matches,
    write_target,
)

Cli = Callable[..., Result]
Expectation = Callable[[dict[str, Any], Hostile, Mode], None]

CONCURRENCY = 8  # requests a live context keeps in flight (LiveContext.concurrency)
PROFILES = [
    "openapi-contract",
    "security-baseline",
]


def _openapi_contract(report: dict[str, Any], hostile: Hostile, mode: Mode) -> None:
    """API-01 says why the document is unusable or invalid, or every operation says why it got no usable answer."""
    results = report["results"]
    outcomes = {(r["requirement"], r["subject"]): r["outcome"] for r in results}
    assert all(r["outcome"] != "error" for r in results), [r["message"] for r in results if r["outcome"] == "error"]
    document_usable = mode == "local" and not hostile.deep_document
    # A document had (served with 200, or the local file) and too deep to read is not valid OpenAPI: it fails.
    api01 = "pass" if document_usable else "fail" if hostile.deep_document else "inconclusive"
    assert outcomes[("API-01", "API document")] == api01
    if not document_usable:
        assert {r["outcome"] for r in results if r["requirement"] != "API-01"} == {"inconclusive"}
        assert report["verdict"] == ("non-conformant" if api01 == "fail" else "inconclusive")
    elif not hostile.answers:  # nothing came back: nothing can pass or fail but the local document
        assert {r["outcome"] for r in results if r["requirement"] != "API-01"} <= {"inconclusive", "not-applicable"}
        assert "inconclusive" in {r["outcome"] for r in results if r["subject"] == "GET /items"}
    for result in results:
        if result["outcome"] == "inconclusive":
            assert matches(hostile.reason, result["message"]), result["message"]


def _security_baseline(report: dict[str, Any], hostile: Hostile, mode: Mode) -> None:
    """A hostile service is never an error, and never conformant."""
    results = report["results"]
    assert all(r["outcome"] != "error" for r in results), [r["message"] for r in results if r["outcome"] == "error"]
    assert report["verdict"] != "conformant"


EXPECT: dict[str, Expectation] = {"openapi-contract": _openapi_contract, "security-baseline": _security_baseline}


def _only_the_peer_was_contacted(guard: LoopbackGuard, server: LoopbackServer) -> None:
    assert {address for address, _ in guard.connects} <= {"127.0.0.1"}, guard.connects
    assert {port for _, port in guard.connects} <= {server.port}, guard.connects
    assert all(METADATA not in host for host in guard.lookups), guard.lookups


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("hostile", HOSTILES, ids=str)
@pytest.mark.parametrize("profile", PROFILES)
def test_a_run_against_a_hostile_system_ends_and_says_why(run_cli: Cli, tmp_path: Path, pki: Pki,
                                                          gzip_bomb_body: bytes, loopback_guard: LoopbackGuard,
                                                          profile: str, hostile: Hostile, mode: Mode) -> None:
    out = tmp_path / "out"
    with hostile_server(hostile, pki, gzip_bomb_body) as server:
        target = write_target(tmp_path, server, hostile, mode, pki)
        started = time.monotonic()
        result = run_cli("run", "-t", str(target), "-p", profile, "-o", str(out), "--seed", "1", "--now", NOW_ARG,
                         "--max-examples", "10")
        elapsed = time.monotonic() - started
    assert elapsed < WALL_S, f"the run took {elapsed:.0f} s"
    assert result.exit_code in (1, 3), result.output
    assert "Traceback" not in result.output
    report = load_valid_report(out)
    assert result.exit_code == (1 if report["verdict"] == "non-conformant" else 3)
    assert report["results"]
    unsettled = [r for r in report["results"] if r["outcome"] in ("inconclusive", "error", "fail")]
    assert any(matches(hostile.reason, r["message"]) for r in unsettled), [r["message"] for r in unsettled]
    for r in unsettled:  # a reason, not just an id
        assert len(r["message"].partition(":")[2].strip()) > 10, r
    _only_the_peer_was_contacted(loopback_guard, server)
    assert loopback_guard.connects or (mode == "local" and hostile.deep_document), "the peer was never contacted"
    if hostile.reason == "deadline":  # a system that stops answering is given up on, not sent every case
        assert len(server.requests) <= UNRESPONSIVE_AFTER + CONCURRENCY, len(server.requests)
    EXPECT.get(profile, lambda *_: None)(report, hostile, mode)


@pytest.mark.parametrize("hostile", HOSTILES, ids=str)
def test_doctor_against_a_hostile_system_names_the_problem(run_cli: Cli, tmp_path: Path, pki: Pki,
                                                           gzip_bomb_body: bytes, loopback_guard: LoopbackGuard,
                                                           hostile: Hostile) -> None:
    with hostile_server(hostile, pki, gzip_bomb_body) as server:
        target = write_target(tmp_path, server, hostile, "served", pki)
        started = time.monotonic()
        result = run_cli("doctor", "-t", str(target))
        elapsed = time.monotonic() - started
    assert elapsed < WALL_S
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "problem" in result.output and matches(hostile.reason, result.output), result.output
    if hostile.reason == "byte cap":  # the fix names the limit, not a protocol error
        assert "limits.max_response_bytes" in result.output and "not HTTP" not in result.output
    _only_the_peer_was_contacted(loopback_guard, server)
