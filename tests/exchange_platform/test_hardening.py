"""The clean platform against the HTTP side of the security baseline: headers, methods, paths, CORS, hostile bodies.

Every response of every test here, and of the other platform tests, goes through ``check_response``: the
security headers, no version banner, no CORS headers, a charset on every body, problem+json errors.
These tests add the requests the security-baseline profile sends, over HTTPS as it does.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator

import httpx
import pytest

from conformance_fixtures.exchange_platform import Platform, running_platform
from tests.exchange_platform.conftest import SECURITY_HEADERS, XML_HEADERS, Api, bearer, check_headers, client, edoc

# What the baseline calls debug signatures (SB-INFO-02); none may appear in a body.
DEBUG_SIGNATURES = ("Traceback (most recent call last)", 'File "/', "at java.", "SQLSTATE", "Whitelabel Error Page",
                    "DEBUG = True", "sqlite3.")


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A clean platform over HTTPS, as the security baseline probes it."""
    with running_platform(tmp_path_factory.mktemp("hardened")) as running:
        yield running


@pytest.fixture(scope="module")
def api(https: Platform) -> Iterator[Api]:
    """The API of the module's platform; every response is checked."""
    with client(https) as http:
        yield Api(https, http)


def _raw_tls(platform: Platform, request: bytes) -> bytes:
    """Send ``request`` as bytes over TLS and read the answer until the server closes."""
    assert platform.ca_file is not None
    host, port = platform.base_url.removeprefix("https://").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(platform.ca_file))
    with socket.create_connection((host, int(port)), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(request)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    return answer


def test_responses_of_every_kind_carry_the_headers(api: Api) -> None:
    package = edoc(api.a, api.b)
    answers = [
        api.http.get("/v1/agencies"),  # 200, public
        api.get(api.a, "/v1/edocs", params={"box": "inbox"}),  # 200, authenticated
        api.send(api.a, package),  # 201
        api.send(api.a, package),  # 409
        api.http.options("/v1/edocs"),  # 204
        api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": "0"}),  # 400
        api.http.get("/v1/edocs", params={"box": "inbox"}),  # 401
        api.send(api.b, edoc(api.a, api.b)),  # 403
        api.http.get("/nothing"),  # 404
        api.http.delete("/v1/agencies"),  # 405
        api.http.post("/v1/edocs", content=b"{}", headers={**bearer(api.a), "Content-Type": "application/json"}),
        api.send(api.a, edoc(api.a, "000.00.99.H53")),  # 422
        api.http.head("/v1/agencies"),  # 405, no body
    ]
    assert [r.status_code for r in answers] == [200, 200, 201, 409, 204, 400, 401, 403, 404, 405, 415, 422, 405]
    for response in answers:
        check_headers(response)


def test_a_request_http_cannot_parse_gets_every_header(https: Platform) -> None:
    for request in (b"GET /v1/agencies HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
                    # Over the limit and never ended: a whole block could arrive in one read and be parsed.
                    b"GET /v1/agencies HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70_000):
        head, _, body = _raw_tls(https, request).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].startswith("HTTP/1.1 400")
        fields = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        assert {k: fields.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
        assert fields["content-type"] == "application/problem+json; charset=utf-8"
        assert json.loads(body)["status"] == 400 and "server" not in fields


@pytest.mark.parametrize("path", ["/", "/v1/agencies", "/v1/edocs", "/nothing"])
def test_trace_is_405_and_echoes_nothing(api: Api, path: str) -> None:
    canary = "canary-5d1f3c"
    response = api.http.request("TRACE", path, headers={"X-Canary": canary, **bearer(api.a)})
    assert response.status_code == 405 and "allow" in response.headers
    assert canary not in response.text and api.a.token not in response.text
    assert all(canary not in value for value in response.headers.values())


@pytest.mark.parametrize("path", ["/.git/HEAD", "/.git/config", "/.svn/entries", "/.env", "/.DS_Store", "/backup.zip",
                                  "/actuator", "/actuator/health", "/swagger-ui/", "/swagger-ui.html", "/v3/api-docs",
                                  "/metrics", "/server-status", "/phpinfo.php", "/v1/", "/docs", "/redoc"])
def test_metadata_backups_and_undeclared_docs_are_404(api: Api, path: str) -> None:
    response = api.http.get(path)
    assert response.status_code == 404
    assert "ref: refs/" not in response.text and "Index of" not in response.text


def test_only_the_declared_api_document_is_served(api: Api) -> None:
    assert api.http.get("/openapi.json").status_code == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_no_origin_gets_cors(api: Api, origin: str) -> None:
    headers = {"Origin": origin}
    preflight = {**headers, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    for response in (api.http.get("/v1/agencies", headers=headers),
                     api.http.get("/v1/edocs", params={"box": "inbox"}, headers={**headers, **bearer(api.a)}),
                     api.http.get("/v1/edocs", params={"box": "inbox"}, headers=headers),
                     api.http.options("/v1/edocs", headers=preflight)):
        assert not [name for name in response.headers if name.startswith("access-control-")]


@pytest.fixture(scope="module")
def known_doc(api: Api) -> str:
    """A document that A sent to B, so that B's statuses on it get as far as being parsed."""
    return api.sent(api.a, edoc(api.a, api.b))


def _nested_json(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _nested_xml(depth: int) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + b"<a>" * depth + b"</a>" * depth


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY l0 "lol">{entities}]><edXML>&l9;</edXML>'.encode()


def _quadratic_blowup() -> bytes:
    entity = "A" * 100_000  # 100 KB, referenced 300 000 times: 1 MB that would expand to 30 GB
    return (f'<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY a "{entity}">]><edXML>' + "&a;" * 300_000
            + "</edXML>").encode()


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (_nested_json(10_000), "application/json", 415),  # SB-INPUT-01 to an XML operation: no parser runs
    (_nested_json(10_000), "application/xml", 400),
    (_nested_xml(10_000), "application/xml", 400),  # SB-INPUT-01
    (_billion_laughs(), "application/xml", 400),  # SB-XML-02, about 1 KB
    (_quadratic_blowup(), "application/xml", 400),  # SB-XML-02, about 1 MB
    (b'{"a": [1, 2', "application/json", 415),  # SB-INFO-02, malformed JSON
    (b"<edXML><unclosed></edXML>", "application/xml", 400),  # SB-INFO-02, malformed XML
], ids=["deep-json", "deep-json-as-xml", "deep-xml", "billion-laughs", "quadratic-blowup", "bad-json", "bad-xml"])
def test_hostile_bodies_are_refused_fast_and_the_platform_stays_healthy(api: Api, known_doc: str, body: bytes,
                                                                        content_type: str, status: int) -> None:
    for path in ("/v1/edocs", f"/v1/edocs/{known_doc}/status"):  # both operations that read a body
        started = time.monotonic()
        response = api.http.post(path, content=body, headers={**bearer(api.b), "Content-Type": content_type})
        assert time.monotonic() - started < 5
        assert response.status_code == status, response.text
        assert not [s for s in DEBUG_SIGNATURES if s in response.text]
    assert api.http.get("/v1/agencies").status_code == 200


def test_an_oversize_body_is_413_streamed_or_declared(tmp_path_factory: pytest.TempPathFactory) -> None:
    limit = 64 * 1024
    with running_platform(tmp_path_factory.mktemp("small"), max_package_bytes=limit) as platform, \
            client(platform) as http:
        token = bearer(platform.identities[0])

        def streamed() -> Iterator[bytes]:  # limit + 1 byte, chunked, as SB-INPUT-02 sends it
            yield b"<" + b"a" * (limit - 1)
            yield b">"

        started = time.monotonic()
        response = http.post("/v1/edocs", content=streamed(), headers={**token, **XML_HEADERS})
        assert response.status_code == 413 and time.monotonic() - started < 5
        declared = http.post("/v1/edocs", content=b"a" * (limit + 1), headers={**token, **XML_HEADERS})
        assert declared.status_code == 413
        assert http.get("/v1/agencies").status_code == 200


def test_error_bodies_hold_no_debug_signature(api: Api) -> None:
    answers = [api.http.get("/no/such/path/4a7b"), api.http.patch("/v1/edocs"),
               api.send(api.a, b"<?xml version='1.0'?><edXML"), api.get(api.a, "/v1/edocs/%00"),
               api.get(api.a, "/v1/edocs", params={"box": "inbox", "cursor": "é" * 40})]
    for response in answers:
        assert 400 <= response.status_code < 500
        assert not [s for s in DEBUG_SIGNATURES if s in response.text], response.text


def test_the_plain_http_client_is_refused_without_a_plaintext_answer(https: Platform) -> None:
    # SB-HTTP-01 as a client library sees it: the TLS port never speaks HTTP in the clear.
    with pytest.raises(httpx.TransportError):
        httpx.get(https.base_url.replace("https://", "http://") + "/v1/agencies", timeout=5)
