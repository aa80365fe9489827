"""Keeps notification preferences in step with the member's profile (no HTTP).

The accounts table's stream (NEW_AND_OLD_IMAGES) is how a profile change reaches the
notifications function: it never reads the accounts table. A profile item is keyed by
`user_id` and carries `time_zone` (IANA) and `locale` (see functions/accounts/logic.py,
`new_profile`); both are read from the stream image. When either changed (an INSERT counts
as changed), the member's preferences take them over: the zone moves quiet hours and,
while a reminder is on, the reminder's `next_due` and its DueReminders slot, computed as
the preferences route does (functions/notifications/logic.py, `preferences_item`); the
locale is the inbox's.

Only existing preferences are updated, never created (the preferences route's defaults
already follow the token). Each write is conditional on the preferences not having been
saved since they were read; if they were, they are read again. A zone this function does
not know is skipped with a warning rather than retried: a retry would never succeed and
would hold up the shard. Removals (an erasure) change nothing. Powertools BatchProcessor
reports failed records one by one, so one bad record never replays the batch.
No FastAPI or pydantic here (cold start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from functions.notifications.repository import NotificationsRepository
from shared import aws
from shared.clock import system_clock, utc_iso
from shared.notifications.schedule import DAYS, next_reminder, parse_zone, slot_of
from shared.observability import instrument, logger
from shared.settings import NotificationsSettings, settings

# Reads and conditional writes before a record fails (preferences saved again and again).
ATTEMPTS = 3
DUE_FIELDS = ("next_due", "due_pk", "due_sk")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PreferencesStore(Protocol):
    def preferences(self, user_id: str) -> dict[str, Any] | None: ...

    def update_preferences_if_unchanged(
        self, user_id: str, fields: dict[str, Any], seen_updated_at: str | None
    ) -> bool: ...


@dataclass(frozen=True)
class ProfileChange:
    user_id: str
    time_zone: str | None
    locale: str | None


@cache
def store() -> PreferencesStore:
    return NotificationsRepository(
        aws.client("dynamodb"), settings(NotificationsSettings).notifications_table
    )


def now() -> datetime:
    return system_clock()


def _text(image: dict[str, Any], name: str) -> str | None:
    value = image.get(name)
    return value if isinstance(value, str) and value else None


def profile_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> ProfileChange | None:
    """The profile's zone and locale if either changed between the images; else None."""
    old, new = old or {}, new or {}
    user_id = _text(new, "user_id")
    if user_id is None:
        return None
    change = ProfileChange(user_id, _text(new, "time_zone"), _text(new, "locale"))
    if (change.time_zone, change.locale) == (_text(old, "time_zone"), _text(old, "locale")):
        return None
    return change


def reminder_due(prefs: dict[str, Any], time_zone: str, at: datetime) -> datetime | None:
    """When the member's reminder next fires in `time_zone`; None while reminders are off."""
    if not prefs.get("reminder_time") or "reminders" in (prefs.get("opt_outs") or []):
        return None
    days = prefs.get("reminder_days") or DAYS
    return next_reminder(at, str(prefs["reminder_time"]), days, time_zone)


def preference_changes(
    prefs: dict[str, Any], change: ProfileChange, at: datetime
) -> dict[str, Any] | None:
    """The preference fields to set (None: remove), or None when they already agree."""
    time_zone = str(change.time_zone or prefs["time_zone"])
    locale = change.locale or prefs.get("locale")
    if (time_zone, locale) == (prefs.get("time_zone"), prefs.get("locale")):
        return None
    fields: dict[str, Any] = {"time_zone": time_zone, "locale": locale}
    if time_zone == prefs.get("time_zone"):
        return fields  # the locale alone: the reminder stays where it is
    due = reminder_due(prefs, time_zone, at)
    if due is None:
        return fields | dict.fromkeys(DUE_FIELDS)
    return fields | {"next_due": utc_iso(due), "due_pk": slot_of(due), "due_sk": change.user_id}


def follow(change: ProfileChange, preferences: PreferencesStore, at: datetime) -> bool:
    """Bring the member's preferences in line with `change`; False if nothing was written."""
    if change.time_zone is not None and not _known_zone(change.time_zone):
        logger.warning("profile time zone unknown here: preferences left as they are")
        return False
    for _ in range(ATTEMPTS):
        prefs = preferences.preferences(change.user_id)
        if prefs is None:
            return False  # never saved: the route's defaults follow the token
        fields = preference_changes(prefs, change, at)
        if fields is None:
            return False
        seen = prefs.get("updated_at")
        if preferences.update_preferences_if_unchanged(change.user_id, fields, seen):
            return True
    raise RuntimeError(f"preferences kept changing for {ATTEMPTS} attempts")


def _known_zone(time_zone: str) -> bool:
    try:
        parse_zone(time_zone)
    except ValueError:
        return False
    return True


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None or record.event_name.name == "REMOVE":
        return
    found = profile_change(change.old_image, change.new_image)
    if found is None:
        return
    followed = follow(found, store(), now())
    logger.debug("profile followed", extra={"updated": followed})


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
