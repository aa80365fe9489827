"""The decisions of the appointments feature as plain functions (stdlib only).

Availability is weekly hours in the organisation's IANA zone ("09:00"-"12:00" on
"mon"...), a slot length (default 50 minutes) and a gap between slots (default 10),
and exceptions per local date (closed, or other hours that day). Slots are laid out
on the local wall clock from the start of each range: 09:00, 10:00, 11:00 for 09:00-12:00
with 50 + 10. A wall time that does not exist that day (the spring-forward gap) has no
slot; one that happens twice (fall back) is its first occurrence. A slot lasts its
length in real minutes.

The reminder sweep and the data-rights handler import this module: no pydantic here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("in_person", "phone", "video")
DAY_MINUTES = 24 * 60
DEFAULT_SLOT_MINUTES = 50
DEFAULT_GAP_MINUTES = 10
MAX_RANGE_DAYS = 31  # a slots or appointments query spans at most this many local days
MAX_DAYS_AHEAD = 180  # how far ahead a slot can be booked
# "HH:MM" 00:00..23:59, or 24:00 (the end of the day, for an end only).
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def minutes(hhmm: str) -> int:
    """Minutes since local midnight of "HH:MM" (24:00 is 1440); ValueError otherwise."""
    if not isinstance(hhmm, str) or _TIME.fullmatch(hhmm) is None:
        raise ValueError('A time must be "HH:MM" from 00:00 to 24:00.')
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def check_ranges(ranges: Sequence[Mapping[str, str]], slot_minutes: int, where: str) -> None:
    """ValueError unless each range ends after it starts, fits a slot, and none overlap."""
    spans = []
    for span in ranges:
        start, end = minutes(span["start"]), minutes(span["end"])
        if start >= DAY_MINUTES:
            raise ValueError(f"{where}: a range cannot start at 24:00.")
        if end <= start:
            raise ValueError(f"{where}: a range must end after it starts (same day).")
        if end - start < slot_minutes:
            raise ValueError(f"{where}: a range must be at least one slot long.")
        spans.append((start, end))
    spans.sort()
    for (_, first_end), (second_start, _) in itertools.pairwise(spans):
        if second_start < first_end:
            raise ValueError(f"{where}: ranges overlap.")


def zone_or_default(name: object, default: str) -> str:
    """The organisation's zone if it names an IANA zone, else the deployment's default."""
    if isinstance(name, str) and name and len(name) <= 64 and not name.startswith(("/", ".")):
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return default


@dataclass(frozen=True)
class Availability:
    """A counsellor's published availability, as stored (plain values)."""

    counsellor_id: str
    org_id: str
    zone: str
    weekly: Mapping[str, Sequence[Mapping[str, str]]]
    slot_minutes: int = DEFAULT_SLOT_MINUTES
    gap_minutes: int = DEFAULT_GAP_MINUTES
    exceptions: Sequence[Mapping[str, Any]] = ()
    modes: Sequence[str] = MODES
    version: int = 1
    updated_at: str = ""

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Availability:
        return cls(
            counsellor_id=str(item["owner_id"]),
            org_id=str(item["org_id"]),
            zone=str(item["zone"]),
            weekly={k: list(v) for k, v in (item.get("weekly") or {}).items()},
            slot_minutes=int(item.get("slot_minutes") or DEFAULT_SLOT_MINUTES),
            gap_minutes=int(item.get("gap_minutes") or 0),
            exceptions=list(item.get("exceptions") or ()),
            modes=tuple(item.get("modes") or MODES),
            version=int(item.get("version") or 1),
            updated_at=str(item.get("updated_at") or ""),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "owner_id": self.counsellor_id,
            "org_id": self.org_id,
            "zone": self.zone,
            "weekly": {d: [dict(r) for r in self.weekly[d]] for d in DAYS if self.weekly.get(d)},
            "slot_minutes": self.slot_minutes,
            "gap_minutes": self.gap_minutes,
            "exceptions": [dict(e) for e in self.exceptions],
            "modes": list(self.modes),
            "version": self.version,
            "updated_at": self.updated_at,
        }

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def ranges_on(self, day: date) -> list[tuple[int, int]]:
        """The local wall-clock ranges (minutes) of `day`: its exception's, else its weekday's."""
        for exception in self.exceptions:
            if exception.get("date") == day.isoformat():
                if exception.get("closed"):
                    return []
                return sorted(
                    (minutes(r["start"]), minutes(r["end"])) for r in exception.get("hours") or ()
                )
        weekly = self.weekly.get(DAYS[day.weekday()]) or ()
        return sorted((minutes(r["start"]), minutes(r["end"])) for r in weekly)

    def slots_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """(start, end) in UTC of every slot on the local date `day`."""
        tz = self.tz
        found = []
        length = timedelta(minutes=self.slot_minutes)
        for start, end in self.ranges_on(day):
            at = start
            while at + self.slot_minutes <= end:
                wall = datetime.combine(day, time(at // 60, at % 60), tzinfo=tz)
                instant = wall.astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
                    found.append((instant, instant + length))  # else: in a gap, no slot
                at += self.slot_minutes + self.gap_minutes
        return found

    def slots_between(self, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        day = first
        while day <= last:
            yield from self.slots_on(day)
            day += timedelta(days=1)

    def slot_at(self, start: datetime) -> tuple[datetime, datetime] | None:
        """The slot that starts at instant `start`, or None if no slot does."""
        start = start.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        return next((s for s in self.slots_on(day) if s[0] == start), None)


def local_iso(moment: datetime, zone: str) -> str:
    """The instant on the zone's wall clock with its offset: "2026-11-26T14:00+08:00"."""
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")


def time_label(moment: datetime, zone: str, lang: str) -> str:
    """A short local start for a reminder: "11月26日 周三 14:00" or "Wed 26 Nov 14:00"."""
    local = moment.astimezone(ZoneInfo(zone))
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if lang == "zh-CN":
        return f"{local.month}月{local.day}日 {_ZH_DAYS[local.weekday()]} {clock}"
    return f"{_EN_DAYS[local.weekday()]} {local.day} {_EN_MONTHS[local.month - 1]} {clock}"


def too_late_to_change(starts_at: datetime, now: datetime, cutoff: timedelta) -> bool:
    """Whether a member's cancel or move comes within the cut-off before the start."""
    return now > starts_at - cutoff


def still_upcoming(entries: Sequence[str], now: datetime) -> list[str]:
    """The "<starts_at>|<id>" entries of appointments that have not started yet."""
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return sorted(e for e in entries if e.split("|", 1)[0] > stamp)
