"""The TLS and certificate checks of security-baseline (SB-TLS-01…09, SB-CERT-01…05): one live scenario.

Who judges what:

========== ======================================== =====================================================
id         base install (stdlib ``ssl``, cryptography) with the ``tls`` extra (sslyze in a subprocess)
========== ======================================== =====================================================
SB-TLS-01  TLS 1.0/1.1 probes at security level 0;  sslyze, SSLv2 and SSLv3 included (a stdlib fail
           SSLv2/3 cannot be sent (said so)         still counts)
SB-TLS-02  a TLS 1.3 handshake                      sslyze
SB-TLS-03  one handshake per OpenSSL suite, ≤1.2    sslyze, all five TLS 1.3 suites too
SB-TLS-04  key exchange of the accepted suites      sslyze
SB-TLS-05  untested                                 sslyze (curves, DH and ECDH sizes)
SB-TLS-06  untested                                 sslyze (Heartbleed, CCS, ROBOT, CRIME, renegotiation)
SB-TLS-07  untested                                 sslyze (TLS_FALLBACK_SCSV, extended master secret)
SB-TLS-08  untested                                 sslyze (client-initiated renegotiation)
SB-TLS-09  untested                                 sslyze (0-RTT)
SB-CERT-01 cryptography's CA/B verifier, tls.ca_file the same; without tls.ca_file, sslyze's Mozilla NSS
           or the system store                      validation
SB-CERT-02 cryptography, at the run's clock          the same, on every certificate deployment sslyze saw
SB-CERT-03 cryptography                             the same, on every deployment
SB-CERT-04 order and completeness from the served   the same, on every deployment
           chain and the trust anchors
SB-CERT-05 not applicable when the certificate      sslyze (stapled OCSP response, trusted)
           names no OCSP responder, else untested
========== ======================================== =====================================================

A target that cannot be reached, or that accepts TCP but never completes a handshake, makes every
id ``inconclusive`` within the connect and read timeouts of the target file, and sslyze is then not
started (it would spend 22–55 s on a silent server).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from conformance.live import LiveContext, Untested, Verdict, failed
from conformance.model import Outcome
from conformance.registry import Judgement, inconclusive, not_applicable

from .tls_certs import (
    MIN_DAYS_LEFT,
    ServedChain,
    Trust,
    judge_lifetime,
    judge_order,
    judge_stapling_need,
    judge_strength,
    judge_trust,
    load_trust,
    parse_chain,
)
from .tls_judge import judge_forward_secrecy, judge_suites, judge_tls13, judge_versions
from .tls_policy import MozillaIntermediate, mozilla_intermediate
from .tls_probe import Endpoint, Handshake, ProbeReport, Timing, client_context, handshake, probe
from .tls_scanner import (
    SCAN_CAP_S,
    Scan,
    ScanError,
    judge_mozilla_trust,
    judge_scan,
    judge_stapling,
    parse_scan,
    run_sslyze,
    scan_chains,
    scan_path_validation,
    scanner_available,
)
from .tls_text import Say, speaker

__all__ = ["TLS_REQUIREMENTS", "tls_scenario"]

TLS_REQUIREMENTS = ("SB-TLS-01", "SB-TLS-02", "SB-TLS-03", "SB-TLS-04", "SB-TLS-05", "SB-TLS-06", "SB-TLS-07",
                    "SB-TLS-08", "SB-TLS-09", "SB-CERT-01", "SB-CERT-02", "SB-CERT-03", "SB-CERT-04", "SB-CERT-05")
SCANNER_ONLY = ("SB-TLS-05", "SB-TLS-06", "SB-TLS-07", "SB-TLS-08", "SB-TLS-09")
RECOMMENDED = frozenset({"SB-TLS-02", "SB-TLS-09", "SB-CERT-05"})  # "otherwise WARN": a failure is a warning


@dataclasses.dataclass
class _ScanState:
    """The scanner's part of a run: installed or not, its parsed scan, or why there is none."""

    installed: bool
    scan: Scan | None = None
    problem: str | None = None
    run: dict[str, Any] = dataclasses.field(default_factory=dict)


