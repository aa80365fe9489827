"""Time: a clock that tests can replace, and the member's local day.

Times are stored in UTC ISO 8601. A "day" (one check-in a day, streaks) is the
member's local calendar day in their IANA time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import InvalidInput

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or InvalidInput for anything else (paths, empty, unknown)."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise InvalidInput(f"Unknown time zone {name[:64]!r}.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # "Asia" is a tzdata folder
        raise InvalidInput(f"Unknown time zone {name!r}.") from error


def local_day(moment: datetime, time_zone: str) -> date:
    """The calendar day in `time_zone` at the instant `moment` (which must be aware)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(zone(time_zone)).date()


def days_back(day: date, count: int) -> date:
    return day - timedelta(days=count)


def check_not_future(day: date, today: date) -> date:
    if day > today:
        raise InvalidInput("The date is in the future for the member's time zone.")
    return day
