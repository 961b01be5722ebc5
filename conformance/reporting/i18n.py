"""UI labels in English and Vietnamese, and the plain-text forms of report fields the outputs share.

Both languages are first-class: every label exists in both tables (a test keeps them in step).
``t("outcome.fail", "vi")`` gives ``"Không đạt"``; labels with ``{fields}`` are filled from keyword
arguments. The text helpers (:func:`safe_text`, :func:`cut`, :func:`evidence_text`) make report data
fit to print anywhere: no control characters, no lone surrogates, no unbounded values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LABELS",
    "LANGS",
    "LEVELS",
    "OUTCOMES",
    "TEXT_LIMIT",
    "VERDICTS",
    "cut",
    "evidence_text",
    "json_text",
    "pick_lang",
    "safe_text",
    "t",
]

LANGS: tuple[str, ...] = ("vi", "en")
OUTCOMES: tuple[str, ...] = ("pass", "fail", "inconclusive", "error", "not-applicable")
LEVELS: tuple[str, ...] = ("mandatory", "recommended", "optional")
VERDICTS: tuple[str, ...] = ("conformant", "non-conformant", "inconclusive")
# Values longer than this are cut, with a note saying so.
TEXT_LIMIT = 2000

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "report.title": "Conformance report",
        "verdict": "Verdict",
        "verdict.conformant": "Conformant",
        "verdict.non-conformant": "Non-conformant",
        "verdict.inconclusive": "Inconclusive",
        "outcome": "Outcome",
        "outcome.pass": "Pass",
        "outcome.fail": "Fail",
        "outcome.inconclusive": "Inconclusive",
        "outcome.error": "Tool error",
        "outcome.not-applicable": "Not applicable",
        "outcome.untested": "Untested",
        "level": "Level",
        "level.mandatory": "Mandatory",
        "level.recommended": "Recommended",
        "level.optional": "Optional",
        "requirement": "Requirement",
        "requirements": "Requirements",
        "title": "Title",
        "clause": "Clause",
        "subject": "Subject",
        "subjects": "Subjects",
        "message": "Message",
        "evidence": "Evidence",
        "evidence.other": "Other evidence",
        "findings.omitted": "{n} more findings were not recorded.",
        "path": "path",
        "line": "line",
        "value": "value",
        "duration": "Duration (ms)",
        "profile": "Profile",
        "profiles": "Profiles",
        "version": "Version",
        "target": "Target",
        "vendor": "Vendor",
        "product": "Product",
        "claims": "Claims",
        "clock": "Clock (the 'now' of every date rule)",
        "created": "Created",
        "tool": "Tool",
        "command": "Command",
        "report_id": "Report id",
        "language": "Language",
        "reproduce": "Reproduce",
        "seed": "Seed",
        "summary": "Summary",
        "summary.by_level": "Results by level and outcome",
        "results": "Results",
        "results.count": "Results",
        "results.listed": "{listed} of {total} results listed",
        "results.none": "No results are listed.",
        "results counted, not listed": (
            "Passes and not-applicable results are counted, not listed: this list holds only the other "
            "outcomes. Their counts are in the summary and in the table by requirement."
        ),
        "by_requirement": "Results by requirement",
        "decides": "Decides the verdict",
        "counts": "Counts",
        "total": "Total",
        "untested": "Untested requirements",
        "untested.explain": "No check exercised these requirements; each one counts as inconclusive.",
        "untested.no_reason": "no reason recorded",
        "reason": "Reason",
        "warnings": "Warnings",
        "warnings.explain": (
            "Failed recommended requirements: they show in every report but never change the verdict."
        ),
        "filter": "Filter results",
        "filter.outcome": "Outcome",
        "filter.level": "Level",
        "none": "None",
        "yes": "yes",
        "no": "no",
        "cut": "Cut: {shown} of {total} characters shown.",
        "all_subjects": "all subjects",
    },
    "vi": {
        "report.title": "Báo cáo kiểm thử sự phù hợp",
        "verdict": "Kết luận",
        "verdict.conformant": "Phù hợp",
        "verdict.non-conformant": "Không phù hợp",
        "verdict.inconclusive": "Chưa kết luận",
        "outcome": "Kết quả",
        "outcome.pass": "Đạt",
        "outcome.fail": "Không đạt",
        "outcome.inconclusive": "Chưa kết luận",
        "outcome.error": "Lỗi công cụ",
        "outcome.not-applicable": "Không áp dụng",
        "outcome.untested": "Chưa kiểm thử",
        "level": "Mức",
        "level.mandatory": "Bắt buộc",
        "level.recommended": "Khuyến nghị",
        "level.optional": "Tùy chọn",
        "requirement": "Yêu cầu",
        "requirements": "Các yêu cầu",
        "title": "Tên yêu cầu",
        "clause": "Điều khoản",
        "subject": "Đối tượng kiểm thử",
        "subjects": "Số đối tượng kiểm thử",
        "message": "Mô tả",
        "evidence": "Bằng chứng",
        "evidence.other": "Bằng chứng khác",
        "findings.omitted": "Còn {n} phát hiện khác không được ghi lại.",
        "path": "vị trí",
        "line": "dòng",
        "value": "giá trị",
        "duration": "Thời gian (ms)",
        "profile": "Bộ tiêu chí",
        "profiles": "Các bộ tiêu chí",
        "version": "Phiên bản",
        "target": "Hệ thống được kiểm thử",
        "vendor": "Nhà cung cấp",
        "product": "Sản phẩm",
        "claims": "Tính năng công bố",
        "clock": "Thời điểm tham chiếu (mốc 'hiện tại' của mọi quy tắc ngày tháng)",
        "created": "Thời điểm lập báo cáo",
        "tool": "Công cụ",
        "command": "Lệnh",
        "report_id": "Mã báo cáo",
        "language": "Ngôn ngữ",
        "reproduce": "Lệnh chạy lại",
        "seed": "Hạt giống ngẫu nhiên (seed)",
        "summary": "Tổng hợp",
        "summary.by_level": "Kết quả theo mức và theo kết quả",
        "results": "Kết quả chi tiết",
        "results.count": "Số kết quả",
        "results.listed": "Liệt kê {listed} trên tổng số {total} kết quả",
        "results.none": "Không có kết quả nào được liệt kê.",
        "results counted, not listed": (
            "Các kết quả Đạt và Không áp dụng chỉ được đếm, không được liệt kê: danh sách này chỉ gồm các "
            "kết quả còn lại. Số lượng của chúng có trong phần tổng hợp và trong bảng theo yêu cầu."
        ),
        "by_requirement": "Kết quả theo yêu cầu",
        "decides": "Quyết định kết luận",
        "counts": "Số lượng",
        "total": "Tổng",
        "untested": "Yêu cầu chưa được kiểm thử",
        "untested.explain": (
            "Chưa có phép kiểm tra nào thực hiện các yêu cầu này; mỗi yêu cầu được tính là Chưa kết luận."
        ),
        "untested.no_reason": "không ghi nhận lý do",
        "reason": "Lý do",
        "warnings": "Cảnh báo",
        "warnings.explain": (
            "Các yêu cầu khuyến nghị không đạt: được nêu trong mọi báo cáo nhưng không làm thay đổi kết luận."
        ),
        "filter": "Lọc kết quả",
        "filter.outcome": "Kết quả",
        "filter.level": "Mức",
        "none": "Không có",
        "yes": "có",
        "no": "không",
        "cut": "Đã cắt bớt: hiển thị {shown} trên {total} ký tự.",
        "all_subjects": "mọi đối tượng",
    },
}


def pick_lang(lang: object) -> str:
    """``lang`` when it is a supported language, else English."""
    return lang if isinstance(lang, str) and lang in LABELS else "en"


def t(key: str, lang: str, **fields: object) -> str:
    """The label ``key`` in ``lang`` (English when the language is unknown), filled from ``fields``."""
    table = LABELS[pick_lang(lang)]
    if key not in table:
        raise KeyError(f"no UI label '{key}' (labels are defined in conformance/reporting/i18n.py)")
    return table[key].format(**fields) if fields else table[key]


# Code points that are illegal in XML 1.0 or are control characters: C0 other than tab, LF and CR,
# DEL, C1, lone surrogates (a JSON "\ud800" decodes to one, and no UTF-8 file can hold it), U+FFFE/F.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control picture": U+0001 shows as ␁
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def safe_text(text: str) -> str:
    """``text`` with control characters shown as their visible symbol (␁) and lone surrogates as U+FFFD."""
    return _UNSAFE.sub(_visible, text)


def cut(text: str, lang: str, limit: int = TEXT_LIMIT) -> tuple[str, str | None]:
    """``text`` cut to ``limit`` characters, and the note saying so (None when nothing was cut)."""
    if len(text) <= limit:
        return text, None
    return text[:limit] + "…", t("cut", lang, shown=limit, total=len(text))


def _cut_inline(text: str, lang: str, limit: int) -> str:
    shown, note = cut(text, lang, limit)
    return f"{shown} [{note}]" if note else shown


def json_text(value: Any) -> str:
    """``value`` as pretty JSON, keeping Vietnamese readable; anything JSON cannot hold becomes a string."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)


