"""The offline benchmarks run end to end on a few messages, print their figures, and refuse a wrong result.

No timing is asserted: the machines are noisy. What is tested is that ``make bench`` still works and that a
contender that judges wrongly stops the benchmark instead of being timed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done.stdout


def test_json_bench_prints_throughput_and_both_bars() -> None:
    out = run("json_bench.py", "--count", "120", "--per-file", "50", "--repeat", "1")
    assert out.startswith("120 messages in 3 files (ndjson)")
    for label in ("json.loads + jsonschema-rs", "json.loads + jsonschema (Python)",
                  "validate -p dossier-sync --jobs 1", "validate -p dossier-sync --jobs 2"):
        assert any(line.startswith(label) and "messages/s" in line for line in out.splitlines()), label
    bars = [line for line in out.splitlines() if line.endswith(" met")]  # "met" or "NOT met", per baseline
    assert [line.split("  ")[0] for line in bars] == ["json.loads + jsonschema-rs", "json.loads + jsonschema (Python)"]
    assert [line.split()[-3 if line.endswith("NOT met") else -2] for line in bars] == ["0.2", "5"]


def test_json_bench_writes_one_message_per_file_on_request() -> None:
    assert run("json_bench.py", "--count", "40", "--layout", "files", "--repeat", "1").startswith(
        "40 messages in 40 files (files)")


def test_validate_bench_prints_the_ratio_against_lxml() -> None:
    out = run("validate_bench.py", "--count", "20", "--size", "4000", "--repeat", "1")
    assert out.startswith("20 packages")
    assert any(line.startswith("validate -p edxml --jobs 1") for line in out.splitlines())


def test_a_contender_with_a_wrong_result_stops_the_benchmark() -> None:
    spec = importlib.util.spec_from_file_location("rounds", BENCH / "rounds.py")
    assert spec is not None and spec.loader is not None
    rounds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rounds)
    assert len(rounds.interleaved({"a": lambda: 3, "b": lambda: "conformant"}, 2, expected=(3, "conformant"))) == 2
    with pytest.raises(SystemExit, match="b: unexpected result 'non-conformant'"):
        rounds.interleaved({"a": lambda: 3, "b": lambda: "non-conformant"}, 1, expected=(3, "conformant"))
