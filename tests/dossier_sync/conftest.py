"""The dossier-sync corpus, built once per worker, and helpers to validate with the profile in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.clock import Clock
from conformance.profiles import resolve_profile
from conformance.reporting.json_writer import validate_report
from conformance.session import ValidateOptions, validate
from conformance_fixtures.dossier_messages import build_corpus
from tests.conftest import NOW

FOLDERS = ("conformant", "invalid", "hostile", "lifecycle")


def run_validate(paths: list[Path], out: Path, *, list_passes: bool = True, jobs: int = 1, lang: str = "en",
                 max_bytes: int | None = None) -> dict[str, Any]:
    """Validate with the dossier-sync profile in-process, with the pinned clock; returns report.json's content."""
    opts = ValidateOptions(profiles=[resolve_profile("dossier-sync")], paths=paths, clock=Clock(NOW), out_dir=out,
                           formats=("json",), list_passes=list_passes, jobs=jobs, lang=lang, max_bytes=max_bytes)
    report, _ = validate(opts)
    assert validate_report(report) == [], validate_report(report)  # every report a test writes is valid
    return report


def labels(corpus: Path) -> dict[str, dict[str, Any]]:
    """The corpus labels: ``{"invalid/DVC-04-unreal.json": {"breaks": [...], "why": ...}}``."""
    data: dict[str, dict[str, Any]] = json.loads((corpus / "labels.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The labelled corpus."""
    out = tmp_path_factory.mktemp("dossier-corpus")
    build_corpus(out, now=NOW)
    return out


@pytest.fixture(scope="session")
def corpus_report(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One validation of the whole corpus, every result listed."""
    return run_validate([corpus / folder for folder in FOLDERS], tmp_path_factory.mktemp("report"))
