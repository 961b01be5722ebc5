"""Each defect changes the behaviour it claims, and only by switching it on.

Whether a profile catches each defect is proven by the profile's own tests; here each defect is only
shown to do what its description says, next to the clean behaviour it replaces.
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.verification import PolicyBuilder, Store

from conformance_fixtures.exchange_platform import (
    ALL_DEFECTS,
    DEFECTS,
    SECURITY_DEFECTS,
    Defect,
    DefectUnavailable,
    Platform,
    running_platform,
)
from conformance_fixtures.exchange_platform import defects as defects_module
from tests.exchange_platform.conftest import (
    XML_HEADERS,
    Api,
    Listener,
    bearer,
    check_headers,
    client,
    document_id,
    edoc,
    status,
)
from tests.exchange_platform.test_exchange import with_doctype

EXC_IDS = {f"EXC-{n:02d}" for n in (1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22)}
SB_DEFECTS = {"no-hsts": "SB-HTTP-02", "server-version-header": "SB-INFO-01", "stack-trace-errors": "SB-INFO-02",
              "reflected-cors": "SB-CORS-01", "trace-enabled": "SB-METH-01", "tls10-accepted": "SB-TLS-01",
              "expired-certificate": "SB-CERT-02", "missing-auth-check": "SB-AUTH-01"}
Start = Callable[..., Api]


def test_every_defect_breaks_a_known_requirement_and_every_requirement_has_one() -> None:
    assert all(isinstance(d, Defect) and d.name == name for name, d in ALL_DEFECTS.items())
    assert {d.requirement for d in DEFECTS.values()} == EXC_IDS  # the edoc-exchange subset: one or more per id
    assert {name: d.requirement for name, d in SECURITY_DEFECTS.items()} == SB_DEFECTS
    assert DEFECTS.keys() | SECURITY_DEFECTS.keys() == ALL_DEFECTS.keys()
    assert not DEFECTS.keys() & SECURITY_DEFECTS.keys()
    assert all(d.description and len(d.description) < 160 for d in ALL_DEFECTS.values())
    assert {n for n, d in ALL_DEFECTS.items() if d.tls} == {"tls10-accepted", "expired-certificate"}


def test_an_unknown_defect_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="racy-doc-ids") as raised, running_platform(tmp_path, defects=["nope"]):
        pass
    assert "'nope'" in str(raised.value)


def test_a_tls_defect_needs_tls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drop --no-tls"), \
            running_platform(tmp_path, tls=False, defects=["expired-certificate"]):
        pass
    command = [sys.executable, "-m", "conformance_fixtures.exchange_platform", "--state-dir", str(tmp_path),
               "--no-tls", "--defect", "tls10-accepted"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "drop --no-tls" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """Start a platform with one defect, over plain HTTP unless ``tls``; ``checked=False`` skips the response checks."""
    with ExitStack() as stack:
        def started(defect: str, *, checked: bool = True, tls: bool = False) -> Api:
            platform = stack.enter_context(running_platform(tmp_path / defect, tls=tls, defects=[defect]))
            http = client(platform) if checked else httpx.Client(base_url=platform.base_url, timeout=20)
            return Api(platform, stack.enter_context(http))

        yield started


def test_drops_null_fields(start: Start) -> None:
    agencies = start("drops-null-fields").http.get("/v1/agencies").json()
    top = next(a for a in agencies if a["organId"] == "000.00.00.G22")
    assert "parentId" not in top
    assert next(a for a in agencies if a["organId"] == "G09.20")["parentId"] == "G09"


def test_crash_on_odd_cursor(start: Start) -> None:
    api = start("crash-on-odd-cursor")
    crashed = api.get(api.a, "/v1/edocs", params={"box": "inbox", "cursor": "é"})
    assert crashed.status_code == 500  # still problem+json, with no traceback: the response hook checks it
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "cursor": "garbled"}).status_code == 400
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox"}).status_code == 200


def test_accepts_out_of_range_limit(start: Start) -> None:
    api = start("accepts-out-of-range-limit")
    for limit in ("0", "101", "-5"):
        assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": limit}).status_code == 200
    assert api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": "ten"}).status_code == 400


def test_plain_text_errors(start: Start) -> None:
    api = start("plain-text-errors", checked=False)
    missing = api.http.get("/v1/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    wrong = api.http.delete("/v1/agencies")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, OPTIONS"
    assert wrong.headers["content-type"].startswith("text/plain")
    documented = api.http.get("/v1/edocs", params={"box": "inbox"})  # the operations' own errors are unchanged
    assert documented.status_code == 401 and documented.headers["content-type"].startswith("application/problem")


def test_reencodes_packages(start: Start) -> None:
    api = start("reencodes-packages")
    package = edoc(api.a, api.b)
    got = api.get(api.b, f"/v1/edocs/{api.sent(api.a, package)}").content
    assert got != package
    assert document_id(got) == document_id(package)


def test_accepts_invalid_packages(start: Start) -> None:
    api = start("accepts-invalid-packages")
    invalid = edoc(api.a, api.b, promulgation_date="2014/02/30")
    doc_id = api.sent(api.a, invalid)
    assert api.get(api.b, f"/v1/edocs/{doc_id}").content == invalid
    assert api.send(api.a, with_doctype(edoc(api.a, api.b), "<!DOCTYPE edXML>")).status_code == 400


def test_resolves_external_entities(start: Start, listener: Listener) -> None:
    api = start("resolves-external-entities")
    package = edoc(api.a, api.b)
    subject = b"<edXML:Subject>"
    xxe = with_doctype(package.replace(subject, subject + b"&xxe;", 1),
                       f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{listener.url}/entity">]>')
    include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{listener.url}/xinclude" parse="text"/>'
    for hostile in (xxe, with_doctype(package, f'<!DOCTYPE edXML SYSTEM "{listener.url}/dtd">'),
                    edoc(api.a, api.b).replace(subject, include.encode() + subject, 1)):
        response = api.send(api.a, hostile)
        assert response.status_code == 400 and "CANARY" not in response.text  # refused all the same
    assert sorted(listener.hits) == ["/dtd", "/entity", "/xinclude"]


def test_duplicates_on_resend(start: Start) -> None:
    api = start("duplicates-on-resend")
    package = edoc(api.a, api.b)
    first, second = api.sent(api.a, package), api.sent(api.a, package)
    assert first != second
    assert [i["documentId"] for i in api.inbox(api.b)].count(document_id(package)) == 2


def test_status_for_missing_document(start: Start) -> None:
    api = start("status-for-missing-document")
    answered = document_id(edoc(api.a, api.b))
    assert api.post_status(api.b, "no-such-doc", status("03", api.b, answered)).status_code == 201
    assert api.get(api.b, "/v1/edocs/no-such-doc/status").status_code == 404
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    # a document that exists but is not the caller's is still 404
    assert api.post_status(api.c, doc_id, status("03", api.c, document_id(package))).status_code == 404


def test_ignores_status_table(start: Start) -> None:
    api = start("ignores-status-table")
    package = edoc(api.a, api.b)
    doc_id, answered = api.sent(api.a, package), document_id(package)
    for code in ("06", "04", "02", "03", "15"):
        assert api.post_status(api.b, doc_id, status(code, api.b, answered)).status_code == 201, code
    assert api.post_status(api.a, doc_id, status("03", api.a, answered)).status_code == 403  # roles still hold


def test_racy_doc_ids(start: Start) -> None:
    api = start("racy-doc-ids")
    sequential = edoc(api.a, api.b)
    assert api.sent(api.a, sequential) == "1"
    assert api.send(api.a, sequential).status_code == 409  # one at a time, nothing is lost
    packages = [edoc(api.b, api.c) for _ in range(20)]
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(len(packages))

    def send(package: bytes) -> None:
        with client(api.platform) as http:
            barrier.wait()
            answers.append(Api(api.platform, http).send(api.b, package))

    threads = [threading.Thread(target=send, args=(p,)) for p in packages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in answers] == [201] * 20  # every send was "accepted"...
    assert len(api.inbox(api.c)) < 20  # ...but some were replaced by others with the same docId


def test_unauthenticated_status_list(start: Start) -> None:
    api = start("unauthenticated-status-list")
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    assert api.post_status(api.b, doc_id, status("03", api.b, document_id(package))).status_code == 201
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        listed = api.http.get(f"/v1/edocs/{doc_id}/status", headers=headers)
        assert listed.status_code == 200 and listed.json()[0]["statusCode"] == "03"
    assert api.get(api.c, f"/v1/edocs/{doc_id}/status").status_code == 404  # a known outsider still is not served
    assert api.http.get(f"/v1/edocs/{doc_id}").status_code == 401


def test_accepts_expired_token(start: Start) -> None:
    api = start("accepts-expired-token")
    expired = {"Authorization": f"Bearer {api.a.expired_token}"}
    assert api.http.get("/v1/edocs", params={"box": "inbox"}, headers=expired).status_code == 200
    assert api.http.get("/v1/edocs", params={"box": "inbox"}, headers={"Authorization": "Bearer x"}).status_code \
        == 401


def test_cross_agency_read(start: Start) -> None:
    api = start("cross-agency-read")
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    assert api.get(api.c, f"/v1/edocs/{doc_id}").content == package
    assert api.ack(api.c, doc_id).status_code == 404
    assert api.get(api.c, f"/v1/edocs/{doc_id}/status").status_code == 404


def test_trusts_from_organid(start: Start) -> None:
    api = start("trusts-from-organid")
    package = edoc(api.b, api.c)
    doc_id = api.sent(api.a, package)  # A's token, B's name
    assert next(i for i in api.inbox(api.c) if i["docId"] == doc_id)["from"] == api.b.organ_id


# ------------------------------------------------------------------------------------ security-baseline defects

def _raw_bad_request(platform: Platform) -> bytes:
    """The head of uvicorn's answer to a request HTTP cannot parse (plain HTTP)."""
    host, port = platform.base_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    return answer.partition(b"\r\n\r\n")[0].lower()


