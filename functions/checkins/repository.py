"""The only module of the check-ins function that talks to DynamoDB.

Table: partition `user_id`, sort `date` (member-local YYYY-MM-DD), so a member's
history is one Query, newest first, and "one check-in a day" is the key itself.
The member's wrapped data key is the item with sort key "#key" (it sorts before
every date, so date ranges never meet it). The note, the tags and the risk
reasons are sealed with that key (`note_ct`, `tags_ct`, `reasons_ct`); the risk
level stays plain beside them (`risk_level`) for the crisis workflow. A check-in whose
level is above none also carries its reason codes sealed for the crisis feature
(`signal_ct`, shared/crisis/signal_seal.py; item id: its date), which this function can
seal and never open; a rewrite below watch removes it. A check-in shared with the member's
supporters (`share_with_supporter`) that has tags or a note carries them sealed for the
peer feature (`share_ct`, shared/peer_share.py; item id: its date), which this function
can seal and never open; a rewrite not shared, or with nothing to share, removes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from shared.crisis.signal_seal import SignalSealer
from shared.dynamo import from_item, serialize, to_item
from shared.peer_share import ShareSealer
from shared.vault import KeyItem, Vault, strip_sealed

if TYPE_CHECKING:  # the data-rights function reads plain documents and never loads pydantic
    from functions.checkins.models import Checkin

KEY_ITEM = "#key"
PURPOSE = "checkins"
# Dates sort after this; the key item ("#key") before it.
FIRST_DAY = "0"
# `date` is a DynamoDB reserved word.
_NAMES = {"#u": "user_id", "#d": "date"}
_SUMMARY_FIELDS = ("date", "mood", "scores")
SEALED = ("note", "tags", "reasons")


class CheckinsStore(Protocol):
    """What the routes need; the unit tier's fake implements the same."""

    def save(self, user_id: str, org_id: str | None, checkin: Checkin) -> tuple[Checkin, bool]: ...

    def get(self, user_id: str, day: dt.date) -> Checkin | None: ...

    def page(
        self,
        user_id: str,
        first: dt.date,
        last: dt.date,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Checkin], dict[str, Any] | None]: ...

    def newest_first(
        self, user_id: str, until: dt.date, page_size: int = 100
    ) -> Iterator[dict[str, Any]]: ...


