"""What the offline benchmarks share: the pinned clock, the whole ``validate`` path, and interleaved rounds."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from conformance.clock import Clock
from conformance.profiles import Profile
from conformance.session import ValidateOptions, validate

NOW = Clock.start()


def profile_run(profile: Profile, folder: Path, out: Path, jobs: int) -> str:
    """The whole ``validate`` path: every rule, run-level judgements, the bulk engine, report.json written."""
    opts = ValidateOptions(profiles=[profile], paths=[folder], clock=NOW, out_dir=out, formats=("json",), jobs=jobs)
    report, _ = validate(opts)
    return str(report["verdict"])


def interleaved(runs: Mapping[str, Callable[[], object]], repeat: int,
                expected: tuple[object, ...]) -> list[dict[str, float]]:
    """Seconds of every contender in each of ``repeat`` rounds, each round running them all in turn.

    Interleaving means a slow spell of a shared machine hits every contender alike. A contender whose value is
    not in ``expected`` (the count of valid messages, or the verdict) stops the benchmark: its time means nothing.
    """
    rounds: list[dict[str, float]] = []
    for _ in range(repeat):
        seconds: dict[str, float] = {}
        for label, run in runs.items():
            start = time.perf_counter()
            value = run()
            seconds[label] = time.perf_counter() - start
            if value not in expected:
                raise SystemExit(f"{label}: unexpected result {value!r}, expected one of {expected!r}")
        rounds.append(seconds)
    return rounds
