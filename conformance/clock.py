"""One injectable clock: every date rule reads "now" from here, in Vietnam's time zone (UTC+7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from .errors import ConfigError

__all__ = ["VIETNAM", "Clock", "parse_now"]

VIETNAM = timezone(timedelta(hours=7), "UTC+07:00")


@dataclass(frozen=True, slots=True)
class Clock:
    """A clock that is either pinned (``--now``) or reads the system time."""

    pinned: datetime | None = None

    @classmethod
    def start(cls) -> Clock:
        """A clock frozen at this instant (to the second), so one run reads one "now"."""
        return cls(datetime.now(UTC).replace(microsecond=0))

    def now(self) -> datetime:
        """The current instant, in UTC+7."""
        return (self.pinned or datetime.now(UTC)).astimezone(VIETNAM)

    def today(self) -> date:
        """Today's calendar date in Vietnam."""
        return self.now().date()


def parse_now(text: str) -> Clock:
    """A clock pinned at an RFC 3339 instant, e.g. ``2026-11-29T09:00:00+07:00``."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            f"--now '{text}' is not an RFC 3339 date-time with a time zone",
            hint="write it like 2026-11-29T09:00:00+07:00 or 2026-11-29T02:00:00Z",
        )
    return Clock(moment)
