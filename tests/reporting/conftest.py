"""Example reports for the writer tests: each is a valid ``conformance-report/1`` document."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from conformance.reporting.json_writer import validate_report

OUTCOMES = ("pass", "fail", "inconclusive", "error", "not-applicable")
LEVELS = ("mandatory", "recommended", "optional")
_SEVERITY = {"not-applicable": 0, "pass": 1, "inconclusive": 2, "error": 3, "fail": 4}

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_SUBJECT = f"samples/{HOSTILE_SCRIPT}.edxml"
HOSTILE_MESSAGE = f"PromulgationDate ']]>{HOSTILE_SCRIPT}' is not a real date\x01 (line 12)"
LONG_VALUE = "A" * 5000

CATALOGUE: list[dict[str, Any]] = [
    {
        "id": "EDX-01",
        "profile": "edxml",
        "level": "mandatory",
        "feature": None,
        "title": {"en": "The package is well-formed XML", "vi": "Gói tin là XML hợp lệ về cú pháp"},
        "clause": "QCVN 102:2016/BTTTT, 2.1",
    },
    {
        "id": "EDX-08",
        "profile": "edxml",
        "level": "mandatory",
        "feature": None,
        "title": {"en": "PromulgationDate is a real date", "vi": "Ngày ban hành là một ngày có thật"},
        "clause": "QCVN 102:2016/BTTTT, 2.2.3",
    },
    {
        "id": "EDX-12",
        "profile": "edxml",
        "level": "recommended",
        "feature": None,
        "title": {"en": "The subject line is at most 500 characters", "vi": "Trích yếu không quá 500 ký tự"},
        "clause": "QCVN 102:2016/BTTTT, 2.2.5",
    },
    # English title only: the Vietnamese page falls back to it.
    {
        "id": "EDX-20",
        "profile": "edxml",
        "level": "optional",
        "feature": "edxml.signature",
        "title": {"en": "The XML signature verifies"},
        "clause": "QCVN 102:2016/BTTTT, 2.4",
    },
    {
        "id": "SB-TLS-01",
        "profile": "security-baseline",
        "level": "mandatory",
        "feature": None,
        "title": {"en": "Only TLS 1.2 or later is offered", "vi": "Chỉ chấp nhận TLS 1.2 trở lên"},
        "clause": "TCVN 11930:2017, 8.2",
    },
    {
        "id": "SB-HTTP-01",
        "profile": "security-baseline",
        "level": "recommended",
        "feature": None,
        "title": {"en": "Plain HTTP redirects to HTTPS", "vi": "HTTP chuyển hướng sang HTTPS"},
        "clause": "TCVN 11930:2017, 8.3",
    },
]
PROFILES = [
    {"id": "edxml", "version": "1.0.0", "title": "edXML e-document packages"},
    {"id": "security-baseline", "version": "0.3.0", "title": "Security baseline"},
]
_LEVEL_OF = {e["id"]: e["level"] for e in CATALOGUE}
_PROFILE_OF = {e["id"]: e["profile"] for e in CATALOGUE}


def result(
    requirement: str,
    outcome: str,
    subject: str,
    message: str = "",
    evidence: Mapping[str, Any] | None = None,
    duration_ms: float = 12.5,
) -> dict[str, Any]:
    """One result in its ``report.json`` form."""
    return {
        "requirement": requirement,
        "profile": _PROFILE_OF[requirement],
        "level": _LEVEL_OF[requirement],
        "outcome": outcome,
        "subject": subject,
        "message": message or f"{requirement} {outcome}",
        "evidence": dict(evidence or {}),
        "duration_ms": duration_ms,
    }


def _zero() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


def build_report(
    results: list[dict[str, Any]],
    *,
    lang: str = "en",
    command: str = "run",
    listing: str = "all",
    claims: Iterable[str] = (),
    unlisted: Mapping[str, Mapping[str, int]] | None = None,
    untested: Mapping[str, str] | None = None,
    subjects: int | None = None,
) -> dict[str, Any]:
    """A report whose summary, verdict and by-requirement table agree with ``results``."""
    claims = list(claims)
    untested = dict(untested or {})
    tallies = {e["id"]: _zero() for e in CATALOGUE}
    for r in results:
        tallies[r["requirement"]][r["outcome"]] += 1
    for req, counts in (unlisted or {}).items():
        for outcome, n in counts.items():
            tallies[req][outcome] += n
    by_requirement: dict[str, Any] = {}
    failed = inconclusive = False
    for entry in CATALOGUE:
        req, level, counts = entry["id"], entry["level"], tallies[entry["id"]]
        if req in untested:
            outcome = "untested"
        else:
            seen = [o for o, n in counts.items() if n]
            outcome = max(seen, key=_SEVERITY.__getitem__) if seen else "untested"
        decides = level == "mandatory" or (
            level == "optional"
            and (entry["feature"] in claims or any(n for o, n in counts.items() if o != "not-applicable"))
        )
        if decides:
            failed |= outcome == "fail"
            inconclusive |= outcome in ("inconclusive", "error", "untested")
        by_requirement[req] = {
            "profile": entry["profile"],
            "level": level,
            "outcome": outcome,
            "decides": decides,
            "counts": counts,
        }
    by_level = {level: _zero() for level in LEVELS}
    by_outcome = _zero()
    for req, counts in tallies.items():
        for outcome, n in counts.items():
            by_level[_LEVEL_OF[req]][outcome] += n
            by_outcome[outcome] += n
    report = {
        "format": "conformance-report/1",
        "id": "3f2b8c1e-9a4d-4e2f-8b1a-0c5d6e7f8a9b",
        "created": "2025-03-01T02:03:04Z",
        "tool": {"name": "lienthong-conformance", "version": "0.1.0"},
        "command": command,
        "lang": lang,
        "clock": "2025-03-01T09:03:04+07:00",
        "profiles": [dict(p) for p in PROFILES],
        "target": {
            "vendor": "Công ty Phần mềm Ví dụ",
            "product": "eDoc Hub",
            "version": "2.4.1",
            "base_url": "https://127.0.0.1:8443",
        },
        "claims": claims,
        "verdict": "non-conformant" if failed else "inconclusive" if inconclusive else "conformant",
        "summary": {
            "subjects": subjects if subjects is not None else len({r["subject"] for r in results}),
            "results": sum(by_outcome.values()),
            "by_outcome": by_outcome,
            "by_level": by_level,
            "by_requirement": by_requirement,
            "untested": list(untested),
            "untested_reasons": untested,
            "warnings": sum(1 for e in CATALOGUE if e["level"] == "recommended" and tallies[e["id"]]["fail"]),
        },
        "requirements": [dict(e) for e in CATALOGUE],
        "listing": listing,
        "results": results,
        "reproduce": {
            "command": "conformance run -t target.yaml -p edxml --seed 42 --now 2025-03-01T09:03:04+07:00",
            "seed": 42,
        },
    }
    assert validate_report(report) == [], validate_report(report)
    return report


@pytest.fixture
def make_report() -> Callable[..., dict[str, Any]]:
    """The report builder, for tests that need a report of their own."""
    return build_report


@pytest.fixture
def make_result() -> Callable[..., dict[str, Any]]:
    """The result builder."""
    return result


@pytest.fixture
def conformant_report() -> dict[str, Any]:
    """Everything passes; the unclaimed signature requirement is not applicable. In Vietnamese."""
    results = [result(req, "pass", f"samples/ok-{i}.edxml") for i in range(3) for req in ("EDX-01", "EDX-08")]
    results += [
        result("EDX-12", "pass", "samples/ok-0.edxml"),
        result("EDX-20", "not-applicable", "samples/ok-0.edxml", "no signature in the package"),
        result("SB-TLS-01", "pass", "https://127.0.0.1:8443", evidence={"protocol": "TLSv1.3"}),
        result("SB-HTTP-01", "pass", "http://127.0.0.1:8080"),
    ]
    report = build_report(results, lang="vi")
    assert report["verdict"] == "conformant"
    return report


@pytest.fixture
def nonconformant_report() -> dict[str, Any]:
    """Many results of every outcome, with hostile strings in messages, subjects and evidence."""
    results = [result("EDX-01", "pass", f"samples/doc-{i:03}.edxml", duration_ms=3.25) for i in range(40)]
    results.append(
        result(
            "EDX-08",
            "fail",
            HOSTILE_SUBJECT,
            HOSTILE_MESSAGE,
            evidence={
                "findings": [
                    {
                        "message": f"bad date {HOSTILE_SCRIPT}",
                        "path": "/edXML/PromulgationDate",
                        "line": 12,
                        "value": "2014/02/30]]>\x01",
                    },
                    {"message": "a very long value", "path": "/edXML/Subject", "value": LONG_VALUE},
                ],
                "omitted_findings": 7,
                "response": {"status": 500, "body": f"</pre>{HOSTILE_SCRIPT}]]>\x01"},
            },
            duration_ms=1500.0,
        )
    )
    results.append(
        result(
            "EDX-08",
            "fail",
            "samples/doc-001.edxml",
            "PromulgationDate '2014/02/30' is not a real date",
            evidence={"findings": [{"message": "not a real date", "line": 3}]},
        )
    )
    results += [result("EDX-08", "pass", f"samples/doc-{i:03}.edxml") for i in range(2, 10)]
    results.append(
        result(
            "EDX-12",
            "fail",
            "samples/doc-002.edxml",
            "Subject has 812 characters",
            evidence={"findings": [{"message": "812 > 500", "path": "/edXML/Subject"}]},
        )
    )
    results.append(
        result(
            "EDX-20",
            "error",
            "samples/doc-003.edxml",
            "check crashed: KeyError 'ds'",
            evidence={"traceback": "Traceback (most recent call last):\n  KeyError: 'ds'"},
        )
    )
    results.append(
        result(
            "SB-TLS-01",
            "inconclusive",
            "https://127.0.0.1:8443",
            "handshake timed out after 10 s",
            evidence={"timeout_s": 10},
        )
    )
    results.append(result("SB-HTTP-01", "not-applicable", "target", "no http_url in the target file"))
    report = build_report(results, lang="en")
    assert report["verdict"] == "non-conformant"
    return report


@pytest.fixture
def inconclusive_report() -> dict[str, Any]:
    """Nothing failed, but a mandatory requirement went untested and another was inconclusive."""
    results = [
        result("EDX-01", "pass", "samples/a.edxml"),
        result("EDX-08", "inconclusive", "samples/a.edxml", "PromulgationDate missing: cannot judge"),
        result("EDX-20", "not-applicable", "samples/a.edxml"),
        result("SB-HTTP-01", "pass", "target"),
    ]
    report = build_report(
        results,
        untested={
            "SB-TLS-01": "the target file has no TLS endpoint",
            "EDX-12": "no e-document among the subjects",
        },
    )
    assert report["verdict"] == "inconclusive"
    return report


@pytest.fixture
def non_passing_report() -> dict[str, Any]:
    """Bulk validation: only non-passing results are listed; 2000 files are counted."""
    results = [
        result(
            "EDX-08",
            "fail",
            f"corpus/bad-{i}.edxml",
            "PromulgationDate '2014/02/30' is not a real date",
            evidence={"findings": [{"message": "not a real date", "line": 12, "value": "2014/02/30"}]},
        )
        for i in range(3)
    ]
    results.append(result("EDX-01", "inconclusive", "corpus/huge.edxml", "over the 100 MB subject limit"))
    report = build_report(
        results,
        command="validate",
        listing="non-passing",
        subjects=2000,
        unlisted={
            "EDX-01": {"pass": 1999},
            "EDX-08": {"pass": 1996, "not-applicable": 1},
            "EDX-12": {"pass": 2000},
            "EDX-20": {"not-applicable": 2000},
        },
        untested={
            "SB-TLS-01": "offline validation has no TLS endpoint",
            "SB-HTTP-01": "offline validation has no HTTP endpoint",
        },
    )
    assert report["verdict"] == "non-conformant"
    return report


@pytest.fixture(params=["conformant", "nonconformant", "inconclusive", "non_passing"])
def any_report(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each of the example reports in turn."""
    report: dict[str, Any] = request.getfixturevalue(f"{request.param}_report")
    return report
