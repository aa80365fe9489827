"""A member's data in the other features' tables, for export and erasure (data rights).

Every read is a Query on the member's own partition, page by page: never a Scan.
Journal text is opened with the member's data key (one KMS Decrypt per export).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from shared.dynamo import from_item, to_item
from shared.envelope import KeyRing, open_sealed

BATCH = 25  # BatchWriteItem's limit
JOURNAL_META = "#meta"
DAY_SECONDS = 86_400
# Storage details that are not the member's content.
INTERNAL = {
    "user_id",
    "org_id",
    "risk_level",
    "change_seq",
    "edk",
    "title_ct",
    "body_ct",
    "expires_at",
}


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


class MemberData:
    def __init__(self, db: Any, checkins_table: str, journal_table: str, keyring: KeyRing | None):
        self._db = db
        self._checkins = checkins_table
        self._journal = journal_table
        self._keyring = keyring

    def _query(
        self, table: str, user_id: str, fields: tuple[str, ...] = ()
    ) -> Iterator[dict[str, Any]]:
        """Every item of the member in `table` (only `fields`, if given), page by page."""
        names = {"#u": "user_id"} | {f"#f{i}": f for i, f in enumerate(fields)}
        args: dict[str, Any] = {
            "TableName": table,
            "KeyConditionExpression": "#u = :u",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item({":u": user_id}),
        }
        if fields:
            args["ProjectionExpression"] = ", ".join(f"#f{i}" for i in range(len(fields)))
        while True:
            response = self._db.query(**args)
            yield from (from_item(i) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def checkins(self, user_id: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in item.items() if k not in INTERNAL}
            for item in self._query(self._checkins, user_id)
        ]

    def journal_entries(self, user_id: str) -> list[dict[str, Any]]:
        """Live entries, decrypted; tombstones and the key record are not the member's writing."""
        entries = []
        for item in self._query(self._journal, user_id):
            if item["entry_id"] == JOURNAL_META or item.get("deleted"):
                continue
            assert self._keyring is not None, "a journal entry needs the key ring"
            key = self._keyring.unwrap(user_id, bytes(item["edk"]))
            entry_id = item["entry_id"]
            entry = {k: v for k, v in item.items() if k not in INTERNAL | {"entry_id"}}
            entry["id"] = entry_id
            entry["title"] = open_sealed(key, user_id, entry_id, "title", bytes(item["title_ct"]))
            entry["body"] = open_sealed(key, user_id, entry_id, "body", bytes(item["body_ct"]))
            entries.append(entry)
        return sorted(entries, key=lambda e: e["written_at"], reverse=True)

    def erase(self, user_id: str) -> int:
        """Delete every item of the member in the check-ins and journal tables; safe to repeat."""
        deleted = 0
        for table, sort_key in ((self._checkins, "date"), (self._journal, "entry_id")):
            keys = [to_item(k) for k in self._query(table, user_id, ("user_id", sort_key))]
            for start in range(0, len(keys), BATCH):
                self._delete_batch(table, keys[start : start + BATCH])
            deleted += len(keys)
        return deleted

    def _delete_batch(self, table: str, keys: list[dict[str, Any]]) -> None:
        requests: list[dict[str, Any]] = [{"DeleteRequest": {"Key": k}} for k in keys]
        for _ in range(8):  # unprocessed items come back under throttling: retry them
            response = self._db.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                return
        raise RuntimeError("erasure did not finish; it is safe to repeat the request")

    def _set_or_remove(self, key: dict[str, Any], name: str, value: int | None) -> None:
        if value is None:
            self._db.update_item(
                TableName=self._journal, Key=key, UpdateExpression=f"REMOVE {name}"
            )
        else:
            self._db.update_item(
                TableName=self._journal,
                Key=key,
                UpdateExpression=f"SET {name} = :v",
                ExpressionAttributeValues=to_item({":v": value}),
            )

    def set_journal_retention(self, user_id: str, days: int | None) -> None:
        """Record the retention for new entries and apply it to the existing ones (TTL)."""
        self._set_or_remove(
            to_item({"user_id": user_id, "entry_id": JOURNAL_META}), "retention_days", days
        )
        for item in self._query(self._journal, user_id, ("entry_id", "written_at", "deleted")):
            if item["entry_id"] == JOURNAL_META or item.get("deleted"):
                continue  # tombstones keep their own expiry
            expires = None if days is None else _epoch(item["written_at"]) + days * DAY_SECONDS
            key = to_item({"user_id": user_id, "entry_id": item["entry_id"]})
            self._set_or_remove(key, "expires_at", expires)
