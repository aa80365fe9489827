"""When reminders fall due, the sweep's 15-minute slots, and a member's quiet hours.

The model:
- A sweep runs every 15 minutes over one UTC slot [slot, slot + 15 min). Slots start
  on the quarter hour; a slot's key, "2026-11-24T04:15Z", names the reminder index
  partition the sweep reads, so a sweep queries one partition per slot.
- A member's reminder is a local wall time "HH:MM" (any minute) on some weekdays of
  ("mon".."sun") in their IANA zone. Each reminder's `next_due` is a UTC instant, kept
  in the partition `slot_of(next_due)`; the sweep of that slot sends it, then moves
  `next_due` to `next_reminder(...)` of an instant at or after the one just sent.
- Daylight saving: a wall time that does not exist that day (the spring-forward gap)
  fires at the first instant after the gap, the moment the clocks jump (02:30 in
  New York on 2026-03-08 fires at 03:00 EDT); a wall time that happens twice (fall
  back) fires once, at its first occurrence.
- Quiet hours are a local span "HH:MM"–"HH:MM" compared on the wall clock, like the
  duty rota: an end before the start runs overnight into the next day; an end equal
  to the start means no quiet hours at all (not a whole silent day). A quiet period
  ends when the wall clock next reads the end time, DST or not (22:00–07:00 in London
  on the night of 2026-03-29 ends at 07:00 BST, 06:00 UTC).

Every instant taken must be timezone-aware and every instant returned is in UTC.
Pure and stdlib only: the sender Lambda (no HTTP) imports it, so it stays light.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_MINUTES = 15
SLOT = timedelta(minutes=SLOT_MINUTES)

# [0-9], not \d: \d also matches other scripts' digits (e.g. "٠٨:٠٠"); fullmatch, not
# "$", which would accept a trailing newline.
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SECOND = timedelta(seconds=1)
# A wall time is looked for from the local day before `after` (a gap or a fold can
# move an instant across midnight) to well past a week ahead.
_SEARCH_DAYS = range(-1, 9)


@dataclass(frozen=True)
class QuietHours:
    """A member's nightly quiet span, local wall times "HH:MM".

    end < start: runs overnight into the next day; end == start: no quiet hours.
    """

    start: str
    end: str

    def __post_init__(self) -> None:
        parse_hhmm(self.start)
        parse_hhmm(self.end)


# --- validation ------------------------------------------------------------------------


def parse_hhmm(text: str) -> int:
    """Minutes since local midnight of a "HH:MM" wall time, or ValueError.

    The message never repeats the value, so nothing a client sent is reflected back.
    """
    if not isinstance(text, str) or _TIME.fullmatch(text) is None:
        raise ValueError('A time must be "HH:MM", from 00:00 to 23:59.')
    return int(text[:2]) * 60 + int(text[3:])


def parse_days(days: Collection[str]) -> frozenset[str]:
    """The weekdays as a set, or ValueError if any is not one of DAYS (a bare str is refused)."""
    if isinstance(days, str) or any(day not in DAYS for day in days):
        raise ValueError(f"Reminder days must be a list drawn from {', '.join(DAYS)}.")
    return frozenset(days)


def parse_zone(zone: str) -> ZoneInfo:
    """The IANA time zone named `zone`, or ValueError."""
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError("Unknown time zone: use an IANA name such as Europe/London.") from None


# --- instants --------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The instant must be timezone-aware (for example UTC).")
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError("The instant is outside the supported range of dates.") from None


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    try:
        return _utc(at).astimezone(tz)
    except OverflowError:
        raise ValueError("The instant is outside the supported range of dates.") from None


def _gap_end(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant the clocks jump over `wall`, a wall time inside a gap."""
    # In a gap fold=1 reads the wall time with the offset after the jump, giving an
    # instant before it; fold=0 with the offset before, giving one at or after it.
    before = wall.replace(fold=1).astimezone(UTC)
    after = wall.replace(fold=0).astimezone(UTC)
    offset = before.astimezone(tz).utcoffset()
    while after - before > _SECOND:  # transitions fall on whole seconds
        middle = before + (after - before) // _SECOND // 2 * _SECOND
        if middle.astimezone(tz).utcoffset() == offset:
            before = middle
        else:
            after = middle
    return after


