"""The accounts feature's export and erase: the member's profile (no HTTP)."""

from __future__ import annotations

from functools import cache
from typing import Any

from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, pick
from shared.dynamo import from_item, to_item
from shared.settings import AccountsSettings, settings

EXPORTED = (
    "user_id",
    "username",
    "display_name",
    "time_zone",
    "locale",
    "region_code",
    "journal_retention_days",
    "created_at",
    "updated_at",
)


class AccountsData:
    feature = "accounts"

    def __init__(self, db: Any, table: str) -> None:
        self._db = db
        self._table = table

    def export(self, user_id: str) -> dict[str, Any]:
        item = self._db.get_item(TableName=self._table, Key=to_item({"user_id": user_id})).get(
            "Item"
        )
        return {"profile": pick(from_item(item), EXPORTED) if item else None}

    def erase(self, user_id: str) -> int:
        return delete_partition(self._db, self._table, "user_id", None, user_id)


@cache
def feature_data() -> FeatureData:
    return AccountsData(aws.client("dynamodb"), settings(AccountsSettings).accounts_table)


handler = data_rights_handler(feature_data)
