"""What security-baseline reads in one response: pure judgements of headers, cookies and bodies.

Each function takes what was received and returns :class:`Problem`s, never raising on hostile input.
A problem's ``part`` says how it counts under its requirement: ``main`` (the row's own level), ``l2``
(an ASVS L2 part of an L1 row: mandatory from security level 2, a warning below) or ``warn`` (a WARN
part: always a warning). Messages are :class:`~conformance.i18n.Phrase`s of the profile's catalogue,
said in the run's language where the result is made.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any

from conformance.i18n import Phrase, load_catalogue
from conformance.xml import XMLProblem, parse_untrusted

__all__ = [
    "EXPOSED_FILES",
    "MIN_HSTS_MAX_AGE",
    "Cookie",
    "Problem",
    "anti_framing",
    "cache_control",
    "content_type",
    "cookies",
    "cors",
    "csp",
    "directory_listing",
    "disclosure",
    "hsts",
    "is_html",
    "isolation",
    "nosniff",
    "parse_cookie",
    "parse_csp",
    "parse_hsts",
    "phrase",
    "referrer_policy",
    "version_headers",
]

MIN_HSTS_MAX_AGE = 31_536_000
PART_MAIN, PART_L2, PART_WARN = "main", "l2", "warn"


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    return load_catalogue(Path(__file__).with_name("messages.yaml"))


def phrase(key: str, /, **params: object) -> Phrase:
    """Message ``key`` of the profile's catalogue, English now, said in the run's language later."""
    return Phrase.of(_catalogue(), key, **params)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one response: how it counts (``part``) and what to say."""

    phrase: Phrase
    part: str = PART_MAIN


def _values(headers: Any, name: str) -> list[str]:
    """Every value of header ``name`` (httpx.Headers or a mapping), in order, not split at commas."""
    if hasattr(headers, "get_list"):
        return [str(v) for v in headers.get_list(name)]
    found = [v for k, v in (headers.items() if isinstance(headers, Mapping) else headers) if k.lower() == name]
    return [str(v) for v in found]


# -- Strict-Transport-Security (SB-HTTP-02) ------------------------------------------------------

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_DIRECTIVE = re.compile(rf"\s*({_TOKEN})\s*(?:=\s*({_TOKEN}|\"(?:[^\"\\]|\\.)*\"))?\s*")


def parse_hsts(value: str) -> dict[str, str | None] | None:
    """The directives of one Strict-Transport-Security value (RFC 6797 §6.1), or None when it does not parse."""
    directives: dict[str, str | None] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        match = _DIRECTIVE.fullmatch(part)
        if match is None:
            return None
        name = match.group(1).lower()
        if name in directives:  # RFC 6797 §6.1: each directive at most once
            return None
        raw = match.group(2)
        directives[name] = raw[1:-1] if raw is not None and raw.startswith('"') else raw
    age = directives.get("max-age")
    if age is None or not age.isdigit():
        return None
    return directives


def hsts(headers: Any, where: str) -> list[Problem]:
    """SB-HTTP-02: HSTS present, max-age of a year or more; includeSubDomains is the L2 part."""
    values = _values(headers, "strict-transport-security")
    if not values:
        return [Problem(phrase("hsts.missing", where=where))]
    parsed = parse_hsts(values[0])  # RFC 6797 §8.1: only the first header is processed
    if parsed is None:
        return [Problem(phrase("hsts.unparseable", where=where, value=values[0][:200]))]
    problems = []
    age = int(parsed["max-age"] or 0)
    if age < MIN_HSTS_MAX_AGE:
        problems.append(Problem(phrase("hsts.short", where=where, age=age, minimum=MIN_HSTS_MAX_AGE)))
    if "includesubdomains" not in parsed:
        problems.append(Problem(phrase("hsts.subdomains", where=where), PART_L2))
    return problems


# -- X-Content-Type-Options (SB-HDR-01) -----------------------------------------------------------

