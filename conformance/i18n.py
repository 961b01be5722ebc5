"""The harness's languages: UI labels and harness messages in English and Vietnamese, message catalogues
of profiles, and the plain-text forms of report fields the outputs share.

Both languages are first-class: every label and every harness message exists in both tables (a test
keeps them in step). ``t("outcome.fail", "vi")`` gives ``"Không đạt"``; texts with ``{fields}`` are
filled from keyword arguments. A profile's own messages live in its catalogue (``messages.yaml``, see
:func:`load_catalogue`); checks say them with ``CheckContext.say``. A :class:`Phrase` is a catalogue
message as a ``str`` holding its English text, with the key and parameters that say it in another
language. The text helpers (:func:`safe_text`, :func:`cut`, :func:`evidence_text`) make report data
fit to print anywhere: no control characters, no lone surrogates, no unbounded values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .errors import ProfileError
from .yaml_loader import SAFE_LOADER

__all__ = [
    "LABELS",
    "LANGS",
    "LEVELS",
    "MESSAGES",
    "OUTCOMES",
    "TEXT_LIMIT",
    "VERDICTS",
    "Catalogue",
    "Phrase",
    "cut",
    "evidence_text",
    "json_text",
    "load_catalogue",
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


# Messages the harness itself writes into results: stops, tool errors, unreadable files, XML problems.
# Parameters that quote another program (libxml2, the operating system, an exception) stay as they came.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "result.pass": "satisfied",
        "result.fail": "fail",
        "result.inconclusive": "inconclusive",
        "result.error": "error",
        "result.not-applicable": "not-applicable",
        "result.line": "line {line}",
        "result.more": "[+{count} more]",
        "result.stopped": (
            "Evaluation stopped here: the subject cannot be read safely, so no other rule was evaluated"
        ),
        "result.check_raised": "the check raised {error}: {detail}",
        "result.loader_raised": "the loader raised {error}: {detail}",
        "result.does_not_apply": "does not apply to this subject",
        "result.untested": "no check exercised this requirement in this run",
        "file.not_regular": "it is not a regular file (a pipe, socket or device?); it was not read",
        "file.too_large": (
            "the file is {size} bytes, over the size cap of {limit} bytes; it was not read "
            "(raise the cap with --max-bytes to judge it)"
        ),
        "file.unreadable": "the file could not be read: {reason}",
        "file.grew": "the file grew while it was being read (is it still being written?); it was not judged",
        "file.worker_died": (
            "the harness process judging this subject died (a crash or the memory limit); this is a failure "
            "of the tool, never the vendor's: please report it with this subject"
        ),
        "result.splitter_raised": "the profile's splitter raised {error}: {detail}; the file was not judged",
        "result.gather_raised": "gathering this subject's facts for the run-level judgement raised {error}: {detail}",
        "result.across_raised": "the run-level judgement raised {error}: {detail}",
        "subject.run": "the whole run",
        "body.too_large": (
            "the request body is over the size cap of {limit} bytes; it was not read (raise the cap with --max-bytes)"
        ),
        "json.empty": "the message is empty: RFC 8259 needs a JSON value",
        "json.bom": "the message starts with a UTF-8 byte-order mark, which RFC 8259 forbids adding",
        "json.encoding_bom": "the message is encoded in {encoding} (byte-order mark found); it must be UTF-8",
        "json.invalid_utf8": "byte 0x{byte} at offset {offset} is not valid UTF-8 ({reason})",
        "json.syntax": "not JSON: {detail} (column {column})",
        "json.constant": "{constant} is not a JSON number (RFC 8259 has no NaN or Infinity)",
        "json.huge_integer": "an integer of {digits} digits is over the limit of {limit} digits",
        "json.depth": "values are nested deeper than the limit of {limit}",
        "json.duplicate": "an object repeats the key {keys}: RFC 8259 names must be unique for every reader to agree",
        "json.surrogate": "a string holds a lone surrogate escape ({code}), which is not a Unicode character",
        "json.not_nfc": "the text is not in Unicode normalisation form NFC",
        "xml.encoding_bom": "the package is encoded in {encoding} (byte-order mark found); it must be UTF-8",
        "xml.encoding_unmarked": (
            "the package starts like UTF-16, UTF-32 or EBCDIC text without a byte-order mark; it must be UTF-8"
        ),
        "xml.encoding_declared": "the XML declaration names encoding '{encoding}'; it must be UTF-8",
        "xml.invalid_utf8": "byte 0x{byte} at offset {offset} is not valid UTF-8 ({reason})",
        "xml.doctype": (
            "the package has a DOCTYPE declaration (DTD or entity declarations); it is refused unread"
        ),
        "xml.doctype_parsed": "the package has a DOCTYPE declaration; it is refused",
        "xml.depth": "elements are nested deeper than the limit of {limit}",
        "xml.xinclude": "the package has an XInclude element <{element}> (never processed); it is refused",
        "xml.syntax": "not well-formed XML: {detail}",
        "live.budget": "the scenario did not finish within its budget of {seconds} s; the system was too slow to judge",
        "live.http": "the system could not be asked: {problem}",
        "live.crash": (
            "scenario '{scenario}' broke: {problem}; this is a failure of the tool, never the vendor's: "
            "please report it"
        ),
        "live.no_verdict": (
            "scenario '{scenario}' gave no verdict on this requirement; this is a bug of the profile, "
            "not a finding about the system"
        ),
        "live.plan_failed": "the run could not be planned: {problem}",
    },
    "vi": {
        "result.pass": "đạt yêu cầu",
        "result.fail": "không đạt",
        "result.inconclusive": "chưa kết luận",
        "result.error": "lỗi công cụ",
        "result.not-applicable": "không áp dụng",
        "result.line": "dòng {line}",
        "result.more": "[+{count} phát hiện khác]",
        "result.stopped": (
            "Dừng đánh giá tại đây: không thể đọc đối tượng kiểm thử một cách an toàn nên không đánh giá "
            "quy tắc nào khác"
        ),
        "result.check_raised": "phép kiểm tra phát sinh ngoại lệ {error}: {detail}",
        "result.loader_raised": "bộ nạp đối tượng kiểm thử phát sinh ngoại lệ {error}: {detail}",
        "result.does_not_apply": "không áp dụng cho đối tượng kiểm thử này",
        "result.untested": "không có phép kiểm tra nào thực hiện yêu cầu này trong lần chạy này",
        "file.not_regular": (
            "đây không phải là tệp thông thường (có thể là pipe, socket hoặc thiết bị); tệp không được đọc"
        ),
        "file.too_large": (
            "tệp có dung lượng {size} byte, vượt giới hạn {limit} byte; tệp không được đọc "
            "(nâng giới hạn bằng tùy chọn --max-bytes để đánh giá tệp này)"
        ),
        "file.unreadable": "không đọc được tệp: {reason}",
        "file.grew": (
            "dung lượng tệp tăng lên trong khi đang đọc (tệp vẫn đang được ghi?); tệp không được đánh giá"
        ),
        "file.worker_died": (
            "tiến trình của công cụ đang đánh giá đối tượng này bị dừng đột ngột (sự cố hoặc vượt giới hạn "
            "bộ nhớ); đây là lỗi của công cụ, không bao giờ là lỗi của nhà cung cấp: vui lòng báo lỗi kèm "
            "theo đối tượng kiểm thử này"
        ),
        "result.splitter_raised": (
            "bộ tách đối tượng của hồ sơ kiểm thử phát sinh ngoại lệ {error}: {detail}; tệp không được đánh giá"
        ),
        "result.gather_raised": (
            "việc thu thập dữ kiện của đối tượng này cho phép đánh giá toàn lần chạy phát sinh ngoại lệ "
            "{error}: {detail}"
        ),
        "result.across_raised": "phép đánh giá trên toàn lần chạy phát sinh ngoại lệ {error}: {detail}",
        "subject.run": "toàn bộ lần chạy",
        "body.too_large": (
            "thân yêu cầu vượt giới hạn kích thước {limit} byte; nội dung không được đọc (nâng giới hạn bằng "
            "tùy chọn --max-bytes)"
        ),
        "json.empty": "thông điệp rỗng: RFC 8259 yêu cầu phải có một giá trị JSON",
        "json.bom": "thông điệp bắt đầu bằng dấu thứ tự byte (BOM) UTF-8, điều mà RFC 8259 không cho phép thêm vào",
        "json.encoding_bom": (
            "thông điệp được mã hóa theo {encoding} (có dấu thứ tự byte - BOM); thông điệp phải được mã hóa UTF-8"
        ),
        "json.invalid_utf8": "byte 0x{byte} tại vị trí {offset} không phải là UTF-8 hợp lệ ({reason})",
        "json.syntax": "không phải JSON hợp lệ: {detail} (cột {column})",
        "json.constant": "{constant} không phải là số JSON (RFC 8259 không có NaN hay Infinity)",
        "json.huge_integer": "số nguyên có {digits} chữ số, vượt giới hạn {limit} chữ số",
        "json.depth": "các giá trị lồng nhau sâu hơn giới hạn {limit} cấp",
        "json.duplicate": (
            "một đối tượng có khóa {keys} lặp lại: theo RFC 8259, tên khóa phải là duy nhất để mọi bên đọc "
            "hiểu giống nhau"
        ),
        "json.surrogate": "một chuỗi chứa mã thoát surrogate đơn lẻ ({code}), không phải là ký tự Unicode",
        "json.not_nfc": "văn bản không ở dạng chuẩn hóa Unicode NFC",
        "xml.encoding_bom": (
            "gói tin được mã hóa theo {encoding} (có dấu thứ tự byte - BOM); gói tin phải được mã hóa UTF-8"
        ),
        "xml.encoding_unmarked": (
            "phần đầu gói tin giống văn bản UTF-16, UTF-32 hoặc EBCDIC không có dấu thứ tự byte (BOM); "
            "gói tin phải được mã hóa UTF-8"
        ),
        "xml.encoding_declared": "khai báo XML ghi bảng mã '{encoding}'; gói tin phải được mã hóa UTF-8",
        "xml.invalid_utf8": "byte 0x{byte} tại vị trí {offset} không phải là UTF-8 hợp lệ ({reason})",
        "xml.doctype": (
            "gói tin có khai báo DOCTYPE (khai báo DTD hoặc thực thể); gói tin bị từ chối mà không được đọc"
        ),
        "xml.doctype_parsed": "gói tin có khai báo DOCTYPE; gói tin bị từ chối",
        "xml.depth": "các phần tử lồng nhau sâu hơn giới hạn {limit} cấp",
        "xml.xinclude": "gói tin có phần tử XInclude <{element}> (không bao giờ được xử lý); gói tin bị từ chối",
        "xml.syntax": "XML không đúng cú pháp (not well-formed): {detail}",
        "live.budget": (
            "kịch bản kiểm thử không kết thúc trong thời gian cho phép {seconds} giây; hệ thống phản hồi quá "
            "chậm để đánh giá"
        ),
        "live.http": "không thể gửi yêu cầu tới hệ thống: {problem}",
        "live.crash": (
            "kịch bản '{scenario}' gặp sự cố: {problem}; đây là lỗi của công cụ, không bao giờ là lỗi của nhà "
            "cung cấp: vui lòng báo lỗi"
        ),
        "live.no_verdict": (
            "kịch bản '{scenario}' không đưa ra kết luận cho yêu cầu này; đây là lỗi của hồ sơ kiểm thử, "
            "không phải phát hiện về hệ thống"
        ),
        "live.plan_failed": "không lập được kế hoạch chạy kiểm thử: {problem}",
    },
}


def pick_lang(lang: object) -> str:
    """``lang`` when it is a supported language, else English."""
    return lang if isinstance(lang, str) and lang in LABELS else "en"


def t(key: str, lang: str, /, **fields: object) -> str:
    """The label or harness message ``key`` in ``lang`` (else English), filled from ``fields``."""
    code = pick_lang(lang)
    text = LABELS[code].get(key)
    if text is None:
        text = MESSAGES[code].get(key)
        if text is None:
            raise KeyError(f"no UI label '{key}' (nor harness message; both are defined in conformance/i18n.py)")
    return text.format(**fields) if fields else text


Catalogue = Mapping[str, Mapping[str, str]]
"""A message catalogue: ``key -> {lang: template}``, every entry with an English template."""


@cache
def load_catalogue(path: Path) -> dict[str, dict[str, str]]:
    """The message catalogue in YAML file ``path`` (read once per process), checked for shape."""
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"cannot read message catalogue {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"message catalogue {path} must map message keys to {{en: …, vi: …}}")
    catalogue: dict[str, dict[str, str]] = {}
    for key, entry in data.items():
        if (not isinstance(key, str) or not isinstance(entry, dict) or not isinstance(entry.get("en"), str)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in entry.items())):
            raise ProfileError(f"message catalogue {path}: '{key}' must map languages to texts, English included")
        catalogue[key] = dict(entry)
    return catalogue


class Phrase(str):
    """A catalogue message whose ``str`` value is its English text; ``key`` and ``params`` say it in another.

    Code without a ``CheckContext`` (value parsers, applicability tests) returns phrases: callers that only
    test for a problem, or print English, use them as strings; ``CheckContext.say`` says a phrase given as
    a parameter in the run's language, and the harness does the same for a not-applicable reason.
    """

    key: str
    params: Mapping[str, object]

    def __new__(cls, text: str, key: str, params: Mapping[str, object]) -> Phrase:
        self = super().__new__(cls, text)
        self.key = key
        self.params = params
        return self

    @classmethod
    def of(cls, catalogue: Catalogue, key: str, /, **params: object) -> Phrase:
        """Message ``key`` of ``catalogue``, its English filled from ``params``."""
        entry = catalogue.get(key)
        if entry is None:
            raise ProfileError(f"no message '{key}' in the message catalogue")
        return cls(entry["en"].format(**params) if params else entry["en"], key, params)

    def __reduce__(self) -> tuple[type[Phrase], tuple[str, str, dict[str, object]]]:
        return type(self), (str(self), self.key, dict(self.params))


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

