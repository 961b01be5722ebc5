"""junit.xml: suites per profile, a testcase per listed result and per requirement, correct counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance.reporting import write_reports
from conformance.reporting.junit import write_junit

HOSTILE_SCRIPT = "<script>alert(1)</script>"
OUTCOMES = ("pass", "fail", "inconclusive", "error", "not-applicable")


def parse(report: dict[str, Any], tmp_path: Path) -> Any:
    """The root of the junit.xml written for ``report``, parsed strictly."""
    path = write_junit(report, tmp_path)
    assert path == tmp_path / "junit.xml"
    return etree.fromstring(path.read_bytes(), etree.XMLParser(recover=False, resolve_entities=False))


def props(case: Any) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in case.findall("properties/property")}


def summary_case(root: Any, requirement: str) -> Any:
    (case,) = root.xpath("//testcase[@name=$name]", name=f"{requirement} (all subjects)")
    return case


def test_one_suite_per_profile(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(nonconformant_report, tmp_path)
    assert root.tag == "testsuites"
    assert [s.get("name") for s in root.findall("testsuite")] == ["edxml", "security-baseline"]
    suite_props = props(root.find("testsuite"))
    assert suite_props["profile.version"] == "1.0.0" and suite_props["verdict"] == "non-conformant"
    assert root.find("testsuite").get("timestamp") == "2025-03-01T02:03:04"


def test_one_testcase_per_listed_result_and_per_requirement(
    any_report: dict[str, Any], tmp_path: Path
) -> None:
    root = parse(any_report, tmp_path)
    by_requirement = any_report["summary"]["by_requirement"]
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(any_report["results"]) + len(by_requirement)
    summary_names = [c.get("name") for c in cases if c.get("name").endswith(" (all subjects)")]
    assert sorted(summary_names) == sorted(f"{req} (all subjects)" for req in by_requirement)
    for case in cases:
        p = props(case)
        assert p["requirement"] == case.get("classname").split(".", 1)[1]
        assert p["level"] in ("mandatory", "recommended", "optional")
        assert p["outcome"] in (*OUTCOMES, "untested")


def test_suite_and_total_counts_are_right(any_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(any_report, tmp_path)
    expected: dict[str, dict[str, int]] = {}
    outcomes = [(r["profile"], r["outcome"], r["level"]) for r in any_report["results"]]
    outcomes += [(i["profile"], i["outcome"], i["level"]) for i in any_report["summary"]["by_requirement"].values()]
    for profile, outcome, level in outcomes:
        counts = expected.setdefault(profile, dict.fromkeys(("tests", "failures", "errors", "skipped"), 0))
        warning = outcome == "fail" and level == "recommended"  # never fails a CI gate
        counts["tests"] += 1
        counts["failures"] += outcome == "fail" and not warning
        counts["errors"] += outcome == "error"
        counts["skipped"] += outcome in ("inconclusive", "not-applicable", "untested") or warning
    for suite in root.findall("testsuite"):
        assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == expected[
            suite.get("name")
        ]
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key)) == sum(e[key] for e in expected.values())


def test_nonconformant_counts(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(nonconformant_report, tmp_path)
    # 54 listed results + 6 requirements; fails: 3 results + EDX-08 and EDX-12 overall, but the sample's
    # EDX-12 is recommended, so its result and its summary are warnings (skipped), not failures.
    assert [root.get(k) for k in ("tests", "failures", "errors", "skipped")] == ["60", "3", "2", "6"]


@pytest.mark.parametrize(
    ("classname", "subject", "child", "message"),
    [
        (
            "edxml.EDX-08",
            "samples/doc-001.edxml",
            "failure",
            "PromulgationDate '2014/02/30' is not a real date",
        ),
        ("edxml.EDX-20", "samples/doc-003.edxml", "error", "check crashed: KeyError 'ds'"),
        (
            "security-baseline.SB-TLS-01",
            "https://127.0.0.1:8443",
            "skipped",
            "inconclusive: handshake timed out after 10 s",
        ),
        (
            "security-baseline.SB-HTTP-01",
            "target",
            "skipped",
            "not-applicable: no http_url in the target file",
        ),
    ],
)
def test_outcomes_map_to_junit_elements(
    nonconformant_report: dict[str, Any],
    tmp_path: Path,
    classname: str,
    subject: str,
    child: str,
    message: str,
) -> None:
    root = parse(nonconformant_report, tmp_path)
    (case,) = root.xpath("//testcase[@classname=$c and @name=$s]", c=classname, s=subject)
    elements = [e.tag for e in case if e.tag != "properties"]
    assert elements == [child]
    assert case.find(child).get("message") == message


def test_passes_have_no_failure_and_keep_evidence_in_system_out(
    conformant_report: dict[str, Any], tmp_path: Path
) -> None:
    root = parse(conformant_report, tmp_path)
    (tls,) = root.xpath("//testcase[@name='https://127.0.0.1:8443']")
    assert [e.tag for e in tls] == ["properties", "system-out"]
    assert '"protocol": "TLSv1.3"' in tls.findtext("system-out")
    (plain,) = root.xpath("//testcase[@name='samples/ok-0.edxml' and @classname='edxml.EDX-01']")
    assert [e.tag for e in plain] == ["properties"]
    assert root.get("failures") == "0" and root.get("errors") == "0"


def test_testcase_identity_and_time(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(nonconformant_report, tmp_path)
    (case,) = root.xpath("//testcase[@name=$s]", s=f"samples/{HOSTILE_SCRIPT}.edxml")
    assert case.get("classname") == "edxml.EDX-08"
    assert case.get("time") == "1.500"
    assert props(case) == {"requirement": "EDX-08", "level": "mandatory", "outcome": "fail"}
    suite_time = (
        sum(r["duration_ms"] for r in nonconformant_report["results"] if r["profile"] == "edxml") / 1000
    )
    assert float(root.find("testsuite").get("time")) == pytest.approx(suite_time, abs=1e-3)


def test_requirement_testcases_carry_counts_and_aggregate_outcome(
    nonconformant_report: dict[str, Any], tmp_path: Path
) -> None:
    root = parse(nonconformant_report, tmp_path)
    edx08 = summary_case(root, "EDX-08")
    assert edx08.get("classname") == "edxml.EDX-08"
    p = props(edx08)
    assert (p["count.pass"], p["count.fail"], p["outcome"], p["decides"]) == ("8", "2", "fail", "true")
    assert edx08.find("failure").get("message") == (
        "EDX-08: pass 8, fail 2, inconclusive 0, error 0, not-applicable 0"
    )
    warning = summary_case(root, "EDX-12")
    assert warning.find("failure") is None
    assert warning.find("skipped").get("message").startswith("warning: ")
    assert "(recommended: a warning" in warning.find("skipped").get("message")
    assert summary_case(root, "EDX-20").find("error") is not None
    assert summary_case(root, "SB-TLS-01").find("skipped").get("message").startswith("inconclusive: ")
    assert [e.tag for e in summary_case(root, "EDX-01")] == ["properties"]


def test_untested_requirements_are_skipped_with_their_reason(
    inconclusive_report: dict[str, Any], tmp_path: Path
) -> None:
    root = parse(inconclusive_report, tmp_path)
    skipped = summary_case(root, "SB-TLS-01").find("skipped")
    assert skipped.get("message") == "untested: SB-TLS-01: the target file has no TLS endpoint"
    assert props(summary_case(root, "SB-TLS-01"))["outcome"] == "untested"


def test_hostile_text_is_made_legal_xml(nonconformant_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(nonconformant_report, tmp_path)
    data = (tmp_path / "junit.xml").read_bytes()
    assert b"\x01" not in data
    assert b"<script>" not in data
    (case,) = root.xpath("//testcase[@name=$s]", s=f"samples/{HOSTILE_SCRIPT}.edxml")
    failure = case.find("failure")
    assert failure.get("message") == f"PromulgationDate ']]>{HOSTILE_SCRIPT}' is not a real date␁ (line 12)"
    assert "value: 2014/02/30]]>␁" in failure.text
    assert "7 more findings were not recorded." in failure.text
    assert "A" * 2001 not in failure.text and "Cut: 2000 of 5000 characters shown." in failure.text


def test_lone_surrogates_and_nul_are_made_legal(
    make_report: Callable[..., dict[str, Any]], make_result: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    report = make_report(
        [make_result("EDX-01", "error", "x\x00\ud800", "boom \x0b\ufffe", evidence={"k\x02": "v\udfff"})]
    )
    root = parse(report, tmp_path)
    (case,) = root.xpath("//testcase[@classname='edxml.EDX-01' and not(contains(@name, '(all subjects)'))]")
    assert case.get("name") == "x␀\ufffd"
    assert case.find("error").get("message") == "boom ␋\ufffd"


def test_non_passing_listing(non_passing_report: dict[str, Any], tmp_path: Path) -> None:
    root = parse(non_passing_report, tmp_path)
    assert root.get("tests") == str(4 + 6)
    assert props(summary_case(root, "EDX-01"))["count.pass"] == "1999"
    assert props(summary_case(root, "EDX-20"))["outcome"] == "not-applicable"
    assert summary_case(root, "EDX-20").find("skipped").get("message").startswith("not-applicable: ")


def test_writer_is_registered(conformant_report: dict[str, Any], tmp_path: Path) -> None:
    written = write_reports(conformant_report, tmp_path, ["junit"])
    assert tmp_path / "junit.xml" in written
    assert not list(tmp_path.glob("*.tmp"))
