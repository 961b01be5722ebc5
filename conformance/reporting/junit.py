"""``junit.xml``: one testsuite per profile, one testcase per listed result and one per requirement.

A listed result becomes a testcase named after its subject, with classname ``<profile>.<requirement>``.
``fail`` carries a ``<failure>``; a failed recommended requirement is a warning, so it carries a
``<skipped>`` starting ``warning:`` and never fails a CI gate. ``error`` carries an ``<error>``;
``inconclusive`` and ``not-applicable`` a ``<skipped>``. Each requirement of ``summary.by_requirement``
adds a testcase ``"<REQ> (all subjects)"`` with its counts. Every testcase carries the requirement id,
level and outcome as properties. Text that XML 1.0 cannot hold is made visible (``\\x01`` becomes
``␁``), never written raw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from ..i18n import OUTCOMES, cut, evidence_text, pick_lang, safe_text
from . import register_writer

__all__ = ["build_junit", "write_junit"]

_SKIPPED = ("inconclusive", "not-applicable", "untested")


def _x(value: Any) -> str:
    """A value as text that XML 1.0 can hold."""
    return safe_text(value if isinstance(value, str) else str(value))


def _seconds(duration_ms: Any) -> float:
    return float(duration_ms) / 1000 if isinstance(duration_ms, (int, float)) else 0.0


def _timestamp(created: Any) -> str:
    """``created`` in the form JUnit consumers expect: ISO 8601 in UTC, without zone or fraction."""
    try:
        moment = datetime.fromisoformat(str(created))
    except ValueError:
        return _x(created)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _properties(parent: etree._Element, pairs: Iterable[tuple[str, Any]]) -> None:
    props = etree.SubElement(parent, "properties")
    for name, value in pairs:
        etree.SubElement(props, "property", name=_x(name), value=_x(value))


def _verdict_element(case: etree._Element, outcome: str, message: str, text: str, level: str) -> None:
    """Add the ``<failure>``, ``<error>`` or ``<skipped>`` child that ``outcome`` calls for."""
    short = cut(message, "en")[0]
    if outcome == "fail" and level == "recommended":
        # A warning never changes the verdict, so it must not fail a CI job that gates on junit.xml.
        element = etree.SubElement(case, "skipped", message=_x(f"warning: {short}"))
    elif outcome == "fail":
        element = etree.SubElement(case, "failure", message=_x(short), type="fail")
    elif outcome == "error":
        element = etree.SubElement(case, "error", message=_x(short), type="error")
    elif outcome in _SKIPPED:
        element = etree.SubElement(case, "skipped", message=_x(f"{outcome}: {short}"))
    elif text:
        element = etree.SubElement(case, "system-out")
    else:
        return
    if text:
        element.text = _x(text)


def _counts(counts: Any) -> dict[str, int]:
    counts = counts if isinstance(counts, Mapping) else {}
    return {o: int(counts.get(o, 0) or 0) for o in OUTCOMES}


def build_junit(report: Mapping[str, Any]) -> etree._Element:
    """The ``<testsuites>`` element of the report."""
    lang = pick_lang(report.get("lang"))
    summary = report.get("summary") or {}
    by_requirement: Mapping[str, Any] = summary.get("by_requirement") or {}
    catalogue = {str(e.get("id")): e for e in report.get("requirements") or []}

    profiles: dict[str, Mapping[str, Any]] = {}
    for profile in report.get("profiles") or []:
        profiles.setdefault(str(profile.get("id")), profile)
    for item in [*(report.get("results") or []), *by_requirement.values()]:
        profiles.setdefault(str(item.get("profile")), {"id": str(item.get("profile"))})

    root = etree.Element("testsuites", name="conformance")
    suites: dict[str, etree._Element] = {}
    times: dict[str, float] = {}
    created = _timestamp(report.get("created", ""))
    tool = report.get("tool") or {}
    reproduce = report.get("reproduce") or {}
    target = report.get("target") or {}
    for index, (profile_id, profile) in enumerate(profiles.items()):
        suite = etree.SubElement(root, "testsuite", name=_x(profile_id), id=str(index), timestamp=created)
        _properties(suite, [
            ("profile.version", profile.get("version", "")),
            ("profile.title", profile.get("title", "")),
            ("verdict", report.get("verdict", "")),
            ("report.id", report.get("id", "")),
            ("created", report.get("created", "")),
            ("clock", report.get("clock", "")),
            ("tool", f"{tool.get('name', '')} {tool.get('version', '')}".strip()),
            ("command", report.get("command", "")),
            ("listing", report.get("listing", "")),
            *((f"target.{k}", v) for k, v in target.items()),
            ("claims", " ".join(str(c) for c in report.get("claims") or [])),
            ("reproduce", reproduce.get("command", "")),
            ("seed", "" if reproduce.get("seed") is None else reproduce.get("seed")),
        ])
        suites[profile_id] = suite
        times[profile_id] = 0.0

    for result in report.get("results") or []:
        profile_id, requirement = str(result.get("profile")), _x(result.get("requirement", ""))
        outcome = str(result.get("outcome", ""))
        seconds = _seconds(result.get("duration_ms"))
        times[profile_id] += seconds
        case = etree.SubElement(
            suites[profile_id], "testcase", classname=_x(f"{profile_id}.{requirement}"),
            name=_x(result.get("subject", "")), time=f"{seconds:.3f}",
        )
        _properties(case, [
            ("requirement", requirement), ("level", result.get("level", "")), ("outcome", outcome),
        ])
        message = str(result.get("message", ""))
        evidence = result.get("evidence")
        details = evidence_text(evidence, lang) if isinstance(evidence, Mapping) and evidence else ""
        # A pass keeps its positive evidence in system-out; a bare "pass" message adds nothing.
        text = "\n".join(s for s in (message, details) if s) if details or outcome != "pass" else ""
        _verdict_element(case, outcome, message, text, str(result.get("level", "")))

    reasons = summary.get("untested_reasons") or {}
    for requirement, info in by_requirement.items():
        profile_id, outcome, level = str(info.get("profile")), str(info.get("outcome", "")), info.get("level")
        counts = _counts(info.get("counts"))
        entry = catalogue.get(requirement) or {}
        case = etree.SubElement(
            suites[profile_id], "testcase", classname=_x(f"{profile_id}.{requirement}"),
            name=_x(f"{requirement} (all subjects)"), time="0.000",
        )
        _properties(case, [
            ("requirement", requirement), ("level", level), ("outcome", outcome),
            ("decides", "true" if info.get("decides") else "false"), ("clause", entry.get("clause", "")),
            *((f"count.{o}", counts[o]) for o in OUTCOMES),
        ])
        tally = ", ".join(f"{o} {counts[o]}" for o in OUTCOMES)
        if outcome == "untested":
            message = f"{requirement}: {reasons.get(requirement) or 'no check exercised it'}"
        else:
            message = f"{requirement}: {tally}"
        if outcome == "fail" and level == "recommended":
            message += " (recommended: a warning, it does not change the verdict)"
        title = entry.get("title") if isinstance(entry.get("title"), Mapping) else {}
        text = str(title.get(lang) or title.get("en") or "") if title else ""
        if outcome != "pass":
            _verdict_element(case, outcome, message, text, level)

    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for profile_id, suite in suites.items():
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", f"{times[profile_id]:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{sum(times.values()):.3f}")
    return root


@register_writer("junit")
def write_junit(report: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``junit.xml``."""
    path = out_dir / "junit.xml"
    tmp = path.with_suffix(".xml.tmp")
    tree = etree.ElementTree(build_junit(report))
    tree.write(str(tmp), encoding="UTF-8", xml_declaration=True, pretty_print=True)
    tmp.replace(path)
    return path
