"""The journal's export and erase, run by the data-rights workflow (no HTTP)."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.journal.repository import JournalRepository
from functions.journal.stored import entry_document
from functions.journal.vault import JournalVault, journal_vault
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, delete_partition, pick
from shared.settings import JournalSettings, settings

# What leaves in an export: the entries as the member wrote them, never storage details.
EXPORTED = (
    "id",
    "title",
    "body",
    "mood",
    "emotions",
    "tags",
    "written_at",
    "updated_at",
    "version",
    "risk",
)


class JournalData:
    feature = "journal"

    def __init__(self, db: Any, table: str, repo: JournalRepository, vault: JournalVault) -> None:
        self._db = db
        self._table = table
        self._repo = repo
        self._vault = vault

    def export(self, user_id: str) -> dict[str, Any]:
        open_item = self._vault.opener(user_id)
        entries = [
            pick(entry_document(item, open_item(item)), EXPORTED)
            for item in self._repo.live_entries(user_id)
        ]
        entries.sort(key=lambda e: e["written_at"], reverse=True)
        return {"journal_entries": entries}

    def erase(self, user_id: str) -> int:
        # Entries, tombstones and "#meta" (the wrapped key: backups can no longer be opened).
        return delete_partition(self._db, self._table, "user_id", "entry_id", user_id)


@cache
def feature_data() -> FeatureData:
    db = aws.client("dynamodb")
    table = settings(JournalSettings).journal_table
    repo = JournalRepository(db, table)
    return JournalData(db, table, repo, journal_vault(repo))


handler = data_rights_handler(feature_data)
