"""Probing a TLS endpoint with the standard library alone: versions, cipher suites, the served chain.

Every probe is one TCP connection and one client handshake, under two deadlines (connect, then
handshake), so a silent or trickling peer costs at most ``connect_s + handshake_s``. The client
contexts run at OpenSSL security level 0, so this machine's OpenSSL offers TLS 1.0, TLS 1.1 and every
legacy suite it still has: a refusal is then the server's.

What the standard library cannot do, and the optional ``tls`` extra (sslyze) does: send SSLv2 or
SSLv3 hellos (OpenSSL 3 has neither), choose TLS 1.3 suites (the client always offers the three
standard ones), see the ephemeral key, send TLS_FALLBACK_SCSV, renegotiate, or read an OCSP staple.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from conformance.http import HttpLimits

__all__ = [
    "ALL_SUITES",
    "LEGACY_VERSIONS",
    "Endpoint",
    "Handshake",
    "ProbeReport",
    "Suite",
    "SuiteScan",
    "Timing",
    "accepted_versions",
    "client_context",
    "describe_versions",
    "handshake",
    "local_support",
    "probe",
]

ALL_SUITES = "ALL:COMPLEMENTOFALL"
LEGACY_VERSIONS = ("TLSv1.0", "TLSv1.1")
_VERSIONS = {"TLSv1.0": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
             "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}
# Reasons OpenSSL gives when the *client* cannot build a hello: nothing was asked of the server.
_LOCAL_REASONS = frozenset({"NO_CIPHERS_AVAILABLE", "NO_PROTOCOLS_AVAILABLE", "NO_CIPHER_MATCH",
                            "NO_SUITABLE_SIGNATURE_ALGORITHM", "NO_SHARED_CIPHER_LOCAL"})
# Key exchanges whose suites cannot be probed without credentials the harness does not have.
_NEEDS_CREDENTIALS = frozenset({"kx-psk", "kx-rsa-psk", "kx-dhe-psk", "kx-ecdhe-psk", "kx-srp"})
_MAX_TIMEOUTS = 3  # suite probes that may time out before the enumeration stops: a silent peer stays bounded

Outcome = Literal["ok", "refused", "timeout", "unreachable", "local"]


@dataclass(frozen=True)
class Endpoint:
    """Where to connect, and the name to send as SNI and to validate the certificate for."""

    host: str
    port: int

    @property
    def is_ip(self) -> bool:
        """True when the host is an IP address literal (no SNI is sent for it)."""
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Timing:
    """Deadlines of one probe, and how many probes may run at once."""

    connect_s: float = 5.0
    handshake_s: float = 10.0
    concurrency: int = 8
    per_second: float | None = None

    @classmethod
    def from_limits(cls, limits: HttpLimits, concurrency: int = 8) -> Timing:
        """The target's limits: its connect and read timeouts, and its request rate for handshakes too."""
        return cls(limits.connect_s, limits.read_s, max(1, concurrency), limits.requests_per_s)


@dataclass(frozen=True)
class Handshake:
    """What one client handshake gave: the outcome, the negotiated version and suite, the served chain."""

    outcome: Outcome
    detail: str = ""
    version: str | None = None
    cipher: str | None = None
    chain: tuple[bytes, ...] = ()  # DER, in the order served
    chain_complete: bool = True  # False when only the leaf could be read (no get_unverified_chain)
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """The handshake completed."""
        return self.outcome == "ok"

    def summary(self) -> str:
        """One line for evidence."""
        if self.ok:
            return f"accepted ({self.version}, {self.cipher})"
        return f"{self.outcome}: {self.detail}" if self.detail else self.outcome


@dataclass(frozen=True)
class Suite:
    """A TLS ≤1.2 cipher suite as this machine's OpenSSL knows it."""

    openssl_name: str
    code: int  # IANA code point
    kea: str  # OpenSSL's key exchange tag: kx-ecdhe, kx-dhe, kx-rsa, …
    aead: bool
    protocol: str

    @property
    def hex(self) -> str:
        """The code point as ``0xC02F``."""
        return f"0x{self.code:04X}"


@dataclass(frozen=True)
class SuiteScan:
    """Which TLS ≤1.2 suites the server accepted, one probe per suite."""

    accepted: tuple[Suite, ...]
    tried: int
    not_probed: dict[str, int]  # reason -> count
    unfinished: tuple[tuple[Suite, Handshake], ...]  # probes that timed out or lost the connection

    @property
    def complete(self) -> bool:
        """Every probe that was started gave an answer."""
        return not self.unfinished


