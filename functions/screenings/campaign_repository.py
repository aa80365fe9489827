"""The only module of screening campaigns that talks to DynamoDB (campaign_keys.py has the
layout of CampaignsTable and of the member's items in ScreeningsTable).

A member's response is one item of their screenings partition that looks like a screening
to the risk intake (plain `risk.level`, `risk_level`, `org_id`, `created_at`, and
`signal_ct` when the level is above none; the answers and reasons sealed with the member's
screenings key), written in ONE transaction with the campaign's counters, the member's
"responded" marker and, for a borderline result, their follow-up entry. The transaction
also checks that the member's consent is an accept: a response never lands without one.

No pydantic or FastAPI here: the announcer and the data-rights handler import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from functions.screenings.campaign_keys import (
    CAMPAIGN,
    DUE_PK,
    audience_sk,
    campaign_of_member_sk,
    campaign_pk,
    campaign_sk,
    consent_item_sk,
    count_sk,
    followup_sk,
    guardian_item_sk,
    guardian_sk,
    member_item_prefix,
    member_sk,
    org_pk,
    response_item_sk,
)
from shared.crisis.signal_seal import SignalSealer
from shared.data_rights import delete_keys
from shared.dynamo import from_item, serialize, to_item
from shared.vault import Vault, strip_sealed

SEALED = ("answers", "reasons")
ACCEPT, DECLINE = "accept", "decline"


class AlreadyDecided(Exception):
    """The member's consent (or response) item exists already."""