def evidence_text(evidence: Mapping[str, Any], lang: str, limit: int = TEXT_LIMIT) -> str:
    """The evidence as plain text: one line per finding, then any other keys as JSON; values cut."""
    lines: list[str] = []
    findings = evidence.get("findings")
    if isinstance(findings, list):
        for finding in findings:
            if not isinstance(finding, Mapping):
                lines.append(f"- {_cut_inline(str(finding), lang, limit)}")
                continue
            where = []
            if finding.get("path") is not None:
                where.append(f"{t('path', lang)} {finding['path']}")
            if finding.get("line") is not None:
                where.append(f"{t('line', lang)} {finding['line']}")
            line = f"- {_cut_inline(str(finding.get('message', '')), lang, limit)}"
            if where:
                line += f" ({_cut_inline(', '.join(where), lang, limit)})"
            if finding.get("value") is not None:
                line += f"\n  {t('value', lang)}: {_cut_inline(str(finding['value']), lang, limit)}"
            lines.append(line)
    omitted = evidence.get("omitted_findings")
    if isinstance(omitted, int) and omitted > 0:
        lines.append(t("findings.omitted", lang, n=omitted))
    other = {k: v for k, v in evidence.items() if k not in ("findings", "omitted_findings")}
    if not isinstance(findings, list) and "findings" in evidence:
        other["findings"] = findings
    if other:
        lines.append(_cut_inline(json_text(other), lang, limit))
    return safe_text("\n".join(lines))

