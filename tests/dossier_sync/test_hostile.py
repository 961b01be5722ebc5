"""Hostile input: a clear outcome, never an error, a crash or a hang; the report is always written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.clock import Clock
from conformance.evaluate import evaluate_parts
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext, RawSubject
from conformance_fixtures.dossier_messages import day
from tests.conftest import NOW, NOW_ARG, load_valid_report

PROFILE = resolve_profile("dossier-sync")
CHECKS = PROFILE.load_checks()
CTX = CheckContext(PROFILE.id, Clock(NOW), artefacts=dict(PROFILE.artefacts), limits=dict(PROFILE.limits),
                   messages=PROFILE.messages())
MESSAGES = [json.loads(body) for body in day(NOW)]


def judge(data: bytes) -> list[Any]:
    """Every result of every subject the bytes hold, as a file named f.json."""
    reports = list(evaluate_parts(PROFILE.id, PROFILE.requirements, CHECKS, RawSubject("f.json", data), CTX))
    return [r for report in reports for r in report.results]


def assert_judged(data: bytes) -> None:
    results = judge(data)
    assert results, "no result at all"
    errors = [r.message for r in results if r.outcome is Outcome.ERROR]
    assert errors == [], errors  # an error is the profile's fault; hostile input must get a verdict


def test_the_hostile_folder_ends_with_a_verdict_and_no_traceback(corpus: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "conformance.cli", "validate", "-p", "dossier-sync",
                           str(corpus / "hostile"), "-o", str(tmp_path / "out"), "--now", NOW_ARG, "--jobs", "2"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    report = load_valid_report(tmp_path / "out")
    assert report["summary"]["by_outcome"]["error"] == 0


def test_a_file_over_the_size_cap_is_inconclusive_and_names_the_limit(corpus: Path, tmp_path: Path) -> None:
    from .conftest import run_validate

    report = run_validate([corpus / "conformant" / "day.ndjson"], tmp_path, max_bytes=1000)
    [result] = [r for r in report["results"] if r["subject"] == str(corpus / "conformant" / "day.ndjson")]
    assert result["outcome"] == "inconclusive" and result["requirement"] == "DVC-01"
    assert "over the size cap of 1000 bytes" in result["message"]
    assert report["verdict"] == "inconclusive"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_get_a_verdict(data: bytes) -> None:
    assert_judged(data)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b",", b"\n", b'"', b"\\", b":", b"1", b"NaN", b" ",
                                 b'"service"', b'"DongBoHoSoMC"', b'"data"', b"\xef\xbb\xbf", b"\xff"]),
                max_size=60))
def test_structural_noise_gets_a_verdict(tokens: list[bytes]) -> None:
    assert_judged(b"".join(tokens))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(MESSAGES))), st.data())
def test_any_field_set_to_any_json_value_gets_a_verdict(index: int, data: st.DataObject) -> None:
    message = json.loads(json.dumps(MESSAGES[index]))
    item = message["data"][0]
    field = data.draw(st.sampled_from([*item, "service", "data", "isUpdating"]))
    value = data.draw(json_values)
    (message if field in ("service", "data", "isUpdating") else item)[field] = value
    assert_judged(json.dumps(message, ensure_ascii=data.draw(st.booleans())).encode())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(range(len(MESSAGES))), min_size=1, max_size=5), st.booleans())
def test_arrays_and_streams_of_messages_are_cut_and_judged(picks: list[int], as_array: bool) -> None:
    bodies = [json.dumps(MESSAGES[i], ensure_ascii=False).encode() for i in picks]
    data = b"[" + b",".join(bodies) + b"]" if as_array else b"\n".join(bodies)
    results = judge(data)
    subjects = {r.subject for r in results}
    if len(bodies) > 1 or as_array:
        assert subjects == ({f"f.json[{i}]" for i in range(len(bodies))} if as_array else
                            {f"f.json:{i + 1}" for i in range(len(bodies))})
    assert {r.outcome for r in results} <= {Outcome.PASS, Outcome.NOT_APPLICABLE}
