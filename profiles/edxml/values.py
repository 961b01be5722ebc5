"""Lexical rules of edXML values: dates, times, agency codes, DocumentIds, base64, lengths."""

from __future__ import annotations

import binascii
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

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


@lru_cache(maxsize=4096)  # dates recur across a folder of packages
def parse_date(text: str) -> tuple[date | None, str | None]:
    """A ``yyyy/MM/dd`` date, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    match = _DATE.fullmatch(value)
    if not match:
        return None, "is not in the form yyyy/MM/dd"
    try:
        return date(*map(int, match.groups())), None
    except ValueError:
        return None, "is not a real date"


def parse_timestamp(text: str) -> tuple[datetime | None, str | None]:
    """A ``yyyy/MM/dd HH:mm:ss`` date and time, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None, "is not in the form yyyy/MM/dd HH:mm:ss"
    try:
        return datetime(*map(int, match.groups())), None
    except ValueError:
        return None, "is not a real date and time"


@lru_cache(maxsize=8192)
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


def parse_document_id(text: str) -> tuple[DocumentId | None, str | None]:
    """A DocumentId split into its parts, or None and what is wrong with it."""
    value = text.strip(_XML_SPACE)
    parts = value.split(",")
    if len(parts) != 3:
        return None, f"has {len(parts)} comma-separated parts, not 3 (OrganId,yyyy/MM/dd,Number/Notation)"
    organ, day, code = parts
    if organ_id_syntax(organ) is None:
        return None, f"starts with '{organ}', which is not an agency code of either syntax"
    when, problem = parse_date(day)
    if when is None:
        return None, f"has date '{day}', which {problem}"
    number, slash, notation = code.partition("/")
    if not slash or not number or not notation:
        return None, f"has '{code}' where Number/Notation is expected (both sides of the first '/' filled)"
    return DocumentId(organ, when, number, notation), None


def amount_problem(name: str, value: str) -> str | None:
    """What is wrong with a filled PromulgationAmount or PageAmount (already trimmed), or None."""
    if not (value.isascii() and value.isdigit()):
        return f"{name} '{value}' is not a non-negative integer"
    if name == "PageAmount" and int(value) > 999:
        return f"PageAmount {int(value)} is over 999"
    return None


def content_id(text: str | None) -> str:
    """A ContentId as compared: trimmed, without an optional ``cid:`` prefix."""
    value = (text or "").strip()
    return value[4:].strip() if value.lower().startswith("cid:") else value


def disagreements(doc_id: DocumentId, sender: str, promulgation_date: str, number: str,
                  notation: str) -> list[str]:
    """How a header DocumentId disagrees with From/OrganId, PromulgationDate and Code (trimmed values)."""
    problems = []
    if doc_id.organ_id != sender:
        problems.append(f"DocumentId names agency '{doc_id.organ_id}', but From/OrganId is '{sender}'")
    if parse_date(promulgation_date)[0] != doc_id.date:
        problems.append(f"DocumentId date {doc_id.date:%Y/%m/%d} differs from PromulgationDate "
                        f"'{promulgation_date}'")
    if (doc_id.number, doc_id.notation) != (number, notation):
        problems.append(f"DocumentId number '{doc_id.number}/{doc_id.notation}' differs from "
                        f"Code '{number}/{notation}'")
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


@lru_cache(maxsize=4096)
def _email_validator_problem(address: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def base64_problem(text: str) -> str | None:
    """What makes ``text`` invalid as ``xs:base64Binary`` (white space allowed), or None."""
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return "contains characters outside the base64 alphabet"
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


def _base64_detail(data: bytes) -> str:
    """The precise reason ``data`` is not xs:base64Binary (the slow path, for findings only)."""
    compact = data.translate(None, _B64_SPACE)
    if not compact:
        return "is empty"
    if len(compact) % 4:
        return f"has {len(compact)} base64 characters, not a multiple of 4"
    if len(compact) - len(compact.rstrip(b"=")) > 2:
        return "ends with more than two '=' padding characters"
    try:
        binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error as exc:
        return f"is not valid base64 ({exc})"
    if compact.endswith(b"==") and compact[-3] not in _B64_TWO_PAD:
        return "has non-zero padding bits before '==' (not canonical xs:base64Binary)"
    if compact.endswith(b"=") and compact[-2] not in _B64_ONE_PAD:
        return "has non-zero padding bits before '=' (not canonical xs:base64Binary)"
    return "has padding ('=') that is not at the end"
