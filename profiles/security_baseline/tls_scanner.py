"""The optional ``tls`` extra: sslyze run in a subprocess with a wall-clock cap, its JSON read and judged.

sslyze is AGPL-3.0, so it stays behind this boundary: no module of the product imports it. It runs as
``python -m sslyze --json_out=-`` in its own process group, which is killed when the cap passes (a
silent server keeps sslyze busy for 22–55 s, and it has no overall deadline of its own). Its output is
data from a process that talked to the system under test: it is read defensively, and anything not
understood makes the affected requirement ``inconclusive``, never a pass.

The judgement functions take the parsed :class:`Scan`, so recorded outputs of servers this machine
cannot run (SSLv2/3, Heartbleed, ROBOT, CRIME, CCS injection, insecure renegotiation) test them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.live import Verdict, failed
from conformance.model import Outcome
from conformance.registry import Judgement, inconclusive, passed

from .tls_certs import ServedChain
from .tls_policy import MozillaIntermediate, curve_name
from .tls_probe import Endpoint
from .tls_text import Say

__all__ = [
    "COMMANDS",
    "SCAN_CAP_S",
    "Scan",
    "ScanError",
    "ScanRun",
    "judge_mozilla_trust",
    "judge_scan",
    "judge_stapling",
    "parse_scan",
    "run_sslyze",
    "scan_chains",
    "scan_path_validation",
    "scanner_available",
    "sslyze_command",
]

SCAN_CAP_S = 60.0  # a loopback scan takes ~1.2 s; a silent server 22–55 s
MAX_OUTPUT = 32 * 1024 * 1024  # the JSON of one server is ~250 KB; a hostile chain cannot make it this big
COMMANDS = ("--certinfo", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3", "--compression",
            "--early_data", "--openssl_ccs", "--fallback", "--heartbleed", "--robot", "--reneg",
            "--elliptic_curves", "--ems")
VERSIONS = {"ssl_2_0_cipher_suites": "SSLv2", "ssl_3_0_cipher_suites": "SSLv3", "tls_1_0_cipher_suites": "TLSv1.0",
            "tls_1_1_cipher_suites": "TLSv1.1", "tls_1_2_cipher_suites": "TLSv1.2",
            "tls_1_3_cipher_suites": "TLSv1.3"}
_LEGACY = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1")
# Static key exchange (no forward secrecy): RSA key transport, fixed DH/ECDH, plain PSK, and every SSLv2 suite.
_STATIC = re.compile(r"^(?:SSL_CK_|(?:TLS|SSL)_(?:RSA|DH|ECDH|PSK|RSA_PSK)_(?!anon_))")


def scanner_available() -> bool:
    """True when sslyze is installed (found, not imported: only its own process loads it)."""
    return importlib.util.find_spec("sslyze") is not None


@dataclass(frozen=True)
class ScanRun:
    """One sslyze run: its JSON document, or why there is none."""

    document: Mapping[str, Any] | None
    problem: str | None
    elapsed_s: float
    command: tuple[str, ...]
    stderr_tail: str = ""
    timed_out: bool = False


async def _read_capped(stream: asyncio.StreamReader | None, cap: int) -> tuple[bytes, bool]:
    if stream is None:
        return b"", False
    parts: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > cap:
            return b"".join(parts), True
        parts.append(chunk)
    return b"".join(parts), False


def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is sslyze and nothing else
            else:  # Windows: no process groups from start_new_session
                process.kill()


def sslyze_command(endpoint: Endpoint, ca_file: Path | None, python: str = sys.executable) -> tuple[str, ...]:
    """The command line of one scan."""
    command = [python, "-m", "sslyze", "--json_out=-", "--mozilla_config=disable", *COMMANDS]
    if ca_file is not None:
        command += ["--certinfo_ca_file", str(ca_file)]
    return (*command, str(endpoint))


async def run_sslyze(endpoint: Endpoint, *, ca_file: Path | None, cap_s: float = SCAN_CAP_S,
                     python: str = sys.executable) -> ScanRun:
    """Scan ``endpoint`` with sslyze in a subprocess, killed after ``cap_s`` seconds."""
    command = sslyze_command(endpoint, ca_file, python)
    started = time.monotonic()

    def elapsed() -> float:
        return round(time.monotonic() - started, 2)

    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        return ScanRun(None, f"sslyze could not start: {exc}", elapsed(), command)
    try:
        async with asyncio.timeout(cap_s):
            (out, too_big), (err, _) = await asyncio.gather(_read_capped(process.stdout, MAX_OUTPUT),
                                                            _read_capped(process.stderr, 1024 * 1024))
            if too_big:
                _kill(process)
            code = await process.wait()
    except TimeoutError:
        _kill(process)
        await process.wait()
        return ScanRun(None, f"sslyze did not finish within {cap_s:g} s and was stopped", elapsed(), command,
                       timed_out=True)
    finally:
        _kill(process)  # also when the scenario itself is cancelled
    tail = err.decode("utf-8", "replace")[-2000:]
    if too_big:
        return ScanRun(None, f"sslyze wrote more than {MAX_OUTPUT} bytes", elapsed(), command, tail)
    if code != 0:
        last = tail.strip().splitlines()[-1] if tail.strip() else "no message"
        return ScanRun(None, f"sslyze exited with status {code}: {last}", elapsed(), command, tail)
    try:
        document = json.loads(out)
    except ValueError as exc:
        return ScanRun(None, f"sslyze wrote no readable JSON: {exc}", elapsed(), command, tail)
    if not isinstance(document, dict):
        return ScanRun(None, "sslyze wrote JSON that is not an object", elapsed(), command, tail)
    return ScanRun(document, None, elapsed(), command, tail)


class ScanError(Exception):
    """The scanner's output does not say what is needed (it failed, or its shape is not understood)."""


