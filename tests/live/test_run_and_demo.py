"""conformance run and demo from the command line: exit codes, reports, and what a broken target gives."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from tests.conftest import load_valid_report

Cli = Callable[..., Result]


def test_demo_certifies_the_live_reference_platform(run_cli: Cli, tmp_path: Path) -> None:
    result = run_cli("demo", "-o", str(tmp_path / "demo"), "--max-examples", "10", "--seed", "3")
    assert result.exit_code == 0, result.output
    report = load_valid_report(tmp_path / "demo")
    assert report["verdict"] == "conformant"
    assert {p["id"] for p in report["profiles"]} >= {"edxml", "edoc-exchange", "openapi-contract"}
    assert report["summary"]["untested"] == []
    results = report["results"]
    for requirement in report["summary"]["by_requirement"]:
        assert any(r["requirement"] == requirement and r["evidence"] for r in results), requirement
    assert report["target"]["endpoints"]["base_url"].startswith("https://127.0.0.1:")
    assert all(i["token"] == "***" for i in report["target"]["identities"])
    for name in ("report.html", "junit.xml"):
        assert (tmp_path / "demo" / name).is_file()


def test_run_against_a_system_that_does_not_answer_is_inconclusive_with_a_report(run_cli: Cli, tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "openapi.json").write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/ping": {"get": {"responses": {"200": {"description": "ok"}}}}}}), "utf-8")
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump({"target": {"vendor": "v", "product": "p", "version": "1"},
                                      "endpoints": {"base_url": f"http://127.0.0.1:{port}", "openapi": "openapi.json"},
                                      "limits": {"timeout_s": 2}}), "utf-8")
    result = run_cli("run", "-t", str(target), "-p", "openapi-contract", "-o", str(tmp_path / "out"))
    assert result.exit_code == 3, result.output
    report = load_valid_report(tmp_path / "out")
    assert report["verdict"] == "inconclusive"
    outcomes = {r["requirement"]: r["outcome"] for r in report["results"] if r["subject"] == "GET /ping"}
    assert outcomes["API-02"] == "inconclusive"
    assert "Traceback" not in result.output


def test_edoc_exchange_without_two_identities_is_a_usage_error(run_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump({"target": {"vendor": "v", "product": "p", "version": "1"},
                                      "endpoints": {"base_url": "http://127.0.0.1:9"}}), "utf-8")
    result = run_cli("run", "-t", str(target), "-p", "edoc-exchange", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "at least two identities" in result.output


def test_an_offline_profile_needs_messages_in_the_target(run_cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump({"target": {"vendor": "v", "product": "p", "version": "1"}}), "utf-8")
    result = run_cli("run", "-t", str(target), "-p", "edxml")
    assert result.exit_code == 2
    assert "lists none" in result.output