def test_no_hsts(start: Start) -> None:
    api = start("no-hsts", checked=False)
    for response in (api.http.get("/v1/agencies"), api.http.get("/nothing"), api.get(api.a, "/v1/edocs/x")):
        assert "strict-transport-security" not in response.headers
        check_headers(response, but="strict-transport-security")  # every other header is still there
    head = _raw_bad_request(api.platform)
    assert head.startswith(b"http/1.1 400") and b"strict-transport-security" not in head and b"nosniff" in head


def test_server_version_header(start: Start) -> None:
    api = start("server-version-header", checked=False)
    for response in (api.http.get("/v1/agencies"), api.http.get("/nothing"), api.http.options("/v1/edocs")):
        assert re.fullmatch(r"uvicorn/\d+\.\d+\S* Python/3\.\d+", response.headers["server"]), response.headers
        check_headers(response, but="server")
    assert b"\r\nserver: uvicorn/" in b"\r\n" + _raw_bad_request(api.platform)


def test_stack_trace_errors(start: Start) -> None:
    api = start("stack-trace-errors", checked=False)
    malformed = api.send(api.a, b"<?xml version='1.0'?><edXML")
    assert malformed.status_code == 400 and malformed.headers["content-type"].startswith("application/problem+json")
    detail = malformed.json()["detail"]
    assert "Traceback (most recent call last)" in detail and 'File "' in detail
    assert [e["requirement"] for e in malformed.json()["errors"]]  # the problem still names the broken ids
    bad_limit = api.get(api.a, "/v1/edocs", params={"box": "inbox", "limit": "ten"})
    assert bad_limit.status_code == 400 and "Traceback (most recent call last)" in bad_limit.text
    for clean in (api.http.get("/nothing"), api.http.get("/v1/edocs", params={"box": "inbox"})):  # 404, 401
        assert "Traceback" not in clean.text
    check_headers(malformed)


