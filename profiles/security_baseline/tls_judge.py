"""Judging SB-TLS-01…04 from the standard-library probes (:mod:`.tls_probe`), for a base install.

These are the fallbacks: with the ``tls`` extra, :mod:`.tls_scanner` judges the same ids from sslyze,
which also sends SSLv2/SSLv3 hellos and tries every TLS 1.3 suite.
"""

from __future__ import annotations

import ssl
from typing import Any

from conformance.live import failed
from conformance.registry import Judgement, inconclusive, passed

from .tls_policy import MozillaIntermediate
from .tls_probe import LEGACY_VERSIONS, Handshake, ProbeReport, Suite, SuiteScan, describe_versions
from .tls_text import Say

__all__ = ["BASE_TOOL", "NOT_PROBED_SSL", "judge_forward_secrecy", "judge_suites", "judge_tls13", "judge_versions"]

BASE_TOOL = f"standard library ssl ({ssl.OPENSSL_VERSION}) and cryptography"
NOT_PROBED_SSL = ("not probed: this machine's OpenSSL cannot send an SSLv2 or SSLv3 hello; "
                  "the optional 'tls' extra (sslyze) probes them")
_MODERN = ("TLSv1.2", "TLSv1.3")
_STATIC_KEX = frozenset({"kx-rsa", "kx-dh", "kx-ecdh", "kx-psk", "kx-rsa-psk"})  # no ephemeral key: no FS
_SETTLED = frozenset({"ok", "refused"})


def _protocols(report: ProbeReport) -> dict[str, str]:
    return describe_versions(report, [("SSLv2", NOT_PROBED_SSL), ("SSLv3", NOT_PROBED_SSL)])


def _settled(report: ProbeReport, label: str) -> bool:
    probe = report.versions.get(label)
    return isinstance(probe, Handshake) and probe.outcome in _SETTLED


def _ok(report: ProbeReport, label: str) -> bool:
    probe = report.versions.get(label)
    return isinstance(probe, Handshake) and probe.ok


def judge_versions(report: ProbeReport, say: Say) -> Judgement:
    """SB-TLS-01: TLS 1.0 and 1.1 refused, TLS 1.2 or 1.3 accepted (SSLv2/3 cannot be probed here)."""
    evidence: dict[str, Any] = {"protocols": _protocols(report), "judged_by": BASE_TOOL}
    legacy = [label for label in LEGACY_VERSIONS if _ok(report, label)]
    modern = [label for label in _MODERN if _ok(report, label)]
    if legacy:
        return failed(say("tls01.legacy", versions=", ".join(legacy)), **evidence)
    unsettled = [label for label in LEGACY_VERSIONS if not _settled(report, label)]
    if unsettled:
        return inconclusive(say("tls01.unsettled", versions=", ".join(unsettled)), **evidence)
    if not modern:
        if all(_settled(report, label) for label in _MODERN):
            return failed(say("tls01.no_modern"), **evidence)
        return inconclusive(say("tls01.unsettled", versions=", ".join(_MODERN)), **evidence)
    return passed(say("tls01.pass_base", versions=", ".join(modern)), **evidence)


def judge_tls13(report: ProbeReport, say: Say) -> Judgement:
    """SB-TLS-02: TLS 1.3 is accepted (a failure here is a WARN: the requirement is recommended)."""
    probe = report.versions.get("TLSv1.3")
    evidence = {"protocols": _protocols(report), "judged_by": BASE_TOOL}
    if isinstance(probe, Handshake) and probe.ok:
        return passed(say("tls02.pass", suite=probe.cipher), **evidence)
    if isinstance(probe, Handshake) and probe.outcome == "refused":
        return failed(say("tls02.missing"), **evidence)
    return inconclusive(say("tls01.unsettled", versions="TLSv1.3"), **evidence)


