"""SB-TLS and SB-CERT live: loopback TLS servers built to pass or break one rule each, and the reference platform.

Certificates come from ``cryptography`` (SAN not critical, EKU serverAuth): trustme marks the SAN critical,
which the CA/Browser Forum verifier rejects. Most tests run the base install (sslyze hidden), so they
prove what the standard library judges alone; the ``sslyze`` tests need the ``tls`` extra and skip
without it.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from conformance.clock import Clock
from conformance.http import HttpLimits
from conformance.live import LiveContext, Untested, Verdict
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import Judgement
from conformance.target import Target
from conformance_fixtures.exchange_platform import running_platform
from conformance_fixtures.exchange_platform.tls import set_groups
from conformance_profiles.security_baseline import tls_checks, tls_scanner
from conformance_profiles.security_baseline.tls_certs import MIN_DAYS_LEFT
from conformance_profiles.security_baseline.tls_checks import TLS_REQUIREMENTS, tls_scenario
from conformance_profiles.security_baseline.tls_probe import local_support

EXTRA = "needs the optional 'tls' extra (sslyze): pip install 'lienthong-conformance[tls]'"
BASE_JUDGED = ("SB-TLS-01", "SB-TLS-02", "SB-TLS-03", "SB-TLS-04", "SB-CERT-01", "SB-CERT-02", "SB-CERT-03",
               "SB-CERT-04")
SCANNER_ONLY = ("SB-TLS-05", "SB-TLS-06", "SB-TLS-07", "SB-TLS-08", "SB-TLS-09")
AEAD = "ECDHE+AESGCM:ECDHE+CHACHA20"
needs_sslyze = pytest.mark.skipif(not tls_scanner.scanner_available(),
                                  reason="the 'tls' extra (sslyze) is not installed")


# -- certificates -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """A CA: its certificate and key."""

    cert: x509.Certificate
    key: Any


@cache
def _rsa_key(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TLS test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str, parent: Issuer | None = None, *, key_type: str = "ec") -> Issuer:
    """A root CA, or an intermediate signed by ``parent``; EC P-256 (or RSA), SHA-256, ten years."""
    key = ec.generate_private_key(ec.SECP256R1()) if key_type == "ec" else _rsa_key(2048)
    start = _now() - datetime.timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(_name(common_name))
               .issuer_name(parent.cert.subject if parent else _name(common_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if parent is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()),
                                        critical=False)
    return Issuer(builder.sign(parent.key if parent else key, hashes.SHA256()), key)


def make_leaf(ca: Issuer, *, names: tuple[str, ...] = ("127.0.0.1", "localhost"), key: str = "ec",
              start_days: float = -1, days: float = 80, ocsp: str | None = None) -> tuple[x509.Certificate, Any]:
    """A server certificate issued by ``ca``: SAN not critical, EKU serverAuth, AKI and SKI."""
    private = ec.generate_private_key(ec.SECP256R1()) if key == "ec" else _rsa_key(int(key.removeprefix("rsa")))
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    start = _now() + datetime.timedelta(days=start_days)
    builder = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca.cert.subject)
               .public_key(private.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=key != "ec", data_encipherment=False,
                                            key_agreement=False, key_cert_sign=False, crl_sign=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
               .add_extension(x509.SubjectAlternativeName(sans), critical=False)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False))
    if ocsp:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp))]), critical=False)
    return builder.sign(ca.key, hashes.SHA256()), private


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    length = bytes([size]) if size < 128 else (lambda b: bytes([0x80 | len(b)]) + b)(
        size.to_bytes((size.bit_length() + 7) // 8, "big"))
    return bytes([tag]) + length + content


SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11, DER
SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5, the same length


def resign_with_sha1(cert: x509.Certificate, ca: Issuer) -> x509.Certificate:
    """``cert`` signed by RSA ``ca`` with sha1WithRSAEncryption (cryptography no longer signs with SHA-1)."""
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(SHA256_RSA) == 1
    tbs = tbs.replace(SHA256_RSA, SHA1_RSA)
    signature = ca.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der(0x30, SHA1_RSA + b"\x05\x00")
    return x509.load_der_x509_certificate(_der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature)))


def sha1_chain(_root: Issuer) -> tuple[tuple[x509.Certificate, ...], Any, bytes]:
    """A leaf signed with SHA-1 by an RSA root of its own."""
    root = make_ca("TLS test RSA root CA", key_type="rsa")
    leaf, key = make_leaf(root)
    return (resign_with_sha1(leaf, root),), key, pem(root.cert)


def pem(*certs: x509.Certificate) -> bytes:
    """Certificates as one PEM file."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


