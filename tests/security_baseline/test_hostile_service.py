"""A hostile or broken service never makes security-baseline crash or hang: the worst is fail or inconclusive."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from starlette.types import Receive, Scope, Send

from tests.live_server import serve

from .conftest import judge
from .test_defects_caught import HTTP_IDS

DEEP = b"[" * 60_000 + b"]" * 60_000


async def chaos(scope: Scope, receive: Receive, send: Send) -> None:
    """Every answer is wrong in as many ways as a header and a body allow."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/json; charset=utf-8"),
               (b"strict-transport-security", b"max-age=\"; ;;=="),
               (b"content-security-policy", b"\xff\xfe;;;; script-src"),
               (b"referrer-policy", b",".join([b"x"] * 2000)),
               (b"set-cookie", b"=; ;;; SameSite"), (b"set-cookie", b";"), (b"set-cookie", b"a=b; Expires=never"),
               (b"access-control-allow-origin", b"null"), (b"server", b"\xc3\x28 v9"),
               (b"allow", b",,,,")]
    body = DEEP if scope["path"] != "/openapi.json" else b'{"openapi": "3.1.0", "paths": ' + DEEP + b"}"
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _target(folder: Path, base_url: str, ca_file: Path, **extra: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "target.yaml"
    data = {"target": {"vendor": "v", "product": "p", "version": "1"},
            "endpoints": {"base_url": base_url, "openapi": "/openapi.json", "login": "/auth/login"},
            "tls": {"ca_file": str(ca_file)}, "security_level": 3, "consent": "active", **extra}
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def test_a_service_answering_nonsense_gets_verdicts_never_errors(certificate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conformance_fixtures.exchange_platform.tls import server_context

    with serve(chaos, ssl_context=server_context(certificate)) as origin:
        judged = judge(_target(tmp_path, origin, certificate.ca_file), *HTTP_IDS)
    errors = [f"{r.requirement}: {r.message}" for r in judged.results if r.outcome.value == "error"]
    assert errors == []
    outcomes = {r.requirement: r.outcome.value for r in judged.results if r.level.value == "mandatory"}
    assert outcomes["SB-HTTP-02"] == "fail" and outcomes["SB-HDR-04"] == "fail" and outcomes["SB-HDR-05"] == "fail"
    assert outcomes["SB-METH-02"] == "inconclusive"  # the API document is 60,000 levels deep: not read


@contextmanager
def _silent_server() -> Iterator[int]:
    """Accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def test_a_silent_service_is_inconclusive_within_the_deadlines(certificate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with _silent_server() as port:
        started = time.monotonic()
        judged = judge(_target(tmp_path, f"https://127.0.0.1:{port}", certificate.ca_file,
                               limits={"timeout_s": 1}), *HTTP_IDS)
        elapsed = time.monotonic() - started
    outcomes = {r.outcome.value for r in judged.results}
    assert outcomes <= {"inconclusive", "pass", "not-applicable"}, [r.message for r in judged.results]
    assert "error" not in outcomes
    plaintext = next(r for r in judged.results if r.requirement == "SB-HTTP-01")
    assert plaintext.outcome.value == "pass"  # silence to plain HTTP is not a plaintext answer
    assert elapsed < 120
