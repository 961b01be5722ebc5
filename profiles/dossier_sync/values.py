"""Value rules of the dossier-sync profile: local times, dossier codes, phone numbers, e-mail addresses, id numbers.

Each rule is a pure function of one value. Rules that explain a problem return a
:class:`~conformance.i18n.Phrase` of the profile's catalogue (said later in the run's language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache

from conformance.clock import VIETNAM
from conformance.i18n import Phrase

from .phrases import phrase

__all__ = [
    "DOSSIER_CODE",
    "DossierCode",
    "email_problem",
    "has_id_number_run",
    "id_number_runs",
    "is_local_time",
    "mask_digits",
    "parse_dossier_code",
    "parse_local_time",
    "phone_is_plausible",
]

_FOURTEEN_DIGITS = re.compile(r"[0-9]{14}")
# Both dossier-code forms in one pattern (they cannot mix: a legacy code starts with a digit, a newer one with
# a letter), so one match says which form and cuts it: agency code, date part, number.
DOSSIER_CODE = re.compile(
    r"(?P<legacy_agency>[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2})-(?P<legacy_date>[0-9]{6})"
    r"-(?P<legacy_number>[0-9]{4,})"
    r"|(?P<newer_agency>[A-Y][0-9]{2}(?:\.[0-9A-Z]+)*)-(?P<newer_date>[0-9]{8})-(?P<newer_number>[0-9]{4,})")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"(?:\+84|0)[0-9]{8,10}")
_ID_RUN = re.compile(r"(?<![0-9])(?:[0-9]{12}|[0-9]{9})(?![0-9])")
_NINE_DIGITS = re.compile(r"[0-9]{9}")  # what every such run holds; found far faster (no look-behind)
SHORT = 64  # values longer than this are judged uncached, so hostile input cannot pin memory


# The last day of each month in every year; February's 29th is left to the calendar.
_LAST_DAY = {"01": "31", "02": "28", "03": "31", "04": "30", "05": "31", "06": "30",
             "07": "31", "08": "31", "09": "30", "10": "31", "11": "30", "12": "31"}


def is_local_time(value: str) -> bool:
    """Whether ``value`` is a real local time, as :func:`parse_local_time` reads it; most values are not parsed."""
    if (len(value) == 14 and value.isascii() and value.isdigit() and value[8:10] < "24" and value[10:12] < "60"
            and value[12:14] < "60" and value[:4] != "0000"):
        last = _LAST_DAY.get(value[4:6])
        if last is not None and "01" <= value[6:8] <= last:
            return True
    return isinstance(parse_local_time(value), datetime)


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
    found = DOSSIER_CODE.fullmatch(value)
    if found is None:
        return None
    form = "newer" if found["legacy_date"] is None else "legacy"
    return DossierCode(form, found[f"{form}_agency"], found[f"{form}_date"], found[f"{form}_number"])


def phone_is_plausible(value: str) -> bool:
    """Whether ``value``, without spaces, dots, dashes and parentheses, is +84 or 0 and 8 to 10 digits."""
    if value.isascii() and value.isdigit():  # nothing to take out: a 0, then 8 to 10 digits
        return value[0] == "0" and 9 <= len(value) <= 11
    if len(value) > SHORT:
        return _phone_is_plausible(value)
    return _cached_phone_is_plausible(value)  # a dossier's number comes back in each report about it


@lru_cache(maxsize=4096)
def _cached_phone_is_plausible(value: str) -> bool:
    return _phone_is_plausible(value)


def _phone_is_plausible(value: str) -> bool:
    return _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", value)) is not None


def email_problem(address: str) -> str | None:
    """Why ``address`` is not a valid e-mail address (syntax only, no DNS look-up), or None."""
    if len(address) > 320:
        return phrase("problem.email_too_long")
    if len(address) <= 64:  # within every length limit of an address, its local part and its domain
        plain = _PLAIN_EMAIL.fullmatch(address)
        if plain is not None and plain.group(1).lower() not in _special_use_names():
            return None
    return _email_problem(address)


# An address that plainly passes: ASCII letters and digits, with single dots, pluses, hyphens or underscores
# between them, then a domain of such labels (hyphens only) ending in a top-level domain of letters. The
# validator takes about 30 µs to say so and an export has an address per dossier, so these are let through
# without it (tests/dossier_sync/test_values.py shows it accepts every such address); any other is asked.
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*@(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+([A-Za-z]{2,63})")


@cache
def _special_use_names() -> frozenset[str]:
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    return frozenset(SPECIAL_USE_DOMAIN_NAMES)


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


def has_id_number_run(text: str) -> bool:
    """Whether ``text`` holds a run of exactly 9 or 12 digits (:func:`id_number_runs` finds them all)."""
    return _NINE_DIGITS.search(text) is not None and _ID_RUN.search(text) is not None


def mask_digits(digits: str) -> str:
    """A number with all but its first three and last two digits hidden: ``001******89``."""
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
