"""Tokens, passwords and client secrets never reach an output file, the console, or the evidence.

Every installed live profile runs against the reference exchange platform (bearer tokens, expired
tokens), and the generic API profiles also against an echo API that sends the credentials back in
its headers and bodies (bearer, and Basic with a password full of characters that change under
encoding). Offline profiles run through ``validate`` with a target file holding secrets, and
``doctor`` checks both systems. Each run writes every report format; one writes Vietnamese. Then
every byte written (each file of the output folder, stdout, stderr) is searched for every secret,
plain and in each encoding that could carry it: base64 (bare, and Basic ``user:password``),
URL-encoded, JSON-escaped, Python ``repr``, HTML-escaped, and UTF-8 read as Latin-1.

A new profile is one id to add to ``LIVE_PROFILES``, ``ECHO_PROFILES`` or ``OFFLINE_PROFILES``; a test
fails while an installed profile is missing from them.
"""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from conformance.clock import parse_now
from conformance.profiles import discover
from conformance.session import demo_inputs
from conformance_fixtures.exchange_platform import Platform, running_platform
from tests.conftest import NOW_ARG, load_valid_report
from tests.live_server import serve
from tests.robustness.echo_api import make_echo_app

Cli = Callable[..., Result]

# Every installed profile is listed here (a test checks it): add a new profile's id to its line.
LIVE_PROFILES = ("edoc-exchange", "openapi-contract", "security-baseline")  # run against the reference platform
ECHO_PROFILES = ("openapi-contract", "security-baseline")  # judge any HTTP API: also run against the echo API
OFFLINE_PROFILES = ("dossier-sync", "edxml")  # run through validate, with a target file holding secrets

USER = "nguyen.van.a"
# Characters that each encoding rewrites: quote, backslash, slash, plus, ampersand, percent, space, Vietnamese.
PASSWORD = 'Mật "khẩu"/+&=% \\ 9:z'
BEARER = 'echo-t0ken/+&="q"\\x=='
CLIENT_SECRET = "client-secret-Đà-Nẵng-7f3a9c"
EXPIRED = "expired-token-Hà-Nội-0042"
URL_PASSWORD = "url-userinfo-pw-9f8e7d"  # in base_url's userinfo: http://user:password@host
ECHO_SYSTEMS = ("echo-bearer", "echo-basic", "echo-userinfo")


def forms(secret: str) -> dict[str, str]:
    """Every form of ``secret`` that must never be written, by name."""
    return {
        "plain": secret,
        "base64": base64.b64encode(secret.encode()).decode(),
        "url": urllib.parse.quote(secret, safe=""),
        "url-plus": urllib.parse.quote_plus(secret),
        "url-path": urllib.parse.quote(secret),
        "json": json.dumps(secret)[1:-1],
        "json-utf8": json.dumps(secret, ensure_ascii=False)[1:-1],
        "repr": repr(secret)[1:-1],
        "html": html.escape(secret),
        "latin-1": secret.encode().decode("latin-1"),
    }


def leaks(secrets: dict[str, str], written: dict[str, bytes], basic_user: str | None = None) -> list[str]:
    """Where any form of any secret occurs in the written bytes, as ``"name (form) in where"``.

    With ``basic_user``, the password also counts as HTTP Basic sends it: ``user:password`` and its base64.
    """
    needles = {f"{name} ({form})": text for name, secret in secrets.items() for form, text in forms(secret).items()}
    if basic_user is not None and "password" in secrets:
        pair = f"{basic_user}:{secrets['password']}"
        needles |= {"password (basic user:password)": pair,
                    "password (basic base64)": base64.b64encode(pair.encode()).decode()}
    return [f"{what} in {where}" for what, text in needles.items() for where, data in written.items()
            if text.encode("utf-8") in data]


def everything_written(out: Path, result: Result) -> dict[str, bytes]:
    """Each file under ``out`` (recursively), plus the command's stdout and stderr."""
    written = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    written["<stdout>"] = result.stdout_bytes
    written["<stderr>"] = result.stderr_bytes or b""
    return written


@dataclass(frozen=True)
class System:
    """A system under test: its target file, the secrets the environment gives it, and how many it echoed."""

    target: Path
    secrets: dict[str, str]
    echoed: Callable[[], int] | None = None


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("secrets") / "state", tls=True) as running:
        yield running


def _platform_system(platform: Platform, folder: Path, monkeypatch: pytest.MonkeyPatch) -> System:
    target = folder / "platform.yaml"
    variables = platform.write_target(target)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return System(target, dict(variables))


