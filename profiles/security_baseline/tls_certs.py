"""Judging served certificate chains with ``cryptography``: trust and hostname, validity, keys and signatures, order.

Chains are validated with ``cryptography``'s CA/Browser Forum verifier, the one sslyze 6 uses, at the run's
clock (``--now``), against ``tls.ca_file`` when the target gives one (the only TLS trust then), else the
system trust store. Every judgement covers every chain given: the one the standard-library client was
served and, with the ``tls`` extra, each certificate deployment sslyze found (an RSA and an ECDSA
certificate, say).
"""

from __future__ import annotations

import ipaddress
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID, SignatureAlgorithmOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from conformance.errors import ConfigError
from conformance.live import failed
from conformance.registry import Judgement, inconclusive, not_applicable, passed

from .tls_policy import MozillaIntermediate, curve_name
from .tls_text import Say

__all__ = [
    "MIN_DAYS_LEFT",
    "ServedChain",
    "Trust",
    "describe",
    "judge_lifetime",
    "judge_order",
    "judge_stapling_need",
    "judge_strength",
    "judge_trust",
    "load_trust",
    "ocsp_urls",
    "parse_chain",
]

MIN_DAYS_LEFT = 30  # SB-CERT-02: days the certificate must still be valid (a profile parameter of the standard)
_GOOD_HASHES = frozenset({"sha256", "sha384", "sha512"})
_SIGNATURES = {
    SignatureAlgorithmOID.RSA_WITH_MD5: "md5WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA1: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA224: "sha224WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "sha512WithRSAEncryption",
    SignatureAlgorithmOID.RSASSA_PSS: "RSASSA-PSS",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224: "ecdsa-with-SHA224",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "ecdsa-with-SHA512",
    SignatureAlgorithmOID.DSA_WITH_SHA1: "dsa-with-SHA1",
    SignatureAlgorithmOID.DSA_WITH_SHA256: "dsa-with-SHA256",
    SignatureAlgorithmOID.ED25519: "Ed25519",
    SignatureAlgorithmOID.ED448: "Ed448",
}


@dataclass(frozen=True)
class Trust:
    """The trust anchors chains are validated against, and how evidence names them."""

    source: Literal["tls.ca_file", "system"]
    label: str
    anchors: tuple[x509.Certificate, ...]
    problem: str | None = None  # why there are no anchors


@dataclass(frozen=True)
class ServedChain:
    """One chain as a server sent it, with where it was seen; ``whole`` is False when only the leaf was read."""

    seen_by: str
    certs: tuple[x509.Certificate, ...]
    whole: bool = True
    scanner: dict[str, Any] = field(default_factory=dict)  # what sslyze said of this deployment, if anything

    @property
    def leaf(self) -> x509.Certificate:
        """The server's own certificate."""
        return self.certs[0]


def _pem_blocks(data: bytes) -> list[x509.Certificate]:
    certs = []
    marker = b"-----END CERTIFICATE-----"
    with warnings.catch_warnings():  # system bundles hold old roots cryptography warns about (negative serials)
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in data.split(marker)[:-1]:
            try:
                certs.append(x509.load_pem_x509_certificate(block + marker))
            except ValueError:
                continue  # one bad entry of a bundle must not hide the others
    return certs


def load_trust(ca_file: Path | None, say: Say) -> Trust:
    """``tls.ca_file`` when given (unreadable is a configuration error), else the system store."""
    if ca_file is not None:
        try:
            anchors = _pem_blocks(ca_file.read_bytes())
        except OSError as exc:
            raise ConfigError(f"tls.ca_file {ca_file} cannot be read: {exc}",
                              hint="give the PEM file of the CA that issued the server's certificate") from exc
        if not anchors:
            raise ConfigError(f"tls.ca_file {ca_file} holds no PEM certificate",
                              hint="give the PEM file of the CA that issued the server's certificate")
        return Trust("tls.ca_file", say("trust.ca_file", path=ca_file), tuple(anchors))
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            anchors = _pem_blocks(Path(candidate).read_bytes())
            if anchors:
                return Trust("system", say("trust.system", path=candidate), tuple(anchors))
    folder = paths.capath or paths.openssl_capath
    if folder and Path(folder).is_dir():
        anchors = [c for f in sorted(Path(folder).iterdir()) if f.is_file() for c in _pem_blocks(f.read_bytes())]
        if anchors:
            return Trust("system", say("trust.system", path=folder), tuple(anchors))
    return Trust("system", say("trust.system", path="-"), (), say("trust.none"))


