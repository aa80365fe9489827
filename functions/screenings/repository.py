"""The only module of the screenings function that talks to DynamoDB.

Table: partition `user_id`, sort `screening#<created_at>#<id>` (UTC ISO 8601, a UUID),
so a member's screenings are one Query in time order and two in the same millisecond
never collide. The member's wrapped data key is the item with sort key "#key" (it sorts
before every screening). The answers and the risk reasons are sealed with that key
(`answers_ct`, `reasons_ct`); the tier, the risk level (`risk.level`, and `risk_level`
as on check-ins and journal entries) and `org_id` stay plain: the risk intake reads
them from this table's stream. A screening whose level is above none also carries its
reason codes sealed for the crisis feature (`signal_ct`, shared/crisis/signal_seal.py;
item id: its sort key), which this function can seal and never open. Screenings are
never changed once written.

No pydantic here: the data-rights handler imports this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from shared.crisis.signal_seal import SignalSealer
from shared.data_rights import query_partition
from shared.dynamo import to_item
from shared.settings import BaseSettings
from shared.vault import KeyItem, Vault, strip_sealed

PURPOSE = "screenings"
KEY_ITEM = "#key"
SCREENING = "screening#"
SEALED = ("answers", "reasons")


class ScreeningsSettings(BaseSettings):
    screenings_table: str


def screening_sk(created_at: str, screening_id: str) -> str:
    return f"{SCREENING}{created_at}#{screening_id}"


class ScreeningsStore(Protocol):
    """What the routes need."""

    def save(self, user_id: str, org_id: str | None, screening: dict[str, Any]) -> None: ...


class ScreeningKeys(KeyItem):
    """The member's wrapped data key, the "#key" item of their partition."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(client, table, "sk", KEY_ITEM)


class ScreeningsRepository:
    def __init__(
        self, client: Any, table: str, vault: Vault, signals: SignalSealer | None = None
    ) -> None:
        self._db = client
        self._table = table
        self._vault = vault
        self._signals = signals  # only writers need it (not the data-rights handler)

    def _signal(self, user_id: str, sk: str, risk: dict[str, Any]) -> bytes | None:
        """The reasons sealed for the crisis feature if the level is above none."""
        if risk["level"] == "none":
            return None
        if self._signals is None:
            raise RuntimeError("a risky screening needs the crisis signal sealer")
        return self._signals.seal_if_risky(user_id, sk, risk["level"], risk["reasons"] or [])

    def save(self, user_id: str, org_id: str | None, screening: dict[str, Any]) -> None:
        """Store one new screening (plain data, as `Screening` dumps it): one PutItem."""
        screening_id, risk = screening["id"], screening["risk"]
        key = self._vault.key_for_writing(user_id)  # the answers are always sealed
        words = {"answers": screening["answers"], "reasons": risk["reasons"] or None}
        sk = screening_sk(screening["created_at"], screening_id)
        item = {
            "user_id": user_id,
            "sk": sk,
            "id": screening_id,
            "instrument": screening["instrument"],
            "tier": screening["tier"],
            "risk": {"level": risk["level"]},
            "risk_level": risk["level"],  # plain: the risk intake reads it
            "org_id": org_id,
            "created_at": screening["created_at"],
            "signal_ct": self._signal(user_id, sk, risk),
        } | self._vault.seal_fields(key, user_id, screening_id, words)
        self._db.put_item(
            TableName=self._table,
            Item=to_item(item),
            # A fresh id never meets an item; if it ever did, nothing is overwritten.
            ConditionExpression="attribute_not_exists(sk)",
        )

    def _document(self, item: dict[str, Any], key: bytes | None) -> dict[str, Any]:
        """A stored screening with its sealed fields opened, as plain data."""
        opened = self._vault.open_fields(key, item["user_id"], item["id"], item, SEALED)
        plain = strip_sealed(item)
        plain["answers"] = opened["answers"]
        plain["risk"] = {**plain["risk"], "reasons": opened["reasons"] or []}
        return plain

    def every(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every screening of the member, newest first, opened, as plain data (their export)."""
        key = self._vault.key_for_reading(user_id)
        for item in query_partition(self._db, self._table, "user_id", user_id, newest_first=True):
            if item["sk"].startswith(SCREENING):
                yield self._document(item, key)
