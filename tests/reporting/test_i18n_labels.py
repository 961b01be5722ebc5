"""UI labels: both languages complete, the Vietnamese names right, and the shared text helpers."""

from __future__ import annotations

import re

import pytest

from conformance.reporting.i18n import LABELS, LANGS, cut, evidence_text, safe_text, t


def test_both_languages_have_the_same_labels() -> None:
    assert set(LANGS) == set(LABELS) == {"en", "vi"}
    assert set(LABELS["en"]) == set(LABELS["vi"])
    for key in LABELS["en"]:
        assert set(re.findall(r"\{(\w+)\}", LABELS["en"][key])) == set(
            re.findall(r"\{(\w+)\}", LABELS["vi"][key])
        )


@pytest.mark.parametrize(
    ("key", "vi", "en"),
    [
        ("verdict.conformant", "Phù hợp", "Conformant"),
        ("verdict.non-conformant", "Không phù hợp", "Non-conformant"),
        ("verdict.inconclusive", "Chưa kết luận", "Inconclusive"),
        ("outcome.pass", "Đạt", "Pass"),
        ("outcome.fail", "Không đạt", "Fail"),
        ("outcome.inconclusive", "Chưa kết luận", "Inconclusive"),
        ("outcome.error", "Lỗi công cụ", "Tool error"),
        ("outcome.not-applicable", "Không áp dụng", "Not applicable"),
        ("level.mandatory", "Bắt buộc", "Mandatory"),
        ("level.recommended", "Khuyến nghị", "Recommended"),
        ("level.optional", "Tùy chọn", "Optional"),
        ("verdict", "Kết luận", "Verdict"),
        ("evidence", "Bằng chứng", "Evidence"),
    ],
)
def test_labels(key: str, vi: str, en: str) -> None:
    assert (t(key, "vi"), t(key, "en")) == (vi, en)


def test_the_cli_keys_exist() -> None:
    for key in (
        "verdict",
        "requirement",
        "subject",
        "message",
        "evidence",
        "untested",
        "warnings",
        "profile",
        "summary",
        "reproduce",
        "clock",
        "claims",
        "target",
        "results counted, not listed",
    ):
        assert t(key, "vi") != t(key, "en")


def test_unknown_language_falls_back_to_english_and_unknown_key_raises() -> None:
    assert t("outcome.fail", "fr") == "Fail"
    with pytest.raises(KeyError, match=r"no UI label 'outcome\.maybe'"):
        t("outcome.maybe", "vi")


def test_fields_are_filled() -> None:
    assert t("cut", "vi", shown=2000, total=5000) == "Đã cắt bớt: hiển thị 2000 trên 5000 ký tự."
    assert t("results.listed", "en", listed=4, total=8000) == "4 of 8000 results listed"


def test_safe_text_makes_controls_visible_and_keeps_text() -> None:
    assert safe_text("Trích yếu\tđúng\r\n") == "Trích yếu\tđúng\r\n"
    assert safe_text("a\x00b\x01c\x1bd\x7fe") == "a␀b␁c␛d␡e"
    assert safe_text("\ud800\x85\ufffe") == "\ufffd\ufffd\ufffd"


def test_cut() -> None:
    assert cut("short", "en") == ("short", None)
    shown, note = cut("x" * 2500, "en")
    assert shown == "x" * 2000 + "…" and note == "Cut: 2000 of 2500 characters shown."


def test_evidence_text() -> None:
    text = evidence_text(
        {
            "findings": [{"message": "bad date", "path": "/a/b", "line": 3, "value": "2014/02/30\x01"}],
            "omitted_findings": 2,
            "request": {"method": "GET"},
        },
        "vi",
    )
    assert text.splitlines() == [
        "- bad date (vị trí /a/b, dòng 3)",
        "  giá trị: 2014/02/30␁",
        "Còn 2 phát hiện khác không được ghi lại.",
        "{",
        '  "request": {',
        '    "method": "GET"',
        "  }",
        "}",
    ]
