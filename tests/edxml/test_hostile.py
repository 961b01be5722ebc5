"""Hostile packages: a clear outcome within seconds, bounded memory, no file read, no network contact."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance_fixtures.edxml_corpus import build_corpus, edoc_package
from tests.conftest import NOW, NOW_ARG, load_valid_report

from .conftest import Tripwires, labels, run_validate

# Runs the CLI in a child process and prints its peak resident memory (KiB) on the last line of stderr.
_MEASURED_CLI = """
import resource, sys
from conformance.cli import cli
try:
    cli(sys.argv[1:], prog_name="conformance")
finally:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def measured_cli(*args: str, timeout: float = 120) -> tuple[int, float, str, str]:
    """Run ``conformance ARGS`` in a child process: exit code, peak memory in MiB, stdout, stderr."""
    done = subprocess.run([sys.executable, "-c", _MEASURED_CLI, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return done.returncode, peak_kib / 1024, done.stdout, done.stderr


def test_tripwires_detect_an_unsafe_parser(corpus: Path, tripwires: Tripwires) -> None:
    """Positive controls: an entity-resolving parser trips the file wire; any loopback contact trips the other."""
    tripwires.reset()
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    data = (corpus / "hostile" / "EDX-17-xxe-file.edxml").read_bytes()
    try:
        etree.fromstring(data, unsafe)
    except etree.XMLSyntaxError:
        pass
    assert tripwires.opened.wait(5), "the FIFO tripwire did not notice an unsafe file read"
    # libxml2 2.14 has no HTTP client any more, so the network wire is checked with a plain connection.
    host, port = tripwires.url.split("/")[2].split(":")
    socket.create_connection((host, int(port)), timeout=5).close()
    deadline = time.monotonic() + 5
    while not tripwires.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tripwires.connections, "the loopback tripwire did not notice a connection"


def test_hostile_packages_fail_the_right_requirement_and_touch_nothing(corpus: Path, tripwires: Tripwires,
                                                                       tmp_path: Path) -> None:
    tripwires.reset()
    start = time.monotonic()
    report = run_validate([corpus / "hostile"], tmp_path)
    elapsed = time.monotonic() - start
    assert elapsed < 30  # generous: each package takes milliseconds; this only proves nothing hangs
    time.sleep(0.3)  # let a late connection, if any, reach the listener
    assert not tripwires.opened.is_set(), "a hostile package made the validator open the canary file"
    assert tripwires.connections == [], "a hostile package made the validator contact the network"
    for name, label in labels(corpus).items():
        if not name.startswith("hostile/"):
            continue
        mine = [r for r in report["results"] if r["subject"] == name]
        failed = {r["requirement"] for r in mine if r["outcome"] == "fail"}
        assert failed == set(label["breaks"]), name
        stop = next(r for r in mine if r["outcome"] == "fail")
        assert stop["evidence"]["stopped"] is True
        assert "Evaluation stopped here" in stop["message"]
        assert len(mine) <= 2  # the other rules are omitted, not listed
    assert report["verdict"] == "non-conformant"
    assert report["summary"]["untested"] == []
    assert "CANARY-FILE-CONTENT" not in json.dumps(report)


@pytest.mark.parametrize(("name", "kind"), [
    ("billion-laughs", "DOCTYPE"), ("xxe-file", "DOCTYPE"), ("external-dtd", "DOCTYPE"),
    ("parameter-entity", "DOCTYPE"), ("xinclude-file", "XInclude"), ("xinclude-url", "XInclude"),
])
def test_attacks_fail_edx17_with_a_reason(corpus: Path, corpus_report: dict[str, Any], name: str, kind: str) -> None:
    [result] = [r for r in corpus_report["results"]
                if r["subject"] == f"hostile/EDX-17-{name}.edxml" and r["outcome"] == "fail"]
    assert result["requirement"] == "EDX-17"
    assert kind in result["message"]


@pytest.mark.parametrize(("name", "words"), [
    ("deep-nesting-100000", "deeper than the limit of 256"),
    ("deep-nesting-300", "deeper than the limit of 256"),
    ("latin1-declared-utf8", "not valid UTF-8"),
    ("utf16-bom", "UTF-16"),
    ("iso-8859-1-declared", "ISO-8859-1"),
    ("text-before-declaration", "not well-formed"),
    ("undeclared-prefix", "Namespace prefix"),
])
def test_malformed_input_fails_edx01_with_a_reason(corpus_report: dict[str, Any], name: str, words: str) -> None:
    [result] = [r for r in corpus_report["results"]
                if r["subject"] == f"hostile/EDX-01-{name}.edxml" and r["outcome"] == "fail"]
    assert result["requirement"] == "EDX-01"
    assert words in result["message"]


def test_hostile_run_in_a_child_process_exits_1_with_bounded_memory(corpus: Path, tmp_path: Path) -> None:
    code, peak_mib, out, err = measured_cli("validate", "-p", "edxml", str(corpus / "hostile"),
                                            "-o", str(tmp_path / "o"), "--now", NOW_ARG)
    assert code == 1, err
    assert peak_mib < 500
    assert "Traceback" not in out + err
    assert load_valid_report(tmp_path / "o")["verdict"] == "non-conformant"


def test_60mb_package_is_judged_in_full_under_the_default_cap(tmp_path: Path) -> None:
    build_corpus(tmp_path / "c", now=NOW, large=True)
    [big] = (tmp_path / "c" / "hostile").glob("*large-60mb*")
    assert big.stat().st_size > 60_000_000
    code, peak_mib, out, err = measured_cli("validate", "-p", "edxml", str(big), "-o", str(tmp_path / "o"),
                                            "--list-passes", "--now", NOW_ARG)
    assert code == 0, out + err
    assert peak_mib < 500
    report = load_valid_report(tmp_path / "o")
    assert report["summary"]["by_requirement"]["EDX-16"]["counts"]["pass"] == 1  # the base64 was checked
    assert report["summary"]["by_outcome"]["inconclusive"] == 0


def test_a_package_over_a_small_cap_is_inconclusive_and_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "one.edxml"
    path.write_bytes(edoc_package(now=NOW))
    report = run_validate([path], tmp_path / "o", max_bytes=1000)
    assert report["verdict"] == "inconclusive"
    stops = [r for r in report["results"] if r["outcome"] == "inconclusive"]
    assert {r["requirement"] for r in stops} == {"EDX-01", "EDX-17"}
    assert all("size cap of 1000 bytes" in r["message"] for r in stops)
    assert report["summary"]["untested"] == []  # the other rules are omitted, as after a stop
