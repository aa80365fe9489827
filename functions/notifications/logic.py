"""Notifications decisions as plain functions: devices, preferences and the reminder index.

Also `PushEndpoints`, the SNS side of a device registration: which platform application
an APNs or FCM device belongs to, and its endpoint kept as AWS recommends (see
shared/notifications/sns_push.py). A platform whose application ARN is not set is not
configured in this deployment: its devices are stored, disabled, with no SNS call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
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
from functions.notifications.repository import PROVIDER_NOT_CONFIGURED, public_inbox_id
from shared.clock import utc_iso
from shared.notifications import providers
from shared.notifications.schedule import DAYS, next_reminder, slot_of
from shared.notifications.sns_push import SnsEndpoints, belongs_to

MAX_DEVICES = 20
SNS_PROVIDERS = frozenset({"apns", "fcm"})


def may_add_device(already_registered: bool, device_count: int) -> bool:
    """A known device may always be updated; a new one only below MAX_DEVICES."""
    return already_registered or device_count < MAX_DEVICES


def device_fields(device: DeviceIn) -> dict[str, Any]:
    return device.model_dump()


def to_device(item: dict[str, Any]) -> Device:
    stored = {k: item.get(k) for k in Device.model_fields if k != "enabled"}
    return Device.model_validate(stored | {"enabled": not item.get("disabled_reason")})


# --- SNS endpoints -------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformApps:
    """The deployment's SNS platform application ARNs; "" where a platform is not set up."""

    apns: str = ""
    apns_sandbox: str = ""
    fcm: str = ""

    def arn_for(self, provider: str, apns_environment: str | None) -> str:
        if provider == "fcm":
            return self.fcm
        if provider == "apns":
            return self.apns_sandbox if apns_environment == "sandbox" else self.apns
        raise ValueError(f"SNS does not serve provider {provider!r}")


@dataclass(frozen=True)
class Wiring:
    """What a registration stores besides the device's own fields."""

    endpoint_arn: str | None = None
    disabled_reason: str | None = None


def reusable_endpoint(previous: dict[str, Any] | None, app_arn: str) -> str | None:
    """The stored endpoint if it is one of `app_arn`'s (not after a provider switch, say)."""
    arn = (previous or {}).get("endpoint_arn")
    return arn if arn and belongs_to(arn, app_arn) else None


def stale_endpoints(
    devices: Iterable[dict[str, Any] | None], kept_arn: str | None
) -> list[dict[str, Any]]:
    """Of the devices a registration replaced, those whose endpoint it no longer uses
    (one each)."""
    stale: dict[str, dict[str, Any]] = {}
    for item in devices:
        arn = (item or {}).get("endpoint_arn")
        if item and arn and arn != kept_arn:
            stale.setdefault(arn, item)
    return list(stale.values())


class PushEndpoints:
    """The SNS endpoints of APNs and FCM devices; the SNS client is made on first need."""

    def __init__(self, apps: PlatformApps, sns: Callable[[], Any]) -> None:
        self._apps = apps
        self._sns = sns

    @cached_property
    def _endpoints(self) -> SnsEndpoints:
        return SnsEndpoints(self._sns())

    def wire(
        self, fields: dict[str, Any], previous: dict[str, Any] | None, installation_id: str
    ) -> Wiring:
        """The endpoint for a device being registered (SNS calls only as `ensure` needs)."""
        if fields["provider"] not in SNS_PROVIDERS:
            return Wiring()  # JPush is pushed to by registration id: no endpoint
        app_arn = self._apps.arn_for(fields["provider"], fields.get("apns_environment"))
        if not app_arn:
            return Wiring(disabled_reason=PROVIDER_NOT_CONFIGURED)
        device = providers.Device(
            installation_id=installation_id,
            platform=fields["platform"],
            provider=fields["provider"],
            token=fields["token"],
            apns_environment=fields.get("apns_environment"),
            endpoint_arn=reusable_endpoint(previous, app_arn),
        )
        # CustomUserData: the installation id, opaque and nothing personal.
        return Wiring(endpoint_arn=self._endpoints.ensure(device, app_arn, installation_id))

    def delete(self, endpoint_arn: str) -> None:
        self._endpoints.delete(endpoint_arn)


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
