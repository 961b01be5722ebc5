"""Messages in the run's language: the harness catalogue, profile catalogues, ``ctx.say`` and phrases."""

from __future__ import annotations

import pickle
import string
import textwrap
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conformance.clock import Clock
from conformance.errors import ProfileError
from conformance.evaluate import evaluate_subject
from conformance.i18n import LABELS, MESSAGES, Phrase, load_catalogue, t
from conformance.model import Outcome
from conformance.profiles import Profile, load_profile
from conformance.registry import CheckContext, RawSubject
from conformance.session import ValidateOptions, validate
from conformance.xml import XMLProblem, parse_untrusted
from tests.conftest import NOW, NOW_ARG, load_valid_report


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


# ---------------------------------------------------------------------------------------------- the harness

def test_harness_messages_are_in_both_languages_with_the_same_placeholders() -> None:
    assert set(MESSAGES) == set(LABELS) == {"en", "vi"}
    assert set(MESSAGES["en"]) == set(MESSAGES["vi"])
    assert not set(MESSAGES["en"]) & set(LABELS["en"])  # one namespace for t()
    for key, english in MESSAGES["en"].items():
        vietnamese = MESSAGES["vi"][key]
        assert fields(english) == fields(vietnamese), key
        assert vietnamese != english and unicodedata.normalize("NFC", vietnamese) == vietnamese, key


def test_t_says_harness_messages_and_falls_back_to_english() -> None:
    assert t("file.too_large", "vi", size=2000, limit=1000).startswith("tệp có dung lượng 2000 byte, vượt giới hạn")
    assert t("result.pass", "fr") == "satisfied"


@pytest.mark.parametrize("data", [
    "<a>caf\xe9</a>".encode("latin-1"),
    b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>',
    b"\xff\xfe<\x00a\x00/\x00>\x00",
    b"junk<a/>",
    b"<a>" * 300 + b"</a>" * 300,
    b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
    b'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="x"/></a>',
])
def test_xml_problems_carry_a_key_that_says_them_in_either_language(data: bytes) -> None:
    with pytest.raises(XMLProblem) as err:
        parse_untrusted(data)
    problem = err.value
    assert problem.key.startswith("xml.")
    assert t(problem.key, "en", **problem.params) == problem.message == str(problem)
    vietnamese = t(problem.key, "vi", **problem.params)
    assert vietnamese != problem.message
    for value in problem.params.values():  # libxml2's text, names and numbers are quoted unchanged
        assert str(value) in vietnamese


def test_a_toy_run_in_vietnamese_says_the_harness_parts_in_vietnamese(run_cli: Callable[..., Result],
                                                                      toy_files: Path, tmp_path: Path) -> None:
    run_cli("validate", "-p", "toy", str(toy_files), "-o", str(tmp_path / "o"), "--now", NOW_ARG, "--lang", "vi",
            "--list-passes")
    results = {(r["subject"], r["requirement"]): r["message"] for r in load_valid_report(tmp_path / "o")["results"]}
    assert results[("msgs/long.txt", "TOY-02")] == "TOY-02: line 1 has 25 characters (dòng 1)"  # toy has no catalogue
    assert results[("msgs/good.txt", "TOY-02")] == "TOY-02: đạt yêu cầu"
    assert results[("msgs/big.txt", "TOY-01")] == ("TOY-01: tệp có dung lượng 1200 byte, vượt giới hạn 1000 byte; "
                                                   "tệp không được đọc (nâng giới hạn bằng tùy chọn --max-bytes để "
                                                   "đánh giá tệp này)")
    assert results[("msgs/latin1.txt", "TOY-01")].endswith("Dừng đánh giá tại đây: không thể đọc đối tượng kiểm thử "
                                                           "một cách an toàn nên không đánh giá quy tắc nào khác")
    assert results[("msgs/boom.txt", "TOY-05")] == \
        "TOY-05: phép kiểm tra phát sinh ngoại lệ ValueError: the checker broke"


def test_a_profile_without_a_catalogue_has_no_messages(toy: Profile) -> None:
    assert toy.messages() == {}
    with pytest.raises(ProfileError, match="profile 'toy' has no message 'anything'"):
        CheckContext("toy", Clock(NOW), messages=toy.messages()).say("anything")


# ---------------------------------------------------------------------------------------------- a profile's own

TALK = {
    "profile.yaml": """\
        id: talk
        version: "0.1.0"
        title: {en: "Talking lines", vi: "Dòng văn bản"}
        checks: checks.py
        artefacts: {messages: messages.yaml}
        file_patterns: ["*.txt"]
        requirements:
          - {id: TALK-01, level: mandatory, clause: "Talk §1", title: {en: "UTF-8 text"}}
          - {id: TALK-02, level: mandatory, clause: "Talk §2", title: {en: "No shouting"}}
          - {id: TALK-03, level: mandatory, clause: "Talk §3", title: {en: "Questions are answered"}}
          - {id: TALK-04, level: mandatory, clause: "Talk §4", title: {en: "Only known words"}}
        """,
    "messages.yaml": """\
        shout: {en: "line {line} shouts '{text}'", vi: "dòng {line} viết hoa toàn bộ: '{text}'"}
        quiet: {en: "nobody shouts", vi: "không dòng nào viết hoa toàn bộ"}
        no_question: {en: "there is no question", vi: "không có câu hỏi nào"}
        english_only: {en: "said in English only"}
        """,
    "checks.py": """\
        from pathlib import Path

        from conformance.i18n import Phrase, load_catalogue
        from conformance.registry import Checks, Finding, not_applicable, passed

        checks = Checks("talk")
        NO_QUESTION = Phrase.of(load_catalogue(Path(__file__).with_name("messages.yaml")), "no_question")


        @checks.loader("TALK-01")
        def load(raw, ctx):
            return raw.data.decode("utf-8")


        @checks.check("TALK-02")
        def shouting(text, ctx):
            found = [Finding(ctx.say("shout", line=n, text=line), line=n)
                     for n, line in enumerate(text.splitlines(), 1) if line.isupper()]
            return found or passed(ctx.say("quiet"))


        @checks.check("TALK-03", applies=lambda text: "?" in text or NO_QUESTION)
        def questions(text, ctx):
            return []


        @checks.check("TALK-04")
        def words(text, ctx):
            if "secret" in text:
                ctx.say("never.written")
            if "english" in text:
                return not_applicable(ctx.say("english_only"))
            return []
        """,
}


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    """A profile with its own message catalogue."""
    folder = tmp_path_factory.mktemp("profiles") / "talk"
    folder.mkdir()
    for name, text in TALK.items():
        (folder / name).write_text(textwrap.dedent(text), "utf-8")
    return load_profile(folder)