@dataclass(frozen=True)
class Scan:
    """One server's sslyze results, read from its JSON output."""

    tool: str
    server: str
    attempts: Mapping[str, Any]
    elapsed_s: float | None = None

    def attempt(self, command: str) -> Mapping[str, Any] | None:
        """The raw attempt of ``command``, or None when the output has none."""
        found = self.attempts.get(command)
        return found if isinstance(found, Mapping) else None

    def result(self, command: str) -> Mapping[str, Any] | None:
        """The result of ``command``, or None when sslyze could not run it (or the output lacks it)."""
        attempt = self.attempt(command)
        result = attempt.get("result") if attempt is not None else None
        if attempt is None or attempt.get("status") != "COMPLETED" or not isinstance(result, Mapping):
            return None
        return result

    def error(self, command: str) -> str:
        """Why ``command`` has no result, from sslyze's own report."""
        attempt = self.attempt(command)
        if attempt is None:
            return f"{command}: not in the sslyze output"
        reason = attempt.get("error_reason") or attempt.get("status") or "no result"
        trace = str(attempt.get("error_trace") or "").strip().splitlines()
        return f"{command}: {reason}" + (f" ({trace[-1]})" if trace else "")


def parse_scan(document: Mapping[str, Any], elapsed_s: float | None = None) -> Scan:
    """The scan of the one server in sslyze's JSON ``document``; ScanError when it failed or is not understood."""
    try:
        servers = document["server_scan_results"]
        if not isinstance(servers, list) or len(servers) != 1:
            raise ScanError(f"expected the results of one server, got {len(servers)}")
        server = servers[0]
        location = server.get("server_location") or {}
        name = f"{location.get('hostname')}:{location.get('port')}"
        if server.get("connectivity_status") != "COMPLETED":
            trace = str(server.get("connectivity_error_trace") or "").strip().splitlines()
            raise ScanError(f"sslyze could not connect to {name}: {trace[-1] if trace else 'no reason given'}")
        if server.get("scan_status") != "COMPLETED" or not isinstance(server.get("scan_result"), Mapping):
            raise ScanError(f"sslyze did not complete the scan of {name} ({server.get('scan_status')})")
        tool = f"sslyze {document.get('sslyze_version', '?')}"
        return Scan(tool, name, server["scan_result"], elapsed_s)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ScanError(f"the sslyze output is not in the expected shape ({type(exc).__name__}: {exc})") from exc


