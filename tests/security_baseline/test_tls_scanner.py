"""The sslyze boundary: recorded outputs for what OpenSSL 3 cannot serve, malformed outputs, the cap, the licence.

The verdict on a live target always comes from a live scan (``test_tls_checks.py``); these tests prove
the detection logic on recorded scanner output, as the standard's precise rules ask.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.live import Verdict
from conformance.registry import Judgement
from conformance_profiles.security_baseline.tls_certs import ServedChain
from conformance_profiles.security_baseline.tls_policy import mozilla_intermediate
from conformance_profiles.security_baseline.tls_probe import Endpoint
from conformance_profiles.security_baseline.tls_scanner import (
    Scan,
    ScanError,
    judge_mozilla_trust,
    judge_scan,
    judge_stapling,
    parse_scan,
    run_sslyze,
    scan_chains,
    scanner_available,
)
from conformance_profiles.security_baseline.tls_text import speaker

DATA = Path(__file__).parent / "data"
SAY = speaker("en")
POLICY = mozilla_intermediate()
SCANNED = tuple(f"SB-TLS-0{n}" for n in range(1, 10))
needs_sslyze = pytest.mark.skipif(not scanner_available(), reason="the 'tls' extra (sslyze) is not installed")


def load(name: str) -> dict[str, Any]:
    """A recorded output as a JSON document."""
    document: dict[str, Any] = json.loads((DATA / f"sslyze-{name}.json").read_text("utf-8"))
    return document


def attempts(document: dict[str, Any]) -> dict[str, Any]:
    """The scan commands of the one server in ``document``."""
    result: dict[str, Any] = document["server_scan_results"][0]["scan_result"]
    return result


def judged(document: dict[str, Any]) -> dict[str, list[Verdict]]:
    """The verdicts of a document."""
    return judge_scan(parse_scan(document, 1.2), POLICY, SAY)


def shown(verdicts: list[Verdict]) -> list[str]:
    """Outcomes, ``warn`` for a failed WARN part."""
    return ["warn" if v.warning else v.judgement.outcome.value for v in verdicts if isinstance(v.judgement, Judgement)]


def message(verdicts: list[Verdict]) -> str:
    """The first verdict's message."""
    first = verdicts[0].judgement
    assert isinstance(first, Judgement)
    return first.message


