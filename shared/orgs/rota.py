"""The duty rota: who is primary, backup and duty officer at a given instant.

The model:
- An organisation keeps a weekly rota of slots in its own IANA time zone. A slot is
  a local wall-clock span "HH:MM"–"HH:MM" that starts on a weekday; an end at or
  before the start runs past midnight into the next day (end == start: exactly 24 h).
  The week wraps, so a Sunday night slot covers Monday morning.
- A per-date override (holiday, swap) replaces every weekly slot that STARTS on that
  local date; an empty override means nobody starts a shift that day. The previous
  night's slot still runs on into the override date's early morning.
- Times are compared on the local wall clock, so a 22:00–06:00 slot ends at 06:00
  local even on the night the clocks change.
- Where slots overlap, the one that started latest wins (ties: first listed), so a
  short swap can be laid over a longer shift.
- Where no slot covers the instant, alerts go to the organisation's fallback duty
  officer.

Pure and stdlib only: queue and workflow Lambdas import it, so it stays light.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
MAX_ID_LENGTH = 128

# [0-9], not \d: \d also matches other scripts' digits (e.g. "٠٨:٠٠"); fullmatch, not
# "$", which would accept a trailing newline.
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_ID_FIELDS = ("primary", "duty_officer", "backup")
_REQUIRED = ("start", "end", "primary", "duty_officer")
_FIELDS = (*_REQUIRED, "backup", "day")
_TIME_RULE = 'a time "HH:MM" from 00:00 to 23:59'

Source = Literal["weekly", "override", "fallback"]


@dataclass(frozen=True)
class Slot:
    start: str  # "HH:MM" local wall time, 00:00..23:59
    end: str  # end <= start: runs past midnight into the next day; end == start: 24 h
    primary: str  # user ids (opaque strings)
    duty_officer: str
    backup: str | None = None
    day: str | None = None  # one of DAYS for weekly slots; None inside a date override


@dataclass(frozen=True)
class Gap:
    """A span that no slot covers, within one day; `end` may be "24:00" (end of day)."""

    day: str
    start: str
    end: str


@dataclass(frozen=True)
class OnDuty:
    primary: str | None
    backup: str | None
    duty_officer: str | None
    source: Source
    slot: Slot | None
    slot_date: date | None  # the local date the matched slot started
    local_time: datetime  # `at` in the organisation's zone


# --- slots in and out ------------------------------------------------------------------


def parse_slot(value: Mapping[str, object], *, weekly: bool) -> Slot:
    """A slot from stored or submitted data, or ValueError with a message fit for a person.

    Messages name the field but never repeat the value (nor unknown field names), so
    whatever a client sent is not reflected into responses or logs.
    """
    if not isinstance(value, Mapping):
        raise ValueError("A slot must be an object.")
    if any(key not in _FIELDS for key in value):
        allowed = ", ".join(_FIELDS if weekly else _FIELDS[:-1])
        raise ValueError(f"A slot has an unexpected field; the fields are: {allowed}.")
    missing = [name for name in _REQUIRED if value.get(name) is None]
    if weekly and value.get("day") is None:
        missing.append("day")
    if missing:
        raise ValueError(f"A slot is missing: {', '.join(missing)}.")
    day = value.get("day")
    if not weekly and day is not None:
        raise ValueError("day belongs to weekly slots only; leave it out of a date override.")
    if day is not None and day not in DAYS:
        raise ValueError(f"day must be one of {', '.join(DAYS)}.")
    for name in ("start", "end"):
        text = value[name]
        if not isinstance(text, str) or _TIME.fullmatch(text) is None:
            raise ValueError(f"{name} must be {_TIME_RULE}.")
    for name in _ID_FIELDS:
        person = value.get(name)
        if person is None:
            continue  # only backup may be absent: required ones were checked above
        if not isinstance(person, str) or not person.strip() or len(person) > MAX_ID_LENGTH:
            raise ValueError(f"{name} must be a user id of 1 to {MAX_ID_LENGTH} characters.")
    if value.get("backup") is not None and value["backup"] == value["primary"]:
        raise ValueError("backup must be a different person from primary.")
    backup = value.get("backup")
    return Slot(
        start=str(value["start"]),
        end=str(value["end"]),
        primary=str(value["primary"]),
        duty_officer=str(value["duty_officer"]),
        backup=None if backup is None else str(backup),
        day=None if day is None else str(day),
    )


def slot_to_item(slot: Slot) -> dict[str, str]:
    """The slot as a plain dict for DynamoDB or JSON; parse_slot reads it back unchanged."""
    item = {
        "start": slot.start,
        "end": slot.end,
        "primary": slot.primary,
        "duty_officer": slot.duty_officer,
    }
    if slot.backup is not None:
        item["backup"] = slot.backup
    if slot.day is not None:
        item["day"] = slot.day
    return item


# --- minutes ---------------------------------------------------------------------------


def minutes(hhmm: str) -> int:
    """Minutes since local midnight of a "HH:MM" wall time (00:00..23:59)."""
    if _TIME.fullmatch(hhmm) is None:
        raise ValueError(f"A time must be {_TIME_RULE}.")
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def slot_length(slot: Slot) -> int:
    """The slot's length in wall-clock minutes, 1..1440 (end == start is a whole day)."""
    return (minutes(slot.end) - minutes(slot.start)) % DAY_MINUTES or DAY_MINUTES


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _week_start(slot: Slot) -> int:
    if slot.day not in DAYS:
        raise ValueError("A weekly slot needs a day, one of " + ", ".join(DAYS) + ".")
    return DAYS.index(slot.day) * DAY_MINUTES + minutes(slot.start)


