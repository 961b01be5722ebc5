"""Shared fixtures: a pinned clock, the CLI runner, and a schema check for every report a test writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance.cli import cli
from conformance.reporting.json_writer import validate_report

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone(timedelta(hours=7)))
NOW_ARG = NOW.isoformat()


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """Invoke the CLI in-process; returns click's result (exit code, output)."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def load_valid_report(folder: Path) -> dict[str, Any]:
    """Read report.json from ``folder`` and assert it validates against the shipped schema."""
    report: dict[str, Any] = json.loads((folder / "report.json").read_text("utf-8"))
    assert validate_report(report) == [], validate_report(report)
    return report


def failed_ids(report: dict[str, Any], subject: str | None = None) -> set[str]:
    """Requirement ids with a ``fail`` result (on ``subject`` when given)."""
    return {r["requirement"] for r in report["results"]
            if r["outcome"] == "fail" and (subject is None or r["subject"] == subject)}
