"""Serving the test service over HTTPS on loopback, writing its target file, and judging it.

``judge`` runs only the scenarios that judge the requirements asked for (fast, and the same code path
as a run); ``run_full`` is a real ``conformance run`` through the pytest engine, report included.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.clock import Clock
from conformance.http import HttpLimits
from conformance.live import LiveContext, run_scenario
from conformance.live_session import RunOptions, run_live
from conformance.model import Result
from conformance.profiles import resolve_profile
from conformance.target import load_target
from conformance_fixtures.exchange_platform.tls import ServerCertificate, ensure_certificate, server_context
from tests.conftest import load_valid_report
from tests.live_server import serve

from .app import PASSWORD, USERNAME, build_app, make_jwt, redirect_app


@dataclass
class Judged:
    """What the scenarios said: results, and requirements left untested with why."""

    results: list[Result]
    untested: dict[str, str]

    def of(self, requirement: str, *, warnings: bool | None = None) -> list[Result]:
        """The results of ``requirement`` (only WARN parts, or only the others, when ``warnings`` says)."""
        found = [r for r in self.results if r.requirement == requirement]
        if warnings is None:
            return found
        return [r for r in found if (r.level.value == "recommended") == warnings]

    def outcomes(self, requirement: str) -> set[str]:
        """The distinct outcomes of ``requirement``."""
        return {r.outcome.value for r in self.of(requirement)}

    def failed(self) -> set[str]:
        """Requirements with a failed result at their own level (not a warning)."""
        return {r.requirement for r in self.results if r.outcome.value == "fail" and r.level.value == "mandatory"}


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    """One test CA and server certificate for every test service."""
    return ensure_certificate(tmp_path_factory.mktemp("tls"))


Serve = Callable[..., Path]


@pytest.fixture
def service(certificate: ServerCertificate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Start the test service (with ``defects``) and write its target file; returns the target file's path."""
    with ExitStack() as stack:
        counter = iter(range(100))

        def start(defects: Iterable[str] = (), *, level: int = 3, consent: str = "active", login: bool = True,
                  http_url: str | None = "redirect", tls: bool = True, jwt: bool = True, credentials: bool = True,
                  openapi: str | None = "/openapi.json", max_body: int = 256 * 1024, **extra: Any) -> Path:
            app = build_app(defects, max_body=max_body)
            if tls:
                origin = stack.enter_context(serve(app, ssl_context=server_context(certificate)))
            else:
                origin = stack.enter_context(serve(app)).replace("http://", "https://")
            endpoints: dict[str, Any] = {"base_url": origin}
            if openapi:
                endpoints["openapi"] = openapi
            if login:
                endpoints["login"] = "/auth/login"
            if http_url == "redirect":
                endpoints["http_url"] = stack.enter_context(serve(redirect_app(origin)))
            elif http_url == "same-app":
                endpoints["http_url"] = stack.enter_context(serve(build_app(defects, max_body=max_body)))
            elif http_url:
                endpoints["http_url"] = http_url
            suffix = secrets.token_hex(3).upper()
            token = make_jwt(USERNAME) if jwt else f"opaque-{secrets.token_hex(16)}"
            monkeypatch.setenv(f"SB_TOKEN_{suffix}", token)
            monkeypatch.setenv(f"SB_EXPIRED_{suffix}", make_jwt(USERNAME, exp=time.time() - 600))
            monkeypatch.setenv(f"SB_PASSWORD_{suffix}", PASSWORD)
            data: dict[str, Any] = {
                "target": {"vendor": "Test vendor", "product": "Security baseline test service", "version": "1"},
                "endpoints": endpoints,
                "tls": {"ca_file": str(certificate.ca_file)},
                "limits": {"timeout_s": 10, "max_body_bytes": max_body},
                "security_level": level,
                "consent": consent,
            }
            if credentials:
                data["auth"] = {"type": "bearer", "token": f"${{env:SB_TOKEN_{suffix}}}", "username": USERNAME,
                                "password": f"${{env:SB_PASSWORD_{suffix}}}"}
                data["identities"] = [{"name": "can-bo", "token": f"${{env:SB_TOKEN_{suffix}}}",
                                       "expired_token": f"${{env:SB_EXPIRED_{suffix}}}"}]
            data.update(extra)
            folder = tmp_path / f"target{next(counter)}"
            folder.mkdir()
            path = folder / "target.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
            return path

        yield start


def judge(target_file: Path, *requirements: str, lang: str = "en") -> Judged:
    """Run the scenarios of security-baseline that judge ``requirements`` against the target, in-process."""
    target = load_target(target_file)
    profile = resolve_profile("security-baseline").at_security_level(target.security_level)
    ctx = LiveContext(profile.id, target, Clock.start(), secrets.token_hex(4), 7, 10, lang, dict(profile.artefacts),
                      profile.messages(), dict(profile.requirements), HttpLimits.from_target(target),
                      profile_limits=dict(profile.limits))
    live = profile.load_live()
    assert live is not None
    results: list[Result] = []
    untested: dict[str, str] = {}
    for scenario in live.plan(ctx):
        if set(scenario.requirements) & set(requirements):
            produced = run_scenario(scenario, ctx)
            results += produced.results
            untested.update(produced.untested)
    return Judged(results, untested)


def run_full(target_file: Path, out: Path) -> dict[str, Any]:
    """A whole live run of security-baseline through the pytest engine; the validated report."""
    run_live(RunOptions(target_file=target_file, out_dir=out, profiles=("security-baseline",), formats=["json"]))
    return load_valid_report(out)
