"""Lexical rules of edXML values: dates, times, agency codes, DocumentIds, base64, lengths.

What is wrong with a value is a :class:`~conformance.i18n.Phrase` of the profile's message catalogue:
a string holding the English text (so ``is None`` and truth tests work as for any string), with the
key and parameters that let a check say it in the run's language.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, wraps
from typing import TypeVar

from conformance.i18n import Phrase

from .phrases import phrase

R = TypeVar("R")

__all__ = [
    "BUSINESS_TYPES",
    "DOCUMENT_TYPES",
    "LEGACY_ORGAN_ID",
    "PRIORITIES",
    "QD20_ORGAN_ID",
    "STATUS_CODES",
    "DocumentId",
    "amount_problem",
    "base64_problem",
    "char_length",
    "content_id",
    "disagreements",
    "email_problem",
    "is_blank",
    "organ_id_syntax",
    "parse_date",
    "parse_document_id",
    "parse_timestamp",
]

PRIORITIES = ("0", "1", "2", "3", "4")
DOCUMENT_TYPES = ("1", "2")
BUSINESS_TYPES = ("0", "1", "2", "3")
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")

LEGACY_ORGAN_ID = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", re.ASCII)
QD20_ORGAN_ID = re.compile(r"[A-Y]\d{2}(?:\.[A-Z0-9]+)*", re.ASCII)
_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})", re.ASCII)
_TIMESTAMP = re.compile(r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})", re.ASCII)
_XML_SPACE = " \t\r\n"
# xs:base64Binary: the unused bits of the last character before padding must be zero.
_B64_ONE_PAD = frozenset(b"AEIMQUYcgkosw048")
_B64_TWO_PAD = frozenset(b"AQgw")
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_SPACE = b" \t\r\n"


def is_blank(text: str | None) -> bool:
    """Whether a value is empty or XML white space only."""
    return not text or not text.strip(_XML_SPACE)


def char_length(text: str) -> int:
    """Length in Unicode code points after NFC, so decomposed Vietnamese is not counted twice."""
    return len(unicodedata.normalize("NFC", text)) if not text.isascii() else len(text)


def _cached_when_short(limit: int) -> Callable[[Callable[[str], R]], Callable[[str], R]]:
    """Cache a judgement of short values, which recur across a folder (agency codes, dates, addresses).

    Values come from untrusted packages: a long one is judged without caching, so a folder of hostile
    files cannot pin megabytes of text in the cache.
    """

    def decorate(func: Callable[[str], R]) -> Callable[[str], R]:
        cached = lru_cache(maxsize=4096)(func)

        @wraps(func)
        def judge(value: str) -> R:
            return cached(value) if len(value) <= limit else func(value)

        judge.cache_info = cached.cache_info  # type: ignore[attr-defined]
        judge.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return judge

    return decorate


@_cached_when_short(64)
def parse_date(text: str) -> tuple[date | None, Phrase | None]:
    """A ``yyyy/MM/dd`` date, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    match = _DATE.fullmatch(value)
    if not match:
        return None, phrase("problem.date_form")
    try:
        return date(*map(int, match.groups())), None
    except ValueError:
        return None, phrase("problem.date_unreal")


def parse_timestamp(text: str) -> tuple[datetime | None, Phrase | None]:
    """A ``yyyy/MM/dd HH:mm:ss`` date and time, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None, phrase("problem.timestamp_form")
    try:
        return datetime(*map(int, match.groups())), None
    except ValueError:
        return None, phrase("problem.timestamp_unreal")


@_cached_when_short(64)
def organ_id_syntax(value: str) -> str | None:
    """Which agency-code syntax ``value`` follows: ``legacy``, ``qd20``, or None for neither."""
    if LEGACY_ORGAN_ID.fullmatch(value):
        return "legacy"
    if len(value) <= 35 and QD20_ORGAN_ID.fullmatch(value):
        return "qd20"
    return None


@dataclass(frozen=True, slots=True)
class DocumentId:
    """The parts of ``OrganId,yyyy/MM/dd,Number/Notation``."""

    organ_id: str
    date: date
    number: str
    notation: str


def parse_document_id(text: str) -> tuple[DocumentId | None, Phrase | None]:
    """A DocumentId split into its parts, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    parts = value.split(",")
    if len(parts) != 3:
        return None, phrase("problem.document_id_parts", count=len(parts))
    organ, day, code = parts
    if organ_id_syntax(organ) is None:
        return None, phrase("problem.document_id_agency", organ=organ)
    when, problem = parse_date(day)
    if when is None:
        return None, phrase("problem.document_id_date", day=day, problem=problem)
    number, slash, notation = code.partition("/")
    if not slash or not number or not notation:
        return None, phrase("problem.document_id_code", code=code)
    return DocumentId(organ, when, number, notation), None


