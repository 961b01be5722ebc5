"""Running the edoc-exchange profile against the reference platform, clean or with one defect."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from conformance.live_session import RunOptions, run_live
from conformance_fixtures.exchange_platform import running_platform
from tests.conftest import load_valid_report


@pytest.fixture
def run_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """Start the platform (with ``defects``), run ``profiles`` against it, return the validated report."""
    counter = iter(range(100))

    def run(defects: Iterable[str] = (), *, profiles: Iterable[str] = ("edoc-exchange",), tls: bool = False,
            consent: str = "passive", max_examples: int = 12, seed: int = 5, jobs: int = 1) -> dict[str, Any]:
        folder = tmp_path / f"run{next(counter)}"
        with running_platform(folder / "state", defects=defects, tls=tls) as platform:
            for name, value in platform.write_target(folder / "target.yaml", consent=consent).items():
                monkeypatch.setenv(name, value)
            run_live(RunOptions(target_file=folder / "target.yaml", out_dir=folder / "out", profiles=tuple(profiles),
                                seed=seed, max_examples=max_examples, formats=["json"], jobs=jobs))
        return load_valid_report(folder / "out")

    return run
