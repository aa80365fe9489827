"""The journal's sealed fields and the member's "#meta" item (wrapped data key, retention).

Reads cache the wrapped key (shared/vault.py). A write reads "#meta" afresh
(one consistent GetItem): the retention it holds decides the new entry's
expiry, and a retention changed a moment ago must count, since the profile
stream only updates the entries that already exist.

A risky entry's reasons (the lexicon's `lexicon:<id>` codes) are also sealed for the
crisis feature (`signal_ct`, shared/crisis/signal_seal.py): the only way a counsellor
reads them, without the journal's key.
"""

from __future__ import annotations

from typing import Any

from functions.journal.repository import MetaStore
from shared.crisis.signal_seal import SignalSealer, signal_sealer
from shared.vault import Vault, vault_for

PURPOSE = "journal"
SEALED = ("title", "body", "tags", "reasons")


class JournalKeys:
    """KeyStore over "#meta"."""

    def __init__(self, repo: MetaStore) -> None:
        self._repo = repo

    def load_key(self, user_id: str) -> bytes | None:
        meta = self._repo.meta(user_id) or {}
        return bytes(meta["edk"]) if meta.get("edk") is not None else None

    def store_key(self, user_id: str, edk: bytes) -> bool:
        return self._repo.create_meta(user_id, edk)


class JournalVault:
    def __init__(self, vault: Vault, repo: MetaStore, signals: SignalSealer) -> None:
        self._vault = vault
        self._repo = repo
        self._signals = signals

    def seal(
        self, user_id: str, entry_id: str, fields: dict[str, Any]
    ) -> tuple[dict[str, Any], int | None]:
        """The `*_ct` attributes of an entry, and the member's retention for its expiry."""
        meta = self._repo.meta(user_id) or {}
        if meta.get("edk") is not None:
            self._vault.remember(user_id, bytes(meta["edk"]))  # no second read for the key
        key = self._vault.key_for_writing(user_id)
        sealed: dict[str, Any] = dict.fromkeys((f"{n}_ct" for n in SEALED), None)
        sealed |= self._vault.seal_fields(key, user_id, entry_id, fields)
        return sealed, meta.get("retention_days")

    def seal_signal(
        self, user_id: str, entry_id: str, level: str, reasons: list[str]
    ) -> dict[str, Any]:
        """`signal_ct` for the crisis feature if the level is above none, else None."""
        return {"signal_ct": self._signals.seal_if_risky(user_id, entry_id, level, reasons)}

    def opener(self, user_id: str) -> Any:
        """Opens this member's entries (one key lookup for a whole page)."""
        key = self._vault.key_for_reading(user_id)

        def open_item(item: dict[str, Any]) -> dict[str, Any]:
            return self._vault.open_fields(key, user_id, item["entry_id"], item, SEALED)

        return open_item


def journal_vault(repo: MetaStore) -> JournalVault:
    return JournalVault(vault_for(PURPOSE, JournalKeys(repo)), repo, signal_sealer())
