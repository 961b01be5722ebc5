"""Fixtures for the reference exchange platform: running platforms, a client per agency, packages, a listener."""

from __future__ import annotations

import http.server
import itertools
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from conformance_fixtures.edxml_corpus import edoc_package, status_package
from conformance_fixtures.exchange_platform import Identity, Platform, running_platform

# What the security baseline asks of every response of an API (SB-HTTP-02, SB-HDR-01…07), as the platform sends it.
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
_numbers = itertools.count(1)


def check_headers(response: httpx.Response, *, but: str | None = None) -> None:
    """The security headers, no version banner, no CORS, a charset on bodies; header ``but`` is left unchecked."""
    for name, value in SECURITY_HEADERS.items():
        if name != but:
            assert response.headers.get(name) == value, (name, response.headers)
    banners = {"server", "x-powered-by", "x-aspnet-version", "x-generator"} - {but}
    assert not banners & response.headers.keys(), response.headers
    assert not [name for name in response.headers if name.startswith("access-control-")], response.headers
    if response.content:
        assert response.headers["content-type"].endswith("; charset=utf-8"), response.headers


def check_response(response: httpx.Response) -> None:
    """What every response of the platform must do: security headers, no Server, problem+json errors."""
    response.read()
    check_headers(response)
    if response.status_code >= 400 and response.request.method != "HEAD":
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        body = response.json()
        assert {"type", "title", "status", "detail"} <= body.keys(), body
        assert body["status"] == response.status_code
        assert "Traceback" not in response.text


def client(platform: Platform, **kwargs: Any) -> httpx.Client:
    """A client of ``platform`` that checks every response with :func:`check_response`."""
    verify = ssl.create_default_context(cafile=str(platform.ca_file)) if platform.ca_file else True
    return httpx.Client(base_url=platform.base_url, timeout=20, verify=verify,
                        event_hooks={"response": [check_response]}, **kwargs)


def now() -> datetime:
    """The real time: the platform judges PromulgationDate against its own clock."""
    return datetime.now(UTC)


def edoc(sender: Identity | str, *recipients: Identity | str, **overrides: Any) -> bytes:
    """A valid e-document from ``sender`` to ``recipients``, with a DocumentId unique in this test run."""
    organ = sender if isinstance(sender, str) else sender.organ_id
    to = tuple(r if isinstance(r, str) else r.organ_id for r in recipients)
    overrides.setdefault("code_number", str(next(_numbers)))
    return edoc_package(now=now(), organ_from=organ, organ_to=to, **overrides)


def document_id(package: bytes) -> str:
    """The header DocumentId of a package built by :func:`edoc`."""
    return package.split(b"<edXML:DocumentId>", 1)[1].split(b"<", 1)[0].decode("utf-8")


def status(code: str, by: Identity | str, answered: str, **overrides: Any) -> bytes:
    """A valid status package from ``by`` answering the document whose DocumentId is ``answered``."""
    organ, day, code_text = answered.split(",", 2)
    return status_package(now=now(), status_code=code, organ_from=by if isinstance(by, str) else by.organ_id,
                          response_for_organ_id=organ, response_for_date=day, response_for_code=code_text,
                          **overrides)


def bearer(identity: Identity) -> dict[str, str]:
    """The Authorization header of ``identity``."""
    return {"Authorization": f"Bearer {identity.token}"}


XML_HEADERS = {"Content-Type": "application/xml"}


class Api:
    """Calls of the API as one agency or another, over one client."""

    def __init__(self, platform: Platform, http: httpx.Client) -> None:
        self.platform = platform
        self.http = http
        self.a, self.b, self.c = platform.identities[:3]

    def send(self, who: Identity, package: bytes) -> httpx.Response:
        """POST /v1/edocs."""
        return self.http.post("/v1/edocs", content=package, headers={**bearer(who), **XML_HEADERS})

    def sent(self, who: Identity, package: bytes) -> str:
        """POST /v1/edocs, which must succeed; the docId."""
        response = self.send(who, package)
        assert response.status_code == 201, response.text
        doc_id: str = response.json()["docId"]
        return doc_id

    def get(self, who: Identity, path: str, **kwargs: Any) -> httpx.Response:
        """GET ``path`` as ``who``."""
        return self.http.get(path, headers=bearer(who), **kwargs)

    def post_status(self, who: Identity, doc_id: str, package: bytes) -> httpx.Response:
        """POST /v1/edocs/{docId}/status."""
        return self.http.post(f"/v1/edocs/{doc_id}/status", content=package, headers={**bearer(who), **XML_HEADERS})

    def ack(self, who: Identity, doc_id: str) -> httpx.Response:
        """POST /v1/edocs/{docId}/ack."""
        return self.http.post(f"/v1/edocs/{doc_id}/ack", headers=bearer(who))

    def inbox(self, who: Identity, *, state: str = "pending", limit: int = 100) -> list[dict[str, Any]]:
        """Every item of ``who``'s inbox, following ``next`` to the end."""
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"box": "inbox", "state": state, "limit": limit}
        while True:
            response = self.get(who, "/v1/edocs", params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            items += page["items"]
            if page["next"] is None:
                return items
            params["cursor"] = page["next"]


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A clean platform over plain HTTP, shared by the tests of one module."""
    with running_platform(tmp_path_factory.mktemp("platform"), tls=False) as running:
        yield running


@pytest.fixture(scope="module")
def api(platform: Platform) -> Iterator[Api]:
    """The API of the module's platform."""
    with client(platform) as http:
        yield Api(platform, http)


class Listener:
    """A loopback HTTP server that records every request: proof that nothing was fetched."""

    def __init__(self) -> None:
        hits = self.hits = []  # type: list[str]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = b"<!ENTITY leak 'CANARY'>" if "dtd" in self.path else b"<leak>CANARY</leak>"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """An out-of-band listener on loopback."""
    server = Listener()
    yield server
    server.close()


def problem(response: httpx.Response) -> dict[str, Any]:
    """The problem document of an error response."""
    body: dict[str, Any] = json.loads(response.content)
    return body