def amount_problem(name: str, value: str) -> Phrase | None:
    """What is wrong with a filled PromulgationAmount or PageAmount (already trimmed), or None."""
    if not (value.isascii() and value.isdigit()):
        return phrase("problem.amount_not_integer", field=name, value=value)
    if name == "PageAmount" and int(value) > 999:
        return phrase("problem.page_amount_over", count=int(value))
    return None


def content_id(text: str | None) -> str:
    """A ContentId as compared: trimmed, without an optional ``cid:`` prefix."""
    value = (text or "").strip()
    return value[4:].strip() if value.lower().startswith("cid:") else value


def disagreements(doc_id: DocumentId, sender: str, promulgation_date: str, number: str,
                  notation: str) -> list[Phrase]:
    """How a header DocumentId disagrees with From/OrganId, PromulgationDate and Code (trimmed values)."""
    problems = []
    if doc_id.organ_id != sender:
        problems.append(phrase("problem.agency_mismatch", organ=doc_id.organ_id, sender=sender))
    if parse_date(promulgation_date)[0] != doc_id.date:
        problems.append(phrase("problem.date_mismatch", date=f"{doc_id.date:%Y/%m/%d}",
                               promulgation_date=promulgation_date))
    if (doc_id.number, doc_id.notation) != (number, notation):
        problems.append(phrase("problem.code_mismatch", number=f"{doc_id.number}/{doc_id.notation}",
                               code=f"{number}/{notation}"))
    return problems


# Plain ASCII addresses that email-validator always accepts (a test checks it on generated input):
# a dot-atom local part and LDH labels without "--" (IDNA), ending in an alphabetic TLD.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*@(?:[A-Za-z0-9-]{1,63}\.)+([A-Za-z]{2,24})", re.ASCII)
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a valid e-mail address (syntax only, no DNS look-up), or None."""
    plain = _PLAIN_EMAIL.fullmatch(address)
    if plain and len(address) <= 254 and plain.group(1).lower() not in _SPECIAL_USE_TLDS:
        local, _, domain = address.partition("@")
        # Labels neither start nor end with "-", and carry no "--" (IDNA reserves it).
        if (len(local) <= 64 and not domain.startswith("-") and "--" not in domain and "-." not in domain
                and ".-" not in domain):
            return None
    return _email_validator_problem(address)


@_cached_when_short(320)
def _email_validator_problem(address: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def base64_problem(text: str) -> Phrase | None:
    """What makes ``text`` invalid as ``xs:base64Binary`` (white space allowed), or None."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return phrase("problem.base64_alphabet")
    # Fast path without decoding (attachments are megabytes): only the alphabet, '=' and white space,
    # padding only at the very end, a multiple of 4 significant characters, zero padding bits.
    others = data.translate(None, _B64_ALPHABET)  # white space, padding and invalid characters: few
    padding = others.translate(None, _B64_SPACE)
    spaces = len(others) - len(padding)
    tail = data[-64:].translate(None, _B64_SPACE)
    if (padding in (b"", b"=", b"==") and (len(data) - spaces) % 4 == 0 and len(data) > spaces
            and tail.endswith(padding) and b"=" not in tail[: len(tail) - len(padding)]
            and (padding != b"=" or tail[-2] in _B64_ONE_PAD)
            and (padding != b"==" or tail[-3] in _B64_TWO_PAD)):
        return None
    return _base64_detail(data)


def _base64_detail(data: bytes) -> Phrase:
    """The precise reason ``data`` is not xs:base64Binary (the slow path, for findings only)."""
    compact = data.translate(None, _B64_SPACE)
    if not compact:
        return phrase("problem.base64_empty")
    if len(compact) % 4:
        return phrase("problem.base64_length", count=len(compact))
    if len(compact) - len(compact.rstrip(b"=")) > 2:
        return phrase("problem.base64_padding_long")
    try:
        binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error as exc:
        return phrase("problem.base64_invalid", detail=str(exc))  # binascii's own words, untranslated
    if compact.endswith(b"==") and compact[-3] not in _B64_TWO_PAD:
        return phrase("problem.base64_padding_bits", padding="==")
    if compact.endswith(b"=") and compact[-2] not in _B64_ONE_PAD:
        return phrase("problem.base64_padding_bits", padding="=")
    return phrase("problem.base64_padding_inside")
