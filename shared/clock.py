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
UNKNOWN_ZONE = "Unknown time zone: use an IANA name such as Asia/Shanghai."


def system_clock() -> datetime:
    return datetime.now(UTC)


# The ends of what `utc_iso` can write: every stored stamp sorts between them.
EARLIEST_UTC_ISO = "0001-01-01T00:00:00.000Z"
LATEST_UTC_ISO = "9999-12-31T23:59:59.999Z"


def utc_iso(moment: datetime) -> str:
    """`moment` as UTC ISO 8601 with milliseconds, e.g. 2026-05-01T18:00:00.000Z.

    An instant that falls outside datetime's range once in UTC (1 January of year 1
    east of UTC, 31 December 9999 west of it: only extreme client input) is clamped to
    EARLIEST_UTC_ISO or LATEST_UTC_ISO, so it compares as before or after every stamp
    instead of raising OverflowError.
    """
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        return EARLIEST_UTC_ISO if moment.year == 1 else LATEST_UTC_ISO
    return in_utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or InvalidInput for anything else (paths, empty, unknown).

    The message never repeats the name: it came from the client or its token.
    """
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise InvalidInput(UNKNOWN_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # "Asia" is a tzdata folder
        raise InvalidInput(UNKNOWN_ZONE) from error


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