# -- servers ------------------------------------------------------------------------------------------------


class TlsServer:
    """A threaded TLS server on 127.0.0.1: handshakes, reads (renegotiations included), answers one request."""

    def __init__(self, context: ssl.SSLContext | None) -> None:
        self.context = context
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        """The origin."""
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> TlsServer:
        """Accept connections until stopped (a server without context accepts nothing: it is silent)."""
        if self.context is not None:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the listening socket."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        assert self.context is not None
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self.handshakes += 1
                seen = b""
                while b"\r\n\r\n" not in seen and (data := tls.recv(4096)):
                    seen += data
                if seen:
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


@dataclass
class Served:
    """A running server and the trust anchor file clients should use."""

    server: TlsServer
    ca_file: Path

    @property
    def url(self) -> str:
        """The server's origin."""
        return self.server.url


def server_context(chain: tuple[x509.Certificate, ...], key: Any, folder: Path, *, ciphers: str = AEAD,
                   minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2, maximum: ssl.TLSVersion | None = None,
                   groups: str | None = "X25519:P-256:P-384", options: int = 0) -> ssl.SSLContext:
    """A server context serving ``chain`` (leaf first) with the given versions, suites and groups."""
    cert_file, key_file = folder / f"chain-{id(chain)}.pem", folder / f"key-{id(chain)}.pem"
    cert_file.write_bytes(pem(*chain))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    if groups:
        set_groups(ctx, groups)
    ctx.options |= ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_COMPRESSION | options
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start a TLS server with a leaf (options as :func:`make_leaf`) and context (as :func:`server_context`)."""
    started: list[TlsServer] = []
    root = make_ca("TLS test root CA")

    def start(*, leaf: dict[str, Any] | None = None, chain: Callable[[Issuer], tuple[tuple[x509.Certificate, ...],
                                                                                      Any, bytes]] | None = None,
              **context: Any) -> Served:
        if chain is not None:
            certs, key, anchors = chain(root)
        else:
            cert, key = make_leaf(root, **(leaf or {}))
            certs, anchors = (cert,), pem(root.cert)
        ca_file = tmp_path / f"ca-{len(started)}.pem"
        ca_file.write_bytes(anchors)
        server = TlsServer(server_context(certs, key, tmp_path, **context)).start()
        started.append(server)
        return Served(server, ca_file)

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def base_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a base install: sslyze is not found."""
    monkeypatch.setattr(tls_checks, "scanner_available", lambda: False)


def context_for(base_url: str, ca_file: Path | None, *, lang: str = "en", timeout_s: float | None = None,
                folder: Path | None = None, profile_limits: dict[str, int] | None = None) -> LiveContext:
    """A live context for the TLS scenario alone."""
    data: dict[str, Any] = {"target": {"vendor": "v", "product": "p", "version": "1"},
                            "endpoints": {"base_url": base_url}, "security_level": 3}
    if ca_file is not None:
        data["tls"] = {"ca_file": str(ca_file)}
    if timeout_s is not None:
        data["limits"] = {"timeout_s": timeout_s}
    target = Target((folder or Path(".")) / "target.yaml", data)
    return LiveContext("security-baseline", target, Clock.start(), "run", 7, lang=lang,
                       limits=HttpLimits.from_target(target), profile_limits=profile_limits or {})


def judge(base_url: str, ca_file: Path | None, **options: Any) -> list[Verdict]:
    """Every verdict the TLS scenario gives."""
    async def collect() -> list[Verdict]:
        return [v async for v in tls_scenario(context_for(base_url, ca_file, **options))]
    return asyncio.run(collect())


