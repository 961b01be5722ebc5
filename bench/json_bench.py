"""Throughput of ``validate -p dossier-sync`` against ``json.loads`` + jsonschema-rs or jsonschema, on the same files.

Generates the reference one-stop system's days (``conformance_fixtures.dossier_messages.day``: 20 messages about
5 dossiers, every status of the lifecycle, both dossier-code forms) until there are ``--count`` messages, each
day with dossiers and times of its own, each dossier with its own e-mail address and phone number (see
``messages``), and writes them to disk. The default layout is the one an export of a system's sync
calls has: NDJSON day files, one message per line, ``--per-file`` lines each (default 1000, so 100 files for
100 000 messages). ``--layout files`` writes one message per file instead. Then it measures, in the same run, on
the same files, all valid:

- the baseline: read each file, ``json.loads`` each message, validate it with the profile's own schema in
  jsonschema-rs;
- the same with the pure-Python jsonschema validator;
- the whole ``validate`` path at ``--jobs 1`` and ``--jobs 2``: strict reading (RFC 8259, duplicate keys, number
  tokens, NFC), every rule, each dossier's lifecycle across all messages, ``report.json`` written.

The contenders run in interleaved rounds, so a slow spell of a shared machine hits them alike. It prints messages
per second in the best round of each, and the ratios of ``validate --jobs 1`` to each baseline, as the ratio of
best rounds and as the median of per-round ratios; the issue's bars are at least 0.2 of json.loads +
jsonschema-rs and at least 5 times json.loads + jsonschema. A round takes about a minute at 100 000 messages,
mostly in pure jsonschema.

    python bench/json_bench.py [--count 100000] [--layout ndjson|files] [--per-file 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import jsonschema
import jsonschema_rs

from conformance.profiles import resolve_profile
from conformance_fixtures.dossier_messages import day
from rounds import NOW, interleaved, profile_run

RUST = "json.loads + jsonschema-rs"
PYTHON = "json.loads + jsonschema (Python)"
JOBS1 = "validate -p dossier-sync --jobs 1"
JOBS2 = "validate -p dossier-sync --jobs 2"
BARS = {RUST: 0.2, PYTHON: 5.0}  # validate --jobs 1 against each baseline, from the criterion


def messages(count: int) -> list[bytes]:
    """``count`` messages of the reference days, no value repeated that a real export would not repeat.

    Each day has dossiers of its own and its own times (each day 17 s before the one after it), and each
    dossier its own e-mail address and phone number, so the value rules' caches help no more than they would.
    """
    out: list[bytes] = []
    series = 0
    while len(out) < count:
        for body in day(NOW.now() - timedelta(seconds=17 * series), series=series):
            message = json.loads(body)
            for item in message["data"]:
                if "Email" in item:
                    code = item["MaHoSo"].replace(".", "").replace("-", "").lower()
                    item["Email"] = f"nguoi.nop.{code}@example.vn"
                    item["SoDienThoai"] = "09" + code[-8:]
            out.append(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode())
        series += 1
    return out[:count]


def write(folder: Path, bodies: list[bytes], layout: str, per_file: int) -> list[Path]:
    """Write the messages as NDJSON day files or one file each; the files written."""
    folder.mkdir()
    if layout == "files":
        for i, body in enumerate(bodies):
            (folder / f"{i:06}.json").write_bytes(body)
    else:
        for start in range(0, len(bodies), per_file):
            (folder / f"day-{start // per_file:04}.ndjson").write_bytes(
                b"\n".join(bodies[start:start + per_file]) + b"\n")
    return sorted(folder.iterdir())


def baseline(files: list[Path], valid: Callable[[object], bool]) -> int:
    """Read each file, parse each message with json.loads, validate it; the number of valid messages."""
    ok = 0
    for path in files:
        data = path.read_bytes()
        for line in data.splitlines() if path.suffix == ".ndjson" else (data,):
            ok += bool(valid(json.loads(line)))
    return ok


def main() -> None:
    """Generate the messages, time every contender in interleaved rounds, print the figures and the bars."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--layout", choices=("ndjson", "files"), default="ndjson")
    parser.add_argument("--per-file", type=int, default=1000, help="lines per NDJSON day file")
    parser.add_argument("--repeat", type=int, default=3)
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
        files = write(folder, bodies, args.layout, args.per_file)
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(bodies)} messages in {len(files)} files ({args.layout}), {megabytes:.1f} MB, "
              f"{args.repeat} interleaved rounds")
        runs: dict[str, Callable[[], object]] = {
            RUST: lambda: baseline(files, rust.is_valid),
            PYTHON: lambda: baseline(files, python.is_valid),
            JOBS1: lambda: profile_run(profile, folder, Path(tmp) / "out1", 1),
            JOBS2: lambda: profile_run(profile, folder, Path(tmp) / "out2", 2),
        }
        rounds = interleaved(runs, args.repeat, expected=(len(bodies), "conformant"))
    best = {label: min(r[label] for r in rounds) for label in runs}
    print(f"{'':<36} {'best round':>19}")
    for label in runs:
        print(f"{label:<36} {len(bodies) / best[label]:>8.0f} messages/s")
    print(f"\n{JOBS1} against each baseline:")
    print(f"{'':<36} {'ratio of bests':>14}  {'median per-round ratio':>22}  {'bar':>5}")
    for label, bar in BARS.items():
        median = statistics.median(r[label] / r[JOBS1] for r in rounds)
        ratio = best[label] / best[JOBS1]
        met = "met" if min(ratio, median) >= bar else "NOT met"
        print(f"{label:<36} {ratio:>14.2f}  {median:>22.2f}  {bar:>5g}  {met}")


if __name__ == "__main__":
    main()