def _suite(suite: Suite, policy: MozillaIntermediate) -> dict[str, Any]:
    shown = {"openssl": suite.openssl_name, "code": suite.hex, "key_exchange": suite.kea, "aead": suite.aead}
    iana = policy.suite_by_code(suite.code)
    return {"iana": iana, **shown} if iana else shown


def _names(suites: list[Suite]) -> str:
    return ", ".join(f"{s.openssl_name} ({s.hex})" for s in suites)


def _tls13_suite(report: ProbeReport) -> str | None:
    probe = report.versions.get("TLSv1.3")
    return probe.cipher if isinstance(probe, Handshake) and probe.ok else None


def _suite_evidence(report: ProbeReport, policy: MozillaIntermediate) -> dict[str, Any]:
    scan = report.suites
    evidence: dict[str, Any] = {"judged_by": BASE_TOOL, "policy": policy.label}
    if isinstance(scan, SuiteScan):
        evidence.update(accepted=[_suite(s, policy) for s in scan.accepted], probed=scan.tried,
                        not_probed=scan.not_probed,
                        unfinished=[f"{s.openssl_name}: {h.summary()}" for s, h in scan.unfinished],
                        method="one handshake per suite of this OpenSSL's list, TLS 1.2 at most, security level 0")
    else:
        evidence["accepted"] = scan or "not enumerated"
    evidence["tls13"] = {"negotiated": _tls13_suite(report),
                         "note": "the standard library always offers the three TLS 1.3 suites OpenSSL enables; "
                                 "the optional 'tls' extra also tries the CCM suites"}
    return evidence


def judge_suites(report: ProbeReport, policy: MozillaIntermediate, say: Say) -> Judgement:
    """SB-TLS-03: accepted TLS ≤1.2 suites within Mozilla intermediate's nine, TLS 1.3 suites within its three."""
    evidence = _suite_evidence(report, policy)
    scan = report.suites
    tls13 = _tls13_suite(report)
    outside = [f"{tls13} (TLS 1.3)"] if tls13 and tls13 not in policy.tls13_suites else []
    accepted: list[Suite] = []
    if isinstance(scan, SuiteScan):
        accepted = list(scan.accepted)
        outside = [f"{s.openssl_name} ({s.hex})" for s in accepted if s.code not in policy.suite_codes] + outside
    if outside:
        return failed(say("tls03.outside", count=len(outside), suites=", ".join(outside), version=policy.version),
                      **evidence)
    if scan is None or (isinstance(scan, str) and not report.basic.ok):
        return inconclusive(say("probe.no_handshake", endpoint=report.endpoint, problem=report.basic.summary()),
                            **evidence)
    if isinstance(scan, SuiteScan) and not scan.complete:
        return inconclusive(say("tls03.unfinished", count=len(scan.unfinished), total=scan.tried), **evidence)
    shown = [_names(accepted)] if accepted else []
    if tls13:
        shown.append(f"{tls13} (TLS 1.3)")
    return passed(say("tls03.pass", suites=", ".join(shown) or "-", version=policy.version), **evidence)


def judge_forward_secrecy(report: ProbeReport, policy: MozillaIntermediate, say: Say) -> Judgement:
    """SB-TLS-04: no accepted suite with a static (RSA, DH, ECDH or PSK) key exchange."""
    evidence = _suite_evidence(report, policy)
    scan = report.suites
    if isinstance(scan, SuiteScan):
        static = [s for s in scan.accepted if s.kea in _STATIC_KEX]
        if static:
            return failed(say("tls04.static", suites=_names(static)), **evidence)
        if not scan.complete:
            return inconclusive(say("tls03.unfinished", count=len(scan.unfinished), total=scan.tried), **evidence)
        return passed(say("tls04.pass", count=len(scan.accepted) + (1 if _tls13_suite(report) else 0)), **evidence)
    if report.basic.ok:  # only TLS 1.3 is accepted, where every key exchange is ephemeral
        return passed(say("tls04.tls13_only"), **evidence)
    return inconclusive(say("probe.no_handshake", endpoint=report.endpoint, problem=report.basic.summary()),
                        **evidence)