def _wall_instant(day: date, minute_of_day: int, tz: ZoneInfo, fold: int = 0) -> datetime:
    """The UTC instant the wall clock in `tz` reads `minute_of_day` on `day`.

    A wall time in a gap gives the end of the gap; one in a fold gives the occurrence
    `fold` picks (0: first, 1: second). OverflowError beyond the calendar's ends.
    """
    hour, minute = divmod(minute_of_day, 60)
    wall = datetime.combine(day, time(hour, minute, fold=fold), tzinfo=tz)
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _gap_end(wall, tz)


def local_day(at: datetime, zone: str) -> date:
    """The member's local date at instant `at` (for "checked in that local day")."""
    return _local(at, parse_zone(zone)).date()


# --- slots -----------------------------------------------------------------------------


def slot_start(at: datetime) -> datetime:
    """The start (UTC) of the 15-minute slot holding instant `at`."""
    utc = _utc(at)
    return utc.replace(minute=utc.minute - utc.minute % SLOT_MINUTES, second=0, microsecond=0)


def slot_key(at: datetime) -> str:
    """The key of the slot holding `at`, e.g. "2026-11-24T04:15Z" (sorts as time does)."""
    start = slot_start(at)
    return (
        f"{start.year:04d}-{start.month:02d}-{start.day:02d}T{start.hour:02d}:{start.minute:02d}Z"
    )


def slot_of(next_due: datetime) -> str:
    """The reminder index partition of a reminder due at `next_due`: its slot's key."""
    return slot_key(next_due)


def due_in_slot(slot: datetime, next_due: datetime) -> bool:
    """Whether `next_due` falls within [slot, slot + 15 min); `slot` must be a slot start."""
    start = _utc(slot)
    if slot_start(start) != start:
        raise ValueError("The slot must be the start of a slot (see slot_start).")
    return timedelta(0) <= _utc(next_due) - start < SLOT


# --- reminders -------------------------------------------------------------------------


def next_reminder(
    after: datetime, reminder_time: str, days: Collection[str], zone: str
) -> datetime | None:
    """The first UTC instant strictly after `after` that the reminder fires, or None.

    It fires when the local wall clock reads `reminder_time` on an allowed local day
    (see the module docstring for DST). None when no day is allowed, or when the next
    one lies beyond the end of the calendar.
    """
    minute = parse_hhmm(reminder_time)
    allowed = parse_days(days)
    tz = parse_zone(zone)
    since = _utc(after)
    today = _local(since, tz).date()
    if not allowed:
        return None
    for offset in _SEARCH_DAYS:
        try:
            day = today + timedelta(days=offset)
            if DAYS[day.weekday()] not in allowed:
                continue
            due = _wall_instant(day, minute, tz)
        except OverflowError:
            continue  # past either end of the calendar: no such day
        if due > since:
            return due
    return None


# --- quiet hours -----------------------------------------------------------------------


def in_quiet_hours(at: datetime, quiet: QuietHours | None, zone: str) -> bool:
    """Whether the member's local wall clock at `at` is within their quiet hours."""
    local = _local(at, parse_zone(zone))
    if quiet is None:
        return False
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    now = local.hour * 60 + local.minute
    if start < end:
        return start <= now < end
    if start > end:  # overnight
        return now >= start or now < end
    return False  # start == end: no quiet hours


def quiet_hours_end(at: datetime, quiet: QuietHours | None, zone: str) -> datetime:
    """The UTC instant the quiet period holding `at` ends: when a deferred push may go.

    Outside quiet hours that is `at` itself (in UTC). The end is the first instant after
    `at` that the wall clock reads quiet.end (or jumps past it) on the day it ends.
    """
    since = _utc(at)
    if quiet is None or not in_quiet_hours(since, quiet, zone):
        return since
    tz = parse_zone(zone)
    local = _local(since, tz)
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    day = local.date()
    try:
        if start > end and local.hour * 60 + local.minute >= start:
            day += timedelta(days=1)  # the evening part: quiet ends tomorrow morning
        first = _wall_instant(day, end, tz, fold=0)
        # In the repeated hour after the clocks go back, the first occurrence of the end
        # may already be past; quiet then lasts until the second.
        return first if first > since else _wall_instant(day, end, tz, fold=1)
    except OverflowError:
        raise ValueError("The instant is outside the supported range of dates.") from None
