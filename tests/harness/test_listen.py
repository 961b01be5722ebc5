"""``conformance listen``: the harness plays a profile's peer on loopback, judges each call, stops, reports.

Uses the ``tally`` toy profile, whose peer judges every POST body as one ``NAME COUNT`` line.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.clock import Clock
from conformance.listen import Listening, ListenOptions, start_listening
from conformance.listen_fixture import conformance_listener  # noqa: F401  (the fixture under test)
from conformance.profiles import PATH_ENV, load_profile
from conformance.reporting.json_writer import validate_report
from tests.conftest import NOW, load_valid_report

from .conftest import PROFILES

TALLY = load_profile(PROFILES / "tally")


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[Callable[..., Listening]]:
    """Start the tally peer in a thread; anything still running is stopped at the end."""
    started: list[Listening] = []

    def start(**options: Any) -> Listening:
        run = start_listening(ListenOptions(TALLY, clock=Clock(NOW), out_dir=tmp_path / f"out{len(started)}",
                                            formats=("json", "html", "junit"), **options))
        started.append(run)
        return run

    yield start
    for run in started:
        if run.running:
            run.stop()


def post(url: str, body: bytes, path: str = "/", **kwargs: Any) -> Any:
    return httpx.post(url + path, content=body, timeout=10, **kwargs).json()


def test_every_call_is_judged_and_listed_and_count_stops_the_run(listening: Callable[..., Listening]) -> None:
    run = listening(count=3)
    answers = [post(run.url, body) for body in (b"x 1", b"x 12", b"x 0")]
    assert answers == [{"refused": []}, {"refused": ["TAL-02"]}, {"refused": []}]
    run._thread.join(timeout=10)  # type: ignore[union-attr]
    assert not run.running  # the third call stopped it
    report = run.stop()
    assert validate_report(report) == []
    assert report["command"] == "listen" and report["listing"] == "all"
    assert report["summary"]["subjects"] == 3
    subjects = [r["subject"] for r in report["results"] if r["requirement"] == "TAL-01"]
    assert subjects == ["#1 POST /", "#2 POST /", "#3 POST /"]
    passes = [r for r in report["results"] if r["outcome"] == "pass"]
    assert len(passes) == 5  # passes are listed in a live run
    first = next(r for r in report["results"] if r["subject"] == "#1 POST /")
    assert first["evidence"]["exchange"] == {"request": {"path": "/"}, "response": {"refused": []}}
    # x 12 was rejected (TAL-02), so 1 then 0 is the sequence TAL-03 judges, in arrival order.
    [tal03] = [r for r in report["results"] if r["requirement"] == "TAL-03"]
    assert tal03["outcome"] == "fail" and tal03["message"] == "TAL-03: x went down from 1 to 0 (#3 POST /)"
    assert report["verdict"] == "non-conformant"
    assert (run.written[0].parent / "report.html").exists() and (run.written[0].parent / "junit.xml").exists()


def test_a_call_the_peer_refuses_does_not_count_for_the_run_level_judgement(
        listening: Callable[..., Listening]) -> None:
    run = listening(count=2)
    post(run.url, b"x 5", "/refuse")
    post(run.url, b"x 1")
    report = run.stop()
    assert [r["outcome"] for r in report["results"] if r["requirement"] == "TAL-03"] == ["pass"]
    assert report["summary"]["subjects"] == 2


def test_duration_stops_a_run_that_received_nothing_and_the_verdict_is_inconclusive(
        listening: Callable[..., Listening]) -> None:
    run = listening(duration=0.3)
    run._thread.join(timeout=10)  # type: ignore[union-attr]
    assert not run.running
    report = run.stop()
    assert report["verdict"] == "inconclusive"
    assert report["summary"]["untested"] == ["TAL-01", "TAL-02", "TAL-03"]


def test_a_body_over_the_cap_is_inconclusive_and_counted(listening: Callable[..., Listening]) -> None:
    run = listening(count=1, max_bytes=16)
    assert post(run.url, b"x " + b"1" * 100) == {"too_large": True}
    report = run.stop()
    [result] = report["results"]
    assert result["outcome"] == "inconclusive" and "over the size cap of 16 bytes" in result["message"]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_https_with_a_certificate_and_key(listening: Callable[..., Listening], tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    run = listening(count=1, tls_cert=cert, tls_key=key)
    assert run.url.startswith("https://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):  # an untrusted certificate is refused by the client
        httpx.post(run.url + "/", content=b"x 1", timeout=10)
    assert post(run.url, b"x 1", verify=ssl.create_default_context(cafile=str(cert))) == {"refused": []}
    assert run.stop()["verdict"] == "conformant"


def test_usage_errors_exit_2_with_the_fix(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    no_peer = run_cli("listen", "-p", "toy", "--port", "0", "--count", "1")
    assert no_peer.exit_code == 2 and "profile 'toy' has no peer to play" in no_peer.output
    both = run_cli("listen", "-p", "tally", "--port", "0", "--count", "1", "--duration", "1")
    assert both.exit_code == 2 and "exclude each other" in both.output
    half_tls = run_cli("listen", "-p", "tally", "--port", "0", "--tls-cert", str(tmp_path / "c.pem"))
    assert half_tls.exit_code == 2 and "--tls-cert and --tls-key go together" in half_tls.output
    bad_credentials = run_cli("listen", "-p", "tally", "--port", "0", "--credentials", "nopassword")
    assert bad_credentials.exit_code == 2 and "USER:PASS" in bad_credentials.output
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = run_cli("listen", "-p", "tally", "--port", str(taken.getsockname()[1]), "--count", "1")
    assert busy.exit_code == 2 and "cannot listen on 127.0.0.1" in busy.output
    assert "Traceback" not in busy.output


def _listen_process(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``conformance listen -p tally`` in a child process, and the URL it announces."""
    env = {**os.environ, PATH_ENV: str(PROFILES)}
    child = subprocess.Popen([sys.executable, "-m", "conformance.cli", "listen", "-p", "tally", "--port", "0",
                              "-o", str(tmp_path / "out"), "--format", "json", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stderr is not None
    line = child.stderr.readline()
    assert "listening as 'tally' on http://127.0.0.1:" in line, line
    return child, line.split(" on ")[1].split(";")[0]


@pytest.mark.parametrize(("sig", "body", "code"), [(signal.SIGINT, b"x 1", 0), (signal.SIGTERM, b"x 99", 1)])
def test_a_signal_stops_the_run_writes_the_report_and_exits_with_the_verdict(
        tmp_path: Path, sig: signal.Signals, body: bytes, code: int) -> None:
    child, url = _listen_process(tmp_path)
    try:
        post(url, body)
        child.send_signal(sig)
        _, errors = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == code, errors
    assert "Traceback" not in errors
    report = load_valid_report(tmp_path / "out")
    assert report["summary"]["subjects"] == 1
    assert "conformance listen -p tally" in report["reproduce"]["command"]


def test_the_pytest_fixture_plays_a_peer_and_stops_it_into_a_report(
        conformance_listener: Callable[..., Listening], tmp_path: Path) -> None:  # noqa: F811
    peer = conformance_listener("tally", clock=Clock(NOW))
    assert peer.url.startswith("http://127.0.0.1:")
    assert post(peer.url, b"y 3") == {"refused": []}
    report = peer.stop()
    assert report["verdict"] == "conformant" and report["summary"]["subjects"] == 1
    assert peer.written[0] == tmp_path / "listen-1" / "report.json"
    load_valid_report(tmp_path / "listen-1")
    left_running = conformance_listener("tally")  # stopped by the fixture at the end of the test
    assert left_running.running
