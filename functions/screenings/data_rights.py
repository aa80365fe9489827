"""The screenings feature's export and erase, run by the data-rights workflow (no HTTP)."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.screenings.repository import (
    PURPOSE,
    ScreeningKeys,
    ScreeningsRepository,
    ScreeningsSettings,
)
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, pick
from shared.settings import settings

# What leaves in an export: the member's own screenings, answers opened, never storage
# details (keys, the organisation, ciphertext).
EXPORTED = ("id", "instrument", "tier", "answers", "risk", "created_at")


class ScreeningsData:
    feature = "screenings"

    def __init__(self, db: Any, table: str, repo: ScreeningsRepository) -> None:
        self._db = db
        self._table = table
        self._repo = repo

    def export(self, user_id: str) -> dict[str, Any]:
        return {"screenings": [pick(s, EXPORTED) for s in self._repo.every(user_id)]}

    def erase(self, user_id: str) -> int:
        # The "#key" item goes too: what a backup still holds can no longer be opened.
        return delete_partition(self._db, self._table, "user_id", "sk", user_id)


@cache
def feature_data() -> FeatureData:
    from shared.vault import vault_for

    db = aws.client("dynamodb")
    table = settings(ScreeningsSettings).screenings_table
    vault = vault_for(PURPOSE, ScreeningKeys(db, table))
    return ScreeningsData(db, table, ScreeningsRepository(db, table, vault))


handler = data_rights_handler(feature_data)
