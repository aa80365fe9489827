"""The contract of every feature's data-rights handler, called by the data-rights workflow.

Each feature that holds member data has a non-HTTP handler of its own
(`functions/<feature>/data_rights.py`) with only its own table's permissions. It
answers two actions: `erase` (delete every item of the member, safe to repeat;
returns the count) and `export` (write the member's data, as an allowlist of
fields decides, to the export bucket as `<export_id>/<feature>.json`). Nothing
here reaches into another feature's table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from shared.dynamo import from_item, to_item
from shared.observability import Handler, instrument, logger

BATCH = 25  # BatchWriteItem's limit
ACTIONS = ("export", "erase")
_EXPORT_ID = re.compile(r"^[0-9a-f-]{36}$")


@dataclass(frozen=True)
class DataRightsRequest:
    """What the workflow sends a feature. Checked by hand: pydantic stays out of the
    non-HTTP functions' cold start (their floor is boto3 and Powertools)."""

    action: str
    user_id: str
    export_id: str | None = None

    @classmethod
    def parse(cls, event: dict[str, Any]) -> DataRightsRequest:
        action, user_id, export_id = (
            event.get("action"),
            event.get("user_id"),
            event.get("export_id"),
        )
        if action not in ACTIONS:
            raise ValueError("action must be export or erase")
        if not isinstance(user_id, str) or not 0 < len(user_id) <= 128:
            raise ValueError("user_id must be a member's id")
        if export_id is not None and not (
            isinstance(export_id, str) and _EXPORT_ID.match(export_id)
        ):
            raise ValueError("export_id must be a UUID")
        if action == "export" and export_id is None:
            raise ValueError("an export needs its export_id")
        return cls(action=action, user_id=user_id, export_id=export_id)


class FeatureData(Protocol):
    feature: str

    def export(self, user_id: str) -> dict[str, Any]:
        """The member's data in this feature, only the fields its allowlist names."""
        ...

    def erase(self, user_id: str) -> int:
        """Delete every item of the member in this feature; the number deleted."""
        ...


def pick(item: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """Only the allowlisted fields that are set: a new stored field never leaves by accident."""
    return {name: item[name] for name in allowed if item.get(name) is not None}


def query_partition(
    db: Any,
    table: str,
    partition_key: str,
    value: str,
    fields: tuple[str, ...] = (),
    *,
    newest_first: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every item of one partition (only `fields`, if given), page by page: never a Scan."""
    names = {"#p": partition_key} | {f"#f{i}": f for i, f in enumerate(fields)}
    args: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item({":p": value}),
        "ScanIndexForward": not newest_first,
    }
    if fields:
        args["ProjectionExpression"] = ", ".join(f"#f{i}" for i in range(len(fields)))
    while True:
        response = db.query(**args)
        yield from (from_item(i) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def delete_partition(
    db: Any, table: str, partition_key: str, sort_key: str | None, value: str
) -> int:
    """Delete every item of one partition (a table without a sort key: `sort_key` None).

    Returns the count; safe to repeat.
    """
    fields = (partition_key, sort_key) if sort_key else (partition_key,)
    keys = list(query_partition(db, table, partition_key, value, fields))
    delete_keys(db, table, keys)
    return len(keys)


def delete_keys(db: Any, table: str, keys: list[dict[str, Any]]) -> None:
    """Delete the items with these keys (plain values), 25 at a time; safe to repeat."""
    items = [to_item(k) for k in keys]
    for start in range(0, len(items), BATCH):
        requests: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": k}} for k in items[start : start + BATCH]
        ]
        for _ in range(8):  # unprocessed items come back under throttling: retry them
            response = db.batch_write_item(RequestItems={table: requests})
            requests = response.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                break
        else:
            raise RuntimeError("erasure did not finish; the workflow retries it")


def part_key(export_id: str, feature: str) -> str:
    return f"{export_id}/{feature}.json"


def data_rights_handler(feature_data: Callable[[], FeatureData]) -> Handler:
    """The Lambda handler of one feature's export and erase."""

    @instrument
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = DataRightsRequest.parse(event)
        data = feature_data()
        if request.action == "erase":
            erased = data.erase(request.user_id)
            logger.info("erased", extra={"feature": data.feature, "items": erased})
            return {"feature": data.feature, "erased": erased}
        assert request.export_id is not None
        from shared import aws
        from shared.settings import DataRightsSettings, settings

        body = json.dumps(data.export(request.user_id), ensure_ascii=False).encode()
        key = part_key(request.export_id, data.feature)
        aws.client("s3").put_object(
            Bucket=settings(DataRightsSettings).export_bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
        )
        logger.info("exported", extra={"feature": data.feature, "bytes": len(body)})
        return {"feature": data.feature, "key": key}

    return handler
