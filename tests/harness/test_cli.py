"""Command-line behaviour: listing, catalogue, coverage, and usage errors with their fixes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import load_valid_report


def test_profiles_lists_installed_and_path_profiles(run_cli: Callable[..., Result]) -> None:
    result = run_cli("profiles")
    assert result.exit_code == 0
    for pid in ("edxml", "toy", "gappy"):
        assert pid in result.output


def test_profile_show_json_has_every_requirement_with_clause(run_cli: Callable[..., Result]) -> None:
    result = run_cli("profile", "show", "edxml", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["requirements"]) == 26
    assert all(r["clause"] and r["title"]["en"] and r["title"]["vi"] for r in data["requirements"])
    assert {r["id"] for r in data["requirements"] if r["level"] == "optional"} == {"EDX-18"}


def test_profile_show_markdown_in_vietnamese(run_cli: Callable[..., Result]) -> None:
    result = run_cli("profile", "show", "edxml", "--lang", "vi")
    assert result.exit_code == 0
    assert "| EDX-08 |" in result.output and "ngày" in result.output.lower()


def test_coverage_is_empty_for_edxml_and_names_the_gap_elsewhere(run_cli: Callable[..., Result]) -> None:
    ok = run_cli("coverage", "edxml")
    assert ok.exit_code == 0 and ok.stdout.strip() == ""
    gap = run_cli("coverage", "gappy")
    assert gap.exit_code == 1
    assert gap.stdout.split() == ["GAP-02"]


def test_untested_requirement_makes_the_run_inconclusive(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text("<a/>")
    result = run_cli("validate", "-p", "gappy", str(tmp_path / "a.xml"), "-o", str(tmp_path / "o"))
    assert result.exit_code == 3
    report = load_valid_report(tmp_path / "o")
    assert report["summary"]["untested"] == ["GAP-02"]
    assert report["verdict"] == "inconclusive"


def test_unknown_profile_suggests_the_nearest(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "edxm", str(tmp_path))
    assert result.exit_code == 2
    assert "unknown profile 'edxm'" in result.output and "Did you mean 'edxml'?" in result.output


def test_missing_path_is_a_usage_error(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "toy", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_bad_now_is_a_usage_error(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = run_cli("validate", "-p", "toy", str(tmp_path), "--now", "yesterday")
    assert result.exit_code == 2
    assert "RFC 3339" in result.output


def test_unknown_claim_is_a_usage_error(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    result = run_cli("validate", "-p", "toy", str(tmp_path), "--claim", "toy.sgi", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "toy.sig" in result.output


def test_missing_trust_anchor_is_a_usage_error(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    result = run_cli("validate", "-p", "toy", str(tmp_path), "--trust", str(tmp_path / "ca.pem"))
    assert result.exit_code == 2
    assert "trust anchor" in result.output