def parse_chain(seen_by: str, ders: Sequence[bytes], *, whole: bool = True,
                scanner: dict[str, Any] | None = None) -> ServedChain | str:
    """The chain from DER certificates, or why it cannot be read."""
    certs = []
    for position, der in enumerate(ders, 1):
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            return f"certificate {position} of the chain {seen_by} cannot be parsed: {exc}"
    if not certs:
        return f"no certificate was served ({seen_by})"
    return ServedChain(seen_by, tuple(certs), whole, scanner or {})


def _name(cert: x509.Certificate, which: Literal["subject", "issuer"]) -> str:
    try:
        name: x509.Name = getattr(cert, which)
        return name.rfc4514_string()
    except ValueError as exc:
        return f"(unreadable name: {exc})"


def _subject(cert: x509.Certificate) -> str:
    return _name(cert, "subject")


def _key(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    """Key type, size in bits, and curve (RFC 8446 name) for EC keys."""
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"unreadable ({exc})", None, None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, curve_name(key.curve.name)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _key_text(cert: x509.Certificate) -> str:
    kind, size, curve = _key(cert)
    return f"EC {curve}" if kind == "EC" else f"{kind} {size}" if size else kind


def _signature(cert: x509.Certificate) -> tuple[str, str | None]:
    """The signature algorithm's name, and its hash (None for Ed25519/Ed448, ``?`` when unknown)."""
    oid = cert.signature_algorithm_oid
    name = _SIGNATURES.get(oid, oid.dotted_string)
    try:
        digest = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return name, "?"
    if oid == SignatureAlgorithmOID.RSASSA_PSS and digest is not None:
        name = f"RSASSA-PSS with {digest.name.upper()}"
    return name, digest.name if digest is not None else None


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """A certificate as evidence: names, validity, key, signature, fingerprint and PEM."""
    return {
        "subject": _subject(cert),
        "issuer": _name(cert, "issuer"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "key": _key_text(cert),
        "signature": _signature(cert)[0],
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    }


def _chains_evidence(chains: Sequence[ServedChain]) -> list[dict[str, Any]]:
    return [{"seen_by": c.seen_by, "certificates": [describe(x) for x in c.certs],
             **({"only_leaf_readable": True} if not c.whole else {})} for c in chains]


def _subject_for(host: str) -> x509.DNSName | x509.IPAddress:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _validate(chain: ServedChain, trust: Trust, host: str, now: datetime) -> tuple[list[str] | None, str | None]:
    """The verified chain's subjects, or the verifier's reason for refusing it."""
    verifier = (PolicyBuilder().store(Store(list(trust.anchors))).time(now.astimezone(UTC))
                .build_server_verifier(_subject_for(host)))
    try:
        verified = verifier.verify(chain.leaf, list(chain.certs[1:]))
    except VerificationError as exc:
        return None, str(exc)
    except ValueError as exc:  # e.g. a name cryptography cannot use as a server name
        return None, f"{type(exc).__name__}: {exc}"
    return [_subject(c) for c in verified], None


def judge_trust(chains: Sequence[ServedChain], trust: Trust, host: str, now: datetime, say: Say) -> Judgement:
    """SB-CERT-01: every chain validates for ``host`` against ``trust``."""
    if not trust.anchors:
        return inconclusive(say("cert01.no_trust", problem=trust.problem or trust.label),
                            trust=trust.label, chains=_chains_evidence(chains))
    results, failures = [], []
    for chain in chains:
        verified, problem = _validate(chain, trust, host, now)
        results.append({"seen_by": chain.seen_by, "validated": problem is None,
                        **({"verified_chain": verified} if verified else {"error": problem})})
        if problem is not None:
            failures.append(f"{chain.seen_by}: {problem}" if len(chains) > 1 else problem)
    evidence = {"trust": trust.label, "anchors": len(trust.anchors), "hostname": host, "at": now.isoformat(),
                "validation": results, "verifier": "cryptography x509.verification (CA/Browser Forum profile)",
                "chains": _chains_evidence(chains)}
    if failures:
        return failed(say("cert01.fail", host=host, trust=trust.label, problem="; ".join(failures)), **evidence)
    return passed(say("cert01.pass", host=host, trust=trust.label), **evidence)


def _days(seconds: float) -> float:
    return round(seconds / 86400, 1)


def judge_lifetime(chains: Sequence[ServedChain], now: datetime, policy: MozillaIntermediate, say: Say,
                   *, min_days_left: int = MIN_DAYS_LEFT) -> Judgement:
    """SB-CERT-02: each leaf is valid now with ≥ 30 days left and a lifetime ≤ 366 days; no served CA expired."""
    problems, seen = [], []
    for chain in chains:
        for position, cert in enumerate(chain.certs):
            if position and cert.subject == cert.issuer:
                continue  # a served root: its validity is the trust store's business
            subject, start, end = _subject(cert), cert.not_valid_before_utc, cert.not_valid_after_utc
            left, lifetime = _days((end - now).total_seconds()), _days((end - start).total_seconds())
            if now < start:
                problems.append(say("cert02.not_yet", subject=subject, date=start.isoformat()))
            elif now > end:
                problems.append(say("cert02.expired", subject=subject, date=end.isoformat()))
            elif position == 0 and left < min_days_left:
                problems.append(say("cert02.short", subject=subject, days=left, minimum=min_days_left))
            if position == 0 and lifetime > policy.maximum_certificate_lifespan:
                problems.append(say("cert02.long", subject=subject, days=lifetime,
                                    maximum=policy.maximum_certificate_lifespan))
            if position == 0:
                seen.append({"seen_by": chain.seen_by, "subject": subject, "not_before": start.isoformat(),
                             "not_after": end.isoformat(), "days_left": left, "lifetime_days": lifetime})
    evidence = {"at": now.isoformat(), "leaf": seen, "min_days_left": min_days_left,
                "max_lifetime_days": policy.maximum_certificate_lifespan, "policy": policy.label,
                "chains": _chains_evidence(chains)}
    if problems:
        return failed("; ".join(problems), **evidence)
    first = seen[0]
    return passed(say("cert02.pass", not_before=first["not_before"], not_after=first["not_after"],
                      days=first["days_left"], lifetime=first["lifetime_days"]), **evidence)


def judge_strength(chains: Sequence[ServedChain], policy: MozillaIntermediate, say: Say) -> Judgement:
    """SB-CERT-03: leaf key RSA ≥ 2048 or EC P-256/P-384; every served signature SHA-256 or better."""
    problems, keys, signatures = [], [], []
    for chain in chains:
        kind, size, curve = _key(chain.leaf)
        subject = _subject(chain.leaf)
        keys.append(_key_text(chain.leaf))
        if kind == "RSA" and (size or 0) < policy.rsa_key_size:
            problems.append(say("cert03.rsa_small", subject=subject, bits=size, minimum=policy.rsa_key_size))
        elif kind == "EC" and curve not in policy.certificate_curves:
            problems.append(say("cert03.curve", subject=subject, curve=curve,
                                allowed=", ".join(policy.certificate_curves)))
        elif kind not in ("RSA", "EC"):
            problems.append(say("cert03.key_type", subject=subject, kind=kind))
        for cert in chain.certs:
            name, digest = _signature(cert)
            signatures.append(name)
            if digest not in _GOOD_HASHES:
                problems.append(say("cert03.signature", subject=_subject(cert), algorithm=name))
    evidence = {"keys": keys, "signatures": signatures, "policy": policy.label,
                "rule": f"leaf key RSA ≥ {policy.rsa_key_size} bits or EC {'/'.join(policy.certificate_curves)}; "
                        "every served certificate signed with SHA-256, SHA-384 or SHA-512",
                "chains": _chains_evidence(chains)}
    if problems:
        return failed("; ".join(dict.fromkeys(problems)), **evidence)
    return passed(say("cert03.pass", keys=", ".join(dict.fromkeys(keys)),
                      signatures=", ".join(dict.fromkeys(signatures)), version=policy.version), **evidence)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return True  # a signature cryptography will not check (SHA-1, say): the names match, SB-CERT-03 judges it
    return True


def _completeness(chain: ServedChain, trust: Trust) -> tuple[str, x509.Certificate, x509.Certificate | None]:
    """``complete``, ``incomplete`` or ``unknown``, the last certificate reached from the leaf, and its anchor."""
    current, used = chain.leaf, {0}
    while current.subject != current.issuer:
        step = next((i for i, c in enumerate(chain.certs) if i not in used and _issued_by(current, c)), None)
        if step is None:
            break
        used.add(step)
        current = chain.certs[step]
    if current.subject == current.issuer:
        return "complete", current, None
    anchor = next((a for a in trust.anchors if _issued_by(current, a)), None)
    if anchor is None:
        return "unknown", current, None
    return ("complete" if anchor.subject == anchor.issuer else "incomplete"), current, anchor


def judge_order(chains: Sequence[ServedChain], trust: Trust, say: Say) -> Judgement:
    """SB-CERT-04: each served chain is in order (each certificate issues the one before) and needs no other CA."""
    problems, unknown, shown = [], [], []
    for chain in chains:
        if not chain.whole:
            unknown.append(say("cert04.unreadable", seen_by=chain.seen_by))
            continue
        order_ok = True
        for position in range(1, len(chain.certs)):
            if chain.certs[position].subject != chain.certs[position - 1].issuer:
                order_ok = False
                problems.append(say("cert04.order", position=position + 1,
                                    subject=_subject(chain.certs[position]),
                                    expected=_name(chain.certs[position - 1], "issuer")))
                break
        state, last, anchor = _completeness(chain, trust)
        issuer = _name(last, "issuer")
        if state == "incomplete" and anchor is not None:
            problems.append(say("cert04.incomplete", subject=_subject(last), issuer=issuer, trust=trust.label))
        elif state == "unknown":
            unknown.append(say("cert04.unknown", subject=_subject(last), issuer=issuer, trust=trust.label))
        shown.append({"seen_by": chain.seen_by, "served": len(chain.certs), "order_valid": order_ok,
                      "completeness": state, "ends_at": _subject(last),
                      **({"scanner": chain.scanner} if chain.scanner else {})})
    evidence = {"trust": trust.label, "served_chains": shown, "chains": _chains_evidence(chains)}
    if problems:
        return failed("; ".join(problems), **evidence)
    if unknown:
        return inconclusive("; ".join(unknown), **evidence)
    return passed(say("cert04.pass", count=len(chains[0].certs)), **evidence)


def ocsp_urls(cert: x509.Certificate) -> list[str]:
    """The OCSP responder URLs the certificate names (Authority Information Access)."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [str(d.access_location.value) for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)]


def judge_stapling_need(chains: Sequence[ServedChain], say: Say) -> Judgement | None:
    """SB-CERT-05 without a scan: not applicable when no certificate names an OCSP responder, else None."""
    if any(ocsp_urls(c.leaf) for c in chains):
        return None
    return not_applicable(say("cert05.no_responder"), leaf=[_subject(c.leaf) for c in chains])
