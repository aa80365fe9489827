"""The reminder sweep's and the check-ins stream's DynamoDB calls on the notifications table.

Beside repository.py (same table, same key layout), kept apart so the two Lambdas that
are not HTTP import only what they use. Items touched here:
- a member's "prefs" item: `last_checkin_day` (the latest member-local day they checked
  in, from the check-ins stream) and, while a reminder is on, `next_due` with the
  DueReminders keys (`due_pk` = the slot key of `next_due`, `due_sk` = user id);
- pk "sweep", sk "last": `slot`, the key of the last slot the sweep finished.
Every write is conditional, so a concurrent preferences change or a late stream
record never undoes a newer fact.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from functions.notifications.repository import PREFS, NotificationsRepository, partition
from shared.clock import utc_iso
from shared.dynamo import from_item, to_item
from shared.notifications.schedule import slot_of

SWEEP_PK = "sweep"
SWEEP_SK = "last"
LAST_CHECKIN_DAY = "last_checkin_day"


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class ReminderStore(Protocol):
    """What the sweep needs."""

    def sweep_mark(self) -> str | None: ...

    def set_sweep_mark(self, slot_key: str) -> bool: ...

    def due_reminders(self, slot_key: str) -> Iterator[dict[str, Any]]: ...

    def reminder_state(self, user_id: str) -> dict[str, Any] | None: ...

    def move_reminder(self, user_id: str, slot_key: str, next_due: datetime | None) -> bool: ...


class CheckinDays(Protocol):
    """What the check-ins stream handler needs."""

    def record_checkin_day(self, user_id: str, day: str) -> bool: ...


class DynamoReminderStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table
        self._repository = NotificationsRepository(client, table)

    def _prefs_key(self, user_id: str) -> dict[str, Any]:
        return to_item({"pk": partition(user_id), "sk": PREFS})

    # --- the sweep mark --------------------------------------------------------------------

    def sweep_mark(self) -> str | None:
        """The key of the last slot swept, or None before the first sweep."""
        item = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": SWEEP_PK, "sk": SWEEP_SK}),
            ConsistentRead=True,
        ).get("Item")
        return str(from_item(item)["slot"]) if item else None

    def set_sweep_mark(self, slot_key: str) -> bool:
        """Record `slot_key` as swept; False (no change) if a later slot already is.

        Slot keys sort as time does, so a late or concurrent run never moves it back.
        """
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": SWEEP_PK, "sk": SWEEP_SK}),
                UpdateExpression="SET #slot = :slot",
                ConditionExpression="attribute_not_exists(#slot) OR #slot <= :slot",
                ExpressionAttributeNames={"#slot": "slot"},
                ExpressionAttributeValues=to_item({":slot": slot_key}),
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    # --- due reminders ---------------------------------------------------------------------

    def due_reminders(self, slot_key: str) -> Iterator[dict[str, Any]]:
        """The preferences in the DueReminders partition `slot_key`, page by page."""
        return self._repository.due_reminders(slot_key)

    def reminder_state(self, user_id: str) -> dict[str, Any] | None:
        """What the sweep decides on, read consistently (the index may lag and lacks
        `last_checkin_day`): None if the member has no preferences any more."""
        item = self._db.get_item(
            TableName=self._table,
            Key=self._prefs_key(user_id),
            ConsistentRead=True,
            ProjectionExpression=(
                "due_pk, next_due, time_zone, reminder_time, reminder_days, last_checkin_day"
            ),
        ).get("Item")
        return from_item(item) if item else None

    def move_reminder(self, user_id: str, slot_key: str, next_due: datetime | None) -> bool:
        """Move the member's reminder out of slot `slot_key` to `next_due` and its slot, or
        off the index when None; False if it had already left that slot (a preferences
        change meanwhile wins)."""
        values: dict[str, Any] = {":slot": slot_key}
        if next_due is None:
            expression = "REMOVE next_due, due_pk, due_sk"
        else:
            expression = "SET next_due = :due, due_pk = :pk"
            values |= {":due": utc_iso(next_due), ":pk": slot_of(next_due)}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._prefs_key(user_id),
                UpdateExpression=expression,
                ConditionExpression="due_pk = :slot",
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    # --- check-ins -------------------------------------------------------------------------

    def record_checkin_day(self, user_id: str, day: str) -> bool:
        """Set `last_checkin_day` to `day` (YYYY-MM-DD) on existing preferences, only if
        later than the one recorded; False if not (an older day, or no preferences)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._prefs_key(user_id),
                UpdateExpression="SET #day = :day",
                ConditionExpression=(
                    "attribute_exists(sk) AND (attribute_not_exists(#day) OR #day < :day)"
                ),
                ExpressionAttributeNames={"#day": LAST_CHECKIN_DAY},
                ExpressionAttributeValues=to_item({":day": day}),
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True