def with_result(document: dict[str, Any], command: str, result: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` where ``command`` completed with ``result``."""
    changed = copy.deepcopy(document)
    attempts(changed)[command].update(status="COMPLETED", error_reason=None, error_trace=None, result=result)
    return changed


@needs_sslyze
def test_the_recorded_outputs_are_in_sslyzes_own_schema() -> None:
    files = sorted(str(p) for p in DATA.glob("sslyze-*.json"))
    assert len(files) == 6
    check = ("import sys\nfrom sslyze.json.json_output import SslyzeOutputAsJson\n"
             "for path in sys.argv[1:]:\n"
             "    SslyzeOutputAsJson.model_validate_json(open(path, encoding='utf-8').read())\n")
    # sslyze is imported in a child process only: the product and its tests stay free of AGPL code.
    done = subprocess.run([sys.executable, "-c", check, *files], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_clean_server_passes_every_scanned_requirement() -> None:
    verdicts = judged(load("clean"))
    assert {rid: shown(v) for rid, v in verdicts.items()} == {rid: ["pass"] for rid in SCANNED}
    evidence = verdicts["SB-TLS-06"][0].judgement
    assert isinstance(evidence, Judgement)
    assert evidence.evidence["judged_by"] == "sslyze 6.3.1 (subprocess, 1.2 s)"
    assert evidence.evidence["scanner_output"]["robot"] == {"robot_result": "NOT_VULNERABLE_RSA_NOT_SUPPORTED"}


@pytest.mark.parametrize(("rid", "outcome", "texts"), [
    ("SB-TLS-01", "fail", ["SSLv2, SSLv3, TLSv1.0, TLSv1.1"]),
    ("SB-TLS-02", "warn", ["TLS 1.3 is not supported"]),
    ("SB-TLS-03", "fail", ["SSL_CK_RC4_128_WITH_MD5 (SSLv2)", "TLS_RSA_WITH_3DES_EDE_CBC_SHA (SSLv3)",
                           "TLS_RSA_WITH_AES_128_CBC_SHA (TLSv1.2)"]),
    ("SB-TLS-04", "fail", ["SSL_CK_RC4_128_WITH_MD5", "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"]),
    ("SB-TLS-05", "fail", ["curves P-521", "DH groups of 1024 bits"]),
    ("SB-TLS-06", "fail", ["Heartbleed (CVE-2014-0160)", "CCS injection (CVE-2014-0224)", "ROBOT with a strong oracle",
                           "TLS compression (CRIME)", "no secure renegotiation (RFC 5746)"]),
    ("SB-TLS-07", "fail", ["TLS_FALLBACK_SCSV is ignored", "no extended master secret"]),
    ("SB-TLS-08", "fail", ["10 accepted in a row"]),
    ("SB-TLS-09", "pass", ["not accepted"]),
])
def test_a_vulnerable_server_fails_each_requirement_for_the_right_reason(rid: str, outcome: str,
                                                                        texts: list[str]) -> None:
    verdicts = judged(load("vulnerable"))[rid]
    assert shown(verdicts)[0] == outcome
    for text in texts:
        assert text in message(verdicts)


@pytest.mark.parametrize(("command", "result", "named"), [
    ("heartbleed", {"is_vulnerable_to_heartbleed": True}, "Heartbleed"),
    ("openssl_ccs_injection", {"is_vulnerable_to_ccs_injection": True}, "CCS injection"),
    ("robot", {"robot_result": "VULNERABLE_STRONG_ORACLE"}, "ROBOT with a strong oracle"),
    ("tls_compression", {"supports_compression": True}, "CRIME"),
    ("session_renegotiation", {"supports_secure_renegotiation": False, "client_renegotiations_success_count": 0,
                               "is_vulnerable_to_client_renegotiation_dos": False}, "no secure renegotiation"),
], ids=["heartbleed", "ccs", "robot", "crime", "insecure-renegotiation"])
def test_each_known_vulnerability_alone_fails_tls06(command: str, result: dict[str, Any], named: str) -> None:
    verdicts = judged(with_result(load("clean"), command, result))
    assert shown(verdicts["SB-TLS-06"]) == ["fail"]
    assert message(verdicts["SB-TLS-06"]) == f"the server is vulnerable: {SAY(_KEYS[named])}"
    assert all(shown(v) == ["pass"] for rid, v in verdicts.items() if rid not in ("SB-TLS-06", "SB-TLS-08"))


_KEYS = {"Heartbleed": "tls06.heartbleed", "CCS injection": "tls06.ccs", "ROBOT with a strong oracle": "tls06.robot",
         "CRIME": "tls06.crime", "no secure renegotiation": "tls06.insecure_reneg"}


def test_early_data_and_a_weak_robot_oracle_are_warnings() -> None:
    verdicts = judged(load("early-data-weak-robot"))
    assert shown(verdicts["SB-TLS-09"]) == ["warn"]
    assert "documented replay protection" in message(verdicts["SB-TLS-09"])
    assert shown(verdicts["SB-TLS-06"]) == ["pass", "warn"]  # a WARN part under an L1 requirement
    weak = verdicts["SB-TLS-06"][1].judgement
    assert isinstance(weak, Judgement) and "weak Bleichenbacher oracle" in weak.message


def test_scan_commands_that_failed_make_their_requirements_inconclusive() -> None:
    verdicts = judged(load("command-errors"))
    assert shown(verdicts["SB-TLS-06"]) == ["inconclusive"]
    assert "robot: CONNECTIVITY_ISSUE (sslyze.errors.ServerRejectedConnection" in message(verdicts["SB-TLS-06"])
    assert shown(verdicts["SB-TLS-05"]) == ["inconclusive"]
    assert all(shown(verdicts[rid]) == ["pass"] for rid in SCANNED if rid not in ("SB-TLS-05", "SB-TLS-06"))


def test_inconsistent_robot_results_decide_nothing() -> None:
    verdicts = judged(with_result(load("clean"), "robot", {"robot_result": "UNKNOWN_INCONSISTENT_RESULTS"}))
    assert shown(verdicts["SB-TLS-06"]) == ["inconclusive"]
    assert "robot: UNKNOWN_INCONSISTENT_RESULTS" in message(verdicts["SB-TLS-06"])


def test_fallback_scsv_is_needed_only_when_several_versions_are_offered() -> None:
    clean = with_result(load("clean"), "tls_fallback_scsv", {"supports_fallback_scsv": False})
    assert shown(judged(clean)["SB-TLS-07"]) == ["fail"]
    only13 = copy.deepcopy(clean)
    attempts(only13)["tls_1_2_cipher_suites"]["result"].update(is_tls_version_supported=False,
                                                               accepted_cipher_suites=[])
    verdicts = judged(only13)
    assert shown(verdicts["SB-TLS-07"]) == ["pass"]
    assert "TLS_FALLBACK_SCSV is not needed" in message(verdicts["SB-TLS-07"])
    assert shown(verdicts["SB-TLS-01"]) == ["pass"] and shown(verdicts["SB-TLS-04"]) == ["pass"]


def test_a_scan_without_connectivity_is_an_error_of_the_scan_not_a_verdict() -> None:
    with pytest.raises(ScanError, match=r"could not connect to 127\.0\.0\.1:.*Server rejected the connection"):
        parse_scan(load("no-connectivity"))


@pytest.mark.parametrize("document", [
    {}, {"server_scan_results": "x"}, {"server_scan_results": []}, {"server_scan_results": [{}, {}]},
    {"server_scan_results": [{"connectivity_status": "COMPLETED", "scan_status": "COMPLETED", "scan_result": None}]},
    {"server_scan_results": [None]},
], ids=["empty", "not-a-list", "no-server", "two-servers", "no-result", "null-server"])
def test_outputs_of_the_wrong_shape_are_scan_errors(document: dict[str, Any]) -> None:
    with pytest.raises(ScanError):
        parse_scan(document)


def _mangle(value: Any, rng: random.Random) -> Any:
    """``value`` with some nested values replaced by the wrong type or removed."""
    if isinstance(value, dict):
        mangled = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < 0.03:
                continue
            mangled[key] = rng.choice([None, 7, "x", [], {}]) if roll < 0.06 else _mangle(item, rng)
        return mangled
    if isinstance(value, list):
        return [_mangle(item, rng) for item in value]
    return value


@pytest.mark.parametrize("seed", range(40))
def test_a_mangled_output_gives_verdicts_never_a_crash(seed: int) -> None:
    document = _mangle(load("vulnerable" if seed % 2 else "clean"), random.Random(seed))
    try:
        scan = parse_scan(document)
    except ScanError:
        return
    verdicts = judge_scan(scan, POLICY, SAY)
    assert set(verdicts) == set(SCANNED)
    for made in verdicts.values():
        assert made and all(isinstance(v.judgement, Judgement) for v in made)


def _scan(name: str) -> Scan:
    return parse_scan(load(name))


def _chains(name: str) -> list[ServedChain]:
    from cryptography import x509
    return [ServedChain(seen_by, tuple(x509.load_pem_x509_certificate(p.encode()) for p in pems), True, view)
            for seen_by, pems, view in scan_chains(_scan(name), POLICY, SAY)]


def test_without_ca_file_trust_is_mozilla_nss_reported_per_store() -> None:
    public = judge_mozilla_trust(_scan("public-ocsp-stapled"), POLICY, SAY, "127.0.0.1")
    assert shown(public) == ["pass"] and "Mozilla NSS" in message(public)
    private = judge_mozilla_trust(_scan("clean"), POLICY, SAY, "127.0.0.1")
    assert shown(private) == ["fail"]
    stores = private[0].judgement.evidence["scanner_output"]["path_validation_results"]  # type: ignore[union-attr]
    assert {s["trust_store"].split()[0] for s in stores} >= {"Mozilla", "Supplied", "Apple", "Windows"}
    assert next(s for s in stores if s["trust_store"].startswith("Supplied"))["validated"] is True


def test_ocsp_stapling_from_the_scan() -> None:
    stapled = judge_stapling(_scan("public-ocsp-stapled"), POLICY, SAY, _chains("public-ocsp-stapled"))
    assert shown(stapled) == ["pass"] and "next update 2026-12-06" in message(stapled)
    missing = judge_stapling(_scan("clean"), POLICY, SAY, _chains("clean"))
    assert shown(missing) == ["warn"] and message(missing) == "no OCSP response is stapled"
    revoked = load("public-ocsp-stapled")
    deployment = attempts(revoked)["certificate_info"]["result"]["certificate_deployments"][0]
    deployment["ocsp_response"]["certificate_status"] = "REVOKED"
    said = judge_stapling(parse_scan(revoked), POLICY, SAY, _chains("clean"))
    assert shown(said) == ["warn"] and "REVOKED" in message(said)


def test_the_served_chains_and_sslyzes_view_of_them() -> None:
    chains = scan_chains(_scan("clean"), POLICY, SAY)
    assert len(chains) == 1
    seen_by, pems, view = chains[0]
    assert seen_by == "sslyze, certificate deployment 1" and len(pems) == 1
    assert view["received_chain_has_valid_order"] is True


def test_the_product_never_imports_sslyze() -> None:
    check = ("import sys\nimport conformance_profiles.security_baseline.tls_checks\n"
             "import conformance_profiles.security_baseline.tls_scanner as s\n"
             "s.scanner_available()\nassert 'sslyze' not in sys.modules, 'sslyze was imported'\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_scanner_that_cannot_start_is_reported() -> None:
    run = asyncio.run(run_sslyze(Endpoint("127.0.0.1", 9), ca_file=None, python="/nonexistent/python"))
    assert run.document is None and run.problem is not None and "could not start" in run.problem


@needs_sslyze
def test_the_scan_of_a_silent_server_is_killed_at_the_cap() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # listens, never accepts, never answers
        started = time.monotonic()
        run = asyncio.run(run_sslyze(Endpoint("127.0.0.1", silent.getsockname()[1]), ca_file=None, cap_s=3))
        elapsed = time.monotonic() - started
    assert run.timed_out and run.document is None
    assert run.problem == "sslyze did not finish within 3 s and was stopped"
    assert elapsed < 15


def test_every_message_the_tls_checks_say_exists_in_english_and_vietnamese() -> None:
    folder = Path(__file__).parents[2] / "profiles" / "security_baseline"
    catalogue = yaml.safe_load((folder / "tls_messages.yaml").read_text("utf-8"))
    used = set()
    for module in folder.glob("tls_*.py"):
        used |= set(re.findall(r"""say\(\s*["']([a-z0-9_.]+)["']""", module.read_text("utf-8")))
    used |= {"tls06.heartbleed", "tls06.ccs", "tls06.crime", "tls06.insecure_reneg",  # named in a table
             "tls07.pass_one_version"}  # chosen by a conditional expression
    assert used - set(catalogue) == set()
    assert set(catalogue) - used == set()
    for key, entry in catalogue.items():
        assert entry.get("en") and entry.get("vi"), key
        assert sorted(re.findall(r"{(\w+)}", entry["en"])) == sorted(re.findall(r"{(\w+)}", entry["vi"])), key
