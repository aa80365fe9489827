"""Keys of the stats table and the periods counters are kept for (pure, stdlib only).

The stats table (partition `pk`, sort `sk`, TTL `expires_at`) holds:

| pk                 | sk                        | what                                          |
|--------------------|---------------------------|-----------------------------------------------|
| `stats#<org_id>`   | `d#<YYYY-MM-DD>#<unit>`   | a unit's counters for one local day           |
| `stats#<org_id>`   | `w#<YYYY-Www>#<unit>`     | ... for one ISO week (Monday to Sunday)       |
| `stats#<org_id>`   | `m#<YYYY-MM>#<unit>`      | ... for one calendar month                    |
| `member#<user_id>` | `d#<YYYY-MM-DD>`          | what the member's check-in of that day counts |
| `member#<user_id>` | `w#<YYYY-Www>`/`m#<YYYY-MM>` | the member's days per unit in that period  |
| `case#<case_id>`   | `opened` / `acknowledged` | the case was counted (unit, day): never twice |

One partition per organisation: a report over any range is one Query (pages grow with
units × days, never with members). `<unit>` is `-` for members placed in no unit: they
count towards the organisation's total only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

NO_UNIT: Final = "-"
DAY: Final = "d"
WEEK: Final = "w"
MONTH: Final = "m"
# Sorts after "#": the upper end of a day range's sort keys.
_AFTER_SEPARATOR = "$"

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def stats_pk(org_id: str) -> str:
    return f"stats#{org_id}"


def member_pk(user_id: str) -> str:
    return f"member#{user_id}"


def case_pk(case_id: str) -> str:
    return f"case#{case_id}"


def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def periods_of(day: dt.date) -> tuple[str, str, str]:
    """The day's period keys, `d#…`, `w#…`, `m#…`, each counted for every check-in."""
    return f"{DAY}#{day.isoformat()}", f"{WEEK}#{week_of(day)}", f"{MONTH}#{month_of(day)}"


def row_sk(period: str, unit_id: str) -> str:
    return f"{period}#{unit_id}"


def split_row_sk(sk: str) -> tuple[str, str]:
    """(period, unit) of a row's sort key: `d#2026-11-24#abc` → (`d#2026-11-24`, `abc`)."""
    kind, value, unit = sk.split("#", 2)
    return f"{kind}#{value}", unit


def day_range_bounds(first: dt.date, last: dt.date) -> tuple[str, str]:
    """Sort keys bounding every unit's day rows from `first` to `last` (both included)."""
    return f"{DAY}#{first.isoformat()}#", f"{DAY}#{last.isoformat()}{_AFTER_SEPARATOR}"


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ISO week "YYYY-Www"; ValueError for anything else."""
    found = _WEEK.fullmatch(text)
    if found is None:
        raise ValueError("week must look like 2026-W48")
    year, week = int(found[1]), int(found[2])
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError("No such ISO week.") from None
    return monday, monday + dt.timedelta(days=6)


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """First and last day of month "YYYY-MM"; ValueError for anything else."""
    found = _MONTH.fullmatch(text)
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1:
        raise ValueError("month must look like 2026-11")
    first = dt.date(int(found[1]), int(found[2]), 1)
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def whole_period(first: dt.date, last: dt.date) -> str | None:
    """`w#…` or `m#…` when first..last is exactly one ISO week or calendar month, else None.

    Those periods keep distinct members (a member counts once however many days they
    checked in); a range of several days otherwise has only sums of days.
    """
    if first.isoweekday() == 1 and last == first + dt.timedelta(days=6):
        return f"{WEEK}#{week_of(first)}"
    if first.day == 1 and (last + dt.timedelta(days=1)).day == 1 and last.month == first.month:
        return f"{MONTH}#{month_of(first)}"
    return None
