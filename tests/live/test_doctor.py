"""conformance doctor: each configuration mistake is caught before a run, with a message that says how to fix it."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance_fixtures.exchange_platform import Platform, running_platform
from tests.live_server import serve

Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("doctor") / "state", tls=True) as running:
        yield running


@pytest.fixture
def target(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "target.yaml"
    for name, value in platform.write_target(path).items():
        monkeypatch.setenv(name, value)
    return path


def _edit(path: Path, change: Callable[[dict], None]) -> Path:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def test_a_good_target_is_ready(run_cli: Cli, target: Path) -> None:
    result = run_cli("doctor", "-t", str(target), "-p", "edoc-exchange")
    assert result.exit_code == 0, result.output
    assert "ready" in result.output
    assert "token of" in result.output and "accepted" in result.output


def test_unknown_key_names_the_nearest_valid_one(run_cli: Cli, target: Path) -> None:
    _edit(target, lambda d: d.__setitem__("limts", {"timeout_s": 5}))
    result = run_cli("doctor", "-t", str(target))
    assert result.exit_code == 2
    assert "unknown key 'limts'" in result.output and "limits" in result.output


def test_missing_environment_secret_says_what_to_export(run_cli: Cli, target: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    name = yaml.safe_load(target.read_text("utf-8"))["identities"][1]["token"][len("${env:"):-1]
    monkeypatch.delenv(name)
    result = run_cli("doctor", "-t", str(target))
    assert result.exit_code == 2
    assert f"environment variable {name}, which is not set" in result.output and f"export {name}" in result.output


def test_untrusted_certificate_says_to_set_the_ca_file(run_cli: Cli, target: Path) -> None:
    _edit(target, lambda d: d.pop("tls"))
    result = run_cli("doctor", "-t", str(target))
    assert result.exit_code == 2
    assert "TLS trust" in result.output and "tls.ca_file" in result.output


def test_rejected_token_names_the_variable_to_fix(run_cli: Cli, target: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    name = yaml.safe_load(target.read_text("utf-8"))["identities"][0]["token"][len("${env:"):-1]
    monkeypatch.setenv(name, "not-a-token-the-platform-issued-0123456789")
    result = run_cli("doctor", "-t", str(target), "-p", "edoc-exchange")
    assert result.exit_code == 2
    assert "rejects it" in result.output and f"export a valid, unexpired token in {name}" in result.output
    assert "not-a-token-the-platform-issued" not in result.output  # a secret is never printed


def test_base_url_that_does_not_answer(run_cli: Cli, target: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _edit(target, lambda d: d["endpoints"].__setitem__("base_url", f"https://127.0.0.1:{port}"))
    result = run_cli("doctor", "-t", str(target))
    assert result.exit_code == 2
    assert "reachability" in result.output and "is the system running" in result.output


def _basic_service() -> Starlette:
    """A small API whose only listing demands HTTP Basic (user ``can-bo``, password ``dung-mat-khau``)."""
    expected = "Basic " + base64.b64encode(b"can-bo:dung-mat-khau").decode()
    document = {"openapi": "3.1.0", "info": {"title": "basic", "version": "1"},
                "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
                "security": [{"basic": []}],
                "paths": {"/v1/things": {"get": {"responses": {"200": {"description": "things"},
                                                               "401": {"description": "who are you"}}}}}}

    async def things(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != expected:
            return JSONResponse({"title": "Unauthorized"}, 401, headers={"WWW-Authenticate": 'Basic realm="t"'})
        return JSONResponse([])

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return Starlette(routes=[Route("/v1/things", things), Route("/openapi.json", openapi), Route("/", openapi)])


@pytest.mark.parametrize(("password", "ready"), [("dung-mat-khau", True), ("sai-mat-khau-9f3a", False)])
def test_http_basic_credentials_are_tried(run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          password: str, ready: bool) -> None:
    monkeypatch.setenv("DOCTOR_BASIC_PASSWORD", password)
    with serve(_basic_service()) as origin:
        target = tmp_path / "target.yaml"
        target.write_text(yaml.safe_dump({
            "target": {"vendor": "Test", "product": "basic", "version": "1"},
            "endpoints": {"base_url": origin, "openapi": "/openapi.json"},
            "auth": {"type": "basic", "username": "can-bo", "password": "${env:DOCTOR_BASIC_PASSWORD}"}}), "utf-8")
        result = run_cli("doctor", "-t", str(target))
    assert "HTTP Basic credentials of 'can-bo'" in result.output
    if ready:
        assert result.exit_code == 0, result.output
        assert "accepted (GET /v1/things answered 200)" in result.output
    else:
        assert result.exit_code == 2
        assert "rejects it: GET /v1/things answered 401" in result.output
        assert "export the right password in DOCTOR_BASIC_PASSWORD" in result.output
    assert password not in result.output  # a secret is never printed
