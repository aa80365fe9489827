"""Notifications decisions as plain functions: devices, preferences and the reminder index."""

from __future__ import annotations

import datetime as dt
from typing import Any

from functions.notifications.models import (
    WEEKDAYS,
    Device,
    DeviceIn,
    InboxEntry,
    Preferences,
    PreferencesIn,
    QuietHours,
)
from functions.notifications.repository import public_inbox_id
from shared.clock import utc_iso
from shared.notifications.schedule import DAYS, next_reminder, slot_of

MAX_DEVICES = 20


def may_add_device(already_registered: bool, device_count: int) -> bool:
    """A known device may always be updated; a new one only below MAX_DEVICES."""
    return already_registered or device_count < MAX_DEVICES


def device_fields(device: DeviceIn) -> dict[str, Any]:
    return device.model_dump()


def to_device(item: dict[str, Any]) -> Device:
    return Device.model_validate({k: item.get(k) for k in Device.model_fields})


def default_preferences(time_zone: str) -> Preferences:
    return Preferences(
        reminder_time=None,
        reminder_days=list(WEEKDAYS),
        quiet_hours=None,
        opt_outs=[],
        lock_screen_preview="generic",
        time_zone=time_zone,
        next_reminder_at=None,
        updated_at=None,
    )


def next_due(prefs: PreferencesIn, time_zone: str, now: dt.datetime) -> dt.datetime | None:
    """When the next reminder fires, or None while reminders are off."""
    if prefs.reminder_time is None or "reminders" in prefs.opt_outs:
        return None
    return next_reminder(now, prefs.reminder_time, prefs.reminder_days, time_zone)


def preferences_item(
    user_id: str,
    prefs: PreferencesIn,
    time_zone: str,
    locale: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The stored preferences; the DueReminders keys only while a reminder is due."""
    due = next_due(prefs, time_zone, now)
    quiet = prefs.quiet_hours
    item: dict[str, Any] = {
        "reminder_time": prefs.reminder_time,
        "reminder_days": [d for d in DAYS if d in prefs.reminder_days],
        "quiet_start": quiet.start if quiet else None,
        "quiet_end": quiet.end if quiet else None,
        "opt_outs": sorted(prefs.opt_outs),
        "lock_screen_preview": prefs.lock_screen_preview,
        "time_zone": time_zone,
        "locale": locale,
        "updated_at": utc_iso(now),
    }
    if due is not None:
        item |= {"next_due": utc_iso(due), "due_pk": slot_of(due), "due_sk": user_id}
    return item


def to_preferences(item: dict[str, Any]) -> Preferences:
    quiet = None
    if item.get("quiet_start") and item.get("quiet_end"):
        quiet = QuietHours(start=item["quiet_start"], end=item["quiet_end"])
    return Preferences(
        reminder_time=item.get("reminder_time"),
        reminder_days=item.get("reminder_days") or list(WEEKDAYS),
        quiet_hours=quiet,
        opt_outs=item.get("opt_outs") or [],
        lock_screen_preview=item.get("lock_screen_preview", "generic"),
        time_zone=item["time_zone"],
        next_reminder_at=item.get("next_due"),
        updated_at=item.get("updated_at"),
    )


def to_inbox_entry(item: dict[str, Any]) -> InboxEntry:
    fields = ("category", "title", "body", "route", "ref", "created_at", "read_at")
    return InboxEntry.model_validate(
        {"id": public_inbox_id(item["sk"])} | {k: item.get(k) for k in fields}
    )
