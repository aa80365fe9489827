"""Which organisation a member belongs to (the orgs table's membership item, as an
invitation writes it). Its own small module: the HTTP functions need it without the
stream intake's imports."""

from __future__ import annotations

from typing import Any

from shared.dynamo import from_item, to_item
from shared.orgs.keys import MEMBERSHIP, member_pk


class Memberships:
    """Which organisation a member belongs to: one GetItem of their membership item."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def org_of(self, user_id: str) -> str | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": member_pk(user_id), "sk": MEMBERSHIP}),
            ProjectionExpression="org_id",
        ).get("Item")
        org_id = from_item(item).get("org_id") if item else None
        return str(org_id) if org_id else None