async def _scan(endpoint: Endpoint, ctx: LiveContext) -> _ScanState:
    outcome = await run_sslyze(endpoint, ca_file=ctx.ca_file, cap_s=SCAN_CAP_S)
    run = {"command": " ".join(outcome.command[1:]), "elapsed_s": outcome.elapsed_s}
    if outcome.document is None:
        return _ScanState(True, None, outcome.problem, {**run, "stderr_tail": outcome.stderr_tail[-500:]})
    try:
        return _ScanState(True, parse_scan(outcome.document, outcome.elapsed_s), None, run)
    except ScanError as exc:
        return _ScanState(True, None, str(exc), run)


def _everything(judgement: Judgement) -> Iterable[Verdict]:
    for rid in TLS_REQUIREMENTS:
        yield Verdict(rid, judgement)


def _with(judgement: Judgement, **evidence: Any) -> Judgement:
    return dataclasses.replace(judgement, evidence={**judgement.evidence, **evidence})


def _warn(rid: str, judgement: Judgement) -> Verdict:
    return Verdict(rid, judgement, warning=rid in RECOMMENDED and judgement.outcome is Outcome.FAIL)


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _chains(basic: Handshake, state: _ScanState, policy: MozillaIntermediate,
            say: Say) -> tuple[list[ServedChain], str | None]:
    """The base client's chain, then each distinct chain sslyze saw; or why there is none."""
    chains: list[ServedChain] = []
    problem = None
    if basic.ok:
        parsed = parse_chain("the standard-library client", basic.chain, whole=basic.chain_complete)
        if isinstance(parsed, str):
            problem = parsed
        else:
            chains.append(parsed)
    if state.scan is not None:
        for seen_by, pems, view in scan_chains(state.scan, policy, say):
            try:
                certs = tuple(x509.load_pem_x509_certificate(p.encode("ascii")) for p in pems)
            except (ValueError, UnicodeEncodeError) as exc:
                problem = problem or f"a chain sslyze saw cannot be parsed: {exc}"
                continue
            if not certs:
                continue
            same = next((i for i, c in enumerate(chains)
                         if [_fingerprint(x) for x in c.certs] == [_fingerprint(x) for x in certs]), None)
            if same is not None:
                chains[same] = dataclasses.replace(chains[same], scanner=view,
                                                   seen_by=f"{chains[same].seen_by} and {seen_by}")
            else:
                chains.append(ServedChain(seen_by, certs, True, view))
    return chains, problem


def _protocol_verdicts(report: ProbeReport, state: _ScanState, policy: MozillaIntermediate,
                       say: Say) -> Iterable[Verdict]:
    """SB-TLS-01…09: the scan's verdicts when there is a scan (a stdlib failure still counts), else the stdlib's."""
    base = {"SB-TLS-01": judge_versions(report, say), "SB-TLS-02": judge_tls13(report, say),
            "SB-TLS-03": judge_suites(report, policy, say),
            "SB-TLS-04": judge_forward_secrecy(report, policy, say)}
    scanned = judge_scan(state.scan, policy, say) if state.scan is not None else {}
    for rid in TLS_REQUIREMENTS[:9]:
        own = base.get(rid)
        if rid in scanned:
            if own is not None and own.outcome is Outcome.FAIL and not any(
                    v.judgement.outcome is Outcome.FAIL for v in scanned[rid]
                    if isinstance(v.judgement, Judgement)):
                yield _warn(rid, _with(own, scanner_disagrees=[v.judgement.message for v in scanned[rid]
                                                               if isinstance(v.judgement, Judgement)]))
                continue
            yield from scanned[rid]
        elif own is not None:
            yield _warn(rid, _with(own, scanner=state.problem) if state.problem else own)
        elif state.installed:
            yield Verdict(rid, inconclusive(say("scan.failed", problem=state.problem), scanner=state.run))
        else:
            yield Verdict(rid, Untested(say("untested.extra")))