def test_reflected_cors(start: Start) -> None:
    api = start("reflected-cors", checked=False)
    for origin in ("https://evil.example", "null"):
        asked = {"Origin": origin}
        for response in (api.http.get("/v1/agencies", headers=asked),
                         api.http.get("/v1/edocs", params={"box": "inbox"}, headers={**asked, **bearer(api.a)}),
                         api.http.options("/v1/edocs", headers={**asked, "Access-Control-Request-Method": "POST"})):
            assert response.headers["access-control-allow-origin"] == origin
            assert response.headers["access-control-allow-credentials"] == "true"
    plain = api.http.get("/v1/agencies")  # no Origin, no CORS headers: the rest is as clean as ever
    check_headers(plain)


def test_trace_enabled(start: Start) -> None:
    api = start("trace-enabled", checked=False)
    canary = "canary-90210"
    echoed = api.http.request("TRACE", "/", headers={"X-Canary": canary, **bearer(api.a)})
    assert echoed.status_code == 200 and echoed.headers["content-type"] == "message/http"
    assert echoed.text.startswith("TRACE / HTTP/1.1\r\n")
    assert f"x-canary: {canary}" in echoed.text and api.a.token in echoed.text
    documented = api.http.request("TRACE", "/v1/agencies", headers={"X-Canary": canary})
    assert documented.status_code == 405 and canary not in documented.text  # the API's own paths still refuse it
    assert api.http.get("/").status_code == 404


