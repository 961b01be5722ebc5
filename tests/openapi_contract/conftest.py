"""Running openapi-contract against the purpose-built registry API, clean or with one planted violation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.live_session import RunOptions, run_live
from conformance_fixtures.registry_api import TOKEN, make_app
from tests.conftest import NOW_ARG, load_valid_report
from tests.live_server import serve

MANDATORY = {"API-01", "API-02", "API-03", "API-04", "API-05", "API-06", "API-07", "API-09"}


def write_target(folder: Path, base_url: str, *, extra: str = "") -> Path:
    """A target file for the registry API, its token from REGISTRY_TOKEN."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "target.yaml"
    path.write_text(f"""target: {{vendor: Test, product: registry, version: "1"}}
endpoints: {{base_url: "{base_url}", openapi: /openapi.json}}
auth: {{type: bearer, token: "${{env:REGISTRY_TOKEN}}"}}
limits: {{timeout_s: 10}}
{extra}""", "utf-8")
    return path


@pytest.fixture
def run_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, Any]]:
    """Serve the registry (OpenAPI ``version``, ``violations`` planted) and run openapi-contract on it."""
    monkeypatch.setenv("REGISTRY_TOKEN", TOKEN)
    counter = iter(range(100))

    def run(version: str = "3.1.0", violations: frozenset[str] = frozenset(), *, seed: int = 7,
            max_examples: int = 25) -> dict[str, Any]:
        folder = tmp_path / f"run{next(counter)}"
        with serve(make_app(version, violations)) as base_url:
            target = write_target(folder, base_url)
            run_live(RunOptions(target_file=target, out_dir=folder / "out", profiles=["openapi-contract"],
                                seed=seed, max_examples=max_examples, formats=["json"], now=NOW_ARG))
        return load_valid_report(folder / "out")

    return run
