"""The only module of the journal function that talks to DynamoDB.

Items of a member share the partition `user_id`:
- entries, sort key `entry_id`, holding only ciphertext of what the member wrote
  (`title_ct`, `body_ct`, `tags_ct`) and of the lexicon's findings (`reasons_ct`);
- tombstones of deleted entries (`deleted`, no text), kept for sync;
- "#meta": the member's wrapped data key and journal retention.
LSI `by_written` lists newest first; LSI `by_change` feeds sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.dynamo import from_item, to_item

META = "#meta"
BY_WRITTEN = "by_written"
BY_CHANGE = "by_change"


class MetaStore(Protocol):
    """The member's "#meta" item: what the journal's vault needs."""

    def meta(self, user_id: str) -> dict[str, Any] | None: ...

    def create_meta(self, user_id: str, edk: bytes) -> bool: ...


class JournalStore(Protocol):
    """What the routes need; the unit tier's fake implements the same."""

    def get(self, user_id: str, entry_id: str) -> dict[str, Any] | None: ...

    def create(self, item: dict[str, Any]) -> bool: ...

    def replace(self, item: dict[str, Any], expected_version: int) -> bool: ...

    def page(
        self,
        user_id: str,
        first: str,
        last: str,
        limit: int,
        start_key: dict[str, Any] | None,
        mood: int | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...

    def changes(
        self, user_id: str, after: str, limit: int
    ) -> tuple[list[dict[str, Any]], bool]: ...


def _conditional_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


class JournalRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _key(self, user_id: str, entry_id: str) -> dict[str, Any]:
        return to_item({"user_id": user_id, "entry_id": entry_id})

    def meta(self, user_id: str) -> dict[str, Any] | None:
        """The member's "#meta" item, read strongly consistent: a retention just set counts."""
        item = self._db.get_item(
            TableName=self._table, Key=self._key(user_id, META), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def create_meta(self, user_id: str, edk: bytes) -> bool:
        """Store the member's wrapped key; False if another request stored one first."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(user_id, META),
                UpdateExpression="SET edk = :k",
                ConditionExpression="attribute_not_exists(edk)",
                ExpressionAttributeValues=to_item({":k": edk}),
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def get(self, user_id: str, entry_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=self._key(user_id, entry_id)).get(
            "Item"
        )
        return from_item(item) if item else None

    def create(self, item: dict[str, Any]) -> bool:
        """Put a new entry; False if this id already exists (a resent client_id)."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(entry_id)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def replace(self, item: dict[str, Any], expected_version: int) -> bool:
        """Replace a live entry if it is still at `expected_version`; False otherwise."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="#v = :v AND attribute_not_exists(deleted)",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues=to_item({":v": expected_version}),
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def page(
        self,
        user_id: str,
        first: str,
        last: str,
        limit: int,
        start_key: dict[str, Any] | None,
        mood: int | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query: live entries written between two instants, newest first.

        Tags are sealed, so a tag filter is applied by the caller after opening.
        """
        filters = ["attribute_not_exists(deleted)"]
        values: dict[str, Any] = {":u": user_id, ":first": first, ":last": last}
        if mood is not None:
            filters.append("mood = :mood")
            values[":mood"] = mood
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_WRITTEN,
            "KeyConditionExpression": "user_id = :u AND written_at BETWEEN :first AND :last",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeValues": to_item(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        last_key = response.get("LastEvaluatedKey")
        return [from_item(i) for i in response["Items"]], (
            from_item(last_key) if last_key else None
        )

    def changes(self, user_id: str, after: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """One Query: entries and tombstones changed after `after`, oldest change first."""
        response = self._db.query(
            TableName=self._table,
            IndexName=BY_CHANGE,
            KeyConditionExpression="user_id = :u AND change_seq > :after",
            ExpressionAttributeValues=to_item({":u": user_id, ":after": after}),
            ScanIndexForward=True,
            Limit=limit,
        )
        return [from_item(i) for i in response["Items"]], "LastEvaluatedKey" in response

    def set_retention(self, user_id: str, days: int | None) -> None:
        """Record the retention for new entries on "#meta" (the key joins it on the first entry)."""
        key = self._key(user_id, META)
        if days is None:
            self._db.update_item(
                TableName=self._table, Key=key, UpdateExpression="REMOVE retention_days"
            )
        else:
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET retention_days = :d",
                ExpressionAttributeValues=to_item({":d": days}),
            )

    def live_entries(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every live entry of the member (no tombstones, no "#meta"), page by page."""
        from shared.data_rights import query_partition

        for item in query_partition(self._db, self._table, "user_id", user_id):
            if item["entry_id"] != META and not item.get("deleted"):
                yield item

    def set_expiry(self, user_id: str, entry_id: str, expires_at: int | None) -> None:
        """Set or clear a live entry's TTL; an entry deleted meanwhile is left alone."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(user_id, entry_id),
            "ConditionExpression": "attribute_exists(entry_id) AND attribute_not_exists(deleted)",
        }
        if expires_at is None:
            args["UpdateExpression"] = "REMOVE expires_at"
        else:
            args["UpdateExpression"] = "SET expires_at = :e"
            args["ExpressionAttributeValues"] = to_item({":e": expires_at})
        try:
            self._db.update_item(**args)
        except ClientError as error:
            if not _conditional_failed(error):
                raise
