"""The only module of the notifications function that talks to DynamoDB.

Every item of a member shares the partition "user#<user_id>":
- "device#<installation_id>": a device to push to (`token`; `endpoint_arn` for an APNs or
  FCM device whose platform is configured; `disabled_reason` while it gets no pushes) and
  `token_pk`, the ByToken index key: a hash of provider and token, so the index finds every
  device holding a token without holding the token itself;
- "prefs": the notification preferences; while reminders are on it also carries `next_due`
  and the DueReminders index keys (`due_pk` = the slot of `next_due`, `due_sk` = user id);
- "inbox#<created_at>#<request_id>": an inbox entry, gone after 90 days (`expires_at`);
- "#unread": the count of unread inbox entries (`unread`), moved in the same transaction
  as the entry that changes it.
No pydantic here: the data-rights handler, the sender and the accounts stream import it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.dynamo import from_item, serialize, to_item

PREFS = "prefs"
UNREAD = "#unread"
DEVICE = "device#"
INBOX = "inbox#"
DUE_REMINDERS = "DueReminders"
BY_TOKEN = "ByToken"  # noqa: S105 (an index name, not a secret)
INBOX_DAYS = 90
# TransactWriteItems takes 100 actions: the entries of one chunk and the counter.
_CHUNK = 99
_CREATED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
# What an inbox entry may hold besides its keys (the sender's `entry`).
INBOX_FIELDS = ("category", "title", "body", "route", "ref", "created_at")
# Device fields the routes write; `endpoint_arn` and `disabled_reason` are the SNS wiring's.
DEVICE_FIELDS = ("platform", "provider", "token", "apns_environment", "app_version", "locale")
# Why a device gets no pushes: its push service called the token dead, or this deployment
# has no platform application for its provider.
TOKEN_DEAD = "token_dead"  # noqa: S105 (a reason, not a secret)
PROVIDER_NOT_CONFIGURED = "provider_not_configured"


def partition(user_id: str) -> str:
    return f"user#{user_id}"


def device_sk(installation_id: str) -> str:
    return f"{DEVICE}{installation_id}"


def token_pk(provider: str, token: str) -> str:
    """The ByToken key of a push token (a hash: the index never holds the token)."""
    return "token#" + hashlib.sha256(f"{provider}:{token}".encode()).hexdigest()


def device_token_key(device: dict[str, Any]) -> str:
    """The ByToken key of a stored device."""
    return str(device.get("token_pk") or token_pk(str(device["provider"]), str(device["token"])))


def inbox_id(created_at: str, request_id: str) -> str:
    """The public id of an inbox entry (what a push's `ref` and /read name)."""
    return f"{created_at}~{request_id}"


def inbox_sk(public_id: str) -> str | None:
    """The sort key of the inbox entry `public_id` names, or None if it names none."""
    created_at, _, request_id = public_id.partition("~")
    if not (_CREATED_AT.fullmatch(created_at) and _REQUEST_ID.fullmatch(request_id)):
        return None
    return f"{INBOX}{created_at}#{request_id}"


def public_inbox_id(sk: str) -> str:
    created_at, _, request_id = sk.removeprefix(INBOX).partition("#")
    return inbox_id(created_at, request_id)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _first_condition_failed(error: ClientError) -> bool:
    """A cancelled transaction whose first action's condition failed (not a conflict)."""
    if _code(error) != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    return bool(reasons) and reasons[0].get("Code") == "ConditionalCheckFailed"


class NotificationsStore(Protocol):
    """What the routes need."""

    def device(self, user_id: str, installation_id: str) -> dict[str, Any] | None: ...

    def device_count(self, user_id: str) -> int: ...

    def devices(self, user_id: str) -> list[dict[str, Any]]: ...

    def put_device(
        self,
        user_id: str,
        installation_id: str,
        fields: dict[str, Any],
        at: str,
        *,
        endpoint_arn: str | None = None,
        disabled_reason: str | None = None,
    ) -> dict[str, Any]: ...

    def delete_device(self, user_id: str, installation_id: str) -> dict[str, Any] | None: ...

    def take_token(
        self, user_id: str, installation_id: str, token_key: str
    ) -> list[dict[str, Any]]: ...

    def endpoint_used_elsewhere(self, device: dict[str, Any]) -> bool: ...

    def preferences(self, user_id: str) -> dict[str, Any] | None: ...

    def put_preferences(self, user_id: str, fields: dict[str, Any]) -> None: ...

    def inbox_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None, now_epoch: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...

    def unread_count(self, user_id: str) -> int: ...

    def correct_unread(self, user_id: str, seen: int, actual: int) -> bool: ...

    def mark_read(self, user_id: str, sk: str, at: str) -> bool: ...

    def mark_all_read(self, user_id: str, at: str) -> int: ...


# Every attribute the preferences route writes (PUT replaces them all).
PREFERENCE_FIELDS = (
    "user_id",
    "reminder_time",
    "reminder_days",
    "quiet_start",
    "quiet_end",
    "opt_outs",
    "lock_screen_preview",
    "time_zone",
    "locale",
    "updated_at",
    "next_due",
    "due_pk",
    "due_sk",
)


class NotificationsRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, user_id: str, sk: str) -> dict[str, Any]:
        return to_item({"pk": partition(user_id), "sk": sk})

    def _get(self, user_id: str, sk: str) -> dict[str, Any] | None:
        return self._get_item(self._key(user_id, sk))

    def _get_item(self, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return from_item(item) if item else None

    def _query(self, user_id: str, prefix: str, **extra: Any) -> Iterator[dict[str, Any]]:
        """Every item of the member whose sort key starts with `prefix`, page by page."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": partition(user_id), ":prefix": prefix}),
            "ConsistentRead": True,
        } | extra
        while True:
            response = self._db.query(**args)
            yield from (from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # --- devices ---------------------------------------------------------------------------

    def device(self, user_id: str, installation_id: str) -> dict[str, Any] | None:
        return self._get(user_id, device_sk(installation_id))

    def device_count(self, user_id: str) -> int:
        total = 0
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": partition(user_id), ":prefix": DEVICE}),
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        while True:
            response = self._db.query(**args)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def devices(self, user_id: str) -> list[dict[str, Any]]:
        return list(self._query(user_id, DEVICE))

    def put_device(
        self,
        user_id: str,
        installation_id: str,
        fields: dict[str, Any],
        at: str,
        *,
        endpoint_arn: str | None = None,
        disabled_reason: str | None = None,
    ) -> dict[str, Any]:
        """Create or replace a device in one UpdateItem; `created_at` stays from the first time.

        Fields given as None are removed, `endpoint_arn` and `disabled_reason` too: each
        registration states them afresh, so one that succeeds re-enables the device.
        """
        data = {k: fields.get(k) for k in DEVICE_FIELDS}
        data |= {
            "installation_id": installation_id,
            "updated_at": at,
            "token_pk": token_pk(str(fields["provider"]), str(fields["token"])),
            "endpoint_arn": endpoint_arn,
            "disabled_reason": disabled_reason,
        }
        present = {k: v for k, v in data.items() if v is not None}
        absent = [k for k, v in data.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate(present)} | {"#c": "created_at"}
        names |= {f"#r{i}": k for i, k in enumerate(absent)}
        values = {f":v{i}": serialize(v) for i, v in enumerate(present.values())}
        values[":at"] = serialize(at)
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(present)))
        expression += ", #c = if_not_exists(#c, :at)"
        if absent:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(absent)))
        response = self._db.update_item(
            TableName=self._table,
            Key=self._key(user_id, device_sk(installation_id)),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return from_item(response["Attributes"])

    def delete_device(self, user_id: str, installation_id: str) -> dict[str, Any] | None:
        """Delete a device; the item it was, or None if there was none."""
        deleted = self._db.delete_item(
            TableName=self._table,
            Key=self._key(user_id, device_sk(installation_id)),
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        return from_item(deleted) if deleted else None

    def _index(self, index: str, key: str, value: str) -> Iterator[dict[str, Any]]:
        """The raw items of one partition of a (keys-only) index, page by page."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": to_item({":v": value}),
        }
        while True:
            response = self._db.query(**args)
            yield from response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _token_holders(self, token_key: str) -> Iterator[dict[str, Any]]:
        """The keys (pk, sk) of the device items holding a token, from the ByToken index."""
        for item in self._index(BY_TOKEN, "token_pk", token_key):
            yield {"pk": item["pk"], "sk": item["sk"]}

    def _other_holders(self, token_key: str, own: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return (key for key in self._token_holders(token_key) if key != own)

    def take_token(
        self, user_id: str, installation_id: str, token_key: str
    ) -> list[dict[str, Any]]:
        """Delete every other device item holding the token `token_key` names; the items deleted.

        A push token reaches one phone: once it registers here, no other account (nor
        another installation id of this one) may be pushed to with it. Each delete holds
        only while that item still has the token, so one that registered a new token
        meanwhile stays.
        """
        taken = []
        own = self._key(user_id, device_sk(installation_id))
        for key in self._other_holders(token_key, own):
            try:
                deleted = self._db.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="token_pk = :token",
                    ExpressionAttributeValues=to_item({":token": token_key}),
                    ReturnValues="ALL_OLD",
                )
            except ClientError as error:
                if _code(error) == "ConditionalCheckFailedException":
                    continue
                raise
            taken.append(from_item(deleted["Attributes"]))
        return taken

    def endpoint_used_elsewhere(self, device: dict[str, Any]) -> bool:
        """Whether a device item other than `device` pushes through `device`'s endpoint.

        An endpoint holds one token, so only the items holding that token are read
        (normally none: registering a token takes it from every other item).
        """
        own = to_item({"pk": device["pk"], "sk": device["sk"]})
        for key in self._other_holders(device_token_key(device), own):
            item = self._get_item(key)
            if item and item.get("endpoint_arn") == device.get("endpoint_arn"):
                return True
        return False

    # --- preferences -----------------------------------------------------------------------

    def preferences(self, user_id: str) -> dict[str, Any] | None:
        return self._get(user_id, PREFS)

    def put_preferences(self, user_id: str, fields: dict[str, Any]) -> None:
        """Replace the member's preferences: every field the preferences write is set or, when
        absent (or None), removed, so index keys not in `fields` leave the index. Other
        attributes of the item (the check-in day the check-ins stream records) stay."""
        present = {k: v for k, v in fields.items() if v is not None}
        absent = [k for k in PREFERENCE_FIELDS if k not in present]
        names = {f"#n{i}": n for i, n in enumerate([*present, *absent])}
        parts = ["SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(present)))]
        if absent:
            parts.append("REMOVE " + ", ".join(f"#n{len(present) + i}" for i in range(len(absent))))
        self._db.update_item(
            TableName=self._table,
            Key=self._key(user_id, PREFS),
            UpdateExpression=" ".join(parts),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(
                {f":v{i}": v for i, v in enumerate(present.values())}
            ),
        )

    def update_preferences_if_unchanged(
        self, user_id: str, fields: dict[str, Any], seen_updated_at: str | None
    ) -> bool:
        """Set `fields` (None removes) on the member's preferences as they were read.

        False, changing nothing, if there are none or they were saved since (their
        `updated_at` is no longer `seen_updated_at`): never creates preferences.
        """
        present = {k: v for k, v in fields.items() if v is not None}
        absent = [k for k, v in fields.items() if v is None]
        names = {f"#n{i}": n for i, n in enumerate([*present, *absent])} | {"#u": "updated_at"}
        values = {f":v{i}": v for i, v in enumerate(present.values())}
        parts = ["SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(present)))]
        if absent:
            parts.append("REMOVE " + ", ".join(f"#n{len(present) + i}" for i in range(len(absent))))
        condition = "attribute_exists(sk) AND "
        if seen_updated_at is None:
            condition += "attribute_not_exists(#u)"
        else:
            condition += "#u = :seen"
            values[":seen"] = seen_updated_at
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(user_id, PREFS),
                UpdateExpression=" ".join(parts),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def due_reminders(self, slot_key: str) -> Iterator[dict[str, Any]]:
        """The keys of the preferences due in one slot (the DueReminders index)."""
        return (from_item(i) for i in self._index(DUE_REMINDERS, "due_pk", slot_key))

    # --- inbox -----------------------------------------------------------------------------

    def _counter(self, user_id: str, change: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(user_id, UNREAD),
                "UpdateExpression": "ADD unread :n",
                "ExpressionAttributeValues": to_item({":n": change}),
            }
        }

    def _mark(self, user_id: str, sk: str, at: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(user_id, sk),
                "UpdateExpression": "SET read_at = :at",
                "ConditionExpression": "attribute_exists(sk) AND attribute_not_exists(read_at)",
                "ExpressionAttributeValues": to_item({":at": at}),
            }
        }

    def add_inbox_entry(
        self, user_id: str, notification_id: str, entry: dict[str, Any], request_id: str
    ) -> bool:
        """Write an inbox entry and count it unread, once per `request_id`.

        `entry` holds INBOX_FIELDS, `created_at` (UTC ISO with milliseconds) among them;
        the sort key comes from `created_at` and `request_id`, so a resent request finds
        its entry already there: False, and nothing changes.
        """
        unknown = entry.keys() - set(INBOX_FIELDS)
        if unknown:
            raise ValueError(f"unknown inbox fields: {sorted(unknown)}")
        created_at = str(entry.get("created_at", ""))
        sk = inbox_sk(inbox_id(created_at, request_id))
        if sk is None:
            raise ValueError(
                "created_at must be UTC ISO with milliseconds; request_id [A-Za-z0-9_-]"
            )
        born = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00"))
        item = dict(entry) | {
            "pk": partition(user_id),
            "sk": sk,
            "notification_id": notification_id,
            "expires_at": int((born + dt.timedelta(days=INBOX_DAYS)).timestamp()),
        }
        put = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(sk)",
            }
        }
        try:
            self._db.transact_write_items(TransactItems=[put, self._counter(user_id, 1)])
        except ClientError as error:
            if _first_condition_failed(error):
                return False
            raise
        return True

    def inbox_page(
        self, user_id: str, limit: int, start_key: dict[str, Any] | None, now_epoch: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query: inbox entries newest first, without expired ones TTL has not removed yet."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "expires_at > :now",
            "ExpressionAttributeValues": to_item(
                {":pk": partition(user_id), ":prefix": INBOX, ":now": now_epoch}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        last_key = response.get("LastEvaluatedKey")
        return [from_item(i) for i in response.get("Items", [])], (
            from_item(last_key) if last_key else None
        )

    def unread_count(self, user_id: str) -> int:
        counter = self._get(user_id, UNREAD)
        return max(0, int(counter.get("unread", 0))) if counter else 0

    def mark_read(self, user_id: str, sk: str, at: str) -> bool:
        """Mark one entry read and count it off, once; False if there is no such entry."""
        try:
            self._db.transact_write_items(
                TransactItems=[self._mark(user_id, sk, at), self._counter(user_id, -1)]
            )
        except ClientError as error:
            if _first_condition_failed(error):
                return self._get(user_id, sk) is not None  # read before: nothing to do
            raise
        return True

    def _unread_keys(self, user_id: str) -> list[str]:
        found = self._query(
            user_id,
            INBOX,
            FilterExpression="attribute_not_exists(read_at)",
            ProjectionExpression="sk",
        )
        return [item["sk"] for item in found]

    def mark_all_read(self, user_id: str, at: str) -> int:
        """Mark every unread entry read, the counter moved with each chunk; how many were.

        A chunk that meets an entry read meanwhile is done one by one instead. With no
        unread entry left, a counter still above 0 (an unread entry that expired) is reset.
        """
        marked = 0
        keys = self._unread_keys(user_id)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            actions = [self._mark(user_id, sk, at) for sk in chunk]
            try:
                self._db.transact_write_items(
                    TransactItems=[*actions, self._counter(user_id, -len(chunk))]
                )
                marked += len(chunk)
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                for sk in chunk:
                    marked += self._mark_one(user_id, sk, at)
        self._reset_counter_if_none_unread(user_id)
        return marked

    def _mark_one(self, user_id: str, sk: str, at: str) -> int:
        try:
            self._db.transact_write_items(
                TransactItems=[self._mark(user_id, sk, at), self._counter(user_id, -1)]
            )
        except ClientError as error:
            if _first_condition_failed(error):
                return 0
            raise
        return 1

    def correct_unread(self, user_id: str, seen: int, actual: int) -> bool:
        """Set the unread counter to `actual` if it still holds `seen` (nothing delivered or
        read meanwhile); False if it changed. For entries that expired unread."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(user_id, UNREAD),
                UpdateExpression="SET unread = :actual",
                ConditionExpression="unread = :seen",
                ExpressionAttributeValues=to_item({":actual": actual, ":seen": seen}),
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _reset_counter_if_none_unread(self, user_id: str) -> None:
        counter = self._get(user_id, UNREAD)
        seen = int(counter.get("unread", 0)) if counter else 0
        if seen == 0 or self._unread_keys(user_id):
            return
        try:  # only if no entry was added (or read) since the count was seen
            self._db.update_item(
                TableName=self._table,
                Key=self._key(user_id, UNREAD),
                UpdateExpression="SET unread = :zero",
                ConditionExpression="unread = :seen",
                ExpressionAttributeValues=to_item({":zero": 0, ":seen": seen}),
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise


# --- for the sender -----------------------------------------------------------------------
# Methods of functions/notifications/sender.py. A device whose push service called its
# token dead gets `disabled_reason` "token_dead": it stays registered (the app sees it) but
# gets no pushes until the app registers again (put_device states it afresh).
# "sent#<request_id>#<installation_id>" marks a push handed to a device, so a
# redelivered request pushes only to the devices it has not reached; it expires after
# SENT_MARKER_DAYS.

SENT = "sent#"
SENT_MARKER_DAYS = 2


def sent_sk(request_id: str, installation_id: str) -> str:
    return f"{SENT}{request_id}#{installation_id}"


def _enabled(device: dict[str, Any]) -> bool:
    return bool(device.get("token")) and not device.get("disabled_reason")


class SenderRepository(NotificationsRepository):
    """What the sender needs on top of the routes' methods."""

    def enabled_devices(self, user_id: str) -> list[dict[str, Any]]:
        """The member's devices that may be pushed to (a token, and not disabled)."""
        return [d for d in self.devices(user_id) if _enabled(d)]

    def disable_device(self, user_id: str, installation_id: str, token: str) -> bool:
        """Stop pushing to `token` on the device; False if the device has moved on or is gone.

        Conditional on the token still being `token`: a device that registered a new
        token meanwhile keeps it enabled.
        """
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(user_id, device_sk(installation_id)),
                UpdateExpression="SET disabled_reason = :dead",
                ConditionExpression="attribute_exists(sk) AND #token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues=to_item({":token": token, ":dead": TOKEN_DEAD}),
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_sent(
        self, user_id: str, request_id: str, installation_id: str, now_epoch: int
    ) -> bool:
        """Mark the push of `request_id` to a device as sent; False if it already was."""
        item = {
            "pk": partition(user_id),
            "sk": sent_sk(request_id, installation_id),
            "expires_at": now_epoch + SENT_MARKER_DAYS * 86400,
        }
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_sent(self, user_id: str, request_id: str, installation_id: str) -> None:
        """Drop the mark of a push that did not go, so the next delivery tries it again."""
        self._db.delete_item(
            TableName=self._table, Key=self._key(user_id, sent_sk(request_id, installation_id))
        )
