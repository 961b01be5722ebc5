"""OAuth 2.0 client credentials: the tool fetches the access token, uses it as the default caller, and never writes it.

A small loopback service plays both the authorization server (``POST /oauth2/token``, RFC 6749 §4.4, the client
authenticated with HTTP Basic) and an API whose one operation demands the token it issued.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml
from click.testing import Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import NOW_ARG, load_valid_report
from tests.live_server import serve

Cli = Callable[..., Result]
CLIENT_ID, CLIENT_SECRET = "mot-cua-client", "bi-mat-cua-client-7f2c"
ISSUED = "issued-access-token-4d8e1a9b"
DOCUMENT = {
    "openapi": "3.1.0", "info": {"title": "oauth", "version": "1"},
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {"/v1/things": {"get": {"responses": {
        "200": {"description": "things", "content": {"application/json": {"schema": {"type": "array"}}}},
        "401": {"description": "who are you"}}}}},
}


def _service(token_answer: dict[str, Any] | None = None) -> Starlette:
    client = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()

    async def token(request: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if request.headers.get("authorization") != client:
            return JSONResponse({"error": "invalid_client"}, 401)
        if form.get("grant_type") != "client_credentials" or form.get("scope") != "things.read":
            return JSONResponse({"error": "invalid_request"}, 400)
        return JSONResponse(token_answer or {"access_token": ISSUED, "token_type": "Bearer", "expires_in": 300})

    async def things(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {ISSUED}":
            return JSONResponse({"title": "Unauthorized"}, 401, media_type="application/problem+json")
        return JSONResponse([])

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(DOCUMENT)

    return Starlette(routes=[Route("/oauth2/token", token, methods=["POST"]), Route("/v1/things", things),
                             Route("/openapi.json", openapi), Route("/", openapi)])


def _target(folder: Path, origin: str, monkeypatch: pytest.MonkeyPatch, secret: str) -> Path:
    monkeypatch.setenv("OAUTH_CLIENT_SECRET", secret)
    path = folder / "target.yaml"
    path.write_text(yaml.safe_dump({
        "target": {"vendor": "Test", "product": "oauth", "version": "1"},
        "endpoints": {"base_url": origin, "openapi": "/openapi.json"},
        "auth": {"type": "oauth2-client-credentials", "token_url": "/oauth2/token", "client_id": CLIENT_ID,
                 "client_secret": "${env:OAUTH_CLIENT_SECRET}", "scope": "things.read"},
    }), "utf-8")
    return path


def _written(out: Path, result: Result) -> str:
    files = [p.read_bytes().decode("utf-8", "replace") for p in sorted(out.rglob("*")) if p.is_file()]
    return result.output + "".join(files)


def test_doctor_fetches_the_token_and_the_api_accepts_it(run_cli: Cli, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(_service()) as origin:
        result = run_cli("doctor", "-t", str(_target(tmp_path, origin, monkeypatch, CLIENT_SECRET)))
    assert result.exit_code == 0, result.output
    assert "fetched from /oauth2/token" in result.output
    assert "token of 'default'" in result.output and "accepted (GET /v1/things answered 200)" in result.output
    assert ISSUED not in result.output and CLIENT_SECRET not in result.output


def test_doctor_says_when_the_authorization_server_refuses_the_client(run_cli: Cli, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(_service()) as origin:
        result = run_cli("doctor", "-t", str(_target(tmp_path, origin, monkeypatch, "a-wrong-secret-0000")))
    assert result.exit_code == 2
    assert "refused the client" in result.output and "answered 401 (invalid_client)" in result.output
    assert "the client secret in the environment" in result.output
    assert "a-wrong-secret-0000" not in result.output


def test_a_run_uses_the_fetched_token_and_writes_no_secret(run_cli: Cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with serve(_service()) as origin:
        target = _target(tmp_path, origin, monkeypatch, CLIENT_SECRET)
        result = run_cli("run", "-t", str(target), "-p", "openapi-contract", "-o", str(out), "--seed", "1",
                         "--max-examples", "5", "--now", NOW_ARG)
    report = load_valid_report(out)
    auth = {r["subject"]: r["outcome"] for r in report["results"] if r["requirement"] == "API-09"}
    assert auth == {"GET /v1/things": "pass"}, result.output
    positives = [r for r in report["results"] if r["requirement"] == "API-05" and r["subject"] == "GET /v1/things"]
    assert [r["outcome"] for r in positives] == ["pass"]  # the token was sent: the 200 bodies were judged
    assert report["target"]["auth"]["token"] == "***" and report["target"]["auth"]["client_secret"] == "***"
    written = _written(out, result)
    for secret in (ISSUED, CLIENT_SECRET, base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()):
        assert secret not in written


@pytest.mark.parametrize(("answer", "secret", "reason"), [
    (None, "a-wrong-secret-0000", "refused the client: POST"),
    ({"token_type": "Bearer"}, CLIENT_SECRET, "without a bearer access token"),
    ({"access_token": ISSUED, "token_type": "mac"}, CLIENT_SECRET, "without a bearer access token"),
], ids=["refused", "no-token", "not-bearer"])
def test_a_run_without_a_token_stops_before_judging_and_says_why(run_cli: Cli, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 answer: dict[str, Any] | None, secret: str,
                                                                 reason: str) -> None:
    with serve(_service(answer)) as origin:
        target = _target(tmp_path, origin, monkeypatch, secret)
        result = run_cli("run", "-t", str(target), "-p", "openapi-contract", "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert reason in result.output and "Traceback" not in result.output
    assert secret not in result.output and ISSUED not in result.output


def test_declared_identities_need_no_token(run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTH_IDENTITY_TOKEN", ISSUED)
    with serve(_service({"error": "must not be asked"})) as origin:
        target = _target(tmp_path, origin, monkeypatch, "a-wrong-secret-0000")
        data = yaml.safe_load(target.read_text("utf-8"))
        data["identities"] = [{"name": "can-bo", "token": "${env:OAUTH_IDENTITY_TOKEN}"}]
        target.write_text(yaml.safe_dump(data), "utf-8")
        result = run_cli("doctor", "-t", str(target))
    assert result.exit_code == 0, result.output
    assert "access token" not in result.output and "token of 'can-bo'" in result.output
    assert ISSUED not in result.output
