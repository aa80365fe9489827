"""The time a scheduled run stands for: EventBridge Scheduler's `scheduled_time`, if near.

Every sweep (check-in reminders, appointment reminders, the campaign announcer) is
invoked with `{"scheduled_time": "<aws.scheduler.scheduled-time>"}`, so a run that
starts late still does the work of the moment it was scheduled for. A time more than
MAX_SCHEDULE_SKEW from the clock (or anything that is not a time) is ignored: an
invocation may not do far-off work early. Tests and benches pass a fixed time this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.observability import logger

MAX_SCHEDULE_SKEW = timedelta(hours=1)


def scheduled_time(event: Mapping[str, Any], now: datetime) -> datetime:
    """The event's `scheduled_time` (in UTC) if within MAX_SCHEDULE_SKEW of `now`, else `now`."""
    text = event.get("scheduled_time") if isinstance(event, Mapping) else None
    if not isinstance(text, str) or len(text) > 40:
        return now
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return now
    if at.tzinfo is None or abs(at - now) > MAX_SCHEDULE_SKEW:
        logger.warning("scheduled time ignored: not a time near the clock")
        return now
    return at.astimezone(UTC)