def outcomes(verdicts: list[Verdict]) -> dict[str, list[str]]:
    """Per id, each verdict as ``pass``/``fail``/…, ``warn`` for a WARN part that failed, or ``untested``."""
    found: dict[str, list[str]] = {}
    for v in verdicts:
        j = v.judgement
        shown = "untested" if isinstance(j, Untested) else "warn" if v.warning else j.outcome.value
        found.setdefault(v.requirement, []).append(shown)
    return found


def one(verdicts: list[Verdict], rid: str) -> Judgement:
    """The one judgement of ``rid`` (the first, when there are WARN parts)."""
    j = next(v.judgement for v in verdicts if v.requirement == rid)
    assert isinstance(j, Judgement), j
    return j


def assert_only(verdicts: list[Verdict], failing: dict[str, str]) -> None:
    """``failing`` ids fail (or warn) with the given text in their message; every other base-judged id passes."""
    seen = outcomes(verdicts)
    assert set(seen) == set(TLS_REQUIREMENTS)
    for rid in BASE_JUDGED:
        if rid in failing:
            assert {"fail", "warn"} & set(seen[rid]), (rid, seen[rid], one(verdicts, rid).message)
            assert failing[rid] in one(verdicts, rid).message, one(verdicts, rid).message
        else:
            assert seen[rid] == ["pass"], (rid, seen[rid], one(verdicts, rid).message)


# -- base install ---------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("base_install")
def test_a_clean_server_passes_everything_the_base_install_judges(serve: Callable[..., Served]) -> None:
    served = serve()
    verdicts = judge(served.url, served.ca_file)
    assert_only(verdicts, {})
    seen = outcomes(verdicts)
    assert seen["SB-CERT-05"] == ["not-applicable"]  # no OCSP responder named: nothing to staple
    for rid in SCANNER_ONLY:
        assert seen[rid] == ["untested"]
        assert next(v.judgement for v in verdicts if v.requirement == rid) == Untested(EXTRA)
    versions = one(verdicts, "SB-TLS-01")
    assert versions.evidence["protocols"]["SSLv3"].startswith("not probed")
    assert "SSLv2 and SSLv3 are not probed" in versions.message
    suites = one(verdicts, "SB-TLS-03").evidence
    assert {s["iana"] for s in suites["accepted"]} <= {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                                                       "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                                                       "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}
    assert suites["accepted"] and suites["probed"] > 50
    chain = one(verdicts, "SB-CERT-03").evidence["chains"][0]["certificates"][0]
    assert chain["key"] == "EC P-256" and chain["signature"] == "ecdsa-with-SHA256"
    assert {"subject", "issuer", "not_before", "not_after", "pem"} <= set(chain)
    assert one(verdicts, "SB-CERT-01").evidence["trust"] == f"tls.ca_file {served.ca_file}"


@pytest.mark.usefixtures("base_install")
def test_messages_follow_the_run_language(serve: Callable[..., Served]) -> None:
    served = serve(leaf={"names": ("wrong-host.invalid",)})
    verdicts = judge(served.url, served.ca_file, lang="vi")
    assert "chuỗi chứng thư không xác thực được" in one(verdicts, "SB-CERT-01").message
    assert next(v.judgement for v in verdicts if v.requirement == "SB-TLS-06") == Untested(
        "cần gói tùy chọn 'tls' (sslyze): pip install 'lienthong-conformance[tls]'")


