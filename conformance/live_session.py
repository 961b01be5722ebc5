"""``conformance run``: a live run through the pytest engine, in-process, with the plugin's options."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .errors import ConfigError, InternalError
from .reporting.json_writer import load_report

__all__ = ["RunOptions", "pytest_args", "run_live"]

_AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


@dataclass
class RunOptions:
    """Everything ``conformance run`` passes to the engine."""

    target_file: Path
    out_dir: Path
    profiles: Sequence[str] = ()
    formats: Sequence[str] = ("json", "html", "junit", "allure")
    jobs: int = 1
    seed: int | None = None
    lang: str = "en"
    max_examples: int = 50
    now: str | None = None
    claims: Sequence[str] = ()
    reproduce: str = ""
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    callback_host: str | None = None
    quiet: bool = True


def pytest_args(opts: RunOptions, ini: Path) -> list[str]:
    """The pytest command line of a live run (no project conftest or ini file is read)."""
    # Plugins are named, not auto-loaded: whatever else is installed (and its import time) stays out of the run.
    # --noconftest: pytest would otherwise import conftest.py from the working folder and its test*/ folders.
    args = ["-c", str(ini), "--rootdir", str(ini.parent), "-p", "no:cacheprovider", "--noconftest", "--no-header",
            "--assert=plain",
            "-p", "conformance.pytest_plugin",
            "-q" if opts.quiet else "-v", "-o", "console_output_style=count",
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "--conformance-target", str(opts.target_file), "--conformance-out", str(opts.out_dir),
            "--conformance-lang", opts.lang, "--conformance-max-examples", str(opts.max_examples),
            "--conformance-run-id", opts.run_id, "--conformance-reproduce", opts.reproduce]
    for name in opts.profiles:
        args += ["--conformance-profile", name]
    if opts.callback_host:
        args += ["--conformance-callback-host", opts.callback_host]
    for claim in opts.claims:
        args += ["--conformance-claim", claim]
    for fmt in opts.formats:
        args += ["--conformance-format", fmt]
    if opts.seed is not None:
        args += ["--conformance-seed", str(opts.seed)]
    if opts.now:
        args += ["--conformance-now", opts.now]
    if opts.jobs > 1:
        args += ["-p", "xdist.plugin", "-n", str(opts.jobs), "--dist", "loadgroup"]
    return args


def run_live(opts: RunOptions) -> dict[str, Any]:
    """Run the live profiles against the target and return the report the engine wrote."""
    report_file = opts.out_dir / "report.json"
    if report_file.exists():
        report_file.unlink()  # never mistake an old run's report for this one's
    with tempfile.TemporaryDirectory(prefix="conformance-run-") as work:
        ini = Path(work) / "pytest.ini"
        ini.write_text("[pytest]\n", "utf-8")
        previous = os.environ.get(_AUTOLOAD)
        os.environ[_AUTOLOAD] = "1"  # inherited by xdist workers
        try:
            code = pytest.main(pytest_args(opts, ini))
        finally:
            if previous is None:
                os.environ.pop(_AUTOLOAD, None)
            else:
                os.environ[_AUTOLOAD] = previous
    if code == pytest.ExitCode.USAGE_ERROR:
        raise ConfigError("the live run could not start (see the message above)",
                          hint="run 'conformance doctor -t TARGET' to check the target file, reachability and tokens")
    if not report_file.is_file():
        raise InternalError(f"the live run ended (pytest exit code {int(code)}) without writing {report_file}")
    try:
        return load_report(report_file)
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise InternalError(f"the live run wrote an unreadable report {report_file}: {exc}") from exc
