"""The notifications feature's export and erase, run by the data-rights workflow (no HTTP)."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.notifications.repository import DEVICE, INBOX, PREFS, partition
from shared import aws
from shared.data_rights import (
    FeatureData,
    data_rights_handler,
    delete_partition,
    pick,
    query_partition,
)
from shared.settings import NotificationsSettings, settings

# What leaves in an export: never a push token, an SNS endpoint or the reminder index.
DEVICE_FIELDS = ("platform", "provider", "app_version", "locale", "created_at", "updated_at")
PREFERENCE_FIELDS = (
    "reminder_time",
    "reminder_days",
    "quiet_start",
    "quiet_end",
    "opt_outs",
    "lock_screen_preview",
    "time_zone",
    "locale",
    "updated_at",
)
INBOX_FIELDS = ("category", "title", "body", "route", "created_at", "read_at")


class NotificationsData:
    feature = "notifications"

    def __init__(self, db: Any, table: str, sns: Any) -> None:
        self._db = db
        self._table = table
        self._sns = sns

    def export(self, user_id: str) -> dict[str, Any]:
        devices: list[dict[str, Any]] = []
        preferences: dict[str, Any] | None = None
        inbox: list[dict[str, Any]] = []
        for item in query_partition(self._db, self._table, "pk", partition(user_id)):
            sk = item["sk"]
            if sk.startswith(DEVICE):
                devices.append(pick(item, DEVICE_FIELDS))
            elif sk == PREFS:
                preferences = pick(item, PREFERENCE_FIELDS)
            elif sk.startswith(INBOX):
                inbox.append(pick(item, INBOX_FIELDS))
        inbox.reverse()  # newest first, as the app shows it
        return {"devices": devices, "preferences": preferences, "inbox": inbox}

    def erase(self, user_id: str) -> int:
        """The member's SNS endpoints first (they hold the push tokens), then every item.

        Deleting a missing endpoint is a success on SNS, so a retried erasure is safe.
        """
        for item in query_partition(
            self._db, self._table, "pk", partition(user_id), ("sk", "endpoint_arn")
        ):
            if str(item["sk"]).startswith(DEVICE) and item.get("endpoint_arn"):
                self._sns.delete_endpoint(EndpointArn=str(item["endpoint_arn"]))
        return delete_partition(self._db, self._table, "pk", "sk", partition(user_id))


@cache
def feature_data() -> FeatureData:
    return NotificationsData(
        aws.client("dynamodb"),
        settings(NotificationsSettings).notifications_table,
        aws.client("sns"),
    )


handler = data_rights_handler(feature_data)