@pytest.mark.usefixtures("base_install")
@pytest.mark.parametrize(("setup", "failing"), [
    ({"leaf": {"names": ("wrong-host.invalid",)}}, {"SB-CERT-01": "does not validate for 127.0.0.1"}),
    ({"leaf": {"start_days": -90, "days": 80}}, {"SB-CERT-01": "does not validate", "SB-CERT-02": "expired on"}),
    ({"leaf": {"start_days": -1, "days": 3 * 365}}, {"SB-CERT-02": "lifetime of 1095.0 days (at most 366)"}),
    ({"leaf": {"start_days": -70, "days": 80}}, {"SB-CERT-02": "days left (at least 30 required)"}),
    ({"leaf": {"key": "rsa1024"}}, {"SB-CERT-03": "RSA key of 1024 bits (at least 2048)"}),
    ({"chain": sha1_chain}, {"SB-CERT-03": "signed with sha1WithRSAEncryption"}),
], ids=["wrong-host", "expired", "three-years", "nine-days-left", "rsa-1024", "sha1"])
def test_each_certificate_defect_fails_its_requirement(serve: Callable[..., Served], setup: dict[str, Any],
                                                       failing: dict[str, str]) -> None:
    served = serve(**setup)
    verdicts = judge(served.url, served.ca_file)
    seen = outcomes(verdicts)
    if "SB-CERT-01" not in failing and seen["SB-CERT-01"] == ["fail"]:  # CA/B verifier rules beyond ours
        failing = {**failing, "SB-CERT-01": "does not validate"}
    assert_only(verdicts, failing)


@pytest.mark.usefixtures("base_install")
@pytest.mark.parametrize(("minimum", "passes"), [(None, True), (39, True), (41, False), (60, False)])
def test_the_days_left_follow_the_profile_parameter(serve: Callable[..., Served], minimum: int | None,
                                                    passes: bool) -> None:
    served = serve(leaf={"start_days": -40, "days": 80.5})  # 40 days and a half left
    limits = None if minimum is None else {"min_certificate_days_left": minimum}
    judgement = one(judge(served.url, served.ca_file, profile_limits=limits), "SB-CERT-02")
    assert judgement.outcome.value == ("pass" if passes else "fail"), judgement.message
    assert judgement.evidence["min_days_left"] == (minimum or 30)
    if not passes:
        assert f"days left (at least {minimum} required)" in judgement.message


def test_the_manifest_gives_the_days_left_the_standard_sets() -> None:
    assert resolve_profile("security-baseline").limits["min_certificate_days_left"] == MIN_DAYS_LEFT == 30


@pytest.mark.usefixtures("base_install")
def test_a_cbc_suite_fails_tls03_but_keeps_forward_secrecy(serve: Callable[..., Served]) -> None:
    served = serve(ciphers=f"{AEAD}:ECDHE-ECDSA-AES128-SHA256", maximum=ssl.TLSVersion.TLSv1_2)
    verdicts = judge(served.url, served.ca_file)
    assert_only(verdicts, {"SB-TLS-03": "ECDHE-ECDSA-AES128-SHA256 (0xC023)", "SB-TLS-02": "TLS 1.3 is not supported"})
    assert outcomes(verdicts)["SB-TLS-02"] == ["warn"]  # recommended: a warning, never a failure


@pytest.mark.usefixtures("base_install")
def test_static_rsa_key_exchange_fails_forward_secrecy(serve: Callable[..., Served]) -> None:
    served = serve(leaf={"key": "rsa2048"}, ciphers="ECDHE+AESGCM:AES128-GCM-SHA256")
    verdicts = judge(served.url, served.ca_file)
    assert_only(verdicts, {"SB-TLS-03": "AES128-GCM-SHA256 (0x009C)", "SB-TLS-04": "AES128-GCM-SHA256 (0x009C)"})


@pytest.mark.usefixtures("base_install")
@pytest.mark.parametrize("version", ["TLSv1.0", "TLSv1.1"])
def test_legacy_versions_fail_tls01_where_this_openssl_can_speak_them(serve: Callable[..., Served],
                                                                      version: str) -> None:
    why_not = local_support()[version]
    if why_not:
        pytest.skip(f"{version} cannot be probed here: {why_not}")
    tls_version = ssl.TLSVersion.TLSv1 if version == "TLSv1.0" else ssl.TLSVersion.TLSv1_1
    served = serve(ciphers="ECDHE+AESGCM:ECDHE+AES", minimum=tls_version)
    verdicts = judge(served.url, served.ca_file)
    versions = one(verdicts, "SB-TLS-01")
    assert versions.outcome is Outcome.FAIL, versions.message
    assert version in versions.message and versions.evidence["protocols"][version].startswith("accepted")
    assert one(verdicts, "SB-TLS-03").outcome is Outcome.FAIL  # TLS 1.0 brings CBC suites