# --- judging -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    label: str
    supported: bool | None  # None: sslyze could not tell
    accepted: tuple[Mapping[str, Any], ...]
    error: str | None


def _versions(scan: Scan) -> dict[str, _Version]:
    found = {}
    for command, label in VERSIONS.items():
        result = scan.result(command)
        supported = result.get("is_tls_version_supported") if result is not None else None
        listed = result.get("accepted_cipher_suites") if result is not None else None
        if result is None:
            found[label] = _Version(label, None, (), scan.error(command))
        elif not isinstance(supported, bool) or not isinstance(listed, list):
            found[label] = _Version(label, None, (), f"{command}: not understood")
        else:
            accepted = tuple(a for a in listed if isinstance(a, Mapping))
            found[label] = _Version(label, supported, accepted, None)
    return found


def _suite_name(accepted: Mapping[str, Any]) -> str:
    suite = accepted.get("cipher_suite") or {}
    return str(suite.get("name", "?")) if isinstance(suite, Mapping) else "?"


def _excerpt_versions(versions: Mapping[str, _Version]) -> dict[str, Any]:
    return {v.label: ({"supported": v.supported, "accepted": [_suite_name(a) for a in v.accepted]}
                      if v.error is None else {"error": v.error}) for v in versions.values()}


class _Judge:
    """The verdicts of one scan, in the run's language."""

    def __init__(self, scan: Scan, policy: MozillaIntermediate, say: Say) -> None:
        self.scan, self.policy, self.say = scan, policy, say
        self.versions = _versions(scan)

    def evidence(self, **excerpt: Any) -> dict[str, Any]:
        took = f", {self.scan.elapsed_s:g} s" if self.scan.elapsed_s is not None else ""
        return {"judged_by": f"{self.scan.tool} (subprocess{took})", "scanner_output": excerpt}

    def protocols(self) -> Judgement:
        """SB-TLS-01."""
        evidence = self.evidence(protocols=_excerpt_versions(self.versions))
        legacy = [label for label in _LEGACY if self.versions[label].supported]
        modern = [label for label in ("TLSv1.2", "TLSv1.3") if self.versions[label].supported]
        unknown = [v.error or v.label for v in self.versions.values() if v.supported is None]
        if legacy:
            return failed(self.say("tls01.legacy", versions=", ".join(legacy)), **evidence)
        if unknown:
            return inconclusive(self.say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        if not modern:
            return failed(self.say("tls01.no_modern"), **evidence)
        return passed(self.say("tls01.pass", versions=", ".join(modern)), **evidence)

    def tls13(self) -> Judgement:
        """SB-TLS-02 (the caller makes a failure a WARN)."""
        version = self.versions["TLSv1.3"]
        evidence = self.evidence(protocols={"TLSv1.3": _excerpt_versions(self.versions)["TLSv1.3"]})
        if version.supported is None:
            return inconclusive(self.say("scan.part_failed", problem=version.error), **evidence)
        if version.supported:
            return passed(self.say("tls02.pass", suite=", ".join(_suite_name(a) for a in version.accepted)),
                          **evidence)
        return failed(self.say("tls02.missing"), **evidence)

    def _accepted(self, labels: Sequence[str]) -> list[tuple[str, Mapping[str, Any]]]:
        return [(label, a) for label in labels for a in self.versions[label].accepted]

    def suites(self) -> Judgement:
        """SB-TLS-03."""
        evidence = self.evidence(cipher_suites=_excerpt_versions(self.versions), policy=self.policy.label)
        outside = [f"{_suite_name(a)} ({label})" for label, a in self._accepted((*_LEGACY, "TLSv1.2"))
                   if _suite_name(a) not in self.policy.suites]
        outside += [f"{_suite_name(a)} (TLSv1.3)" for _, a in self._accepted(("TLSv1.3",))
                    if _suite_name(a) not in self.policy.tls13_suites]
        unknown = [v.error for v in self.versions.values() if v.error]
        if outside:
            return failed(self.say("tls03.outside", count=len(outside), suites=", ".join(dict.fromkeys(outside)),
                                   version=self.policy.version), **evidence)
        if unknown:
            return inconclusive(self.say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        names = [f"{_suite_name(a)} ({label})" for label, a in self._accepted(tuple(VERSIONS.values()))]
        return passed(self.say("tls03.pass", suites=", ".join(names) or "-", version=self.policy.version),
                      **evidence)

    def forward_secrecy(self) -> Judgement:
        """SB-TLS-04."""
        evidence = self.evidence(cipher_suites=_excerpt_versions(self.versions),
                                 rule="static key exchange: TLS_RSA_*, TLS_DH_*, TLS_ECDH_*, TLS_PSK_*, SSLv2 suites")
        accepted = self._accepted(tuple(VERSIONS.values()))
        static = list(dict.fromkeys(_suite_name(a) for _, a in accepted if _STATIC.match(_suite_name(a))))
        if static:
            return failed(self.say("tls04.static", suites=", ".join(static)), **evidence)
        unknown = [v.error for v in self.versions.values() if v.error]
        if unknown:
            return inconclusive(self.say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        return passed(self.say("tls04.pass", count=len(accepted)), **evidence)

    def key_exchange(self) -> Judgement:
        """SB-TLS-05: DH ≥ 2048, ECDH ≥ 256, curves within X25519, P-256, P-384."""
        policy, problems, unknown = self.policy, [], []
        curves_result = self.scan.result("elliptic_curves")
        supported: list[str] = []
        if curves_result is None:
            unknown.append(self.scan.error("elliptic_curves"))
        else:
            supported = [curve_name(str(c.get("name"))) for c in curves_result.get("supported_curves") or ()
                         if isinstance(c, Mapping)]
        dh_sizes, ecdh = set(), set()
        for _, accepted in self._accepted(tuple(VERSIONS.values())):
            key = accepted.get("ephemeral_key")
            if not isinstance(key, Mapping):
                continue
            if key.get("type_name") == "DH":
                dh_sizes.add(int(key.get("size") or 0))
            elif key.get("type_name") == "ECDH":
                ecdh.add((curve_name(str(key.get("curve_name") or "?")), int(key.get("size") or 0)))
        bad_curves = sorted({c for c in supported if c not in policy.curves}
                            | {c for c, _ in ecdh if c not in policy.curves})
        if bad_curves:
            problems.append(self.say("tls05.curves", curves=", ".join(bad_curves),
                                     allowed=", ".join(policy.curves)))
        small_dh = sorted(s for s in dh_sizes if s < policy.dh_param_size)
        if small_dh:
            problems.append(self.say("tls05.dh", bits=", ".join(map(str, small_dh)), minimum=policy.dh_param_size))
        # OpenSSL reports X25519 as 253 bits; an allowed curve meets the ECDH size by Mozilla's own list.
        small_ec = sorted(f"{c} ({s} bits)" for c, s in ecdh if c not in policy.curves and s < policy.ecdh_param_size)
        if small_ec:
            problems.append(self.say("tls05.ecdh", curves=", ".join(small_ec), minimum=policy.ecdh_param_size))
        evidence = self.evidence(supported_curves=supported, dh_sizes=sorted(dh_sizes),
                                 ecdh=sorted(f"{c} ({s} bits)" for c, s in ecdh), policy=policy.label)
        if problems:
            return failed("; ".join(problems), **evidence)
        if unknown:
            return inconclusive(self.say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        if dh_sizes:
            return passed(self.say("tls05.pass_dh", curves=", ".join(supported) or "-",
                                   dh=", ".join(map(str, sorted(dh_sizes))), version=policy.version), **evidence)
        return passed(self.say("tls05.pass", curves=", ".join(supported) or "-", version=policy.version), **evidence)

    def vulnerabilities(self) -> list[tuple[Judgement, bool]]:
        """SB-TLS-06: Heartbleed, CCS injection, ROBOT, compression (CRIME), secure renegotiation."""
        say, scan = self.say, self.scan
        problems, unknown, excerpt = [], [], {}
        checks = (("heartbleed", "is_vulnerable_to_heartbleed", True, "tls06.heartbleed"),
                  ("openssl_ccs_injection", "is_vulnerable_to_ccs_injection", True, "tls06.ccs"),
                  ("tls_compression", "supports_compression", True, "tls06.crime"),
                  ("session_renegotiation", "supports_secure_renegotiation", False, "tls06.insecure_reneg"))
        for command, name, bad, key in checks:
            result = scan.result(command)
            value = result.get(name) if result is not None else None
            excerpt[command] = {name: value} if result is not None else {"error": scan.error(command)}
            if not isinstance(value, bool):
                unknown.append(scan.error(command) if result is None else f"{command}: no '{name}'")
            elif value is bad:
                problems.append(say(key))
        robot = scan.result("robot")
        verdict = str(robot.get("robot_result")) if robot is not None else None
        excerpt["robot"] = {"robot_result": verdict} if robot is not None else {"error": scan.error("robot")}
        parts: list[tuple[Judgement, bool]] = []
        if verdict == "VULNERABLE_STRONG_ORACLE":
            problems.append(say("tls06.robot"))
        elif verdict == "VULNERABLE_WEAK_ORACLE":
            parts.append((failed(say("tls06.robot_weak"), **self.evidence(robot=excerpt["robot"])), True))
        elif verdict not in ("NOT_VULNERABLE_NO_ORACLE", "NOT_VULNERABLE_RSA_NOT_SUPPORTED"):
            unknown.append(scan.error("robot") if robot is None else f"robot: {verdict}")
        evidence = self.evidence(**excerpt)
        if problems:
            main = failed(say("tls06.vulnerable", problems=", ".join(problems)), **evidence)
        elif unknown:
            main = inconclusive(say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        else:
            main = passed(say("tls06.pass"), **evidence)
        return [(main, False), *parts]

    def downgrade(self) -> Judgement:
        """SB-TLS-07: TLS_FALLBACK_SCSV when more than one version is offered; extended master secret."""
        offered = [v.label for v in self.versions.values() if v.supported]
        fallback, ems = self.scan.result("tls_fallback_scsv"), self.scan.result("tls_extended_master_secret")
        scsv = fallback.get("supports_fallback_scsv") if fallback is not None else None
        has_ems = ems.get("supports_ems_extension") if ems is not None else None
        evidence = self.evidence(versions_offered=offered,
                                 tls_fallback_scsv={"supports_fallback_scsv": scsv} if fallback is not None
                                 else {"error": self.scan.error("tls_fallback_scsv")},
                                 tls_extended_master_secret={"supports_ems_extension": has_ems} if ems is not None
                                 else {"error": self.scan.error("tls_extended_master_secret")})
        problems, unknown = [], []
        if len(offered) > 1:
            if scsv is False:
                problems.append(self.say("tls07.scsv", versions=", ".join(offered)))
            elif scsv is None:
                unknown.append(self.scan.error("tls_fallback_scsv"))
        if has_ems is False:
            problems.append(self.say("tls07.ems"))
        elif has_ems is None:
            unknown.append(self.scan.error("tls_extended_master_secret"))
        if problems:
            return failed(self.say("tls07.fail", problems="; ".join(problems)), **evidence)
        if unknown:
            return inconclusive(self.say("scan.part_failed", problem="; ".join(unknown)), **evidence)
        return passed(self.say("tls07.pass" if scsv else "tls07.pass_one_version"), **evidence)

    def renegotiation(self) -> Judgement:
        """SB-TLS-08: client-initiated renegotiation refused."""
        result = self.scan.result("session_renegotiation")
        if result is None or not isinstance(result.get("is_vulnerable_to_client_renegotiation_dos"), bool):
            return inconclusive(self.say("scan.part_failed", problem=self.scan.error("session_renegotiation")),
                                **self.evidence(session_renegotiation=None))
        shown = {k: result.get(k) for k in ("is_vulnerable_to_client_renegotiation_dos",
                                            "client_renegotiations_success_count")}
        evidence = self.evidence(session_renegotiation=shown)
        if result["is_vulnerable_to_client_renegotiation_dos"]:
            return failed(self.say("tls08.fail", count=result.get("client_renegotiations_success_count", "?")),
                          **evidence)
        return passed(self.say("tls08.pass"), **evidence)

    def early_data(self) -> Judgement:
        """SB-TLS-09 (the caller makes a failure a WARN)."""
        result = self.scan.result("tls_1_3_early_data")
        if result is None or not isinstance(result.get("supports_early_data"), bool):
            return inconclusive(self.say("scan.part_failed", problem=self.scan.error("tls_1_3_early_data")),
                                **self.evidence(tls_1_3_early_data=None))
        evidence = self.evidence(tls_1_3_early_data={"supports_early_data": result["supports_early_data"]})
        if result["supports_early_data"]:
            return failed(self.say("tls09.fail"), **evidence)
        return passed(self.say("tls09.pass"), **evidence)

    def _deployments(self) -> list[Mapping[str, Any]]:
        result = self.scan.result("certificate_info")
        if result is None:
            raise ScanError(self.scan.error("certificate_info"))
        deployments = [d for d in result.get("certificate_deployments") or () if isinstance(d, Mapping)]
        if not deployments:
            raise ScanError("sslyze found no certificate deployment")
        return deployments

    def path_validation(self) -> list[dict[str, Any]]:
        """Each deployment's validation against each of sslyze's trust stores (reported separately)."""
        shown = []
        for number, deployment in enumerate(self._deployments(), 1):
            for item in deployment.get("path_validation_results") or ():
                store = item.get("trust_store") or {}
                shown.append({"deployment": number, "trust_store": f"{store.get('name')} {store.get('version')}",
                              "validated": bool(item.get("was_validation_successful")),
                              **({"error": item.get("validation_error")} if item.get("validation_error") else {})})
        return shown

    def mozilla_trust(self, host: str) -> Judgement:
        """SB-CERT-01 when the target gives no tls.ca_file: every deployment validates against Mozilla NSS."""
        shown = self.path_validation()
        mozilla = [s for s in shown if s["trust_store"].startswith("Mozilla ")]
        evidence = self.evidence(path_validation_results=shown, hostname=host)
        if not mozilla:
            return inconclusive(self.say("scan.part_failed", problem="no Mozilla NSS validation in the output"),
                                **evidence)
        store = mozilla[0]["trust_store"]
        refused = [f"{s.get('error')}" for s in mozilla if not s["validated"]]
        if refused:
            return failed(self.say("cert01.fail", host=host, trust=f"Mozilla NSS ({store})",
                                   problem="; ".join(refused)), **evidence)
        return passed(self.say("cert01.pass", host=host, trust=f"Mozilla NSS ({store})"), **evidence)

    def served_chains(self) -> list[tuple[str, list[str], dict[str, Any]]]:
        """Each deployment's received chain: where it was seen, its PEM certificates, and sslyze's view of it."""
        chains = []
        for number, deployment in enumerate(self._deployments(), 1):
            pems = [str(c.get("as_pem")) for c in deployment.get("received_certificate_chain") or ()
                    if isinstance(c, Mapping) and c.get("as_pem")]
            view = {k: deployment.get(k) for k in ("received_chain_has_valid_order",
                                                   "received_chain_contains_anchor_certificate",
                                                   "verified_chain_has_sha1_signature")}
            chains.append((f"sslyze, certificate deployment {number}", pems, view))
        return chains

    def stapling(self, chains: Sequence[ServedChain]) -> Judgement:
        """SB-CERT-05 (the caller makes a failure a WARN): every deployment staples a trusted OCSP response."""
        problems: list[str] = []
        shown: list[dict[str, Any]] = []
        for number, deployment in enumerate(self._deployments(), 1):
            response = deployment.get("ocsp_response")
            trusted = deployment.get("ocsp_response_is_trusted")
            shown.append({"deployment": number, "ocsp_response": response, "ocsp_response_is_trusted": trusted})
            if not isinstance(response, Mapping):
                problems.append(self.say("cert05.missing"))
            elif response.get("response_status") != "SUCCESSFUL":
                problems.append(self.say("cert05.status", status=response.get("response_status")))
            elif response.get("certificate_status") != "GOOD":
                problems.append(self.say("cert05.status", status=response.get("certificate_status")))
            elif trusted is not True:
                problems.append(self.say("cert05.untrusted"))
        evidence = self.evidence(ocsp=shown, leaf=[c.leaf.subject.rfc4514_string() for c in chains])
        if problems:
            return failed("; ".join(dict.fromkeys(problems)), **evidence)
        first = shown[0]["ocsp_response"]
        return passed(self.say("cert05.pass", next=first.get("next_update") if isinstance(first, Mapping) else "?"),
                      **evidence)


def _guard(rid: str, make: Any, say: Say, *, warning: bool = False) -> Iterator[Verdict]:
    """The verdicts ``make()`` gives, or one inconclusive verdict when the output does not say enough."""
    try:
        produced = make()
    except (ScanError, KeyError, TypeError, ValueError, AttributeError) as exc:
        yield Verdict(rid, inconclusive(say("scan.unreadable", problem=f"{type(exc).__name__}: {exc}")))
        return
    for judgement, warn in produced if isinstance(produced, list) else [(produced, warning)]:
        yield Verdict(rid, judgement, warning=warn and judgement.outcome is Outcome.FAIL)


def judge_scan(scan: Scan, policy: MozillaIntermediate, say: Say) -> dict[str, list[Verdict]]:
    """Verdicts of the ids a scan judges alone: SB-TLS-01…09 (SB-TLS-02 and 09 failures as WARN)."""
    try:
        judge = _Judge(scan, policy, say)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = inconclusive(say("scan.unreadable", problem=f"{type(exc).__name__}: {exc}"))
        return {rid: [Verdict(rid, problem)] for rid in ("SB-TLS-01", "SB-TLS-02", "SB-TLS-03", "SB-TLS-04",
                                                           "SB-TLS-05", "SB-TLS-06", "SB-TLS-07", "SB-TLS-08",
                                                           "SB-TLS-09")}
    made = {
        "SB-TLS-01": list(_guard("SB-TLS-01", judge.protocols, say)),
        "SB-TLS-02": list(_guard("SB-TLS-02", judge.tls13, say, warning=True)),
        "SB-TLS-03": list(_guard("SB-TLS-03", judge.suites, say)),
        "SB-TLS-04": list(_guard("SB-TLS-04", judge.forward_secrecy, say)),
        "SB-TLS-05": list(_guard("SB-TLS-05", judge.key_exchange, say)),
        "SB-TLS-06": list(_guard("SB-TLS-06", judge.vulnerabilities, say)),
        "SB-TLS-07": list(_guard("SB-TLS-07", judge.downgrade, say)),
        "SB-TLS-08": list(_guard("SB-TLS-08", judge.renegotiation, say)),
        "SB-TLS-09": list(_guard("SB-TLS-09", judge.early_data, say, warning=True)),
    }
    return made


def judge_mozilla_trust(scan: Scan, policy: MozillaIntermediate, say: Say, host: str) -> list[Verdict]:
    """SB-CERT-01 from sslyze's Mozilla NSS validation (when the target gives no tls.ca_file)."""
    return list(_guard("SB-CERT-01", lambda: _Judge(scan, policy, say).mozilla_trust(host), say))


def judge_stapling(scan: Scan, policy: MozillaIntermediate, say: Say, chains: Sequence[ServedChain]) -> list[Verdict]:
    """SB-CERT-05 from sslyze's certificate deployments (a failure is a WARN)."""
    return list(_guard("SB-CERT-05", lambda: _Judge(scan, policy, say).stapling(chains), say, warning=True))


def scan_chains(scan: Scan, policy: MozillaIntermediate, say: Say) -> list[tuple[str, list[str], dict[str, Any]]]:
    """The chains sslyze was served (empty when its output has none)."""
    try:
        return _Judge(scan, policy, say).served_chains()
    except (ScanError, KeyError, TypeError, ValueError, AttributeError):
        return []


def scan_path_validation(scan: Scan, policy: MozillaIntermediate, say: Say) -> list[dict[str, Any]]:
    """sslyze's validation results per trust store, for evidence (empty when its output has none)."""
    try:
        return _Judge(scan, policy, say).path_validation()
    except (ScanError, KeyError, TypeError, ValueError, AttributeError):
        return []