def nosniff(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-01: X-Content-Type-Options is exactly nosniff."""
    values = _values(headers, "x-content-type-options")
    if not values:
        return [Problem(phrase("nosniff.missing", where=where))]
    wrong = [v for v in values if v.strip().lower() != "nosniff"]
    if wrong:
        return [Problem(phrase("nosniff.wrong", where=where, value=wrong[0][:200]))]
    return []


# -- Content-Security-Policy (SB-HDR-02, SB-HDR-03) ------------------------------------------------

_DIRECTIVE_NAME = re.compile(r"[A-Za-z0-9-]+")
Policy = dict[str, list[str]]


def parse_csp(values: Sequence[str]) -> list[Policy] | None:
    """Every policy of the Content-Security-Policy header values (CSP3 §2.2.1), or None when one does not parse.

    A value may hold several policies separated by commas. In one policy, a repeated directive is ignored,
    as browsers do.
    """
    policies: list[Policy] = []
    for value in values:
        if not value.isascii():
            return None
        for text in value.split(","):
            policy: Policy = {}
            for token in text.split(";"):
                words = token.split()
                if not words:
                    continue
                name = words[0].lower()
                if not _DIRECTIVE_NAME.fullmatch(name):
                    return None
                policy.setdefault(name, words[1:])
            if policy:
                policies.append(policy)
    return policies or None


def _script_sources(policy: Policy) -> list[str] | None:
    return policy.get("script-src", policy.get("default-src"))


def is_html(headers: Any) -> bool:
    """Whether the response is an HTML document."""
    media = (_values(headers, "content-type") or [""])[0].split(";")[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml")


def csp(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-02 on one HTML response: object-src and base-uri 'none', no unsafe script sources."""
    values = _values(headers, "content-security-policy")
    if not values:
        return [Problem(phrase("csp.missing", where=where))]
    policies = parse_csp(values)
    if policies is None:
        return [Problem(phrase("csp.unparseable", where=where, value=" | ".join(values)[:300]))]
    problems = []
    objects_none = any(p.get("object-src", p.get("default-src")) == ["'none'"] for p in policies)
    if not objects_none:
        problems.append(Problem(phrase("csp.object_src", where=where)))
    bases = [[s.lower() for s in p["base-uri"]] for p in policies if "base-uri" in p]
    if ["'none'"] not in bases:
        if ["'self'"] in bases:
            problems.append(Problem(phrase("csp.base_self", where=where), PART_WARN))
        else:
            problems.append(Problem(phrase("csp.base_uri", where=where)))
    unsafe = ("'unsafe-inline'", "'unsafe-eval'", "data:")
    scripts = [_script_sources(p) for p in policies]
    safe = [s for s in scripts if s is not None and not any(x.lower() in unsafe for x in s)]
    if not safe:
        restricted = [s for s in scripts if s is not None]
        if not restricted:
            problems.append(Problem(phrase("csp.script_unrestricted", where=where)))
        else:
            bad = sorted({x for s in restricted for x in s if x.lower() in unsafe})
            problems.append(Problem(phrase("csp.script_unsafe", where=where, sources=" ".join(bad))))
    return problems


_BROAD_SOURCE = re.compile(r"\*|[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def anti_framing(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-03: CSP frame-ancestors on the response; X-Frame-Options alone is a WARN."""
    policies = parse_csp(_values(headers, "content-security-policy")) or []
    ancestors = [p["frame-ancestors"] for p in policies if "frame-ancestors" in p]
    if ancestors:
        if any(not any(_BROAD_SOURCE.fullmatch(s) for s in sources) for sources in ancestors):
            return []
        shown = " ".join(ancestors[0])
        return [Problem(phrase("framing.broad", where=where, sources=shown))]
    xfo = [v.strip().upper() for v in _values(headers, "x-frame-options")]
    if xfo and xfo[0] in ("DENY", "SAMEORIGIN"):
        return [Problem(phrase("framing.xfo_only", where=where, value=xfo[0]), PART_WARN)]
    return [Problem(phrase("framing.missing", where=where))]


# -- Referrer-Policy (SB-HDR-04) ---------------------------------------------------------------------

_KNOWN_REFERRER = frozenset({"no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
                             "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url"})
_STRICT_REFERRER = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")


def referrer_policy(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-04: the policy a browser applies (the last known token) is one of the four strict ones."""
    tokens = [t.strip().lower() for v in _values(headers, "referrer-policy") for t in v.split(",")]
    known = [t for t in tokens if t in _KNOWN_REFERRER]
    if not known:
        return [Problem(phrase("referrer.missing", where=where))]
    if known[-1] not in _STRICT_REFERRER:
        return [Problem(phrase("referrer.weak", where=where, value=known[-1], allowed=", ".join(_STRICT_REFERRER)))]
    return []


# -- Content-Type (SB-HDR-05) --------------------------------------------------------------------------

def _media(value: str) -> tuple[str, dict[str, str]]:
    media, _, rest = value.partition(";")
    params = {}
    for item in rest.split(";"):
        name, eq, val = item.partition("=")
        if eq:
            params[name.strip().lower()] = val.strip().strip('"')
    return media.strip().lower(), params


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _is_xml(media: str) -> bool:
    return media in ("application/xml", "text/xml") or media.endswith("+xml")


def _strict_json(text: str) -> None:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    json.loads(text, parse_constant=refuse)


def content_type(headers: Any, body: bytes, where: str) -> list[Problem]:
    """SB-HDR-05: a body has a Content-Type that matches it, with a charset for text, JSON and XML."""
    if not body:
        return []
    values = _values(headers, "content-type")
    if not values:
        return [Problem(phrase("ctype.missing", where=where, size=len(body)))]
    media, params = _media(values[0])
    textual = media.startswith("text/") or _is_json(media) or _is_xml(media)
    charset = params.get("charset")
    if textual and not charset:
        return [Problem(phrase("ctype.charset", where=where, media=media))]
    text = None
    if charset:
        try:
            text = body.decode(codecs.lookup(charset).name)
        except LookupError:
            return [Problem(phrase("ctype.unknown_charset", where=where, charset=charset[:50]))]
        except UnicodeDecodeError as exc:
            return [Problem(phrase("ctype.undecodable", where=where, charset=charset[:50], offset=exc.start))]
    if _is_json(media):
        try:
            _strict_json(text if text is not None else body.decode("utf-8"))
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            return [Problem(phrase("ctype.not_json", where=where, media=media, problem=str(exc)[:200]))]
    elif _is_xml(media):
        try:
            parse_untrusted(body)
        except XMLProblem as exc:
            if exc.kind == "syntax":
                return [Problem(phrase("ctype.not_xml", where=where, media=media, problem=exc.message[:200]))]
    return []


# -- Cache-Control (SB-HDR-06) ----------------------------------------------------------------------

def cache_control(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-06: Cache-Control contains no-store."""
    directives = [d.split("=")[0].strip().lower() for v in _values(headers, "cache-control") for d in v.split(",")]
    if "no-store" not in directives:
        shown = ", ".join(_values(headers, "cache-control")) or "-"
        return [Problem(phrase("cache.no_store", where=where, value=shown[:200]))]
    return []


# -- Cross-origin isolation (SB-HDR-07) -------------------------------------------------------------

def isolation(headers: Any, where: str) -> list[Problem]:
    """SB-HDR-07 on one HTML response: COOP same-origin(-allow-popups) and a CORP."""
    problems = []
    coop = [v.split(";")[0].strip().lower() for v in _values(headers, "cross-origin-opener-policy")]
    if not coop or coop[0] not in ("same-origin", "same-origin-allow-popups"):
        problems.append(Problem(phrase("isolation.coop", where=where, value=(coop or ["-"])[0][:100])))
    if not _values(headers, "cross-origin-resource-policy"):
        problems.append(Problem(phrase("isolation.corp", where=where)))
    return problems


# -- Version disclosure (SB-INFO-01) --------------------------------------------------------------

_VERSION_HEADERS = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator")
_VERSION = re.compile(r"(?:/|\bv)\d|\b\d+\.\d+")


def version_headers(headers: Any, where: str) -> list[Problem]:
    """SB-INFO-01: no X-Powered-By and kin; a Server header without a version number."""
    problems = []
    for name in _VERSION_HEADERS:
        for value in _values(headers, name):
            problems.append(Problem(phrase("version.header", where=where, name=name, value=value[:200])))
    for value in _values(headers, "server"):
        if _VERSION.search(value):
            problems.append(Problem(phrase("version.server", where=where, value=value[:200])))
    return problems


# -- Error disclosure (SB-INFO-02) ------------------------------------------------------------------

_SIGNATURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(pattern)) for name, pattern in (
    ("Python traceback", r"Traceback \(most recent call last\)"),
    ("Python stack frame", r'File "[^"\n]+", line \d+, in '),
    ("Java stack frame", r"\bat (?:java|javax|jdk|sun|org\.springframework|org\.apache|org\.hibernate)\.[\w$.]+"),
    ("Spring Boot error page", r"Whitelabel Error Page"),
    ("SQL error", r"SQLSTATE|SQLException|You have an error in your SQL syntax|\bORA-\d{5}\b|\bPG::\w+Error"),
    ("Django debug page", r"DEBUG = True|DEBUG\s*=\s*True"),
    ("Werkzeug debugger", r"Werkzeug Debugger|The debugger caught an exception"),
    (".NET stack frame", r"\bat System\.[\w.]+\(|Server Error in '/' Application"),
    ("PHP error", r"<b>(?:Fatal error|Parse error|Warning|Notice)</b>:|PHP (?:Fatal error|Warning|Parse error):|"
                  r"Stack trace:\s*#0"),
    ("Node.js stack frame", r"\bat [\w.$<>\[\] ]+ \((?:/|[A-Za-z]:\\)[^)\n]+\.(?:js|mjs|cjs|ts):\d+:\d+\)"),
    ("Ruby stack frame", r"\.rb:\d+:in [`']"),
    ("Go panic", r"goroutine \d+ \[running\]"),
))


def disclosure(body: bytes) -> list[str]:
    """SB-INFO-02: names of the stack-trace or debug signatures found in a body."""
    text = body[:262_144].decode("utf-8", "replace")
    return [name for name, pattern in _SIGNATURES if pattern.search(text)]


# -- Exposed files (SB-INFO-03) -----------------------------------------------------------------------

EXPOSED_FILES: tuple[tuple[str, re.Pattern[bytes]], ...] = (
    ("/.git/HEAD", re.compile(rb"\A\s*(?:ref: refs/|[0-9a-f]{40}\s*\Z)")),
    ("/.svn/entries", re.compile(rb"\A(?:\d+\s*\n|<\?xml[^>]*>\s*<wc-entries)")),
    ("/.env", re.compile(rb"^\s*(?:export\s+)?[A-Z][A-Z0-9_]*\s*=", re.MULTILINE)),
    ("/.DS_Store", re.compile(rb"\A\x00\x00\x00\x01Bud1")),
)
_LISTING = re.compile(rb"<title>\s*Index of /|<h1>\s*Index of /|Directory listing for /|\[To Parent Directory\]|"
                      rb"<title>\s*Directory Listing", re.IGNORECASE)


def directory_listing(body: bytes) -> bool:
    """SB-INFO-03: whether a body is an auto-index page."""
    return bool(_LISTING.search(body[:65_536]))


# -- CORS (SB-CORS-01) ----------------------------------------------------------------------------------

def cors(headers: Any, origin: str, credentialed: bool, where: str) -> list[Problem]:
    """SB-CORS-01: the origin is not reflected nor null; * never with credentials or on authenticated answers."""
    allowed = [v.strip() for v in _values(headers, "access-control-allow-origin")]
    if not allowed:
        return []
    value = allowed[0]
    credentials = any(v.strip().lower() == "true" for v in _values(headers, "access-control-allow-credentials"))
    problems = []
    if value == origin and origin != "null":
        problems.append(Problem(phrase("cors.reflected", where=where, origin=origin,
                                       credentials="true" if credentials else "false")))
    elif value.lower() == "null":
        problems.append(Problem(phrase("cors.null", where=where, origin=origin)))
    elif value == "*" and credentials:
        problems.append(Problem(phrase("cors.star_credentials", where=where)))
    elif value == "*" and credentialed:
        problems.append(Problem(phrase("cors.star_authenticated", where=where)))
    return problems


# -- Cookies (SB-COOK-01) --------------------------------------------------------------------------------

_SESSION_NAME = re.compile(r"sess|sid|auth|token|jwt|remember", re.IGNORECASE)
_CSRF_NAME = re.compile(r"csrf|xsrf", re.IGNORECASE)


@dataclass(frozen=True)
class Cookie:
    """One Set-Cookie: its name and attributes (lower-case names), the value never kept."""

    name: str
    attributes: Mapping[str, str]

    def deleted(self, now: datetime) -> bool:
        """Whether the cookie is being removed (Max-Age ≤ 0, or an Expires in the past)."""
        age = self.attributes.get("max-age")
        if age is not None and age.lstrip("-").isdigit():
            return int(age) <= 0
        expires = self.attributes.get("expires")
        if expires:
            try:
                when = parsedate_to_datetime(expires)
            except (TypeError, ValueError, IndexError):
                return False
            return when.tzinfo is not None and when < now
        return False


def parse_cookie(value: str) -> Cookie | None:
    """The name and attributes of one Set-Cookie value (RFC 6265 §5.2), or None without a name=value pair."""
    first, *rest = value.split(";")
    name, eq, _ = first.partition("=")
    if not eq or not name.strip():
        return None
    attributes = {}
    for item in rest:
        key, _, val = item.partition("=")
        if key.strip():
            attributes[key.strip().lower()] = val.strip()
    return Cookie(name.strip(), attributes)


def cookies(values: Iterable[str], where: str, now: datetime, session_names: frozenset[str] = frozenset()
            ) -> tuple[list[Problem], list[str]]:
    """SB-COOK-01 on the Set-Cookie values of one response: the problems, and the cookie names judged."""
    problems: list[Problem] = []
    judged = []
    for value in values:
        cookie = parse_cookie(value)
        if cookie is None or cookie.deleted(now):
            continue
        judged.append(cookie.name)
        attrs = cookie.attributes
        csrf = bool(_CSRF_NAME.search(cookie.name))  # csrftoken: a CSRF cookie, which scripts may need to read
        session = cookie.name in session_names or (not csrf and bool(_SESSION_NAME.search(cookie.name)))
        if "secure" not in attrs:
            problems.append(Problem(phrase("cookie.secure", where=where, name=cookie.name)))
        if session and "httponly" not in attrs:
            problems.append(Problem(phrase("cookie.httponly", where=where, name=cookie.name), PART_L2))
        if (session or csrf) and attrs.get("samesite", "").lower() not in ("lax", "strict"):
            problems.append(Problem(phrase("cookie.samesite", where=where, name=cookie.name,
                                           value=attrs.get("samesite") or "-"), PART_L2))
        if (session or csrf) and not cookie.name.startswith(("__Host-", "__Secure-")):
            problems.append(Problem(phrase("cookie.prefix", where=where, name=cookie.name), PART_WARN))
    return problems, judged