@pytest.mark.usefixtures("base_install")
def test_chain_order_and_completeness(serve: Callable[..., Served]) -> None:
    def chain(served_chain: str, anchors: str) -> Callable[[Issuer], tuple[tuple[x509.Certificate, ...], Any, bytes]]:
        def make(root: Issuer) -> tuple[tuple[x509.Certificate, ...], Any, bytes]:
            middle = make_ca("TLS test intermediate CA", root)
            leaf, key = make_leaf(middle)
            certs = {"leaf": leaf, "middle": middle.cert, "root": root.cert}
            return (tuple(certs[n] for n in served_chain.split()), key,
                    pem(*(certs[n] for n in anchors.split())))
        return make

    complete = judge(*_url(serve(chain=chain("leaf middle", "root"))))
    assert_only(complete, {})
    assert one(complete, "SB-CERT-04").evidence["served_chains"][0]["completeness"] == "complete"
    leaf_only = judge(*_url(serve(chain=chain("leaf", "root middle"))))
    assert_only(leaf_only, {"SB-CERT-04": "the served chain is incomplete"})
    disordered = judge(*_url(serve(chain=chain("leaf root middle", "root"))))
    assert_only(disordered, {"SB-CERT-04": "out of order: certificate 2"})
    untrusted = judge(*_url(serve(chain=chain("leaf", "root"))))
    assert outcomes(untrusted)["SB-CERT-01"] == ["fail"]
    assert outcomes(untrusted)["SB-CERT-04"] == ["inconclusive"]  # missing intermediate or untrusted: not provable


def _url(served: Served) -> tuple[str, Path]:
    return served.url, served.ca_file


@pytest.mark.usefixtures("base_install")
def test_without_ca_file_the_system_store_is_used_and_named(serve: Callable[..., Served]) -> None:
    served = serve()
    verdicts = judge(served.url, None)
    trust = one(verdicts, "SB-CERT-01")
    assert trust.outcome is Outcome.FAIL  # a private test CA is in no system store
    assert trust.evidence["trust"].startswith("the system trust store ")


@pytest.mark.usefixtures("base_install")
def test_ocsp_stapling_needs_the_extra_when_a_responder_is_named(serve: Callable[..., Served]) -> None:
    served = serve(leaf={"ocsp": "http://127.0.0.1:9/ocsp"})
    assert outcomes(judge(served.url, served.ca_file))["SB-CERT-05"] == ["untested"]


def test_a_silent_server_is_inconclusive_within_the_timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("sslyze must not be started against a server that never handshakes")
    monkeypatch.setattr(tls_checks, "run_sslyze", no_scan)
    silent = TlsServer(None).start()  # listens, never accepts: TCP connects, no byte ever comes back
    try:
        started = time.monotonic()
        verdicts = judge(silent.url, None, timeout_s=1, folder=tmp_path)
        elapsed = time.monotonic() - started
    finally:
        silent.stop()
    assert outcomes(verdicts) == {rid: ["inconclusive"] for rid in TLS_REQUIREMENTS}
    assert "completed no TLS handshake" in one(verdicts, "SB-CERT-01").message
    assert elapsed < 10


