"""The edxml message catalogue: complete in both languages, used by the checks, and said in the run's language."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from conformance.clock import Clock
from conformance.errors import ProfileError
from conformance.evaluate import evaluate_subject
from conformance.i18n import Phrase, load_catalogue
from conformance.model import Outcome
from conformance.profiles import resolve_profile
from conformance.registry import CheckContext, RawSubject
from conformance_profiles.edxml import phrases
from conformance_profiles.edxml.values import amount_problem, base64_problem, parse_date, parse_document_id
from tests.conftest import NOW, NOW_ARG, load_valid_report
from tests.edxml.conftest import run_validate

PROFILE = resolve_profile("edxml")
CATALOGUE = PROFILE.messages()
SOURCES = [Path(phrases.__file__).with_name(name) for name in ("checks.py", "signature.py", "values.py", "package.py")]
# Keys the code builds from a variable part (f"kind.{kind}", f"attachment.side_{side}").
BUILT_KEYS = re.compile(r"kind\.(edoc|status)|attachment\.side_(reference|attachment)")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def context(lang: str) -> CheckContext:
    return CheckContext("edxml", Clock(NOW), artefacts=dict(PROFILE.artefacts), lang=lang, messages=CATALOGUE)


def test_the_profile_declares_the_catalogue_the_phrases_use() -> None:
    assert PROFILE.artefacts["messages"] == phrases.CATALOGUE.resolve()
    assert CATALOGUE == load_catalogue(phrases.CATALOGUE)
    assert len(CATALOGUE) > 90


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_is_in_both_languages_with_the_same_placeholders(key: str) -> None:
    entry = CATALOGUE[key]
    assert set(entry) == {"en", "vi"}
    assert entry["en"].strip() and entry["vi"].strip()
    assert fields(entry["en"]) == fields(entry["vi"]), key
    assert all(name.isidentifier() for name in fields(entry["en"])), key  # named, never positional
    assert unicodedata.normalize("NFC", entry["vi"]) == entry["vi"], key


def test_every_key_the_code_says_exists_and_every_message_is_used() -> None:
    code = "\n".join(path.read_text("utf-8") for path in SOURCES)
    said = set(re.findall(r'(?:say|phrase)\(\s*["\']([^"\'{}]+)["\']', code))  # ctx.say("key", …), phrase("key", …)
    said |= set(re.findall(r'ctx, "(na\.[a-z_]+)"\)', code))  # _judged(findings, seen, ctx, "na.…")
    assert said, "the scan found no key"
    assert said - set(CATALOGUE) == set()
    assert {k for k in set(CATALOGUE) - said if not BUILT_KEYS.fullmatch(k)} == set()


def test_an_unknown_key_is_a_profile_error_naming_key_and_profile() -> None:
    with pytest.raises(ProfileError, match=r"edxml.*'no\.such\.message'|'no\.such\.message'.*edxml"):
        context("vi").say("no.such.message")


def test_a_message_falls_back_to_english_and_says_nested_phrases_in_the_same_language() -> None:
    problem = parse_date("2014/02/30")[1]
    assert isinstance(problem, Phrase) and problem == "is not a real date"
    assert context("vi").say("value.problem", field="PromulgationDate", value="2014/02/30", problem=problem) == \
        "PromulgationDate '2014/02/30' không phải là ngày có thật"
    assert context("fr").say("value.problem", field="PromulgationDate", value="2014/02/30", problem=problem) == \
        "PromulgationDate '2014/02/30' is not a real date"
    _, nested = parse_document_id("000.00.00.G22,2015/02/30,1/A")
    assert nested == "has date '2015/02/30', which is not a real date"
    assert context("vi").say(nested.key, **nested.params) == "có phần ngày '2015/02/30' không phải là ngày có thật"


def test_value_problems_are_phrases_that_keep_the_english_text() -> None:
    # accept.py only tests for None or truth: a phrase is a non-empty string, so both keep working.
    assert parse_date("2015/09/30")[1] is None
    assert base64_problem("QUJD") is None and base64_problem("QUJ") == "has 3 base64 characters, not a multiple of 4"
    assert amount_problem("PageAmount", "1000") == "PageAmount 1000 is over 999"
    assert context("vi").say("problem.page_amount_over", count=1000) == "PageAmount 1000 vượt quá 999"


def test_a_hand_built_context_reads_the_catalogue_artefact() -> None:
    bare = CheckContext("edxml", Clock(NOW), artefacts=dict(PROFILE.artefacts), lang="vi")
    assert bare.say("problem.date_unreal") == "không phải là ngày có thật"


@pytest.fixture(scope="module")
def reports(corpus: Path, corpus_report: dict[str, Any],
            tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """The corpus judged in English (the shared report) and in Vietnamese (on two workers: the context pickles)."""
    vi = run_validate([corpus / "conformant", corpus / "invalid", corpus / "hostile"],
                      tmp_path_factory.mktemp("report-vi"), trust=[corpus / "trust" / "ca.pem"], jobs=2, lang="vi")
    return corpus_report, vi


def _key(result: dict[str, Any]) -> tuple[str, str]:
    return result["subject"], result["requirement"]


def test_vietnamese_run_has_the_same_outcomes_and_no_errors(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    en, vi = reports
    assert vi["lang"] == "vi"
    assert Counter(r["outcome"] for r in vi["results"])["error"] == 0
    assert sorted((*_key(r), r["outcome"]) for r in vi["results"]) == \
        sorted((*_key(r), r["outcome"]) for r in en["results"])
    assert vi["verdict"] == en["verdict"]


def test_every_vietnamese_message_and_finding_differs_from_the_english(
        reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    en, vi = reports
    english = {_key(r): r for r in en["results"]}
    same = []
    for result in vi["results"]:
        other = english[_key(result)]
        if result["message"] == other["message"]:
            same.append(result["message"])
        pairs = zip(result["evidence"].get("findings", []), other["evidence"].get("findings", []), strict=True)
        same += [mine["message"] for mine, theirs in pairs if mine["message"] == theirs["message"]]
    assert same == []


def test_the_vietnamese_message_says_what_and_where(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, vi = reports
    [result] = [r for r in vi["results"]
                if r["subject"] == "invalid/EDX-08-impossible-date.edxml" and r["requirement"] == "EDX-08"]
    assert result["message"].startswith("EDX-08: PromulgationDate '2014/02/30' không phải là ngày có thật "
                                        "(/ed:edXML/ed:edXMLEnvelope/ed:edXMLHeader/ed:MessageHeader/"
                                        "ed:PromulgationInfo/ed:PromulgationDate, dòng ")
    assert result["evidence"]["findings"][0]["message"] == "PromulgationDate '2014/02/30' không phải là ngày có thật"


def test_reasons_and_passes_are_vietnamese(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, vi = reports
    messages = {r["message"] for r in vi["results"]}
    assert "EDX-05: chỉ áp dụng cho gói tin văn bản điện tử" in messages  # a status package
    assert "STS-01: chỉ áp dụng cho gói tin trạng thái" in messages
    assert "EDX-02: đạt yêu cầu" in messages
    assert "EDX-18: chữ ký hợp lệ trên toàn bộ gói tin và chuỗi chứng thực dẫn tới một chứng thư số gốc tin cậy" \
        in messages


def test_the_cli_says_a_hostile_package_stop_in_vietnamese(run_cli: Callable[..., Result], corpus: Path,
                                                           tmp_path: Path) -> None:
    package = corpus / "hostile" / "EDX-17-billion-laughs.edxml"
    result = run_cli("validate", "-p", "edxml", str(package), "-o", str(tmp_path / "o"), "--now", NOW_ARG,
                     "--lang", "vi")
    assert result.exit_code == 1, result.output
    [stop] = [r for r in load_valid_report(tmp_path / "o")["results"] if r["outcome"] == "fail"]
    assert stop["requirement"] == "EDX-17"
    assert stop["message"].startswith("EDX-17: gói tin có khai báo DOCTYPE (khai báo DTD hoặc thực thể); "
                                      "gói tin bị từ chối mà không được đọc (dòng ")
    assert "Dừng đánh giá tại đây" in stop["message"]


def test_a_check_saying_an_unknown_key_is_an_error_not_a_crash(corpus: Path) -> None:
    checks = PROFILE.load_checks()
    [check] = [c for c in checks.checks if c.requirement == "EDX-11"]
    broken = dict(CATALOGUE)
    del broken["document_type.invalid"]
    ctx = CheckContext("edxml", Clock(NOW), artefacts=dict(PROFILE.artefacts), lang="vi", messages=broken)
    package = next((corpus / "invalid").glob("EDX-11-type-3*"))
    report = evaluate_subject("edxml", PROFILE.requirements, checks, RawSubject(package.name, package.read_bytes()),
                              ctx)
    [result] = [r for r in report.results if r.requirement == check.requirement]
    assert result.outcome is Outcome.ERROR
    assert "ProfileError" in result.message and "document_type.invalid" in result.message
