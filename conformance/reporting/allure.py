"""``allure-results/``: one Allure result per listed result, plus one per requirement.

Statuses: ``pass`` is passed, ``fail`` failed (a product defect), ``error`` broken (a test defect),
``inconclusive``, ``not-applicable`` and ``untested`` skipped. Labels put each result under its
profile (suite) and requirement (subSuite, feature), with the level as a tag. History ids hash the
profile, requirement and subject, so Allure's trends follow a subject across runs. Evidence goes in
a JSON attachment. An ``environment.properties`` file names the target, profiles and tool.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, cast

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Parameter, Status, StatusDetails, TestResult

from ..i18n import OUTCOMES, evidence_text, pick_lang, safe_text
from . import register_writer

__all__ = ["STATUSES", "history_id", "write_allure"]

STATUSES: dict[str, str] = {
    "pass": Status.PASSED,
    "fail": Status.FAILED,
    "error": Status.BROKEN,
    "inconclusive": Status.SKIPPED,
    "not-applicable": Status.SKIPPED,
    "untested": Status.SKIPPED,
}
_SEVERITY = {"mandatory": "critical", "recommended": "normal", "optional": "minor"}


class _Logger(Protocol):
    """The part of ``AllureFileLogger`` used here (allure_commons is typed but its logger is not)."""

    def report_result(self, result: TestResult) -> None: ...

    def report_attached_data(self, body: str | bytes, file_name: str) -> None: ...


def _file_logger(folder: Path) -> _Logger:
    """An ``AllureFileLogger`` writing into ``folder``, emptied first."""
    return cast(_Logger, AllureFileLogger(str(folder), clean=True))  # type: ignore[no-untyped-call]


def history_id(*parts: str) -> str:
    """A stable id for Allure's history: the md5 of the parts, joined without ambiguity."""
    return hashlib.md5(json.dumps(parts, ensure_ascii=False).encode("utf-8", "replace")).hexdigest()


def _s(value: Any) -> str:
    """A value as text any UTF-8 file can hold."""
    return safe_text(value if isinstance(value, str) else str(value))


