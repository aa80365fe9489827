"""Sealing and opening journal text for the routes: envelope keys plus the member's meta.

The member's "#meta" item (wrapped data key and retention) is kept in memory for
`meta_ttl` seconds, so a warm write reads nothing but the write itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from functions.journal.repository import JournalRepository
from shared.envelope import KeyRing, open_sealed, seal

META_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class MemberKey:
    key: bytes
    edk: bytes
    retention_days: int | None


class Vault:
    def __init__(
        self,
        keyring: KeyRing,
        repo: JournalRepository,
        meta_ttl: float = META_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keyring = keyring
        self._repo = repo
        self._ttl = meta_ttl
        self._monotonic = monotonic
        self._meta: dict[str, tuple[float, bytes, int | None]] = {}

    def member_key(self, user_id: str) -> MemberKey:
        """The member's data key for writing, made (once, race-safe) on their first entry."""
        cached = self._meta.get(user_id)
        if cached is None or self._monotonic() - cached[0] >= self._ttl:
            meta = self._repo.meta(user_id) or {}
            edk = bytes(meta["edk"]) if meta.get("edk") is not None else None
            if edk is None:
                _, fresh = self._keyring.new_key(user_id)
                if self._repo.create_meta(user_id, fresh):
                    edk = fresh
                else:  # another request made the member's key first: use theirs
                    meta = self._repo.meta(user_id) or {}
                    edk = bytes(meta["edk"])
            cached = (self._monotonic(), edk, meta.get("retention_days"))
            self._meta[user_id] = cached
        _, edk, retention = cached
        return MemberKey(self._keyring.unwrap(user_id, edk), edk, retention)

    def seal_text(
        self, member: MemberKey, user_id: str, entry_id: str, title: str, body: str
    ) -> dict[str, Any]:
        return {
            "title_ct": seal(member.key, user_id, entry_id, "title", title),
            "body_ct": seal(member.key, user_id, entry_id, "body", body),
            "edk": member.edk,
        }

    def open_text(self, item: dict[str, Any]) -> tuple[str, str]:
        user_id, entry_id = item["user_id"], item["entry_id"]
        key = self._keyring.unwrap(user_id, bytes(item["edk"]))
        return (
            open_sealed(key, user_id, entry_id, "title", bytes(item["title_ct"])),
            open_sealed(key, user_id, entry_id, "body", bytes(item["body_ct"])),
        )
