"""The pure judgements of security-baseline at their edges, and the catalogue against the digest's level table."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from conformance.profiles import resolve_profile
from conformance_profiles.security_baseline import rules
from conformance_profiles.security_baseline.payloads import (
    billion_laughs,
    deep_json,
    deep_xml,
    jwt_parts,
    jwt_with,
    oversize,
    quadratic_blowup,
)

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
PROFILE = Path(rules.__file__).parent

# The digest's "Levels per check" table, copied: L1 mandatory, L2 from level 2, L3 from level 3, R recommended.
LEVELS = {
    "L1": "SB-TLS-01 SB-TLS-06 SB-CERT-01 SB-CERT-02 SB-CERT-03 SB-HTTP-01 SB-HTTP-02 SB-HDR-05 SB-INFO-03 SB-CORS-01 "
          "SB-COOK-01 SB-AUTH-01 SB-AUTH-02 SB-AUTH-03 SB-XML-01 SB-INPUT-02",
    "L2": "SB-TLS-03 SB-TLS-05 SB-TLS-07 SB-TLS-08 SB-CERT-04 SB-HDR-01 SB-HDR-02 SB-HDR-03 SB-HDR-04 SB-HDR-06 "
          "SB-INFO-02 SB-INFO-04 SB-METH-01 SB-XML-02 SB-INPUT-01",
    "L3": "SB-TLS-04 SB-INFO-01 SB-METH-02",
    "R": "SB-TLS-02 SB-TLS-09 SB-CERT-05 SB-HDR-07",
}


def _h(**headers: str) -> httpx.Headers:
    return httpx.Headers([(k.replace("_", "-"), v) for k, v in headers.items()])


def _keys(problems: list[rules.Problem]) -> list[tuple[str, str]]:
    return [(p.phrase.key, p.part) for p in problems]


def test_the_catalogue_levels_are_the_digests() -> None:
    profile = resolve_profile("security-baseline")
    expected = {}
    for tag, ids in LEVELS.items():
        for rid in ids.split():
            expected[rid] = {"L1": ("mandatory", None), "L2": ("mandatory", 2), "L3": ("mandatory", 3),
                             "R": ("recommended", None)}[tag]
    assert {rid: (r.level.value, r.mandatory_from) for rid, r in profile.requirements.items()} == expected
    assert len(expected) == 38


def test_every_requirement_and_message_speaks_both_languages() -> None:
    profile = resolve_profile("security-baseline")
    for requirement in profile.requirements.values():
        assert requirement.title.get("vi") and requirement.text.get("vi"), requirement.id
        assert requirement.clause
    raw = yaml.safe_load((PROFILE / "profile.yaml").read_text("utf-8"))
    assert "ASVS-referenced automated baseline" in raw["title"]["en"]
    assert "không phải chứng nhận ASVS" in raw["description"]["vi"]
    assert "not an ASVS certification" in raw["description"]["en"]
    for key, entry in yaml.safe_load((PROFILE / "messages.yaml").read_text("utf-8")).items():
        assert entry.get("vi"), key
        assert sorted(re.findall(r"\{(\w+)\}", entry["en"])) == sorted(re.findall(r"\{(\w+)\}", entry["vi"])), key


def test_coverage_of_the_catalogue_is_complete() -> None:
    profile = resolve_profile("security-baseline")
    assert profile.verified() == frozenset(profile.requirements)


@pytest.mark.parametrize(("value", "expected"), [
    ("max-age=63072000; includeSubDomains", []),
    ('max-age="31536000"; includeSubDomains; preload', []),
    ("max-age=86400; includeSubDomains", [("hsts.short", "main")]),
    ("max-age=63072000", [("hsts.subdomains", "l2")]),
    ("max-age=63072000; max-age=1", [("hsts.unparseable", "main")]),
    ("includeSubDomains", [("hsts.unparseable", "main")]),
    ("max-age=-1", [("hsts.unparseable", "main")]),
])
def test_hsts(value: str, expected: list[tuple[str, str]]) -> None:
    assert _keys(rules.hsts(_h(strict_transport_security=value), "x")) == expected


def test_only_the_first_hsts_header_counts() -> None:
    headers = httpx.Headers([("strict-transport-security", "max-age=0"),
                             ("strict-transport-security", "max-age=63072000; includeSubDomains")])
    assert _keys(rules.hsts(headers, "x")) == [("hsts.short", "main"), ("hsts.subdomains", "l2")]


@pytest.mark.parametrize(("csp", "expected"), [
    ("default-src 'none'; frame-ancestors 'none'; base-uri 'none'", []),
    ("object-src 'none'; base-uri 'none'; script-src 'self' 'nonce-abc'", []),
    ("default-src 'self'; base-uri 'none'", [("csp.object_src", "main")]),
    ("default-src 'none'; base-uri 'self'", [("csp.base_self", "warn")]),
    ("default-src 'none'", [("csp.base_uri", "main")]),
    ("object-src 'none'; base-uri 'none'", [("csp.script_unrestricted", "main")]),
    ("default-src 'none'; base-uri 'none'; script-src 'self' 'unsafe-inline' 'nonce-x'", [("csp.script_unsafe",
                                                                                            "main")]),
    ("default-src 'none'; base-uri 'none'; script-src data:", [("csp.script_unsafe", "main")]),
    ("default-src 'none' ; base-uri 'none'; sc!ipt-src 'self'", [("csp.unparseable", "main")]),
])
def test_csp(csp: str, expected: list[tuple[str, str]]) -> None:
    assert _keys(rules.csp(_h(content_security_policy=csp), "x")) == expected


def test_a_csp_that_is_not_ascii_does_not_parse() -> None:
    headers = httpx.Headers([(b"content-security-policy", "défault-src 'none'".encode())])
    assert _keys(rules.csp(headers, "x")) == [("csp.unparseable", "main")]


def test_csp_properties_may_come_from_any_enforced_policy() -> None:
    headers = httpx.Headers([("content-security-policy", "script-src 'unsafe-inline'"),
                             ("content-security-policy", "default-src 'none'; base-uri 'none'")])
    assert rules.csp(headers, "x") == []


@pytest.mark.parametrize(("headers", "expected"), [
    ({"content_security_policy": "frame-ancestors 'none'"}, []),
    ({"content_security_policy": "frame-ancestors 'self' https://cong.example.gov.vn"}, []),
    ({"content_security_policy": "frame-ancestors *"}, [("framing.broad", "main")]),
    ({"content_security_policy": "frame-ancestors https:"}, [("framing.broad", "main")]),
    ({"x_frame_options": "SAMEORIGIN"}, [("framing.xfo_only", "warn")]),
    ({"x_frame_options": "ALLOW-FROM https://a"}, [("framing.missing", "main")]),
    ({}, [("framing.missing", "main")]),
])
def test_anti_framing(headers: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert _keys(rules.anti_framing(_h(**headers), "x")) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("no-referrer", []), ("strict-origin-when-cross-origin", []), ("unsafe-url, no-referrer", []),
    ("no-referrer, unsafe-url", [("referrer.weak", "main")]), ("origin", [("referrer.weak", "main")]),
    ("no-referrer, made-up", []), ("made-up", [("referrer.missing", "main")]),
])
def test_referrer_policy(value: str, expected: list[tuple[str, str]]) -> None:
    assert _keys(rules.referrer_policy(_h(referrer_policy=value), "x")) == expected


@pytest.mark.parametrize(("media", "body", "expected"), [
    ("application/json; charset=utf-8", b'{"a": 1}', []),
    ("application/problem+json; charset=utf-8", b'{"title": "x"}', []),
    ("application/json", b'{"a": 1}', ["ctype.charset"]),
    ("application/json; charset=utf-8", b"<html></html>", ["ctype.not_json"]),
    ("application/json; charset=utf-8", b'{"a": NaN}', ["ctype.not_json"]),
    ("application/xml; charset=utf-8", b"<a><b></a>", ["ctype.not_xml"]),
    ("text/plain; charset=klingon", b"x", ["ctype.unknown_charset"]),
    ("text/plain; charset=utf-8", b"\xff\xfe", ["ctype.undecodable"]),
    ("image/png", b"\x89PNG", []),
])
def test_content_type(media: str, body: bytes, expected: list[str]) -> None:
    assert [k for k, _ in _keys(rules.content_type(_h(content_type=media), body, "x"))] == expected


def test_a_body_without_content_type_fails_and_an_empty_one_is_not_judged() -> None:
    assert _keys(rules.content_type(_h(), b"x", "x")) == [("ctype.missing", "main")]
    assert rules.content_type(_h(), b"", "x") == []


def test_a_json_bomb_in_a_response_is_a_mismatch_not_a_crash() -> None:
    assert rules.content_type(_h(content_type="application/json; charset=utf-8"), deep_json(100_000), "x")


@pytest.mark.parametrize(("server", "leaks"), [("nginx", False), ("uvicorn", False), ("h2o", False),
                                               ("nginx/1.25.3", True), ("Apache 2.4", True),
                                               ("Microsoft-IIS/10.0", True), ("Kestrel v8", True)])
def test_server_versions(server: str, leaks: bool) -> None:
    assert bool(rules.version_headers(_h(server=server), "x")) is leaks


def test_powered_by_headers_always_leak() -> None:
    assert len(rules.version_headers(_h(x_powered_by="PHP", x_aspnet_version="4.0"), "x")) == 2


@pytest.mark.parametrize(("body", "found"), [
    (b'Traceback (most recent call last):\n  File "/app/x.py", line 3, in <module>', True),
    (b"java.lang.NullPointerException\n\tat java.base/java.util.Objects", True),
    (b"SQLSTATE[42S02]: Base table not found", True),
    (b"<h1>Whitelabel Error Page</h1>", True),
    (b"    at Object.<anonymous> (/srv/app/index.js:10:5)", True),
    (b'{"type": "about:blank", "title": "Not Found", "status": 404}', False),
    (b"Traceback is a word; at javascript. is not a frame", False),
])
def test_disclosure_signatures(body: bytes, found: bool) -> None:
    assert bool(rules.disclosure(body)) is found


def test_cors() -> None:
    evil = "https://evil.example"
    assert _keys(rules.cors(_h(access_control_allow_origin=evil), evil, False, "x")) == [("cors.reflected", "main")]
    assert _keys(rules.cors(_h(access_control_allow_origin="null"), "null", False, "x")) == [("cors.null", "main")]
    assert _keys(rules.cors(_h(access_control_allow_origin="*", access_control_allow_credentials="true"), evil,
                            False, "x")) == [("cors.star_credentials", "main")]
    assert _keys(rules.cors(_h(access_control_allow_origin="*"), evil, True, "x")) == [("cors.star_authenticated",
                                                                                       "main")]
    assert rules.cors(_h(access_control_allow_origin="*"), evil, False, "x") == []
    assert rules.cors(_h(access_control_allow_origin="https://cong.example.gov.vn"), evil, True, "x") == []


def test_cookies() -> None:
    problems, names = rules.cookies(["sid=abc; Path=/", "lang=vi; Secure", "old=; Max-Age=0",
                                     "csrftoken=x; Secure; SameSite=None",
                                     "__Host-session=x; Secure; HttpOnly; SameSite=Lax; Path=/",
                                     "gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "x", NOW)
    assert names == ["sid", "lang", "csrftoken", "__Host-session"]
    assert _keys(problems) == [("cookie.secure", "main"), ("cookie.httponly", "l2"), ("cookie.samesite", "l2"),
                               ("cookie.prefix", "warn"), ("cookie.samesite", "l2"), ("cookie.prefix", "warn")]


def test_a_cookie_set_by_the_login_is_a_session_cookie_whatever_its_name() -> None:
    problems, _ = rules.cookies(["ASP_X=abc; Secure"], "x", NOW, frozenset({"ASP_X"}))
    assert {k for k, _ in _keys(problems)} == {"cookie.httponly", "cookie.samesite", "cookie.prefix"}


def test_exposed_file_signatures() -> None:
    matchers = dict(rules.EXPOSED_FILES)
    assert matchers["/.git/HEAD"].search(b"ref: refs/heads/main\n")
    assert matchers["/.git/HEAD"].search(b"0123456789abcdef0123456789abcdef01234567\n")
    assert not matchers["/.git/HEAD"].search(b"<!doctype html><html>app</html>")
    assert matchers["/.env"].search(b"# settings\nDATABASE_URL=postgres://x\n")
    assert not matchers["/.env"].search(b"<html><body>Not here</body></html>")
    assert matchers["/.DS_Store"].search(b"\x00\x00\x00\x01Bud1\x00")
    assert rules.directory_listing(b"<html><head><title>Index of /static</title>")
    assert not rules.directory_listing(b"<html><head><title>Index</title>")


def test_payload_sizes_are_the_digests() -> None:
    assert 700 <= len(billion_laughs()) <= 1200
    assert 900_000 <= len(quadratic_blowup()) <= 1_000_000
    assert len(deep_json()) == 20_000
    assert deep_xml().count(b"<a>") == 10_000
    for media in ("application/xml", "application/json", "application/octet-stream"):
        assert len(oversize(media, 1025)) == 1025


def test_jwt_forgeries() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    header, payload, signature = jwt_parts(token) or ({}, {}, b"")
    assert header == {"alg": "HS256"} and payload == {"sub": "x"} and signature == b"signature"
    forged = jwt_with(token, header={"alg": "none"}, signature=b"")
    assert forged.endswith(".") and jwt_parts(forged) is not None
    assert jwt_parts("opaque-token") is None and jwt_parts("a.b.c") is None and jwt_parts(None) is None
