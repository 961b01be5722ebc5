"""Throughput of ``validate -p dossier-sync`` against bare ``json.loads`` + jsonschema-rs on the same files.

Generates the reference one-stop system's days (``conformance_fixtures.dossier_messages.day``) until there are
N messages, written one message per file (``--layout files``, what an export of sync calls looks like) or as
NDJSON streams of 500 lines (``--layout ndjson``). Then measures, in the same run and on the same messages:

- the baseline: read, ``json.loads``, validate with the profile's own schema in jsonschema-rs;
- the same with the pure-Python jsonschema validator, to show what the Rust validator buys;
- the whole ``validate`` path at ``--jobs 1`` and ``--jobs 2``: strict reading (RFC 8259, NFC), every rule,
  the lifecycle across all messages, ``report.json`` written.

Contenders run in interleaved rounds, so a slow spell of a noisy machine hits them alike; the script prints
messages per second in the best round, the ratio of best rounds and the median of per-round ratios.

    python bench/json_bench.py [--count 2000] [--layout files|ndjson] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema
import jsonschema_rs

from conformance.clock import Clock
from conformance.profiles import Profile, resolve_profile
from conformance.session import ValidateOptions, validate
from conformance_fixtures.dossier_messages import day

NOW = Clock.start()
BASE = "baseline json.loads + jsonschema-rs"


def messages(count: int) -> list[bytes]:
    """``count`` messages of the reference days, each day with dossiers of its own."""
    out: list[bytes] = []
    series = 0
    while len(out) < count:
        out += day(NOW.now(), series=series)
        series += 1
    return out[:count]


def write(folder: Path, bodies: list[bytes], layout: str) -> list[Path]:
    """Write the messages as files or NDJSON streams; the files written."""
    folder.mkdir()
    if layout == "files":
        for i, body in enumerate(bodies):
            (folder / f"{i:05}.json").write_bytes(body)
    else:
        for start in range(0, len(bodies), 500):
            (folder / f"{start:05}.ndjson").write_bytes(b"\n".join(bodies[start:start + 500]) + b"\n")
    return sorted(folder.iterdir())


def baseline(files: list[Path], valid: Callable[[object], bool]) -> int:
    """Read each file, parse each message with json.loads, validate it; the number of valid messages."""
    ok = 0
    for path in files:
        data = path.read_bytes()
        for line in data.splitlines() if path.suffix == ".ndjson" else (data,):
            ok += bool(valid(json.loads(line)))
    return ok


def profile_run(profile: Profile, folder: Path, out: Path, jobs: int) -> str:
    """The whole ``validate`` path: every rule, the run-level lifecycle, the bulk engine, report.json written."""
    opts = ValidateOptions(profiles=[profile], paths=[folder], clock=NOW, out_dir=out, formats=("json",), jobs=jobs)
    report, _ = validate(opts)
    return str(report["verdict"])


def timed(func: Callable[[], object]) -> tuple[float, object]:
    """Seconds one call takes, and its value."""
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def main() -> None:
    """Generate the messages, time every contender, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--layout", choices=("files", "ndjson"), default="files")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # Set-up stays outside the timing on every side: loading the profile, compiling the schemas.
    profile = resolve_profile("dossier-sync")
    profile.load_checks()
    schema = json.loads(profile.artefacts["schema"].read_text("utf-8"))
    rust = jsonschema_rs.Draft202012Validator(schema)
    python = jsonschema.Draft202012Validator(schema)
    bodies = messages(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "messages"
        files = write(folder, bodies, args.layout)
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(bodies)} messages in {len(files)} files ({args.layout}), {megabytes:.1f} MB, "
              f"best of {args.repeat} interleaved rounds")
        runs: dict[str, Callable[[], object]] = {
            BASE: lambda: baseline(files, rust.is_valid),
            "json.loads + jsonschema (Python)": lambda: baseline(files, python.is_valid),
            "validate -p dossier-sync --jobs 1": lambda: profile_run(profile, folder, Path(tmp) / "out1", 1),
            "validate -p dossier-sync --jobs 2": lambda: profile_run(profile, folder, Path(tmp) / "out2", 2),
        }
        rounds: list[dict[str, float]] = []
        for _ in range(args.repeat):
            seconds: dict[str, float] = {}
            for label, run in runs.items():
                seconds[label], value = timed(run)
                assert value in (len(bodies), "conformant"), f"{label}: unexpected result {value!r}"
            rounds.append(seconds)
    print(f"{'':<38} {'best round':>17}  {'ratio of bests':>14}  {'median per-round ratio':>22}")
    for label in runs:
        best = min(r[label] for r in rounds)
        median = statistics.median(r[BASE] / r[label] for r in rounds)
        print(f"{label:<38} {len(bodies) / best:>7.0f} messages/s  {min(r[BASE] for r in rounds) / best:>14.2f}"
              f"  {median:>22.2f}")


if __name__ == "__main__":
    main()
