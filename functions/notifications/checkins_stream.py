"""Records each member's latest check-in day for the reminder sweep (no HTTP).

The check-ins table's stream records (NEW_AND_OLD_IMAGES), through the check-in events
topic and this feature's FIFO queue (shared/change_events.py), are the only way
check-ins reach the notifications function: it never reads the check-ins table. A check-in item has
partition `user_id` and sort `date`, the member-local day "YYYY-MM-DD"; anything
else there (the "#key" item) is ignored. The day is set as `last_checkin_day` on
the member's preferences with a conditional update: only if later than the one
recorded, so a replayed or out-of-order record never moves it back.

Only existing preferences are updated; none is created. Without preferences there is
no reminder to hold back, the preferences route would fail on a stub lacking a time
zone, and saving preferences replaces the whole item anyway. Removals (a check-in
deleted, an erasure) change nothing: the sweep only compares the day with the
reminder's. A failed record comes back alone (with its member's later ones), never
the batch.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from functions.notifications.reminder_store import CheckinDays, DynamoReminderStore
from shared import aws
from shared.change_events import queue_handler
from shared.observability import instrument, logger
from shared.settings import NotificationsSettings, settings

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@cache
def checkin_days() -> CheckinDays:
    return DynamoReminderStore(
        aws.client("dynamodb"), settings(NotificationsSettings).notifications_table
    )


def checkin_day(image: dict[str, Any] | None) -> tuple[str, str] | None:
    """The member and local day of a check-in item's image; None for any other item."""
    user_id, day = (image or {}).get("user_id"), (image or {}).get("date")
    if not isinstance(user_id, str) or not user_id:
        return None
    if not isinstance(day, str) or _DAY.fullmatch(day) is None:
        return None  # "#key" and anything else that is not a day
    return user_id, day


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None or record.event_name.name == "REMOVE":
        return
    found = checkin_day(change.new_image)
    if found is None:
        return
    recorded = checkin_days().record_checkin_day(*found)
    logger.debug("check-in day", extra={"recorded": recorded})


handler = instrument(queue_handler(record_handler))