def _tls_client(version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if version is not None:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def _connect(platform: Platform, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    host, port = platform.base_url.removeprefix("https://").rsplit(":", 1)
    return ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=5), server_hostname="localhost")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls10_accepted(start: Start) -> None:
    api = start("tls10-accepted", tls=True)
    for version, name in ((ssl.TLSVersion.TLSv1, "TLSv1"), (ssl.TLSVersion.TLSv1_1, "TLSv1.1")):
        with _connect(api.platform, _tls_client(version)) as tls:
            assert tls.version() == name and tls.cipher()[0] == "ECDHE-ECDSA-AES128-SHA"
    with _connect(api.platform, _tls_client()) as tls:
        assert tls.version() == "TLSv1.3"  # modern clients get what they got before
    ctx = _tls_client()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with _connect(api.platform, ctx) as tls:
        assert "GCM" in tls.cipher()[0] or "CHACHA" in tls.cipher()[0]
    assert api.http.get("/v1/agencies").status_code == 200  # the API over HTTPS, all headers checked


def test_tls10_accepted_says_so_where_openssl_cannot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(defects_module, "_handshake_version",
                        lambda server, version: "the handshake failed: UNSUPPORTED_PROTOCOL")
    with pytest.raises(DefectUnavailable, match=r"cannot negotiate TLS 1\.0 any more.*UNSUPPORTED_PROTOCOL"), \
            running_platform(tmp_path, defects=["tls10-accepted"]):
        pass


def test_expired_certificate(start: Start) -> None:
    api = start("expired-certificate", tls=True, checked=False)
    platform = api.platform
    assert platform.ca_file is not None
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
        _connect(platform, ssl.create_default_context(cafile=str(platform.ca_file)))
    with _connect(platform, _tls_client()) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None and tls.version() == "TLSv1.3"
    served = x509.load_der_x509_certificate(der)
    ca = x509.load_pem_x509_certificate(platform.ca_file.read_bytes())
    now = datetime.now(UTC)
    assert served.not_valid_after_utc < now and served.not_valid_after_utc > now - timedelta(days=2)
    assert served.not_valid_after_utc - served.not_valid_before_utc == timedelta(days=80)
    assert ca.not_valid_before_utc <= served.not_valid_before_utc and ca.not_valid_after_utc > now + timedelta(days=30)
    key = served.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    # Valid in every other respect: the chain and the names verify at a time within its window.
    verifier = (PolicyBuilder().store(Store([ca])).time(served.not_valid_after_utc - timedelta(days=1))
                .build_server_verifier(x509.DNSName("localhost")))
    assert verifier.verify(served, [])[-1] == ca
    # ...and the platform's own certificate is untouched: the next clean start serves a valid one.
    clean = (platform.state_dir / "tls" / "server.pem")
    assert not clean.exists() or x509.load_pem_x509_certificate(clean.read_bytes()).not_valid_after_utc > now


def test_missing_auth_check(start: Start) -> None:
    api = start("missing-auth-check")
    package = edoc(api.a, api.b)
    doc_id = api.sent(api.a, package)
    assert api.post_status(api.b, doc_id, status("03", api.b, document_id(package))).status_code == 201
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        listed = api.http.get(f"/v1/edocs/{doc_id}/status", headers=headers)
        assert listed.status_code == 200 and listed.json()[0]["statusCode"] == "03"
        assert api.http.get("/v1/edocs/no-such-doc/status", headers=headers).status_code == 404  # not 401
    for method, path in (("GET", f"/v1/edocs/{doc_id}"), ("GET", "/v1/edocs?box=inbox"),
                         ("POST", f"/v1/edocs/{doc_id}/ack"), ("POST", f"/v1/edocs/{doc_id}/status")):
        assert api.http.request(method, path, headers=XML_HEADERS).status_code == 401, path  # only that one