@dataclass(frozen=True)
class ProbeReport:
    """Everything the standard-library probes learnt about one endpoint."""

    endpoint: Endpoint
    basic: Handshake  # highest version, default suites: the chain comes from here
    versions: dict[str, Handshake | str] = field(default_factory=dict)  # str: why it was not probed
    suites: SuiteScan | str | None = None  # str: why not enumerated
    openssl: str = ssl.OPENSSL_VERSION
    elapsed_ms: float = 0.0


def client_context(*, minimum: str | None = "TLSv1.0", maximum: str | None = None,
                   ciphers: str = ALL_SUITES) -> ssl.SSLContext:
    """A probing client: no verification, security level 0, versions and suites as given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    with warnings.catch_warnings():  # TLS 1.0 and 1.1 are deprecated in ssl: probing them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum:
            ctx.minimum_version = _VERSIONS[minimum]
        if maximum:
            ctx.maximum_version = _VERSIONS[maximum]
    return ctx


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.strerror or str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _chain(ssl_object: ssl.SSLObject) -> tuple[tuple[bytes, ...], bool]:
    public = getattr(ssl_object, "get_unverified_chain", None)  # Python 3.13+: DER bytes
    if public is not None:
        return tuple(public() or ()), True
    inner = getattr(ssl_object, "_sslobj", None)
    reader = getattr(inner, "get_unverified_chain", None)  # public only from Python 3.13
    if reader is not None:
        certs = reader() or []
        return tuple(c.public_bytes(ssl._ssl.ENCODING_DER) for c in certs), True  # type: ignore[attr-defined]
    leaf = ssl_object.getpeercert(binary_form=True)
    return ((leaf,) if leaf else ()), False


async def handshake(endpoint: Endpoint, context: ssl.SSLContext, timing: Timing) -> Handshake:
    """One TCP connection and one TLS handshake with ``context``; never raises for the peer's behaviour."""
    started = time.perf_counter()

    def done(outcome: Outcome, detail: str = "", **found: object) -> Handshake:
        return Handshake(outcome, detail, elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
                         **found)  # type: ignore[arg-type]

    try:
        async with asyncio.timeout(timing.connect_s):
            _, writer = await asyncio.open_connection(endpoint.host, endpoint.port)
    except TimeoutError:
        return done("unreachable", f"no TCP connection within {timing.connect_s:g} s")
    except OSError as exc:
        return done("unreachable", _describe(exc))
    try:
        async with asyncio.timeout(timing.handshake_s):
            await writer.start_tls(context, server_hostname=endpoint.host,
                                   ssl_handshake_timeout=timing.handshake_s + 1)
        ssl_object = writer.get_extra_info("ssl_object")
        cipher = ssl_object.cipher()
        chain, complete = _chain(ssl_object)
        return done("ok", version=ssl_object.version(), cipher=cipher[0] if cipher else None, chain=chain,
                    chain_complete=complete)
    except TimeoutError:
        return done("timeout", f"no handshake within {timing.handshake_s:g} s")
    except ssl.SSLError as exc:
        reason = _describe(exc)
        return done("local" if reason in _LOCAL_REASONS else "refused", reason)
    except (OSError, EOFError, asyncio.IncompleteReadError) as exc:
        return done("refused", f"connection closed during the handshake ({_describe(exc)})")
    finally:
        writer.transport.abort()  # no close_notify wait: a hostile peer must not hold the probe open


def _suites() -> list[Suite]:
    ctx = client_context(maximum="TLSv1.2")
    found = []
    for info in ctx.get_ciphers():
        if info.get("protocol") == "TLSv1.3":
            continue
        found.append(Suite(str(info["name"]), int(info["id"]) & 0xFFFF, str(info.get("kea", "")),
                           bool(info.get("aead")), str(info.get("protocol", ""))))
    return found