def judge(profile: Profile, text: str, lang: str, *, list_quiet: bool = True) -> dict[str, tuple[Outcome, str]]:
    ctx = CheckContext(profile.id, Clock(NOW), artefacts=dict(profile.artefacts), lang=lang,
                       messages=profile.messages())
    report = evaluate_subject(profile.id, profile.requirements, profile.load_checks(),
                              RawSubject("s.txt", text.encode()), ctx, list_quiet=list_quiet)
    return {r.requirement: (r.outcome, r.message) for r in report.results}


def test_checks_say_their_messages_in_the_run_language(talk: Profile) -> None:
    english, vietnamese = judge(talk, "HELLO\n", "en"), judge(talk, "HELLO\n", "vi")
    assert english["TALK-02"] == (Outcome.FAIL, "TALK-02: line 1 shouts 'HELLO' (line 1)")
    assert vietnamese["TALK-02"] == (Outcome.FAIL, "TALK-02: dòng 1 viết hoa toàn bộ: 'HELLO' (dòng 1)")
    assert judge(talk, "hello?\n", "vi")["TALK-02"] == (Outcome.PASS, "TALK-02: không dòng nào viết hoa toàn bộ")


def test_a_phrase_given_as_a_reason_is_said_in_the_run_language(talk: Profile) -> None:
    assert judge(talk, "hello\n", "en")["TALK-03"] == (Outcome.NOT_APPLICABLE, "TALK-03: there is no question")
    assert judge(talk, "hello\n", "vi")["TALK-03"] == (Outcome.NOT_APPLICABLE, "TALK-03: không có câu hỏi nào")


def test_a_reason_that_is_only_counted_is_never_said(talk: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    original = CheckContext.say

    def spy(self: CheckContext, key: str, /, **params: object) -> str:
        said.append(key)
        return original(self, key, **params)

    monkeypatch.setattr(CheckContext, "say", spy)
    assert "TALK-03" not in judge(talk, "hello\n", "vi", list_quiet=False)
    assert "no_question" not in said
    assert "TALK-03" in judge(talk, "hello\n", "vi") and "no_question" in said


def test_a_message_missing_in_the_language_falls_back_to_english(talk: Profile) -> None:
    assert judge(talk, "english\n", "vi")["TALK-04"] == (Outcome.NOT_APPLICABLE, "TALK-04: said in English only")


def test_an_unknown_key_is_an_error_outcome_naming_key_and_profile(talk: Profile) -> None:
    outcome, message = judge(talk, "secret\n", "vi")["TALK-04"]
    assert outcome is Outcome.ERROR
    assert "ProfileError" in message and "'never.written'" in message and "'talk'" in message


def test_a_template_the_parameters_cannot_fill_is_a_profile_error(talk: Profile) -> None:
    ctx = CheckContext("talk", Clock(NOW), lang="vi", messages=talk.messages())
    with pytest.raises(ProfileError, match=r"'shout'.*cannot be filled"):
        ctx.say("shout", line=1)


def test_the_context_and_phrases_pickle_for_worker_processes(talk: Profile, tmp_path: Path) -> None:
    ctx = CheckContext("talk", Clock(NOW), artefacts=dict(talk.artefacts), lang="vi", messages=talk.messages())
    assert pickle.loads(pickle.dumps(ctx)).say("quiet") == "không dòng nào viết hoa toàn bộ"
    phrase = Phrase.of(talk.messages(), "shout", line=2, text="HI")
    copy = pickle.loads(pickle.dumps(phrase))
    assert (copy, copy.key, dict(copy.params)) == ("line 2 shouts 'HI'", "shout", {"line": 2, "text": "HI"})
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(40):
        (folder / f"{n:02}.txt").write_text("LOUD\n" if n % 2 else "calm\n")
    report, _ = validate(ValidateOptions(profiles=[talk], paths=[folder], clock=Clock(NOW), out_dir=tmp_path / "o",
                                         formats=("json",), jobs=2, lang="vi", list_passes=True))
    messages = {r["message"] for r in report["results"]}
    assert "TALK-02: dòng 1 viết hoa toàn bộ: 'LOUD' (dòng 1)" in messages
    assert "TALK-03: không có câu hỏi nào" in messages


@pytest.mark.parametrize("text", ["[a, b]", "key: {vi: 'no English'}", "key: {en: 3}", "key: {en: [x]}"])
def test_a_malformed_catalogue_is_a_profile_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "messages.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(ProfileError, match="message catalogue"):
        load_catalogue(path)
