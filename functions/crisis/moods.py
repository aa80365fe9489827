"""The member's recent moods in the cases table, for the sustained low mood signal.

The risk intake sees every check-in (the Checkins stream has no filter). For each it
keeps the day's mood on `member#<user_id>` / `mood#<local day YYYY-MM-DD>` (the key
layout is in functions/crisis/cases.py) with the check-in's `updated_at`, so a replayed
older write of the same day never overwrites a newer mood, and `expires_at` (the table's
TTL attribute) 30 days on. It then reads the days it needs in one Query and judges them
with shared/crisis/signals.py. The check-ins table stays the check-ins feature's own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions.crisis.cases import member_pk
from shared.dynamo import from_item, to_item

MOOD = "mood#"
MOOD_SECONDS = 30 * 86400


def mood_sk(day: date) -> str:
    return f"{MOOD}{day.isoformat()}"


class MoodHistory:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def keep(self, user_id: str, day: date, mood: int, revision: str, now: datetime) -> bool:
        """The day's mood, unless a later write of that day is kept already (then False)."""
        item = {
            "pk": member_pk(user_id),
            "sk": mood_sk(day),
            "mood": mood,
            "updated_at": revision,
            "expires_at": int(now.timestamp()) + MOOD_SECONDS,
        }
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk) OR updated_at <= :u",
                ExpressionAttributeValues=to_item({":u": revision}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recent(self, user_id: str, last: date, days: int) -> dict[date, int]:
        """The moods of the `days` local days ending on `last`: one Query (days ≤ 30)."""
        first = last - timedelta(days=days - 1)
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": to_item(
                {":p": member_pk(user_id), ":first": mood_sk(first), ":last": mood_sk(last)}
            ),
            "ConsistentRead": True,
        }
        found: dict[date, int] = {}
        while True:
            page = self._db.query(**args)
            for raw in page.get("Items", []):
                item = from_item(raw)
                found[date.fromisoformat(str(item["sk"])[len(MOOD) :])] = int(item["mood"])
            if "LastEvaluatedKey" not in page:
                return found
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
