"""Lexical rules of edXML values, including a property test against libxml2's own xs:base64Binary."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance_profiles.edxml.values import (
    base64_problem,
    char_length,
    email_problem,
    organ_id_syntax,
    parse_date,
    parse_document_id,
    parse_timestamp,
)

_ORACLE = etree.XMLSchema(etree.fromstring(
    b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
    b'<xs:element name="b" type="xs:base64Binary"/></xs:schema>'))


def libxml2_accepts(text: str) -> bool:
    """libxml2's judgement of ``text`` as xs:base64Binary (empty text aside, which EDX-16 refuses)."""
    el = etree.Element("b")
    el.text = text
    return bool(_ORACLE.validate(el))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.text(alphabet="ABCDQRSTUwxyz019+/=\n \t", min_size=1, max_size=24))
def test_base64_fast_path_agrees_with_libxml2(text: str) -> None:
    if not text.strip():
        assert base64_problem(text) == "is empty"  # xs:base64Binary allows empty; EDX-16 says non-empty
        return
    assert (base64_problem(text) is None) == libxml2_accepts(text), repr(text)


@pytest.mark.parametrize(("text", "words"), [
    ("QR==", "padding bits"), ("QUJ", "multiple of 4"), ("QUJD====", "more than two"),
    ("QU=D", "not valid base64"), ("QUJ*", "not valid base64"), ("ý", "outside the base64 alphabet"),
])
def test_base64_problems_are_explained(text: str, words: str) -> None:
    assert words in str(base64_problem(text))


def test_dates_and_times() -> None:
    assert parse_date("2015/09/30") == (date(2015, 9, 30), None)
    assert parse_date(" 2015/09/30\n")[0] == date(2015, 9, 30)  # XML Schema white-space collapse
    assert parse_date("2014/02/30")[1] == "is not a real date"
    assert parse_date("30/09/2015")[1] == "is not in the form yyyy/MM/dd"
    assert parse_date("2015/9/30")[1] == "is not in the form yyyy/MM/dd"
    assert parse_timestamp("2015/09/30 23:59:59")[1] is None
    assert parse_timestamp("2015/09/30 24:00:00")[1] == "is not a real date and time"
    assert parse_timestamp("2015-09-30T10:00:00")[1] == "is not in the form yyyy/MM/dd HH:mm:ss"


@pytest.mark.parametrize(("value", "syntax"), [
    ("000.00.00.G22", "legacy"), ("000.00.11.H53", "legacy"), ("G09.20", "qd20"), ("H37.02.02", "qd20"),
    ("G09", "qd20"), ("Z09.20", None), ("g09.20", None), ("G09..20", None), ("G09.20.", None),
    ("000.00.00.g22", None), ("00.00.00.G22", None), ("", None), ("G09." + "1" * 31, "qd20"), ("G09." + "1" * 32, None),
])
def test_agency_code_syntaxes(value: str, syntax: str | None) -> None:
    assert organ_id_syntax(value) == syntax


def test_document_ids() -> None:
    parsed, problem = parse_document_id("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    assert problem is None and parsed is not None
    assert (parsed.number, parsed.notation) == ("7816", "VPCP-TTĐT")
    assert parse_document_id("000.00.00.G22,2015/09/30,7816/QĐ/UBND")[0].notation == "QĐ/UBND"  # first '/'
    assert "3" in str(parse_document_id("000.00.00.G22;2015/09/30;7816/VPCP")[1])
    assert "not a real date" in str(parse_document_id("000.00.00.G22,2015/02/30,1/A")[1])
    assert "Number/Notation" in str(parse_document_id("000.00.00.G22,2015/02/03,1/")[1])
    assert "agency code" in str(parse_document_id("bogus,2015/02/03,1/A")[1])


def test_lengths_count_nfc_code_points() -> None:
    nfd = "Vie\u0302\u0323t"  # "Việt" decomposed: 6 code points, 4 after NFC
    assert char_length(nfd) == 4
    assert char_length("abc") == 3


_LABEL = st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True)  # bad hyphen placements included


@settings(max_examples=500, derandomize=True, deadline=None)
@given(local=st.from_regex(r"[A-Za-z0-9._+-]{1,12}", fullmatch=True),
       labels=st.lists(_LABEL, min_size=1, max_size=3),
       tld=st.sampled_from(["vn", "com", "gov", "org", "test", "local", "onion", "arpa", "x", "c0m", "invalid"]))
def test_plain_email_fast_path_is_a_subset_of_email_validator(local: str, labels: list[str], tld: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from conformance_profiles.edxml import values

    address = f"{local}@{'.'.join(labels)}.{tld}"
    try:
        validate_email(address, check_deliverability=False)
        library_accepts = True
    except EmailNotValidError:
        library_accepts = False
    if values._PLAIN_EMAIL.fullmatch(address) and email_problem(address) is None:
        assert library_accepts, address  # the fast path never accepts what the library refuses
    assert (email_problem(address) is None) == library_accepts, address


def test_email_problems() -> None:
    assert email_problem("vanthu@hanoi.gov.vn") is None
    assert email_problem("a..b@x.vn") is not None
    # Non-ASCII addresses bypass the fast path: the library decides (it accepts internationalised local parts).
    assert email_problem("nguyễn@x.vn") is None
    assert email_problem("a@x..vn") is not None
    assert email_problem("a@localhost") is not None
    assert email_problem("not an email") is not None



@pytest.mark.parametrize(("name", "short", "long"), [
    ("organ_id_syntax", "G09.20", "9" * 1_000_000),
    ("parse_date", "2015/09/30", "2" * 1_000_000),
    ("_email_validator_problem", "nguyễn@x.vn", "a" * 1_000_000 + "@x.vn"),
])
def test_long_hostile_values_are_judged_but_never_cached(name: str, short: str, long: str) -> None:
    from conformance_profiles.edxml import values

    judge = getattr(values, name)
    judge.cache_clear()
    judge(short)
    assert judge.cache_info().currsize == 1  # short values are cached: they recur across a folder
    assert judge(long) == judge.__wrapped__(long)  # a long one is judged all the same…
    assert judge.cache_info().currsize == 1  # …but never kept
