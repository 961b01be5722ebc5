"""Value rules of the dossier-sync profile: local times, dossier codes, phone numbers, e-mail addresses, id numbers.

Each rule is a pure function of one value. Rules that explain a problem return a
:class:`~conformance.i18n.Phrase` of the profile's catalogue (said later in the run's language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from conformance.clock import VIETNAM
from conformance.i18n import Phrase

from .phrases import phrase

__all__ = [
    "DossierCode",
    "email_problem",
    "id_number_runs",
    "mask_digits",
    "parse_dossier_code",
    "parse_local_time",
    "phone_is_plausible",
]

_FOURTEEN_DIGITS = re.compile(r"[0-9]{14}")
_LEGACY_CODE = re.compile(r"([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})-([0-9]{6})-([0-9]{4,})")
_NEWER_CODE = re.compile(r"([A-Y][0-9]{2}(?:\.[0-9A-Z]+)*)-([0-9]{8})-([0-9]{4,})")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"(?:\+84|0)[0-9]{8,10}")
_ID_RUN = re.compile(r"(?<![0-9])(?:[0-9]{12}|[0-9]{9})(?![0-9])")
SHORT = 64  # values longer than this are judged uncached, so hostile input cannot pin memory


def parse_local_time(value: str) -> datetime | Phrase:
    """``yyyyMMddHHmmss`` as an aware local time (UTC+7), or why it is not one."""
    if len(value) > SHORT:
        return _parse_local_time(value)
    return _cached_local_time(value)


@lru_cache(maxsize=4096)
def _cached_local_time(value: str) -> datetime | Phrase:
    return _parse_local_time(value)


def _parse_local_time(value: str) -> datetime | Phrase:
    if not _FOURTEEN_DIGITS.fullmatch(value):
        return phrase("problem.date_format")
    try:
        return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]),
                        int(value[12:14]), tzinfo=VIETNAM)
    except ValueError:
        return phrase("problem.date_unreal")


@dataclass(frozen=True, slots=True)
class DossierCode:
    """A dossier code cut into its parts: which form, the agency code, the date part and the number."""

    form: str  # "legacy" (13-character agency code, YYMMDD) or "newer" (QĐ 20 agency code, YYYYMMDD)
    agency: str
    date_part: str
    number: str

    def same_day(self, moment: datetime) -> bool:
        """Whether the date part is the local day of ``moment``."""
        day = f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        return self.date_part == (day[2:] if self.form == "legacy" else day)


def parse_dossier_code(value: str) -> DossierCode | None:
    """The parts of a dossier code in either form, or None when it follows neither."""
    for form, pattern in (("legacy", _LEGACY_CODE), ("newer", _NEWER_CODE)):
        found = pattern.fullmatch(value)
        if found:
            return DossierCode(form, found.group(1), found.group(2), found.group(3))
    return None


def phone_is_plausible(value: str) -> bool:
    """Whether ``value``, without spaces, dots, dashes and parentheses, is +84 or 0 and 8 to 10 digits."""
    return _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", value)) is not None


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a valid e-mail address (syntax only, no DNS look-up), or None."""
    if len(address) > 320:
        return phrase("problem.email_too_long")
    return _email_problem(address)


@lru_cache(maxsize=4096)
def _email_problem(address: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def id_number_runs(text: str) -> list[str]:
    """Runs of exactly 9 or 12 digits in ``text``: what identity-card numbers look like."""
    return _ID_RUN.findall(text)


def mask_digits(digits: str) -> str:
    """A number with all but its first three and last two digits hidden: ``001******89``."""
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
