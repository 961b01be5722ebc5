"""Test cases per second of ``openapi-contract`` against Schemathesis, on the same loopback API and budget.

Both tools run end to end as their command lines do (start-up included), in interleaved rounds,
against one registry API served by uvicorn in its own process (``conformance_fixtures.registry_api``),
with the same ``--max-examples`` and seed. Each counts its own test cases: ours from the report's
per-operation evidence, Schemathesis from its summary line. Prints cases/s per round, the medians,
and their ratio (ours / Schemathesis). Schemathesis is a benchmark-only dependency (extra ``bench``).

    python bench/api_bench.py [--max-examples 100] [--rounds 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance_fixtures.registry_api import TOKEN

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(port: int) -> subprocess.Popen[bytes]:
    code = ("import uvicorn; from conformance_fixtures.registry_api import make_app; "
            f"uvicorn.run(make_app(), host='127.0.0.1', port={port}, log_level='error')")
    server = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    server.kill()
    raise SystemExit("the registry API did not start")


def ours(work: Path, base_url: str, examples: int, seed: int) -> tuple[int, float]:
    """Cases and seconds of one ``conformance run -p openapi-contract``."""
    target = work / "target.yaml"
    target.write_text(f'target: {{vendor: bench, product: registry, version: "1"}}\n'
                      f'endpoints: {{base_url: "{base_url}", openapi: /openapi.json}}\n'
                      'auth: {type: bearer, token: "${env:REGISTRY_TOKEN}"}\n', "utf-8")
    out = work / "ours"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run([str(BIN / "conformance"), "run", "-t", str(target), "-p", "openapi-contract", "--max-examples",
                    str(examples), "--seed", str(seed), "--format", "json", "-o", str(out)],
                   env={**os.environ, "REGISTRY_TOKEN": TOKEN}, stdout=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - started
    report = json.loads((out / "report.json").read_text("utf-8"))
    per_operation = {r["subject"]: sum(r["evidence"]["cases"].values()) for r in report["results"]
                     if isinstance(r["evidence"].get("cases"), dict)}
    return sum(per_operation.values()), elapsed


def schemathesis(work: Path, base_url: str, examples: int, seed: int) -> tuple[int, float]:
    """Cases and seconds of one ``schemathesis run`` with its default phases and checks."""
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "schemathesis"), "run", f"{base_url}/openapi.json", "-n", str(examples),
                           "--seed", str(seed), "-H", f"Authorization: Bearer {TOKEN}", "--no-color"],
                          capture_output=True, text=True, check=False, cwd=work)  # it writes .schemathesis/ here
    elapsed = time.perf_counter() - started
    found = re.search(r"(\d+) generated", done.stdout)
    if not found:
        raise SystemExit(f"could not read the Schemathesis summary:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return int(found.group(1)), elapsed


def main() -> None:
    """Run the interleaved rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (BIN / "schemathesis").exists():
        raise SystemExit("Schemathesis is not installed: pip install -e '.[bench]' (benchmark-only dependency)")
    port = _free_port()
    server = _serve(port)
    base_url = f"http://127.0.0.1:{port}"
    rates: dict[str, list[float]] = {"openapi-contract": [], "schemathesis": []}
    try:
        with tempfile.TemporaryDirectory(prefix="api-bench-") as work:
            for round_number in range(1, args.rounds + 1):
                for name in ("openapi-contract", "schemathesis"):
                    cases, seconds = (ours(Path(work), base_url, args.max_examples, args.seed)
                                      if name == "openapi-contract" else
                                      schemathesis(Path(work), base_url, args.max_examples, args.seed))
                    rates[name].append(cases / seconds)
                    print(f"round {round_number} {name:17} {cases:6d} cases in {seconds:6.2f} s = "
                          f"{cases / seconds:7.1f} cases/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    ours_rate, theirs = statistics.median(rates["openapi-contract"]), statistics.median(rates["schemathesis"])
    print(f"median: openapi-contract {ours_rate:.1f} cases/s, Schemathesis {theirs:.1f} cases/s "
          f"(--max-examples {args.max_examples}, same API, same seed)")
    print(f"ratio openapi-contract / Schemathesis: {ours_rate / theirs:.2f}")


if __name__ == "__main__":
    main()
