"""The only module of the check-ins function that talks to DynamoDB.

Table: partition `user_id`, sort `date` (member-local YYYY-MM-DD), so a member's
history is one Query, newest first, and "one check-in a day" is the key itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from functions.checkins.models import Checkin
from shared.dynamo import from_item, serialize, to_item

# `date` is a DynamoDB reserved word.
_NAMES = {"#u": "user_id", "#d": "date"}
_SUMMARY_FIELDS = ("date", "mood", "scores")


class CheckinsRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def save(self, user_id: str, org_id: str | None, checkin: Checkin) -> tuple[Checkin, bool]:
        """Create or replace the member's check-in for its day in one UpdateItem.

        Returns the stored check-in and whether it was new. A replaced check-in
        keeps its created_at; fields absent from the new version are removed.
        """
        data = checkin.model_dump(mode="json", exclude={"date", "created_at", "crisis_resources"})
        data["org_id"] = org_id
        data["risk_level"] = checkin.risk.level  # top-level copy for the crisis workflow
        present = {k: v for k, v in data.items() if v is not None}
        absent = [k for k, v in data.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate(present)} | {"#c": "created_at"}
        values = {f":v{i}": serialize(v) for i, v in enumerate(present.values())}
        values[":now"] = serialize(checkin.created_at)
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(present)))
        expression += ", #c = if_not_exists(#c, :now)"
        if absent:
            names |= {f"#r{i}": k for i, k in enumerate(absent)}
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(absent)))
        response = self._db.update_item(
            TableName=self._table,
            Key=to_item({"user_id": user_id, "date": checkin.date.isoformat()}),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        )
        old = from_item(response.get("Attributes") or {})
        if old:
            checkin = checkin.model_copy(update={"created_at": old["created_at"]})
        return checkin, not old

    def get(self, user_id: str, day: dt.date) -> Checkin | None:
        response = self._db.get_item(
            TableName=self._table,
            Key=to_item({"user_id": user_id, "date": day.isoformat()}),
        )
        item = response.get("Item")
        return Checkin.model_validate(from_item(item)) if item else None

    def page(
        self,
        user_id: str,
        first: dt.date,
        last: dt.date,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Checkin], dict[str, Any] | None]:
        """One Query: check-ins between two days inclusive, newest first."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#u = :u AND #d BETWEEN :first AND :last",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": to_item(
                {":u": user_id, ":first": first.isoformat(), ":last": last.isoformat()}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        items = [Checkin.model_validate(from_item(i)) for i in response.get("Items", [])]
        last_key = response.get("LastEvaluatedKey")
        return items, (from_item(last_key) if last_key else None)

    def newest_first(
        self, user_id: str, until: dt.date, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Date, mood and scores of every check-in up to `until`, newest first, paged lazily."""
        names = _NAMES | {f"#p{i}": f for i, f in enumerate(_SUMMARY_FIELDS)}
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#u = :u AND #d <= :until",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item({":u": user_id, ":until": until.isoformat()}),
            "ProjectionExpression": ", ".join(f"#p{i}" for i in range(len(_SUMMARY_FIELDS))),
            "ScanIndexForward": False,
            "Limit": page_size,
        }
        while True:
            response = self._db.query(**args)
            for item in response.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
