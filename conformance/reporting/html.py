"""``report.html``: one self-contained page, in the report's language, with no network fetches.

The page is rendered from ``report.json`` by ``report.html.j2`` with autoescaping on. Everything the
template shows is prepared here, in one pass over the results, so a report of 10 000 results renders
in linear time. The page's only script toggles CSS classes; no report data ever reaches it, and a
Content-Security-Policy with the hashes of the inline style and script forbids every fetch.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from ..i18n import LEVELS, OUTCOMES, TEXT_LIMIT, VERDICTS, cut, json_text, pick_lang, safe_text, t
from . import register_writer

__all__ = ["render_html", "write_html"]

# Outcomes a requirement can have in summary.by_requirement, which adds "untested".
_REQUIREMENT_OUTCOMES = (*OUTCOMES, "untested")
_OPEN_EVIDENCE = frozenset({"fail", "error", "inconclusive"})


def _csp_hash(text: str) -> Markup:
    """The CSP source expression that allows exactly this inline ``text``."""
    digest = base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode("ascii")
    return Markup(f"'sha256-{digest}'")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "reporting"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["csp_hash"] = _csp_hash
    return env.get_template("report.html.j2")


def _str(value: Any) -> str:
    """A report value as display text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json_text(value).replace("\n", " ") if isinstance(value, (dict, list)) else str(value)


def _title(entry: Mapping[str, Any] | None, lang: str) -> str:
    if not entry:
        return ""
    title = entry.get("title")
    if not isinstance(title, Mapping):
        return ""
    return str(title.get(lang) or title.get("en") or next(iter(title.values()), ""))


def _counts(counts: Any) -> dict[str, int]:
    counts = counts if isinstance(counts, Mapping) else {}
    return {o: int(counts.get(o, 0) or 0) for o in OUTCOMES}


def _finding(finding: Any, lang: str) -> dict[str, Any]:
    if not isinstance(finding, Mapping):
        text, note = cut(_str(finding), lang)
        return {"message": text, "message_note": note, "where": "", "value": None, "value_note": None,
                "extra": None, "extra_note": None}
    message, message_note = cut(_str(finding.get("message", "")), lang)
    where = []
    if finding.get("path") is not None:
        where.append(f"{t('path', lang)} {_str(finding['path'])}")
    if finding.get("line") is not None:
        where.append(f"{t('line', lang)} {_str(finding['line'])}")
    value, value_note = (None, None)
    if finding.get("value") is not None:
        value, value_note = cut(_str(finding["value"]), lang)
    extra = {k: v for k, v in finding.items() if k not in ("message", "path", "line", "value")}
    extra_text, extra_note = cut(json_text(extra), lang) if extra else (None, None)
    return {
        "message": message,
        "message_note": message_note,
        "where": cut(", ".join(where), lang)[0],
        "value": value,
        "value_note": value_note,
        "extra": extra_text,
        "extra_note": extra_note,
    }


def _row(result: Mapping[str, Any], lang: str) -> dict[str, Any]:
    evidence = result.get("evidence")
    evidence = evidence if isinstance(evidence, Mapping) else {}
    findings = evidence.get("findings")
    other = {k: v for k, v in evidence.items() if k not in ("findings", "omitted_findings")}
    if findings is not None and not isinstance(findings, list):
        other["findings"], findings = findings, None
    other_text, other_note = cut(json_text(other), lang) if other else (None, None)
    omitted = evidence.get("omitted_findings")
    message, message_note = cut(_str(result.get("message", "")), lang)
    subject, _ = cut(_str(result.get("subject", "")), lang)
    outcome = _str(result.get("outcome", ""))
    level = _str(result.get("level", ""))
    duration = result.get("duration_ms", 0)
    return {
        "requirement": _str(result.get("requirement", "")),
        "profile": _str(result.get("profile", "")),
        "level": level,
        "level_label": t(f"level.{level}", lang) if level in LEVELS else level,
        "outcome": outcome,
        "outcome_label": t(f"outcome.{outcome}", lang) if outcome in OUTCOMES else outcome,
        "subject": subject,
        "message": message,
        "message_note": message_note,
        "findings": [_finding(f, lang) for f in findings] if findings else [],
        "omitted": omitted if isinstance(omitted, int) and omitted > 0 else 0,
        "other": other_text,
        "other_note": other_note,
        "open": outcome in _OPEN_EVIDENCE,
        "duration": f"{float(duration):.1f}" if isinstance(duration, (int, float)) else _str(duration),
    }