def _week_spans(slot: Slot) -> list[tuple[int, int]]:
    """Minutes of the week [Mon 00:00, next Mon 00:00) the slot covers, split at the wrap."""
    start = _week_start(slot)
    end = start + slot_length(slot)
    if end <= WEEK_MINUTES:
        return [(start, end)]
    return [(start, WEEK_MINUTES), (0, end - WEEK_MINUTES)]


def _uncovered(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    holes = []
    cursor = 0
    for start, end in sorted(spans):
        if start > cursor:
            holes.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < length:
        holes.append((cursor, length))
    return holes


def _gaps_by_day(holes: list[tuple[int, int]], first_day: int) -> list[Gap]:
    """Holes on a minute line starting at midnight of DAYS[first_day], cut at each midnight."""
    gaps = []
    for start, end in holes:
        while start < end:
            day, offset = divmod(start, DAY_MINUTES)
            stop = min(end, (day + 1) * DAY_MINUTES)
            name = DAYS[(first_day + day) % 7]
            gaps.append(Gap(name, _hhmm(offset), _hhmm(stop - day * DAY_MINUTES)))
            start = stop
    return gaps


# --- checking a rota -------------------------------------------------------------------


def weekly_gaps(slots: Sequence[Slot]) -> list[Gap]:
    """The parts of the week no weekly slot covers, one Gap per day, in week order.

    These are the times alerts fall to the fallback duty officer, so admins see them.
    """
    spans = [span for slot in slots for span in _week_spans(slot)]
    return _gaps_by_day(_uncovered(spans, WEEK_MINUTES), first_day=0)


def weekly_overlaps(slots: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Pairs of weekly slots that cover a common minute (week wrap included).

    Each pair and the list are in week order of start (ties: list order). Overlaps are
    legal (latest start wins) but often a typo, so they are shown as warnings.
    """
    order = sorted(range(len(slots)), key=lambda i: (_week_start(slots[i]), i))
    spans = {i: _week_spans(slots[i]) for i in order}
    pairs = []
    for n, first in enumerate(order):
        for second in order[n + 1 :]:
            if any(a < d and c < b for a, b in spans[first] for c, d in spans[second]):
                pairs.append((slots[first], slots[second]))
    return pairs


def day_gaps(
    local_date: date, day_slots: Sequence[Slot], previous_day_slots: Sequence[Slot]
) -> list[Gap]:
    """The parts of `local_date` [00:00, 24:00) nobody covers, for checking a date override.

    `day_slots` count up to midnight only (their spill belongs to the next date);
    `previous_day_slots` (the slots that start the day before, weekly or override)
    count only for the part that runs past midnight into `local_date`.
    """
    spans = []
    for slot in day_slots:
        start = minutes(slot.start)
        spans.append((start, min(start + slot_length(slot), DAY_MINUTES)))
    for slot in previous_day_slots:
        end = minutes(slot.start) + slot_length(slot)
        if end > DAY_MINUTES:
            spans.append((0, end - DAY_MINUTES))
    return _gaps_by_day(_uncovered(spans, DAY_MINUTES), first_day=local_date.weekday())


def _gap_text(gap: Gap) -> str:
    return f"{gap.day.capitalize()} {gap.start}–{gap.end}"


def _slot_text(slot: Slot) -> str:
    return f"{(slot.day or '').capitalize()} {slot.start}–{slot.end}".strip()


def schedule_warnings(weekly: Sequence[Slot]) -> list[str]:
    """Warnings for an admin about a weekly rota: every gap, then every overlap."""
    warnings = [
        f"No one is on duty {_gap_text(gap)}; alerts then go to the duty officer."
        for gap in weekly_gaps(weekly)
    ]
    for first, second in weekly_overlaps(weekly):
        if (first.day, first.start) == (second.day, second.start):
            rule = "the first one listed wins"
        else:
            rule = "the later start wins"
        warnings.append(f"Slots {_slot_text(first)} and {_slot_text(second)} overlap; {rule}.")
    return warnings


def override_warnings(
    local_date: date, day_slots: Sequence[Slot], previous_day_slots: Sequence[Slot]
) -> list[str]:
    """Warnings for an admin about the gaps an override for `local_date` leaves that day."""
    return [
        f"No one is on duty on {local_date.isoformat()} ({_gap_text(gap)}); "
        "alerts then go to the duty officer."
        for gap in day_gaps(local_date, day_slots, previous_day_slots)
    ]


# --- who is on duty --------------------------------------------------------------------


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("The instant must be timezone-aware (for example UTC).")


def _in_zone(at: datetime, zone: str) -> datetime:
    _require_aware(at)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("Unknown time zone: use an IANA name such as Europe/London.") from None
    try:
        return at.astimezone(tz)
    except OverflowError:
        raise ValueError("The instant is outside the supported range of dates.") from None


def _slots_of(
    local_date: date, weekly: Sequence[Slot], overrides: Mapping[date, Sequence[Slot]]
) -> tuple[Source, Sequence[Slot]]:
    """The slots that start on `local_date`: its override if it has one, else the weekday's."""
    if local_date in overrides:
        return "override", overrides[local_date]
    weekday = DAYS[local_date.weekday()]
    return "weekly", [slot for slot in weekly if slot.day == weekday]


def on_duty(
    at: datetime,
    zone: str,
    weekly: Sequence[Slot],
    overrides: Mapping[date, Sequence[Slot]],
    fallback_duty_officer: str | None,
) -> OnDuty:
    """Who is on duty at instant `at` for an organisation in `zone` (see module docstring).

    Candidates are the slots starting on the local date that cover the local time,
    and the slots of the day before that run past midnight over it. The latest start
    wins; with none, the fallback duty officer takes the alert alone.
    """
    local = _in_zone(at, zone)
    today = local.date()
    now = local.hour * 60 + local.minute
    best: tuple[Slot, date, Source] | None = None
    best_key: tuple[date, int] | None = None
    days = [(today, 0)]
    if today > date.min:  # the day before first, so today's slots beat its tails
        days.insert(0, (today - timedelta(days=1), DAY_MINUTES))
    for slot_date, shift in days:
        source, slots = _slots_of(slot_date, weekly, overrides)
        wall = now + shift  # the local time counted from slot_date's midnight
        for slot in slots:
            start = minutes(slot.start)
            if start <= wall < start + slot_length(slot):
                key = (slot_date, start)
                if best_key is None or key > best_key:  # strict: a tie keeps the first listed
                    best, best_key = (slot, slot_date, source), key
    if best is None:
        return OnDuty(None, None, fallback_duty_officer, "fallback", None, None, local)
    slot, slot_date, source = best
    return OnDuty(slot.primary, slot.backup, slot.duty_officer, source, slot, slot_date, local)


def override_dates_around(at: datetime) -> list[date]:
    """The dates whose overrides `on_duty(at, ...)` may read, whatever the zone.

    Lets a caller fetch overrides in one batch before it knows the organisation's zone.
    """
    _require_aware(at)
    try:
        utc_day = at.astimezone(UTC).date()
    except OverflowError:  # UTC falls outside year 1..9999; the local date is as close
        utc_day = at.date()
    # Zones span UTC-12..UTC+14, so the local date is utc_day-1..+1; on_duty also reads its eve.
    around = []
    for offset in range(-2, 2):
        try:
            around.append(utc_day + timedelta(days=offset))
        except OverflowError:
            continue  # past either end of the calendar: no such date to fetch
    return around
