"""Hardened XML parsing and the injectable clock."""

from __future__ import annotations

import codecs
from datetime import date

import pytest
from lxml import etree

from conformance.clock import Clock, parse_now
from conformance.errors import ConfigError
from conformance.xml import LIBXML2_MAX_DEPTH, XMLProblem, element_path, parse_untrusted


def problem(data: bytes) -> XMLProblem:
    with pytest.raises(XMLProblem) as err:
        parse_untrusted(data)
    return err.value


@pytest.mark.parametrize(("data", "kind", "words"), [
    ("<a>caf\xe9</a>".encode("latin-1"), "encoding", "not valid UTF-8"),
    ('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "encoding", "UTF-16"),
    (codecs.BOM_UTF32_LE + "<a/>".encode("utf-32-le"), "encoding", "UTF-32"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>', "encoding", "ISO-8859-1"),
    (b' <?xml version="1.0"?><a/>', "syntax", "XML declaration allowed only at the start"),
    (b"junk<a/>", "syntax", "not well-formed"),
    (b"<a><b:c/></a>", "syntax", "Namespace prefix b"),
    (b"<a>" * 257 + b"</a>" * 257, "depth", "deeper than the limit of 256"),
    (b"<a>" * 100_000, "depth", "deeper than the limit of 256"),
    (b"<!-- c --><?pi x?>\n<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "doctype", "DOCTYPE"),
    (b'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/passwd" parse="text"/></a>',
     "xinclude", "XInclude"),
])
def test_untrusted_xml_problems_are_named(data: bytes, kind: str, words: str) -> None:
    found = problem(data)
    assert found.kind == kind
    assert words in found.message


def test_depth_256_is_allowed_and_utf8_bom_is_fine() -> None:
    assert parse_untrusted(b"<a>" * 256 + b"</a>" * 256).getroot().tag == "a"
    with_bom = codecs.BOM_UTF8 + '<?xml version="1.0" encoding="utf-8"?><a>ý</a>'.encode()
    assert parse_untrusted(with_bom).getroot().text == "ý"


def test_the_encoding_problem_gives_the_line() -> None:
    assert problem(b"<a>\n\n<b>\xff</b></a>").line == 3


def test_element_path_uses_prefixes_and_positions() -> None:
    tree = parse_untrusted(b'<r xmlns="urn:x"><s/><s><t xmlns=""/></s></r>')
    t = tree.getroot()[1][0]
    assert element_path(t, {"urn:x": "x"}) == "/x:r/x:s[2]/t"


def test_clock_today_is_vietnam_time() -> None:
    # 17:30 UTC is already the next day in Vietnam (UTC+7)
    assert parse_now("2026-11-29T17:30:00Z").today() == date(2026, 11, 30)
    assert parse_now("2026-11-29T16:59:59Z").today() == date(2026, 11, 29)


def test_clock_start_is_frozen() -> None:
    clock = Clock.start()
    assert clock.now() == clock.now()


@pytest.mark.parametrize("text", ["yesterday", "2026-11-29T10:00:00", "2026-13-01T00:00:00Z"])
def test_now_needs_an_rfc3339_instant_with_zone(text: str) -> None:
    with pytest.raises(ConfigError, match="RFC 3339"):
        parse_now(text)


def test_libxml2_native_depth_limit_is_the_one_the_fast_parse_relies_on() -> None:
    """parse_untrusted lets libxml2 enforce depth 256 natively; this breaks if libxml2 ever changes it."""
    plain = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    depth = LIBXML2_MAX_DEPTH
    etree.fromstring(b"<a>" * depth + b"</a>" * depth, plain)
    with pytest.raises(etree.XMLSyntaxError, match="Excessive depth"):
        etree.fromstring(b"<a>" * (depth + 1) + b"</a>" * (depth + 1), plain)


def test_a_huge_text_node_is_parsed_again_and_its_depth_still_checked() -> None:
    big = b"A" * (11 * 1024 * 1024)  # over libxml2's 10 MB text-node limit without huge_tree
    assert len(parse_untrusted(b"<a><b>" + big + b"</b></a>").getroot()[0].text or "") == len(big)
    deep = b"<a>" * 300 + b"<b>" + big + b"</b>" + b"</a>" * 300
    assert problem(deep).kind == "depth"


@pytest.mark.parametrize(("depth", "limit", "fails"), [(10, 10, False), (11, 10, True), (300, 400, False)])
def test_other_depth_limits_are_enforced_too(depth: int, limit: int, fails: bool) -> None:
    data = b"<a>" * depth + b"</a>" * depth
    if fails:
        with pytest.raises(XMLProblem, match=f"limit of {limit}"):
            parse_untrusted(data, max_depth=limit)
    else:
        assert parse_untrusted(data, max_depth=limit).getroot().tag == "a"
