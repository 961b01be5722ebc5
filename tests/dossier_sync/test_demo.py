"""The live demo of dossier-sync: the portal simulator on a random loopback port, the reference client's day."""

from __future__ import annotations

from pathlib import Path

from conformance.clock import Clock
from conformance.listen import listen_demo, listen_demos
from conformance.profiles import resolve_profile
from tests.conftest import NOW, load_valid_report


def test_the_demo_day_is_conformant_and_writes_every_format(tmp_path: Path) -> None:
    report, written = listen_demo(resolve_profile("dossier-sync"), tmp_path / "dossier-sync", clock=Clock(NOW))
    assert report["verdict"] == "conformant" and report["command"] == "listen"
    assert report["summary"]["subjects"] == 20 and report["summary"]["untested"] == []
    assert {p.name for p in written} == {"report.json", "report.html", "junit.xml", "allure-results"}
    assert load_valid_report(tmp_path / "dossier-sync") == report


def test_listen_demos_runs_every_profile_that_names_a_demo_client(tmp_path: Path) -> None:
    done = listen_demos(tmp_path, clock=Clock(NOW), formats=("json",))
    assert [profile.id for profile, _, _ in done] == ["dossier-sync"]
    assert (tmp_path / "dossier-sync" / "report.json").is_file()