def _view(report: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the template shows, prepared in one pass over the results."""
    lang = pick_lang(report.get("lang"))

    def label(key: str, **fields: object) -> str:
        return t(key, lang, **fields)

    summary = report.get("summary") or {}
    catalogue: dict[tuple[str, str], Mapping[str, Any]] = {}
    by_id: dict[str, Mapping[str, Any]] = {}
    for entry in report.get("requirements") or []:
        catalogue[(str(entry.get("profile")), str(entry.get("id")))] = entry
        by_id.setdefault(str(entry.get("id")), entry)

    def entry_for(req_id: str, profile: str | None = None) -> Mapping[str, Any] | None:
        return catalogue.get((str(profile), req_id)) or by_id.get(req_id)

    by_requirement: Mapping[str, Any] = summary.get("by_requirement") or {}
    requirement_rows = []
    warnings = []
    for req_id, info in by_requirement.items():
        entry = entry_for(req_id, info.get("profile"))
        level = _str(info.get("level", ""))
        outcome = _str(info.get("outcome", ""))
        counts = _counts(info.get("counts"))
        row = {
            "id": req_id,
            "profile": _str(info.get("profile", "")),
            "level": level,
            "level_label": label(f"level.{level}") if level in LEVELS else level,
            "title": _title(entry, lang),
            "clause": _str(entry.get("clause", "")) if entry else "",
            "outcome": outcome,
            "outcome_label": label(f"outcome.{outcome}") if outcome in _REQUIREMENT_OUTCOMES else outcome,
            "decides": label("yes") if info.get("decides") else label("no"),
            "counts": [counts[o] for o in OUTCOMES],
            "fail": counts["fail"],
        }
        requirement_rows.append(row)
        if level == "recommended" and (outcome == "fail" or counts["fail"]):
            warnings.append(row)

    reasons = summary.get("untested_reasons") or {}
    untested = [
        {
            "id": _str(req_id),
            "title": _title(entry_for(_str(req_id)), lang),
            "reason": _str(reasons.get(req_id) or label("untested.no_reason")),
        }
        for req_id in summary.get("untested") or []
    ]

    results = report.get("results") or []
    rows = [_row(r, lang) for r in results]
    listed_outcomes = dict.fromkeys(OUTCOMES, 0)
    listed_levels = dict.fromkeys(LEVELS, 0)
    for row in rows:
        if row["outcome"] in listed_outcomes:
            listed_outcomes[row["outcome"]] += 1
        if row["level"] in listed_levels:
            listed_levels[row["level"]] += 1

    by_outcome = _counts(summary.get("by_outcome"))
    by_level = summary.get("by_level") or {}
    level_rows = []
    for level in LEVELS:
        counts = _counts(by_level.get(level))
        level_rows.append({"label": label(f"level.{level}"), "counts": [counts[o] for o in OUTCOMES],
                           "total": sum(counts.values())})

    tool = report.get("tool") or {}
    reproduce = report.get("reproduce") or {}
    target = report.get("target") or {}
    target_rows = [
        (label(key) if key in ("vendor", "product", "version") else key, _str(value))
        for key, value in target.items()
    ]
    verdict = _str(report.get("verdict", ""))
    profiles = report.get("profiles") or []
    return {
        "lang": lang,
        "_": label,
        "verdict": verdict,
        "verdict_label": label(f"verdict.{verdict}") if verdict in VERDICTS else verdict,
        "profiles": [{k: _str(p.get(k, "")) for k in ("id", "version", "title")} for p in profiles],
        "target": target_rows,
        "claims": [_str(c) for c in report.get("claims") or []],
        "clock": _str(report.get("clock", "")),
        "created": _str(report.get("created", "")),
        "tool": f"{_str(tool.get('name', ''))} {_str(tool.get('version', ''))}".strip(),
        "command": _str(report.get("command", "")),
        "report_id": _str(report.get("id", "")),
        "reproduce": cut(_str(reproduce.get("command", "")), lang)[0],
        "seed": reproduce.get("seed"),
        "subjects": summary.get("subjects", 0),
        "results_total": summary.get("results", len(rows)),
        "listed": len(rows),
        "non_passing": report.get("listing") == "non-passing",
        "outcome_keys": OUTCOMES,
        "level_keys": LEVELS,
        "outcome_labels": [label(f"outcome.{o}") for o in OUTCOMES],
        "by_outcome": [by_outcome[o] for o in OUTCOMES],
        "by_outcome_total": sum(by_outcome.values()),
        "level_rows": level_rows,
        "outcome_filters": [
            {"key": o, "label": label(f"outcome.{o}"), "count": listed_outcomes[o]} for o in OUTCOMES
        ],
        "level_filters": [
            {"key": lv, "label": label(f"level.{lv}"), "count": listed_levels[lv]} for lv in LEVELS
        ],
        "warnings": warnings,
        "warnings_count": summary.get("warnings", len(warnings)),
        "untested": untested,
        "requirements": requirement_rows,
        "rows": rows,
        "text_limit": TEXT_LIMIT,
    }


def render_html(report: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page, in the report's language."""
    # The whole page passes through safe_text, so no control character or lone surrogate from the
    # report reaches the file, whatever field it came in.
    return safe_text(_template().render(_view(report)))


@register_writer("html")
def write_html(report: Mapping[str, Any], out_dir: Path) -> Path:
    """Write ``report.html``."""
    path = out_dir / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(report), "utf-8")
    tmp.replace(path)
    return path
