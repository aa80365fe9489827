"""Seal and open a feature's fields with the member's data key, wherever it keeps that key.

A feature gives the vault its key store (the one item per member in its own table
that holds the wrapped key) and its key ring; the vault makes the member's key on
their first sealed write (race-safe: a conditional write, the loser uses the
winner's key), caches the wrapped key for `ttl` seconds, and turns fields into
`<field>_ct` ciphertext attributes and back. Erasing the key item makes every
sealed field of the member unreadable, even in a backup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from shared.envelope import KeyRing, open_sealed, seal
from shared.ttl_cache import TtlCache

KEY_ITEM_CACHE_SECONDS = 60.0
SUFFIX = "_ct"


class KeyStore(Protocol):
    """A feature's per-member wrapped data key, in its own table."""

    def load_key(self, user_id: str) -> bytes | None: ...

    def store_key(self, user_id: str, edk: bytes) -> bool:
        """Store the wrapped key unless one exists; False if another request stored one first."""
        ...


class Vault:
    def __init__(
        self,
        keyring: KeyRing,
        store: KeyStore,
        ttl: float = KEY_ITEM_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keyring = keyring
        self._store = store
        self._edks: TtlCache[str, bytes | None] = TtlCache(ttl, monotonic=monotonic)

    @property
    def purpose(self) -> str:
        return self._keyring.purpose

    def _edk(self, user_id: str) -> bytes | None:
        return self._edks.get(user_id, lambda: self._store.load_key(user_id))

    def key_for_writing(self, user_id: str) -> bytes:
        edk = self._edk(user_id)
        if edk is None:
            _, fresh = self._keyring.new_key(user_id)
            edk = fresh if self._store.store_key(user_id, fresh) else self._store.load_key(user_id)
            assert edk is not None, "the key item was written by another request"
            self._edks.put(user_id, edk)
        return self._keyring.unwrap(user_id, edk)

    def key_for_reading(self, user_id: str) -> bytes | None:
        """None when the member has no key (nothing of theirs was ever sealed, or it was erased)."""
        edk = self._edk(user_id)
        if edk is None:
            self._edks.invalidate(user_id)  # a key made since by another container
            return None
        return self._keyring.unwrap(user_id, edk)

    def remember(self, user_id: str, edk: bytes) -> None:
        """A wrapped key the caller just read with other data: saves the vault its own read."""
        self._edks.put(user_id, edk)

    def seal_fields(
        self, key: bytes, user_id: str, item_id: str, fields: dict[str, Any]
    ) -> dict[str, bytes]:
        """`{"note": "..."}` -> `{"note_ct": b"..."}`; fields whose value is None are left out."""
        return {
            name + SUFFIX: seal(key, self.purpose, user_id, item_id, name, value)
            for name, value in fields.items()
            if value is not None
        }

    def open_fields(
        self,
        key: bytes | None,
        user_id: str,
        item_id: str,
        item: dict[str, Any],
        names: Iterable[str],
    ) -> dict[str, Any]:
        """The sealed fields of `item` in plain form; a field not stored comes back as None."""
        opened: dict[str, Any] = {}
        for name in names:
            sealed = item.get(name + SUFFIX)
            if sealed is None:
                opened[name] = None
                continue
            assert key is not None, "a sealed field without the member's key"
            opened[name] = open_sealed(key, self.purpose, user_id, item_id, name, bytes(sealed))
        return opened


class KeyItem:
    """A KeyStore on one item of the feature's own table, keyed by the member's id and a
    fixed sort key: `{"user_id": <id>, <sort name>: <sort value>, "edk": <wrapped key>}`;
    or, given `key_of`, on the item it names (the item also holds `user_id`)."""

    def __init__(
        self,
        client: Any,
        table: str,
        sort_name: str = "",
        sort_value: str = "",
        *,
        key_of: Callable[[str], dict[str, str]] | None = None,
    ) -> None:
        self._db = client
        self._table = table
        self._key_of = key_of or (lambda user_id: {"user_id": user_id, sort_name: sort_value})

    def _key(self, user_id: str) -> dict[str, Any]:
        from shared.dynamo import to_item

        return to_item(self._key_of(user_id))

    def load_key(self, user_id: str) -> bytes | None:
        # Consistent: the loser of a race to make the key must see the winner's.
        item = self._db.get_item(
            TableName=self._table, Key=self._key(user_id), ConsistentRead=True
        ).get("Item")
        return bytes(item["edk"]["B"]) if item else None

    def store_key(self, user_id: str, edk: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._db.put_item(
                TableName=self._table,
                Item=self._key(user_id) | {"user_id": {"S": user_id}, "edk": {"B": edk}},
                ConditionExpression="attribute_not_exists(edk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def strip_sealed(item: dict[str, Any]) -> dict[str, Any]:
    """The item without its ciphertext attributes."""
    return {k: v for k, v in item.items() if not k.endswith(SUFFIX)}


def vault_for(purpose: str, store: KeyStore) -> Vault:
    """The vault of one feature, on the deployment's sealing key (SEALING_KEY_ID)."""
    from shared import aws
    from shared.settings import BaseSettings, settings

    key_id = settings(BaseSettings).sealing_key_id
    return Vault(KeyRing(aws.client("kms"), key_id, purpose), store)
