"""The only stats module that talks to DynamoDB: the stats table, and the orgs table read-only.

The aggregator's writes are transactions: the marker of what a record changed and the
counter rows' ADDs commit together or not at all, so a retried or replayed record never
counts twice nor is lost halfway (keys.py lists the items, counting.py the rules).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from functions.stats.keys import case_pk, day_range_bounds, member_pk, split_row_sk, stats_pk
from shared.dynamo import from_item, to_item
from shared.orgs.keys import SETTINGS, org_pk
from shared.ttl_cache import TtlCache

# A member's items outlive every edit of a check-in (allowed up to 366 days back).
MEMBER_ITEM_DAYS = 400
CASE_MARKER_DAYS = 400
_ROW_FIELDS = frozenset({"pk", "sk", "expires_at"})


class Contended(Exception):
    """A condition failed on an item read moments ago: read again and retry."""


class AlreadyCounted(Exception):
    """The record (or a later one) was counted before: nothing to do."""


def _cancellation_codes(error: ClientError) -> list[str] | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return [str(r.get("Code") or "None") for r in error.response.get("CancellationReasons") or []]


def _expiry(now: dt.datetime, days: int) -> int:
    return int(now.timestamp()) + days * 86400


def _counter_update(table: str, org_id: str, sk: str, changes: Mapping[str, int]) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":a{i}": value for i, value in enumerate(changes.values())}
    return {
        "Update": {
            "TableName": table,
            "Key": to_item({"pk": stats_pk(org_id), "sk": sk}),
            "UpdateExpression": "ADD "
            + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True)),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }
    }


class StatsStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    # ------------------------------------------------------------------ aggregator
    def get_many(self, pk: str, sks: list[str]) -> dict[str, dict[str, Any]]:
        """The items of partition `pk` under `sks` that exist, by sort key (one call)."""
        request: dict[str, Any] = {
            self._table: {
                "Keys": [to_item({"pk": pk, "sk": sk}) for sk in sks],
                "ConsistentRead": True,
            }
        }
        found: dict[str, dict[str, Any]] = {}
        for _ in range(8):
            response = self._db.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self._table, []):
                item = from_item(raw)
                found[item["sk"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("DynamoDB kept keys unprocessed")

    def apply_checkin(
        self,
        user_id: str,
        day_sk: str,
        day_item: dict[str, Any],
        period_items: Mapping[str, tuple[dict[str, int], int | None]],
        deltas: Mapping[tuple[str, str, str], Mapping[str, int]],
        now: dt.datetime,
    ) -> None:
        """Record the member-day as `day_item` (only if its `seq` is newer than the stored
        one) and each period's units (only if still at the version read), and add `deltas`.

        AlreadyCounted when the stored sequence number is as new; Contended when a period
        item changed meanwhile.
        """
        expires = _expiry(now, MEMBER_ITEM_DAYS)
        pk = member_pk(user_id)
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({**day_item, "pk": pk, "sk": day_sk, "expires_at": expires}),
                    "ConditionExpression": "attribute_not_exists(pk) OR seq < :seq",
                    "ExpressionAttributeValues": to_item({":seq": day_item["seq"]}),
                }
            }
        ]
        for sk, (units, version) in period_items.items():
            put: dict[str, Any] = {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": pk,
                        "sk": sk,
                        "units": dict(units),
                        "version": (version or 0) + 1,
                        "expires_at": expires,
                    }
                ),
            }
            if version is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                put["ConditionExpression"] = "version = :v"
                put["ExpressionAttributeValues"] = to_item({":v": version})
            actions.append({"Put": put})
        for (org_id, period, unit), changes in sorted(deltas.items()):
            actions.append(_counter_update(self._table, org_id, f"{period}#{unit}", changes))
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes is None:
                raise
            if codes and codes[0] == "ConditionalCheckFailed":
                raise AlreadyCounted from error
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise Contended from error
            raise

    def count_case(
        self,
        case_id: str,
        marker: str,
        marker_item: dict[str, Any],
        org_id: str,
        changes: Mapping[str, Mapping[str, int]],
        now: dt.datetime,
    ) -> bool:
        """Put the case's `marker` if absent and add `changes` (row sort key → ADDs), together;
        False if the marker was there (counted before)."""
        item = {
            **marker_item,
            "pk": case_pk(case_id),
            "sk": marker,
            "expires_at": _expiry(now, CASE_MARKER_DAYS),
        }
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        for sk, adds in sorted(changes.items()):
            actions.append(_counter_update(self._table, org_id, sk, adds))
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    # ------------------------------------------------------------------ reports
    def rows(
        self, org_id: str, first: dt.date, last: dt.date, period: str | None
    ) -> list[tuple[str, str, dict[str, int]]]:
        """Every unit's counter rows: of `period` (`w#…`, `m#…`) if given, else of each day
        from `first` to `last`. One Query (and its pages), whatever the number of members."""
        values: dict[str, Any] = {":p": stats_pk(org_id)}
        if period is None:
            values[":a"], values[":b"] = day_range_bounds(first, last)
            condition = "pk = :p AND sk BETWEEN :a AND :b"
        else:
            values[":s"] = f"{period}#"
            condition = "pk = :p AND begins_with(sk, :s)"
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
        }
        rows = []
        while True:
            response = self._db.query(**args)
            for raw in response["Items"]:
                item = from_item(raw)
                row_period, unit = split_row_sk(item["sk"])
                counters = Counter(
                    {k: int(v) for k, v in item.items() if k not in _ROW_FIELDS and v}
                )
                rows.append((row_period, unit, dict(counters)))
            if "LastEvaluatedKey" not in response:
                return rows
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


class OrgsReader:
    """What stats reads from the orgs table: the unit tree, and an organisation's zone."""

    def __init__(self, client: Any, table: str, zone_ttl_seconds: float = 300.0) -> None:
        self._db = client
        self._table = table
        self._zones: TtlCache[str, str | None] = TtlCache(zone_ttl_seconds, max_size=1000)

    def units(self, org_id: str) -> list[dict[str, Any]]:
        """Every unit of the organisation (`unit_id`, `name`, `kind`, `parent_id`): one Query."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": org_pk(org_id), ":s": "unit#"}),
            "ProjectionExpression": "unit_id, #n, kind, parent_id",
            "ExpressionAttributeNames": {"#n": "name"},
        }
        units: list[dict[str, Any]] = []
        while True:
            response = self._db.query(**args)
            units.extend(from_item(i) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return units
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def zone(self, org_id: str) -> str | None:
        """The organisation's IANA zone (cached per container), None if it has none."""
        return self._zones.get(org_id, lambda: self._load_zone(org_id))

    def _load_zone(self, org_id: str) -> str | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": org_pk(org_id), "sk": SETTINGS}),
            ProjectionExpression="time_zone",
        ).get("Item")
        zone = from_item(found).get("time_zone") if found else None
        return str(zone) if zone else None