class CheckinKeys(KeyItem):
    """The member's wrapped data key, the "#key" item of their partition."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(client, table, "date", KEY_ITEM)


class CheckinsRepository:
    def __init__(
        self,
        client: Any,
        table: str,
        vault: Vault,
        signals: SignalSealer | None = None,
        shares: ShareSealer | None = None,
    ) -> None:
        self._db = client
        self._table = table
        self._vault = vault
        # Only writers need these (not the data-rights handler).
        self._signals = signals
        self._shares = shares

    def _signal(self, user_id: str, checkin: Checkin) -> bytes | None:
        """The reasons sealed for the crisis feature if the level is above none."""
        if checkin.risk.level == "none":
            return None
        if self._signals is None:
            raise RuntimeError("a risky check-in needs the crisis signal sealer")
        day = checkin.date.isoformat()
        return self._signals.seal_if_risky(user_id, day, checkin.risk.level, checkin.risk.reasons)

    def _share(self, user_id: str, checkin: Checkin) -> bytes | None:
        """The tags and note sealed for the peer feature if shared and there are any."""
        if not checkin.share_with_supporter or not (checkin.tags or checkin.note):
            return None
        if self._shares is None:
            raise RuntimeError("a shared check-in needs the peer share sealer")
        day = checkin.date.isoformat()
        return self._shares.seal_if_shared(user_id, day, True, checkin.tags, checkin.note)

    def _sealed(self, user_id: str, checkin: Checkin) -> dict[str, Any]:
        fields = {"note": checkin.note, "tags": checkin.tags or None}
        fields["reasons"] = checkin.risk.reasons or None
        if not any(v is not None for v in fields.values()):
            return dict.fromkeys((f"{n}_ct" for n in SEALED), None)
        key = self._vault.key_for_writing(user_id)
        sealed = self._vault.seal_fields(key, user_id, checkin.date.isoformat(), fields)
        return {f"{n}_ct": sealed.get(f"{n}_ct") for n in SEALED}

    def _document(self, item: dict[str, Any], key: bytes | None) -> dict[str, Any]:
        """A stored check-in with its sealed fields opened, as plain data."""
        user_id, day = item["user_id"], item["date"]
        opened = self._vault.open_fields(key, user_id, day, item, SEALED)
        plain = strip_sealed(item)
        plain["note"] = opened["note"]
        plain["tags"] = opened["tags"] or []
        plain["risk"] = {**plain["risk"], "reasons": opened["reasons"] or []}
        return plain

    def _opened(self, item: dict[str, Any], key: bytes | None) -> Checkin:
        from functions.checkins.models import Checkin

        return Checkin.model_validate(self._document(item, key))

    def _key_if_sealed(self, user_id: str, items: list[dict[str, Any]]) -> bytes | None:
        if any(f"{n}_ct" in item for item in items for n in SEALED):
            return self._vault.key_for_reading(user_id)
        return None

    def save(self, user_id: str, org_id: str | None, checkin: Checkin) -> tuple[Checkin, bool]:
        """Create or replace the member's check-in for its day in one UpdateItem.

        Returns the stored check-in and whether it was new. A replaced check-in
        keeps its created_at; fields absent from the new version are removed.
        """
        data = checkin.model_dump(
            mode="json",
            exclude={
                "date",
                "created_at",
                "crisis_resources",
                "next_step",
                "support_requested",
                "support_message",
                "note",
                "tags",
            },
        )
        data["risk"].pop("reasons", None)
        data["org_id"] = org_id
        data["risk_level"] = checkin.risk.level  # plain: the crisis workflow reads it
        data |= self._sealed(user_id, checkin)
        data["signal_ct"] = self._signal(user_id, checkin)  # None removes an earlier one
        data["share_ct"] = self._share(user_id, checkin)  # None removes an earlier one
        present = {k: v for k, v in data.items() if v is not None}
        absent = [k for k, v in data.items() if v is None]
        names = {f"#f{i}": k for i, k in enumerate(present)} | {"#c": "created_at"}
        values = {f":v{i}": serialize(v) for i, v in enumerate(present.values())}
        values[":now"] = serialize(checkin.created_at)
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(present)))
        expression += ", #c = if_not_exists(#c, :now)"
        if absent:
            names |= {f"#r{i}": k for i, k in enumerate(absent)}
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(absent)))
        response = self._db.update_item(
            TableName=self._table,
            Key=to_item({"user_id": user_id, "date": checkin.date.isoformat()}),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        )
        old = from_item(response.get("Attributes") or {})
        if old:
            checkin = checkin.model_copy(update={"created_at": old["created_at"]})
        return checkin, not old

    def get(self, user_id: str, day: dt.date) -> Checkin | None:
        response = self._db.get_item(
            TableName=self._table,
            Key=to_item({"user_id": user_id, "date": day.isoformat()}),
        )
        raw = response.get("Item")
        if not raw:
            return None
        item = from_item(raw)
        return self._opened(item, self._key_if_sealed(user_id, [item]))

    def page(
        self,
        user_id: str,
        first: dt.date,
        last: dt.date,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Checkin], dict[str, Any] | None]:
        """One Query: check-ins between two days inclusive, newest first."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#u = :u AND #d BETWEEN :first AND :last",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": to_item(
                {":u": user_id, ":first": first.isoformat(), ":last": last.isoformat()}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        items = [from_item(i) for i in response.get("Items", [])]
        key = self._key_if_sealed(user_id, items)
        last_key = response.get("LastEvaluatedKey")
        return [self._opened(i, key) for i in items], (from_item(last_key) if last_key else None)

    def every(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every check-in of the member, newest first, opened, as plain data (their export)."""
        from shared.data_rights import query_partition  # only the export needs it

        key = self._vault.key_for_reading(user_id)
        for item in query_partition(self._db, self._table, "user_id", user_id, newest_first=True):
            if item["date"] != KEY_ITEM:
                yield self._document(item, key)

    def newest_first(
        self, user_id: str, until: dt.date, page_size: int = 100
    ) -> Iterator[dict[str, Any]]:
        """Date, mood and scores of every check-in up to `until`, newest first, paged lazily."""
        names = _NAMES | {f"#p{i}": f for i, f in enumerate(_SUMMARY_FIELDS)}
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#u = :u AND #d BETWEEN :first AND :until",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(
                {":u": user_id, ":first": FIRST_DAY, ":until": until.isoformat()}
            ),
            "ProjectionExpression": ", ".join(f"#p{i}" for i in range(len(_SUMMARY_FIELDS))),
            "ScanIndexForward": False,
            "Limit": page_size,
        }
        while True:
            response = self._db.query(**args)
            for item in response.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]