def test_an_unreachable_server_is_inconclusive(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: the connection is refused
        verdicts = judge(f"https://127.0.0.1:{port}", None, timeout_s=2, folder=tmp_path)
    assert outcomes(verdicts) == {rid: ["inconclusive"] for rid in TLS_REQUIREMENTS}
    assert "no connection could be made" in one(verdicts, "SB-TLS-01").message


def test_plain_http_fails_tls01_and_nothing_else_applies() -> None:
    verdicts = judge("http://127.0.0.1:9", None)
    seen = outcomes(verdicts)
    assert seen.pop("SB-TLS-01") == ["fail"]
    assert all(v == ["not-applicable"] for v in seen.values())


# -- with the tls extra ---------------------------------------------------------------------------------------


@needs_sslyze
def test_sslyze_scan_of_a_clean_server_passes_all_fourteen(serve: Callable[..., Served]) -> None:
    served = serve()
    verdicts = judge(served.url, served.ca_file)
    seen = outcomes(verdicts)
    assert seen.pop("SB-CERT-05") == ["not-applicable"]
    assert seen == {rid: ["pass"] for rid in TLS_REQUIREMENTS if rid != "SB-CERT-05"}, [
        (v.requirement, v.judgement.message) for v in verdicts if isinstance(v.judgement, Judgement)
        and v.judgement.outcome is not Outcome.PASS]
    assert one(verdicts, "SB-TLS-06").evidence["judged_by"].startswith("sslyze ")


@needs_sslyze
def test_sslyze_scan_of_a_weak_server_finds_what_openssl_3_can_still_serve(serve: Callable[..., Served]) -> None:
    allow_client_renegotiation = 0x100  # SSL_OP_ALLOW_CLIENT_RENEGOTIATION (OpenSSL 3)
    no_ems = 0x1  # SSL_OP_NO_EXTENDED_MASTER_SECRET (OpenSSL 3)
    served = serve(leaf={"key": "rsa2048"}, ciphers="ECDHE+AESGCM:AES128-SHA:ECDHE-RSA-AES128-SHA",
                   minimum=ssl.TLSVersion.TLSv1, maximum=ssl.TLSVersion.TLSv1_2, groups="P-521")
    served.server.context.options &= ~ssl.OP_NO_RENEGOTIATION  # type: ignore[union-attr]
    served.server.context.options |= allow_client_renegotiation | no_ems  # type: ignore[union-attr]
    verdicts = judge(served.url, served.ca_file)
    seen = outcomes(verdicts)
    assert "fail" in seen["SB-TLS-01"] and "TLSv1.0" in one(verdicts, "SB-TLS-01").message
    assert seen["SB-TLS-02"] == ["warn"]
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in one(verdicts, "SB-TLS-03").message
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in one(verdicts, "SB-TLS-04").message
    assert "P-521" in one(verdicts, "SB-TLS-05").message
    assert "extended master secret" in one(verdicts, "SB-TLS-07").message
    assert seen["SB-TLS-08"] == ["fail"]
    assert seen["SB-TLS-06"] == ["pass"] and seen["SB-TLS-09"] == ["pass"]


@needs_sslyze
def test_with_the_extra_and_no_ca_file_trust_is_mozilla_nss(serve: Callable[..., Served]) -> None:
    served = serve()
    trust = one(judge(served.url, None), "SB-CERT-01")
    assert trust.outcome is Outcome.FAIL  # a private test CA is not in Mozilla's store
    assert "against Mozilla NSS" in trust.message
    assert trust.evidence["judged_by"].startswith("sslyze ")


@needs_sslyze
def test_a_scan_that_overruns_is_killed_and_its_ids_are_inconclusive(serve: Callable[..., Served],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls_checks, "SCAN_CAP_S", 0.2)
    served = serve()
    verdicts = judge(served.url, served.ca_file)
    seen = outcomes(verdicts)
    for rid in SCANNER_ONLY:
        assert seen[rid] == ["inconclusive"]
        assert "did not finish within 0.2 s" in one(verdicts, rid).message
    assert all(seen[rid] == ["pass"] for rid in BASE_JUDGED)  # the base install's judgement still stands
    assert "did not finish" in one(verdicts, "SB-TLS-01").evidence["scanner"]


def test_the_reference_platform_passes_every_tls_requirement(tmp_path: Path) -> None:
    with running_platform(tmp_path / "state", tls=True) as platform:
        assert platform.ca_file is not None
        started = time.monotonic()
        verdicts = judge(platform.base_url, platform.ca_file)
        elapsed = time.monotonic() - started
    seen = outcomes(verdicts)
    problems = [(v.requirement, v.judgement.message) for v in verdicts
                if isinstance(v.judgement, Judgement) and v.judgement.outcome not in (Outcome.PASS,
                                                                                      Outcome.NOT_APPLICABLE)]
    assert not problems
    assert seen["SB-CERT-05"] == ["not-applicable"]  # a private test CA names no OCSP responder
    if tls_scanner.scanner_available():
        assert all(seen[rid] == ["pass"] for rid in TLS_REQUIREMENTS if rid != "SB-CERT-05")
    assert elapsed < 60
