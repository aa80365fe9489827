"""Is a resource open at a given instant?

Weekly hours are wall-clock times in the resource's own time zone, so the instant is
converted to that zone first: the answer follows DST switches and does not depend on
the zone of the member asking.
"""

from __future__ import annotations

from datetime import datetime

from shared.clock import zone
from shared.resources.model import DAYS, Hours, WeeklySpan, minutes


def _span_open(span: WeeklySpan, weekday: int, minute: int) -> bool:
    start, end = minutes(span.open), minutes(span.close)
    for day in span.days:
        index = DAYS.index(day)
        if end > start:
            if weekday == index and start <= minute < end:
                return True
        # Overnight: open from `start` on `day` until `end` on the next day.
        elif (weekday == index and minute >= start) or (
            weekday == (index + 1) % 7 and minute < end
        ):
            return True
    return False


def is_open(hours: Hours, at: datetime) -> bool | None:
    """True or False when the hours say so at the instant `at`; None when unknown ("varies")."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if hours.mode == "always":
        return True
    if hours.mode == "varies" or hours.time_zone is None:
        return None
    local = at.astimezone(zone(hours.time_zone))
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()  # Monday is 0, as in DAYS
    return any(_span_open(span, weekday, minute) for span in hours.weekly)
