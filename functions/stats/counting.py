"""What one stream record changes in the counters (pure, stdlib only).

**A check-in.** A member has at most one check-in per local day (the check-ins table's
key), so a day's row counts member-days: `checkins` (= members that day), `mood_<1..5>`
and `tier_<risk level>`. The member's `member#`/`d#<day>` item remembers what their
check-in of that day counts (unit, mood, tier) and the stream sequence number of the
record that last changed it: a record is applied only if its sequence number is greater,
so replays and stale records change nothing, and an edit moves the member-day from the
old mood/tier/unit to the new one (a removal takes it away). Week and month rows count
the same member-days plus `members`, the distinct members: the member's `w#`/`m#` item
holds how many of their days fall in each unit; `members` moves when that goes 0 ↔ 1.

**A case** counts on the local day it was opened in the organisation's zone (the cohort
of cases opened that day): `cases_opened` once, and once acknowledged `cases_acknowledged`
and one `ack_<bucket>` by the minutes from opening to the first acknowledgement. Each is
guarded by a marker of the case put only if absent; a later acknowledgement (after a
raise reopens the case) is not counted again.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

MOODS: Final = (1, 2, 3, 4, 5)
TIERS: Final = ("none", "watch", "high", "imminent")
# Upper bounds (minutes, exclusive) of the time-to-acknowledge buckets; the last is open.
ACK_BOUNDS: Final = (5, 15, 30, 60, 120, 240, 480, 1440, 4320)
ACK_BUCKETS: Final = len(ACK_BOUNDS) + 1
SEQUENCE_WIDTH: Final = 40  # stream sequence numbers are decimal strings of up to 40 digits


@dataclass(frozen=True)
class DayCount:
    """What one member-day counts, in one organisation's unit."""

    org_id: str
    unit: str
    mood: int
    tier: str


Deltas = dict[tuple[str, str, str], Counter[str]]  # (org, period, unit) → attribute → change
UNIT_SEPARATOR: Final = "\x1f"  # between org and unit in a member's period item


def place(count: DayCount) -> str:
    """The key of a member's days in one organisation's unit (a period item's map)."""
    return f"{count.org_id}{UNIT_SEPARATOR}{count.unit}"


def sequence_key(sequence_number: str) -> str:
    """A stream sequence number padded so that string order is numeric order."""
    if not sequence_number.isdigit() or len(sequence_number) > SEQUENCE_WIDTH:
        raise ValueError("not a stream sequence number")
    return sequence_number.zfill(SEQUENCE_WIDTH)


def day_count(org_id: str, unit: str, mood: object, tier: object) -> DayCount | None:
    """The member-day a check-in image counts, or None if its values are not countable.

    `mood` may be a Decimal (a stream image's number).
    """
    if isinstance(mood, bool) or not isinstance(mood, int | Decimal) or mood not in MOODS:
        return None
    if tier not in TIERS:
        tier = "none"
    return DayCount(org_id, unit, int(mood), str(tier))


def _apply(deltas: Deltas, period: str, count: DayCount, sign: int) -> None:
    row = deltas.setdefault((count.org_id, period, count.unit), Counter())
    row["checkins"] += sign
    row[f"mood_{count.mood}"] += sign
    row[f"tier_{count.tier}"] += sign


def checkin_deltas(
    periods: tuple[str, str, str],
    old: DayCount | None,
    new: DayCount | None,
    period_units: Mapping[str, Mapping[str, int]],
) -> tuple[Deltas, dict[str, dict[str, int]]]:
    """The counter changes of a member-day going from `old` to `new` (None: not counted).

    `period_units` holds, for the week and the month (`periods[1:]`), the member's days per
    place (`place`: organisation and unit) as stored; the result gives them as they must
    be stored after the change.
    Rows whose changes are all zero are left out.
    """
    deltas: Deltas = {}
    after: dict[str, dict[str, int]] = {}
    for period in periods:
        if old is not None:
            _apply(deltas, period, old, -1)
        if new is not None:
            _apply(deltas, period, new, +1)
    day = periods[0]
    for count, sign in ((old, -1), (new, +1)):
        if count is not None:
            deltas.setdefault((count.org_id, day, count.unit), Counter())["members"] += sign
    for period in periods[1:]:
        units = dict(period_units.get(period, {}))
        for count, sign in ((old, -1), (new, +1)):
            if count is None:
                continue
            where = place(count)
            before = units.get(where, 0)
            units[where] = max(before + sign, 0)
            if (before > 0) != (units[where] > 0):
                row = deltas.setdefault((count.org_id, period, count.unit), Counter())
                row["members"] += sign
        after[period] = {unit: n for unit, n in units.items() if n > 0}
    changed = {key: Counter({k: v for k, v in row.items() if v}) for key, row in deltas.items()}
    return {key: row for key, row in changed.items() if row}, after


def ack_bucket(minutes: float) -> int:
    """The index of the time-to-acknowledge bucket `minutes` falls in (negative → 0)."""
    return bisect.bisect_right(ACK_BOUNDS, max(minutes, 0.0))


def bucket_bounds(index: int) -> tuple[int, int | None]:
    """(lower, upper) minutes of bucket `index`; upper None for the open last one."""
    lower = 0 if index == 0 else ACK_BOUNDS[index - 1]
    upper = ACK_BOUNDS[index] if index < len(ACK_BOUNDS) else None
    return lower, upper


def median_bucket(counts: list[int]) -> int | None:
    """The bucket holding the median of a histogram (the lower median), None if empty."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = (total + 1) // 2
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= rank:
            return index
    return len(counts) - 1
