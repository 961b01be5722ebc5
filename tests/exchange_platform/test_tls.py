"""HTTPS: the test CA and server certificate, their reuse and renewal, and what the TLS endpoint refuses."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from conformance_fixtures.exchange_platform import Platform, running_platform
from conformance_fixtures.exchange_platform.tls import ensure_certificate, set_groups
from tests.exchange_platform.conftest import Api, client, edoc


@pytest.fixture(scope="module")
def https(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform over HTTPS."""
    with running_platform(tmp_path_factory.mktemp("https")) as running:
        yield running


def _address(platform: Platform) -> tuple[str, int]:
    host, port = platform.base_url.removeprefix("https://").rsplit(":", 1)
    return host, int(port)


def _handshake(platform: Platform, ctx: ssl.SSLContext) -> ssl.SSLSocket:
    ctx.load_verify_locations(platform.ca_file)
    raw = socket.create_connection(_address(platform), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_the_api_works_over_https_with_the_test_ca(https: Platform) -> None:
    assert https.base_url.startswith("https://127.0.0.1:") and https.ca_file is not None
    with client(https) as http:
        api = Api(https, http)
        package = edoc(api.a, api.b)
        doc_id = api.sent(api.a, package)
        assert api.get(api.b, f"/v1/edocs/{doc_id}").content == package


def test_the_certificates(https: Platform) -> None:
    assert https.ca_file is not None
    ca = x509.load_pem_x509_certificate(https.ca_file.read_bytes())
    with _handshake(https, ssl.create_default_context()) as tls:
        der = tls.getpeercert(binary_form=True)
        assert tls.version() == "TLSv1.3"
    server = x509.load_der_x509_certificate(der)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert not san.critical
    assert san.value.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for cert in (ca, server):
        assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=80)
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    server.verify_directly_issued_by(ca)


def test_tls_1_2_with_aead_is_served(https: Platform) -> None:
    ctx = ssl.create_default_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with _handshake(https, ctx) as tls:
        name, version, _ = tls.cipher()
        assert version == "TLSv1.2" and name.startswith("ECDHE-ECDSA-") and ("GCM" in name or "CHACHA" in name)


@pytest.mark.parametrize("group", ["X25519", "P-256", "P-384"])
def test_the_mozilla_intermediate_groups_are_served(https: Platform, group: str) -> None:
    # TLS 1.3: in TLS 1.2 a client's groups also bound its ECDSA certificate's curve, so one group alone
    # other than P-256 would refuse the certificate, not show the server's choice of groups.
    ctx = ssl.create_default_context()
    set_groups(ctx, group)  # the client offers this group alone
    with _handshake(https, ctx) as tls:
        assert tls.version() == "TLSv1.3"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
@pytest.mark.parametrize("group", ["X448", "P-521", "ffdhe2048"])
def test_other_groups_are_refused(https: Platform, version: ssl.TLSVersion, group: str) -> None:
    ctx = ssl.create_default_context()
    ctx.minimum_version = ctx.maximum_version = version
    set_groups(ctx, group)
    with pytest.raises(ssl.SSLError):
        _handshake(https, ctx)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_1_1_is_refused(https: Platform) -> None:
    ctx = ssl.create_default_context()
    ctx.set_ciphers("ALL:@SECLEVEL=0")  # so the client itself would offer TLS 1.1
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        _handshake(https, ctx)


@pytest.mark.parametrize("cipher", ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256"])
def test_non_aead_or_static_key_suites_are_refused(https: Platform, cipher: str) -> None:
    ctx = ssl.create_default_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(f"{cipher}:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        _handshake(https, ctx)


def test_plain_http_on_the_https_port_gets_no_answer_in_plaintext(https: Platform) -> None:
    # SB-HTTP-01. OpenSSL finds "GET " where a ClientHello belongs and fails the handshake with no alert
    # (SSL_R_HTTP_REQUEST); uvicorn's asyncio TLS transport then closes the connection: not a byte comes back.
    for request in (b"GET /v1/agencies HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"POST /v1/edocs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"):
        with socket.create_connection(_address(https), timeout=5) as raw:  # a hang would be a timeout error
            raw.sendall(request)
            answer = b""
            try:
                while chunk := raw.recv(4096):
                    answer += chunk
            except ConnectionResetError:
                pass
        assert answer == b""
    with client(https) as http:
        assert http.get("/v1/agencies").status_code == 200  # and the platform serves TLS as before


def test_certificates_are_reused_then_renewed_a_day_before_30_days_remain(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    first = ensure_certificate(tmp_path, now=now)
    pem = first.ca_file.read_bytes()
    assert ensure_certificate(tmp_path, now=now + timedelta(days=48)).ca_file.read_bytes() == pem  # 32 days left
    renewed = ensure_certificate(tmp_path, now=now + timedelta(days=49, minutes=1))  # under 31 days left
    assert renewed.ca_file.read_bytes() != pem
    assert oct(renewed.key_file.stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob("*key*.pem"))[1:]  # the CA key is never written