class NoConsent(Exception):
    """A response without an accepted consent."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reasons(error: ClientError) -> list[str]:
    return [str(r.get("Code") or "None") for r in error.response.get("CancellationReasons") or []]


def _query(db: Any, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
    while True:
        response = db.query(**args)
        yield from (from_item(i) for i in response["Items"])
        if "LastEvaluatedKey" not in response:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _counter_update(table: str, campaign_id: str, unit_id: str, names: Iterable[str]) -> Any:
    fields = list(names)
    return {
        "Update": {
            "TableName": table,
            "Key": to_item({"pk": campaign_pk(campaign_id), "sk": count_sk(unit_id)}),
            "UpdateExpression": "SET unit_id = :u ADD "
            + ", ".join(f"#c{i} :one" for i in range(len(fields))),
            "ExpressionAttributeNames": {f"#c{i}": f for i, f in enumerate(fields)},
            "ExpressionAttributeValues": to_item({":one": 1, ":u": unit_id}),
        }
    }


class CampaignsRepository:
    def __init__(
        self,
        client: Any,
        campaigns_table: str,
        screenings_table: str = "",
        vault: Vault | None = None,
        signals: SignalSealer | None = None,
    ) -> None:
        self._db = client
        self._table = campaigns_table
        self._screenings = screenings_table
        self._vault = vault  # only what seals or opens answers needs it
        self._signals = signals  # only the response writer needs it

    # ---- campaigns -----------------------------------------------------------------------

    def create(self, campaign: dict[str, Any], due: Iterable[str]) -> None:
        """The campaign and its due items (opening, reminder): one transaction."""
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": org_pk(campaign["org_id"]),
                            "sk": campaign_sk(campaign["campaign_id"]),
                        }
                        | campaign
                    ),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            }
        ]
        for sk in due:
            item = {
                "pk": DUE_PK,
                "sk": sk,
                "org_id": campaign["org_id"],
                "campaign_id": campaign["campaign_id"],
            }
            writes.append({"Put": {"TableName": self._table, "Item": to_item(item)}})
        self._db.transact_write_items(TransactItems=writes)

    def campaign(self, org_id: str, campaign_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": org_pk(org_id), "sk": campaign_sk(campaign_id)}),
        ).get("Item")
        return _strip_keys(from_item(found)) if found else None

    def campaigns(self, org_id: str) -> list[dict[str, Any]]:
        """Every campaign of the organisation (campaigns are few): one Query."""
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": org_pk(org_id), ":s": CAMPAIGN}),
        }
        return [_strip_keys(i) for i in _query(self._db, args)]

    # ---- the announcer ----------------------------------------------------------------------

    def due(self, until: str) -> Iterator[dict[str, Any]]:
        """The due items at or before `until` (UTC ISO), oldest first."""
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND sk <= :s",
            "ExpressionAttributeValues": to_item({":p": DUE_PK, ":s": f"{until}#\uffff"}),
        }
        return _query(self._db, args)

    def done(self, sk: str) -> None:
        self._db.delete_item(TableName=self._table, Key=to_item({"pk": DUE_PK, "sk": sk}))

    def record_audience(self, campaign_id: str, counts: Mapping[str, int]) -> None:
        """How many members of each unit were told at opening (overwritten by a re-run)."""
        keys = [
            {"pk": campaign_pk(campaign_id), "sk": audience_sk(u), "unit_id": u, "members": n}
            for u, n in counts.items()
        ]
        for start in range(0, len(keys), 25):
            requests: list[dict[str, Any]] = [
                {"PutRequest": {"Item": to_item(k)}} for k in keys[start : start + 25]
            ]
            for _ in range(8):
                response = self._db.batch_write_item(RequestItems={self._table: requests})
                requests = response.get("UnprocessedItems", {}).get(self._table, [])
                if not requests:
                    break
            else:
                raise RuntimeError("audience counts not written; the next run tries again")

    def finished(self, campaign_id: str) -> set[str]:
        """The members who responded or declined (the reminder skips them)."""
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": campaign_pk(campaign_id), ":s": "member#"}),
            "ProjectionExpression": "sk",
        }
        return {str(i["sk"]).removeprefix("member#") for i in _query(self._db, args)}

    # ---- reports --------------------------------------------------------------------------

    def tallies(self, campaign_id: str) -> list[dict[str, Any]]:
        """The audience and counter items of the campaign: one Query (they sort together)."""
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": to_item(
                {":p": campaign_pk(campaign_id), ":a": "audience#", ":b": "count#\uffff"}
            ),
        }
        return list(_query(self._db, args))

    def followups(self, campaign_id: str) -> list[dict[str, Any]]:
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item(
                {":p": campaign_pk(campaign_id), ":s": "followup#"}
            ),
        }
        return [_strip_keys(i) for i in _query(self._db, args)]

    # ---- guardians --------------------------------------------------------------------------

    def guardian(self, campaign_id: str, user_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": campaign_pk(campaign_id), "sk": guardian_sk(user_id)}),
            ConsistentRead=True,
        ).get("Item")
        return _strip_keys(from_item(found)) if found else None

    def record_guardian(
        self, org_id: str, campaign_id: str, user_id: str, record: dict[str, Any]
    ) -> None:
        """The guardian's consent on the campaign and in the member's own partition (their
        export shows it; their erasure finds the campaign from it): one transaction."""
        shared = {"campaign_id": campaign_id, "user_id": user_id, **record}
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {"pk": campaign_pk(campaign_id), "sk": guardian_sk(user_id)} | shared
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self._screenings,
                        "Item": to_item(
                            {"sk": guardian_item_sk(campaign_id), "org_id": org_id} | shared
                        ),
                    }
                },
            ]
        )

    # ---- the member's own items -------------------------------------------------------------

    def member_items(self, user_id: str, campaign_id: str | None = None) -> list[dict[str, Any]]:
        """The member's campaign items (consents, responses, guardian records), of every
        campaign or of one: one consistent Query."""
        prefix = CAMPAIGN if campaign_id is None else member_item_prefix(campaign_id)
        args = {
            "TableName": self._screenings,
            "KeyConditionExpression": "user_id = :u AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":u": user_id, ":s": prefix}),
            "ConsistentRead": True,
        }
        return list(_query(self._db, args))

    def member_item(self, user_id: str, sk: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._screenings,
            Key=to_item({"user_id": user_id, "sk": sk}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(found) if found else None

    def save_consent(
        self, user_id: str, org_id: str, unit_id: str, consent: dict[str, Any]
    ) -> None:
        """The member's consent; a decline is counted and marks them done, in one transaction.
        AlreadyDecided if the member decided before."""
        campaign_id = consent["campaign_id"]
        item = {"user_id": user_id, "sk": consent_item_sk(campaign_id), "org_id": org_id}
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._screenings,
                    "Item": to_item(item | consent),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            }
        ]
        if consent["decision"] == DECLINE:
            writes.append(_counter_update(self._table, campaign_id, unit_id, ["declined"]))
            writes.append(self._marker(campaign_id, user_id, "declined", consent["at"]))
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if _code(error) == "TransactionCanceledException" and _reasons(error)[:1] == [
                "ConditionalCheckFailed"
            ]:
                raise AlreadyDecided from error
            raise

    def _marker(self, campaign_id: str, user_id: str, state: str, at: str) -> dict[str, Any]:
        item = {"pk": campaign_pk(campaign_id), "sk": member_sk(user_id), "state": state, "at": at}
        return {"Put": {"TableName": self._table, "Item": to_item(item)}}

    def save_response(
        self, user_id: str, org_id: str, unit_id: str, response: dict[str, Any]
    ) -> None:
        """The member's scored response (see the module docstring). AlreadyDecided if they
        responded before, NoConsent if their consent is not an accept."""
        assert self._vault is not None, "a response writer needs the screenings vault"
        campaign_id, risk = response["campaign_id"], response["risk"]
        sk = response_item_sk(campaign_id)
        key = self._vault.key_for_writing(user_id)
        words = {"answers": response["answers"], "reasons": risk["reasons"] or None}
        item = {
            "user_id": user_id,
            "sk": sk,
            "id": response["id"],
            "instrument": "campaign",
            "campaign_id": campaign_id,
            "tier": response["tier"],
            "bands": response["bands"],
            "totals": response["totals"],
            "next_step": response.get("next_step"),
            "risk": {"level": risk["level"]},
            "risk_level": risk["level"],  # plain: the risk intake reads it
            "org_id": org_id,
            "created_at": response["created_at"],
            "signal_ct": self._signal(user_id, sk, risk),
        } | self._vault.seal_fields(key, user_id, response["id"], words)
        counters = ["responded", f"tier_{response['tier']}"]
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._screenings,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            },
            {
                "ConditionCheck": {
                    "TableName": self._screenings,
                    "Key": to_item({"user_id": user_id, "sk": consent_item_sk(campaign_id)}),
                    "ConditionExpression": "decision = :a",
                    "ExpressionAttributeValues": {":a": serialize(ACCEPT)},
                }
            },
            _counter_update(self._table, campaign_id, unit_id, counters),
            self._marker(campaign_id, user_id, "responded", response["created_at"]),
        ]
        if response["tier"] == "borderline":
            followup = {
                "pk": campaign_pk(campaign_id),
                "sk": followup_sk(user_id),
                "user_id": user_id,
                "unit_id": unit_id,
                "bands": response["bands"],
                "responded_at": response["created_at"],
            }
            writes.append({"Put": {"TableName": self._table, "Item": to_item(followup)}})
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = _reasons(error)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise AlreadyDecided from error
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise NoConsent from error
            raise

    def _signal(self, user_id: str, sk: str, risk: dict[str, Any]) -> bytes | None:
        if risk["level"] == "none":
            return None
        if self._signals is None:
            raise RuntimeError("a risky response needs the crisis signal sealer")
        return self._signals.seal_if_risky(user_id, sk, risk["level"], risk["reasons"] or [])

    # ---- data rights --------------------------------------------------------------------------

    def export(self, user_id: str) -> list[dict[str, Any]]:
        """The member's campaign items, a response's answers opened, as plain data."""
        items = self.member_items(user_id)
        key = None
        if self._vault is not None and any(i["sk"].endswith("#response") for i in items):
            key = self._vault.key_for_reading(user_id)
        records = []
        for item in items:
            record = strip_sealed(item)
            if item["sk"].endswith("#response") and self._vault is not None:
                opened = self._vault.open_fields(key, user_id, item["id"], item, SEALED)
                record["answers"] = opened["answers"]
            record["record"] = str(item["sk"]).rpartition("#")[2]
            records.append(record)
        return records

    def erase_campaign_side(self, user_id: str) -> int:
        """Delete the member's follow-up, marker and guardian items of every campaign their
        own items name (counters stay: they name no one). Safe to repeat."""
        campaigns = {campaign_of_member_sk(str(i["sk"])) for i in self.member_items(user_id)}
        keys = [
            {"pk": campaign_pk(c), "sk": sk(user_id)}
            for c in sorted(c for c in campaigns if c)
            for sk in (followup_sk, member_sk, guardian_sk)
        ]
        delete_keys(self._db, self._table, keys)
        return len(keys)


def _strip_keys(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}