def _clean(value: Any) -> Any:
    """``value`` with every string made safe, for the JSON attachments."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Mapping):
        return {_s(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _millis(created: Any) -> int:
    try:
        return int(datetime.fromisoformat(str(created)).timestamp() * 1000)
    except ValueError:
        return 0


def _labels(profile: str, requirement: str, level: str) -> list[Label]:
    labels = [
        Label(name="epic", value="conformance"),
        Label(name="suite", value=_s(profile)),
        Label(name="subSuite", value=_s(requirement)),
        Label(name="feature", value=_s(requirement)),
        Label(name="tag", value=_s(level)),
        Label(name="framework", value="lienthong-conformance"),
    ]
    if level in _SEVERITY:
        labels.append(Label(name="severity", value=_SEVERITY[level]))
    return labels


def _properties_line(key: str, value: str) -> str:
    """One ``key=value`` line of a Java properties file (ISO-8859-1, hence the ``\\u`` escapes)."""

    def escape(text: str, is_key: bool) -> str:
        out = []
        for i, ch in enumerate(text):
            if ch == "\\":
                out.append("\\\\")
            elif ch in "\n\r\t\f":
                out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[ch])
            elif ch in "=:#!" or (ch == " " and (is_key or i == 0)):
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ord(ch) > 0x7E:
                out.extend(f"\\u{unit:04x}" for unit in _utf16_units(ch))
            else:
                out.append(ch)
        return "".join(out)

    return f"{escape(key, True)}={escape(value, False)}"


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _environment(report: Mapping[str, Any]) -> str:
    pairs: list[tuple[str, str]] = [("verdict", _s(report.get("verdict", "")))]
    for profile in report.get("profiles") or []:
        pairs.append((f"profile.{_s(profile.get('id', ''))}", _s(profile.get("version", ""))))
    for key, value in (report.get("target") or {}).items():
        pairs.append((f"target.{_s(key)}", _s(value)))
    tool = report.get("tool") or {}
    pairs += [
        ("tool", _s(f"{tool.get('name', '')} {tool.get('version', '')}".strip())),
        ("claims", _s(" ".join(str(c) for c in report.get("claims") or []))),
        ("clock", _s(report.get("clock", ""))),
        ("report.id", _s(report.get("id", ""))),
        ("reproduce", _s((report.get("reproduce") or {}).get("command", ""))),
    ]
    return "".join(_properties_line(k, v) + "\n" for k, v in pairs)


@register_writer("allure")
def write_allure(report: Mapping[str, Any], out_dir: Path) -> Path:
    """Write the ``allure-results/`` folder, replacing any earlier one, and return its path."""
    folder = out_dir / "allure-results"
    logger = _file_logger(folder)
    lang = pick_lang(report.get("lang"))
    summary = report.get("summary") or {}
    catalogue = {str(e.get("id")): e for e in report.get("requirements") or []}
    clock = _millis(report.get("created", ""))
    seen: dict[str, int] = {}

    def emit(result: TestResult, evidence: Any) -> None:
        if isinstance(evidence, Mapping) and evidence:
            name = f"{uuid.uuid4()}-attachment.json"
            body = json.dumps(_clean(evidence), ensure_ascii=False, indent=2, default=str)
            logger.report_attached_data(body=body, file_name=name)
            result.attachments.append(Attachment(name="evidence", source=name, type="application/json"))
        logger.report_result(result)

    def description(requirement: str) -> str:
        entry = catalogue.get(requirement) or {}
        title = entry.get("title") if isinstance(entry.get("title"), Mapping) else {}
        text = str(title.get(lang) or title.get("en") or "") if title else ""
        return _s(f"{text}\n\n{entry.get('clause', '')}".strip())

    for result in report.get("results") or []:
        profile, requirement = str(result.get("profile", "")), str(result.get("requirement", ""))
        subject, level = str(result.get("subject", "")), str(result.get("level", ""))
        outcome = str(result.get("outcome", ""))
        duration = result.get("duration_ms", 0)
        millis = max(0, round(duration)) if isinstance(duration, (int, float)) else 0
        key = history_id(profile, requirement, subject)
        # The same requirement on the same subject twice would read as a retry and hide one.
        repeat = seen.get(key, 0)
        seen[key] = repeat + 1
        if repeat:
            key = history_id(profile, requirement, subject, str(repeat))
        evidence = result.get("evidence")
        message = str(result.get("message", ""))
        details = evidence_text(evidence, lang) if isinstance(evidence, Mapping) and evidence else None
        emit(
            TestResult(
                uuid=str(uuid.uuid4()),
                historyId=key,
                testCaseId=key,
                name=_s(f"{requirement}: {subject}"),
                fullName=_s(f"{profile}.{requirement}: {subject}"),
                description=description(requirement),
                status=STATUSES.get(outcome, Status.UNKNOWN),
                statusDetails=StatusDetails(message=_s(message), trace=details),
                stage="finished",
                start=clock,
                stop=clock + millis,
                labels=_labels(profile, requirement, level),
                parameters=[Parameter(name="subject", value=_s(subject))],
            ),
            evidence,
        )
        clock += millis

    reasons = summary.get("untested_reasons") or {}
    for requirement, info in (summary.get("by_requirement") or {}).items():
        profile, outcome = str(info.get("profile", "")), str(info.get("outcome", ""))
        level = str(info.get("level", ""))
        counts = info.get("counts") if isinstance(info.get("counts"), Mapping) else {}
        if outcome == "untested":
            message = f"{outcome}: {reasons.get(requirement) or 'no check exercised it'}"
        else:
            message = f"{outcome}: " + ", ".join(f"{o} {counts.get(o, 0)}" for o in OUTCOMES)
        key = history_id(profile, requirement)
        emit(
            TestResult(
                uuid=str(uuid.uuid4()),
                historyId=key,
                testCaseId=key,
                name=_s(f"{requirement} (all subjects)"),
                fullName=_s(f"{profile}.{requirement}"),
                description=description(requirement),
                status=STATUSES.get(outcome, Status.UNKNOWN),
                statusDetails=StatusDetails(message=_s(message)),
                stage="finished",
                start=clock,
                stop=clock,
                labels=_labels(profile, requirement, level),
                parameters=[Parameter(name=f"count.{o}", value=str(counts.get(o, 0))) for o in OUTCOMES]
                + [Parameter(name="decides", value="true" if info.get("decides") else "false")],
            ),
            None,
        )

    (folder / "environment.properties").write_text(_environment(report), "ascii")
    return folder