@pytest.fixture
def systems(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, System]]:
    """The platform and the echo API (bearer, Basic, a password in base_url), each with its target file, serving."""
    monkeypatch.setenv("ECHO_TOKEN", BEARER)
    monkeypatch.setenv("ECHO_PASSWORD", PASSWORD)
    monkeypatch.setenv("ECHO_URL_PASSWORD", URL_PASSWORD)
    found = {"platform": _platform_system(platform, tmp_path, monkeypatch)}
    bearer_app, basic_app = make_echo_app("bearer"), make_echo_app("basic")
    with serve(bearer_app) as bearer_url, serve(basic_app) as basic_url:
        for name, url, app, auth in (
                ("echo-bearer", bearer_url, bearer_app, {"type": "bearer", "token": "${env:ECHO_TOKEN}"}),
                ("echo-basic", basic_url, basic_app,
                 {"type": "basic", "username": USER, "password": "${env:ECHO_PASSWORD}"})):
            target = tmp_path / f"{name}.yaml"
            target.write_text(yaml.safe_dump({
                "target": {"vendor": "Echo", "product": name, "version": "1"},
                "endpoints": {"base_url": url, "openapi": "/openapi.json"},
                "auth": auth,
                "limits": {"timeout_s": 10},
            }, allow_unicode=True), "utf-8")
            secrets = {"bearer token": BEARER} if name == "echo-bearer" else {"password": PASSWORD}
            found[name] = System(target, secrets, lambda app=app: int(app.state.echoed))
        target = tmp_path / "echo-userinfo.yaml"
        target.write_text(yaml.safe_dump({
            "target": {"vendor": "Echo", "product": "echo-userinfo", "version": "1"},
            "endpoints": {"base_url": basic_url.replace("://", f"://{USER}:${{env:ECHO_URL_PASSWORD}}@"),
                          "openapi": "/openapi.json"},
            "limits": {"timeout_s": 10},
        }), "utf-8")
        found["echo-userinfo"] = System(target, {"password": URL_PASSWORD})
        yield found


def _runs() -> list[object]:
    runs = [pytest.param(profile, "platform", id=f"{profile}-platform") for profile in LIVE_PROFILES]
    runs += [pytest.param(profile, system, id=f"{profile}-{system}")
             for profile in ECHO_PROFILES for system in ECHO_SYSTEMS]
    return runs


def _assert_no_leak(system: System, written: dict[str, bytes]) -> None:
    found = leaks(system.secrets, written, basic_user=USER)
    assert found == [], found


def test_the_search_finds_every_form_it_looks_for() -> None:
    for form, text in forms(PASSWORD).items():
        assert leaks({"password": PASSWORD}, {"f": f"…{text}…".encode()}) != [], form
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    assert leaks({"password": PASSWORD}, {"f": pair}, basic_user=USER) == ["password (basic base64) in f"]


def test_every_installed_profile_is_covered() -> None:
    installed = discover().values()
    assert sorted(p.id for p in installed if p.load_live() is not None) == sorted(LIVE_PROFILES)
    assert sorted(p.id for p in installed if p.load_live() is None) == sorted(OFFLINE_PROFILES)


@pytest.mark.parametrize(("profile", "system"), _runs())
def test_a_live_run_writes_no_secret(run_cli: Cli, systems: dict[str, System], tmp_path: Path, profile: str,
                                     system: str) -> None:
    chosen = systems[system]
    out = tmp_path / "out"
    lang = ["--lang", "vi"] if system == "echo-basic" else []
    result = run_cli("run", "-t", str(chosen.target), "-p", profile, "-o", str(out), "--max-examples", "5",
                     "--seed", "5", "--now", NOW_ARG, *lang)
    assert result.exit_code in (0, 1, 3), result.output
    assert "Traceback" not in result.output
    report = load_valid_report(out)
    assert {"report.json", "report.html", "junit.xml", "allure-results"} <= {p.name for p in out.iterdir()}
    assert report["results"], "the run judged nothing"
    if chosen.echoed is not None:  # the credentials were sent, and came back to be masked
        assert chosen.echoed() > 0
    _assert_no_leak(chosen, everything_written(out, result))


@pytest.mark.parametrize("system", ["platform", *ECHO_SYSTEMS])
def test_doctor_prints_no_secret(run_cli: Cli, systems: dict[str, System], system: str) -> None:
    chosen = systems[system]
    result = run_cli("doctor", "-t", str(chosen.target), *(["-p", "edoc-exchange"] if system == "platform" else []))
    assert "Traceback" not in result.output
    _assert_no_leak(chosen, {"<stdout>": result.stdout_bytes, "<stderr>": result.stderr_bytes or b""})


@pytest.mark.parametrize("profile", OFFLINE_PROFILES)
def test_validate_writes_no_secret(run_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   profile: str) -> None:
    monkeypatch.setenv("OFFLINE_TOKEN", BEARER)
    monkeypatch.setenv("OFFLINE_EXPIRED_TOKEN", EXPIRED)
    monkeypatch.setenv("OFFLINE_CLIENT_SECRET", CLIENT_SECRET)
    inputs = demo_inputs(discover()[profile], tmp_path / "corpus", parse_now(NOW_ARG))
    samples = [str(p) for p in inputs.paths[:5]] if inputs else []
    if not samples:  # a profile without a demo corpus: any file will do, the secrets are in the target
        sample = tmp_path / "sample.json"
        sample.write_text('{"x": 1}', "utf-8")
        samples = [str(sample)]
    target = tmp_path / "target.yaml"
    target.write_text(yaml.safe_dump({
        "target": {"vendor": "Offline", "product": "p", "version": "1"},
        "auth": {"type": "oauth2-client-credentials", "client_secret": "${env:OFFLINE_CLIENT_SECRET}"},
        "identities": [{"name": "a", "token": "${env:OFFLINE_TOKEN}", "expired_token": "${env:OFFLINE_EXPIRED_TOKEN}"}],
    }), "utf-8")
    out = tmp_path / "out"
    result = run_cli("validate", "-p", profile, "-t", str(target), "-o", str(out), "--now", NOW_ARG, *samples)
    assert result.exit_code in (0, 1, 3), result.output
    load_valid_report(out)
    system = System(target, {"token": BEARER, "expired token": EXPIRED, "client secret": CLIENT_SECRET})
    _assert_no_leak(system, everything_written(out, result))
