"""The journal's sealed fields and the member's "#meta" item (wrapped data key, retention).

The "#meta" item is read once per `ttl` (shared/vault.py caches it), and the
retention it holds comes with the same read, so a warm write reads nothing but
the write itself.
"""

from __future__ import annotations

from typing import Any

from functions.journal.repository import JournalRepository
from shared.vault import Vault, vault_for

PURPOSE = "journal"
SEALED = ("title", "body", "tags", "reasons")


class JournalKeys:
    """KeyStore over "#meta"; remembers the retention read with the key."""

    def __init__(self, repo: JournalRepository) -> None:
        self._repo = repo
        self._retention: dict[str, int | None] = {}

    def load_key(self, user_id: str) -> bytes | None:
        meta = self._repo.meta(user_id) or {}
        self._retention[user_id] = meta.get("retention_days")
        return bytes(meta["edk"]) if meta.get("edk") is not None else None

    def store_key(self, user_id: str, edk: bytes) -> bool:
        return self._repo.create_meta(user_id, edk)

    def retention_days(self, user_id: str) -> int | None:
        return self._retention.get(user_id)


class JournalVault:
    def __init__(self, vault: Vault, keys: JournalKeys) -> None:
        self._vault = vault
        self._keys = keys

    def seal(
        self, user_id: str, entry_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None]:
        """The `*_ct` attributes of an entry, and the member's retention for its expiry."""
        key = self._vault.key_for_writing(user_id)
        sealed: dict[str, Any] = dict.fromkeys((f"{n}_ct" for n in SEALED), None)
        sealed |= self._vault.seal_fields(key, user_id, entry_id, fields)
        return sealed, self._keys.retention_days(user_id)

    def opener(self, user_id: str) -> Any:
        """Opens this member's entries (one key lookup for a whole page)."""
        key = self._vault.key_for_reading(user_id)

        def open_item(item: dict[str, Any]) -> dict[str, Any]:
            return self._vault.open_fields(key, user_id, item["entry_id"], item, SEALED)

        return open_item


def journal_vault(repo: JournalRepository) -> JournalVault:
    keys = JournalKeys(repo)
    return JournalVault(vault_for(PURPOSE, keys), keys)