def _certificate_verdicts(chains: list[ServedChain], trust: Trust, host: str, ctx: LiveContext,
                          state: _ScanState, policy: MozillaIntermediate, say: Say) -> Iterable[Verdict]:
    """SB-CERT-01…05 over every chain seen."""
    now = ctx.clock.now()
    mozilla = judge_mozilla_trust(state.scan, policy, say, host) if trust.source == "system" and state.scan else []
    if mozilla and all(isinstance(v.judgement, Judgement) and v.judgement.outcome is not Outcome.INCONCLUSIVE
                       for v in mozilla):
        yield from mozilla
    else:  # tls.ca_file, no scan, or a scan that could not say: the stdlib judges against the trust it has
        judged = judge_trust(chains, trust, host, now, say)
        if state.scan is not None:
            judged = _with(judged, scanner_path_validation=scan_path_validation(state.scan, policy, say))
        yield Verdict("SB-CERT-01", judged)
    yield Verdict("SB-CERT-02", judge_lifetime(chains, now, policy, say, min_days_left=ctx.profile_limits.get(
        "min_certificate_days_left", MIN_DAYS_LEFT)))
    yield Verdict("SB-CERT-03", judge_strength(chains, policy, say))
    yield Verdict("SB-CERT-04", judge_order(chains, trust, say))
    need = judge_stapling_need(chains, say)
    if need is not None:
        yield Verdict("SB-CERT-05", need)
    elif state.scan is not None:
        yield from judge_stapling(state.scan, policy, say, chains)
    elif state.installed:
        yield Verdict("SB-CERT-05", inconclusive(say("scan.failed", problem=state.problem), scanner=state.run))
    else:
        yield Verdict("SB-CERT-05", Untested(say("untested.extra")))


async def tls_scenario(ctx: LiveContext) -> AsyncIterator[Verdict]:
    """Probe the target's TLS endpoint and judge SB-TLS-01…09 and SB-CERT-01…05, with evidence for each."""
    say, policy = speaker(ctx.lang), mozilla_intermediate()
    url = urlsplit(ctx.base_url)
    if url.scheme != "https" or not url.hostname:
        yield Verdict("SB-TLS-01", failed(say("probe.not_https", url=ctx.base_url), base_url=ctx.base_url))
        for rid in TLS_REQUIREMENTS[1:]:
            yield Verdict(rid, not_applicable(say("probe.not_https_na", url=ctx.base_url)))
        return
    endpoint = Endpoint(url.hostname, url.port or 443)
    trust = load_trust(ctx.ca_file, say)
    timing = Timing.from_limits(ctx.limits, ctx.concurrency)
    basic = await handshake(endpoint, client_context(), timing)
    evidence = {"endpoint": str(endpoint), "first_handshake": basic.summary(), "elapsed_ms": basic.elapsed_ms}
    if basic.outcome == "unreachable":
        for verdict in _everything(inconclusive(say("probe.unreachable", endpoint=endpoint, problem=basic.detail),
                                                **evidence)):
            yield verdict
        return
    if basic.outcome == "timeout":
        for verdict in _everything(inconclusive(say("probe.silent", endpoint=endpoint, problem=basic.detail),
                                                **evidence)):
            yield verdict
        return
    installed = scanner_available()
    scanning = asyncio.create_task(_scan(endpoint, ctx)) if installed else None
    try:
        report = await probe(endpoint, timing, basic)
        state = await scanning if scanning is not None else _ScanState(False)
    finally:
        if scanning is not None and not scanning.done():
            scanning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scanning
    for verdict in _protocol_verdicts(report, state, policy, say):
        yield verdict
    chains, problem = _chains(basic, state, policy, say)
    if not chains:
        reason = (say("probe.no_chain", problem=problem) if problem else
                  say("probe.no_handshake", endpoint=endpoint, problem=basic.summary()))
        for rid in TLS_REQUIREMENTS[9:]:
            yield Verdict(rid, inconclusive(reason, **evidence))
        return
    for verdict in _certificate_verdicts(chains, trust, endpoint.host, ctx, state, policy, say):
        yield verdict