@cache
def local_support() -> dict[str, str | None]:
    """For TLS 1.0 and 1.1: None when this OpenSSL negotiates it with itself (at level 0), else why not."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local TLS self-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(minutes=10)).sign(key, hashes.SHA256()))
    support: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        for label in LEGACY_VERSIONS:
            support[label] = _self_handshake(label, cert_file, key_file)
    return support


def _self_handshake(label: str, cert_file: Path, key_file: Path) -> str | None:
    try:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.set_ciphers(f"{ALL_SUITES}:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            server.minimum_version = server.maximum_version = _VERSIONS[label]
        server.load_cert_chain(cert_file, key_file)
        client = client_context(minimum=label, maximum=label)
    except (ValueError, ssl.SSLError) as exc:
        return f"{label} cannot be configured: {_describe(exc)}"
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    tls_client = client.wrap_bio(c_in, c_out)
    tls_server = server.wrap_bio(s_in, s_out, server_side=True)
    finished = {"client": False, "server": False}
    try:
        for _ in range(10):
            for side, obj in (("client", tls_client), ("server", tls_server)):
                if not finished[side]:
                    try:
                        obj.do_handshake()
                        finished[side] = True
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                s_in.write(c_out.read())
                c_in.write(s_out.read())
            if all(finished.values()):
                break
    except ssl.SSLError as exc:
        return f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot negotiate {label}: {_describe(exc)}"
    if not all(finished.values()):
        return f"this OpenSSL ({ssl.OPENSSL_VERSION}) did not complete a {label} handshake with itself"
    got = tls_client.version()
    return None if got == label.replace("TLSv1.0", "TLSv1") else f"this OpenSSL negotiated {got}, not {label}"


async def _paced(items: Sequence[Suite], endpoint: Endpoint, timing: Timing) -> list[tuple[Suite, Handshake]]:
    """One handshake per suite, at most ``concurrency`` at once, paced to ``per_second``; stops on silence."""
    gate = asyncio.Semaphore(timing.concurrency)
    interval = 1.0 / timing.per_second if timing.per_second else 0.0
    lock = asyncio.Lock()
    last = [0.0]
    timeouts = [0]
    results: list[tuple[Suite, Handshake]] = []

    async def one(suite: Suite) -> None:
        async with gate:
            if timeouts[0] >= _MAX_TIMEOUTS:
                return
            if interval:
                async with lock:
                    wait = last[0] + interval - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    last[0] = time.monotonic()
            context = client_context(maximum="TLSv1.2", ciphers=suite.openssl_name)
            result = await handshake(endpoint, context, timing)
            if result.outcome in ("timeout", "unreachable"):
                timeouts[0] += 1
            results.append((suite, result))

    await asyncio.gather(*(one(s) for s in items))
    return results


async def _enumerate(endpoint: Endpoint, timing: Timing) -> SuiteScan:
    candidates: list[Suite] = []
    not_probed: dict[str, int] = {}
    for suite in _suites():
        if suite.kea in _NEEDS_CREDENTIALS:
            reason = "PSK and SRP suites need credentials the harness does not have"
            not_probed[reason] = not_probed.get(reason, 0) + 1
        else:
            candidates.append(suite)
    results = await _paced(candidates, endpoint, timing)
    order = {s.openssl_name: i for i, s in enumerate(candidates)}
    results.sort(key=lambda pair: order[pair[0].openssl_name])
    accepted = tuple(s for s, h in results if h.ok)
    unfinished = tuple((s, h) for s, h in results if h.outcome in ("timeout", "unreachable"))
    local = sum(1 for _, h in results if h.outcome == "local")
    if local:
        not_probed["this OpenSSL could not offer the suite alone"] = local
    skipped = len(candidates) - len(results)
    if skipped:
        not_probed[f"stopped after {_MAX_TIMEOUTS} probes without an answer"] = skipped
    return SuiteScan(accepted, len(results) - local, not_probed, unfinished)


async def probe(endpoint: Endpoint, timing: Timing, basic: Handshake | None = None) -> ProbeReport:
    """Probe versions and TLS ≤1.2 suites of ``endpoint`` (after ``basic``, the first handshake, if given)."""
    started = time.perf_counter()
    if basic is None:
        basic = await handshake(endpoint, client_context(), timing)
    if basic.outcome in ("unreachable", "timeout"):
        return ProbeReport(endpoint, basic)
    versions: dict[str, Handshake | str] = {}
    local = local_support()
    labels = list(_VERSIONS)
    probes = []
    for label in labels:
        if label in LEGACY_VERSIONS and local.get(label):
            versions[label] = f"not probed: {local[label]}"
            continue
        probes.append(label)
    answers = await asyncio.gather(*(handshake(endpoint, client_context(minimum=label, maximum=label), timing)
                                     for label in probes))
    versions.update(zip(probes, answers, strict=True))
    versions = {label: versions[label] for label in labels}
    legacy_or_12 = [h for label, h in versions.items() if label != "TLSv1.3" and isinstance(h, Handshake)]
    suites: SuiteScan | str
    if not basic.ok:
        suites = "no handshake completed with the default client, so suites were not enumerated"
    elif not any(h.ok for h in legacy_or_12):
        suites = "no TLS version up to 1.2 is accepted: there are no TLS ≤1.2 suites to enumerate"
    else:
        suites = await _enumerate(endpoint, timing)
    return ProbeReport(endpoint, basic, versions, suites, elapsed_ms=round((time.perf_counter() - started) * 1000))


def accepted_versions(report: ProbeReport) -> list[str]:
    """The versions the server accepted."""
    return [label for label, h in report.versions.items() if isinstance(h, Handshake) and h.ok]


def describe_versions(report: ProbeReport, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Each version's result, for evidence."""
    shown = dict(extra)
    shown.update({label: h.summary() if isinstance(h, Handshake) else h for label, h in report.versions.items()})
    return shown
