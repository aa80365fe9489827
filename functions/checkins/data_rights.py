"""The check-ins feature's export and erase, run by the data-rights workflow (no HTTP)."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.checkins.repository import PURPOSE, CheckinKeys, CheckinsRepository
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, pick
from shared.settings import CheckinsSettings, settings

# What leaves in an export: the member's own check-ins, never storage details.
EXPORTED = (
    "date",
    "mood",
    "energy",
    "stress",
    "sleep_hours",
    "emotions",
    "tags",
    "note",
    "instruments",
    "share_with_supporter",
    "scores",
    "risk",
    "time_zone",
    "created_at",
    "updated_at",
)


class CheckinsData:
    feature = "checkins"

    def __init__(self, db: Any, table: str, repo: CheckinsRepository) -> None:
        self._db = db
        self._table = table
        self._repo = repo

    def export(self, user_id: str) -> dict[str, Any]:
        checkins = [pick(c, EXPORTED) for c in self._repo.every(user_id)]
        return {"checkins": checkins}

    def erase(self, user_id: str) -> int:
        # The "#key" item goes too: what a backup still holds can no longer be opened.
        return delete_partition(self._db, self._table, "user_id", "date", user_id)


@cache
def feature_data() -> FeatureData:
    from shared.vault import vault_for

    db = aws.client("dynamodb")
    table = settings(CheckinsSettings).checkins_table
    vault = vault_for(PURPOSE, CheckinKeys(db, table))
    return CheckinsData(db, table, CheckinsRepository(db, table, vault))


handler = data_rights_handler(feature_data)
