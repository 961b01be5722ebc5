"""Size limit, restarts with the same state folder, concurrent sends, the target file and the command line."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from conformance.target import load_target
from conformance_fixtures.exchange_platform import running_platform
from conformance_fixtures.exchange_platform.demo import demo_system
from tests.exchange_platform.conftest import XML_HEADERS, Api, bearer, client, document_id, edoc, status


def test_the_size_limit_is_exact(tmp_path: Path) -> None:
    package = edoc("000.00.00.G22", "000.00.11.H53")
    with running_platform(tmp_path, tls=False, max_package_bytes=len(package)) as platform, \
            client(platform) as http:
        api = Api(platform, http)
        a, b = api.a, api.b
        assert api.send(a, package + b"\n").status_code == 413  # limit + 1, with a Content-Length

        def streamed() -> Iterator[bytes]:  # limit + 1, chunked: no Content-Length to go by
            yield package
            yield b"\n"

        response = http.post("/v1/edocs", content=streamed(), headers={**bearer(a), **XML_HEADERS})
        assert response.status_code == 413
        assert api.send(a, package).status_code == 201  # exactly the limit
        big_status = http.post("/v1/edocs/whatever/status", content=b"x" * (len(package) + 1),
                               headers={**bearer(b), **XML_HEADERS})
        assert big_status.status_code == 413


def test_a_restart_keeps_documents_statuses_acks_and_tokens(tmp_path: Path) -> None:
    package = edoc("000.00.00.G22", "000.00.11.H53")
    with running_platform(tmp_path, tls=False) as first, client(first) as http:
        api = Api(first, http)
        doc_id = api.sent(api.a, package)
        assert api.ack(api.b, doc_id).status_code == 204
        assert api.post_status(api.b, doc_id, status("03", api.b, document_id(package))).status_code == 201
        tokens = [(i.token, i.expired_token) for i in first.identities]
    with running_platform(tmp_path, tls=False) as second, client(second) as http:
        api = Api(second, http)
        assert [(i.token, i.expired_token) for i in second.identities] == tokens
        assert api.get(api.b, f"/v1/edocs/{doc_id}").content == package
        assert doc_id not in [i["docId"] for i in api.inbox(api.b)]
        assert doc_id in [i["docId"] for i in api.inbox(api.b, state="all")]
        assert api.send(api.a, package).status_code == 409
        assert [s["statusCode"] for s in api.get(api.a, f"/v1/edocs/{doc_id}/status").json()] == ["03"]
        assert api.post_status(api.b, doc_id, status("02", api.b, document_id(package))).status_code == 409
    assert oct((tmp_path / "tokens.json").stat().st_mode & 0o777) == "0o600"


def test_concurrent_sends_from_several_agencies_are_stored_exactly_once(api: Api) -> None:
    senders = [api.a, api.b, api.c]
    packages = [(who, edoc(who, *(r for r in senders if r is not who))) for who in senders for _ in range(7)][:20]
    answers: list[httpx.Response] = []
    start = threading.Barrier(len(packages))

    def send(who: object, package: bytes) -> None:
        with client(api.platform) as http:
            start.wait()
            answers.append(Api(api.platform, http).send(who, package))  # type: ignore[arg-type]

    threads = [threading.Thread(target=send, args=item) for item in packages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) == [201] * len(packages), [r.text for r in answers]
    doc_ids = {r.json()["docId"] for r in answers}
    assert len(doc_ids) == len(packages)
    for who, package in packages:
        for recipient in (r for r in senders if r is not who):
            mine = [i for i in api.inbox(recipient, state="all") if i["documentId"] == document_id(package)]
            assert len(mine) == 1
            assert api.get(recipient, f"/v1/edocs/{mine[0]['docId']}").content == package


def test_the_target_file_loads_and_holds_no_secret(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "target.yaml"
    env = api.platform.write_target(path, consent="active")
    text = path.read_text("utf-8")
    assert all(token not in text for token in env.values())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    target = load_target(path)
    assert target.data["endpoints"] == {"base_url": api.platform.base_url, "openapi": "/openapi.json"}
    identities = target.data["identities"]
    assert [(i["organ_id"], i["token"], i["expired_token"]) for i in identities] == [
        (i.organ_id, i.token, i.expired_token) for i in api.platform.identities]
    assert target.data["auth"] == {"type": "bearer", "token": api.platform.identities[0].token}
    assert target.data["limits"]["max_package_bytes"] == api.platform.max_package_bytes
    assert target.data["security_level"] == 3 and target.data["consent"] == "active"
    assert "tls" not in target.data  # plain HTTP
    with pytest.raises(ValueError, match="consent"):
        api.platform.write_target(path, consent="reckless")


def test_the_demo_system_is_served_over_https_with_active_consent(tmp_path: Path) -> None:
    with demo_system(tmp_path / "demo") as (target_file, variables):
        data = yaml.safe_load(target_file.read_text("utf-8"))
        assert data["consent"] == "active" and data["security_level"] == 3
        assert data["endpoints"]["base_url"].startswith("https://127.0.0.1:")
        ca_file = Path(data["tls"]["ca_file"])
        assert ca_file.is_file() and all(token not in target_file.read_text("utf-8") for token in variables.values())
        verify = ssl.create_default_context(cafile=str(ca_file))
        assert httpx.get(data["endpoints"]["base_url"] + "/v1/agencies", verify=verify).status_code == 200
    assert not ca_file.exists()  # the state folder, tokens and keys included, is gone


def test_the_command_line_serves_until_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "conformance_fixtures.exchange_platform", "--state-dir", str(tmp_path),
               "--no-tls", "--defect", "cross-agency-read"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base_url = line.split()[3]
        assert base_url.startswith("http://127.0.0.1:") and "tokens.json" in line
        tokens = (tmp_path / "tokens.json").read_text()
        assert all(t not in line for t in tokens.split('"') if len(t) > 30)
        assert httpx.get(f"{base_url}/v1/agencies").status_code == 200
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 2
    finally:
        process.kill()
        process.wait()


def test_the_command_line_refuses_an_unknown_defect(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "conformance_fixtures.exchange_platform", "--state-dir", str(tmp_path),
               "--defect", "no-such-defect"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "racy-doc-ids" in result.stderr
