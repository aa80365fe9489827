"""What counsellors and the workflow record on a case, and the organisation's watch list:
the only code that reads or writes these items of the cases table (no HTTP).

The keys are laid out in functions/crisis/cases.py's docstring:

- `case#<case_id>` / `event#<at>#<id>`: a timeline event (`kind`, `at`, `actor_id`,
  plain `detail`). Written with one conditional UpdateItem, so the workflow's steps
  need no more than the GetItem and UpdateItem they already hold.
- `case#<case_id>` / `note#<at>#<id>`, `contact#<at>#<id>`, `referral#<at>#<id>`: a
  counsellor's note, a contact logged, a referral. Their free text is sealed by the
  caller (the crisis vault, the member's key, the record's id as the item id) and
  arrives here as `<field>_ct` bytes only.
- `watch#<org_id>` / `<user_id>`: the member's watch entry, put and deleted by
  `CaseWrites.take_closure` (functions/crisis/cases.py); contacts move its
  `last_contact` and `last_family_contact` forward here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from functions.crisis.cases import CASE, CasesSettings, case_pk, event_item, watch_pk
from shared.dynamo import from_item, to_item

EVENT, NOTE, CONTACT, REFERRAL = "event", "note", "contact", "referral"
KINDS = (EVENT, NOTE, CONTACT, REFERRAL)
FAMILY = frozenset({"guardian", "family"})


def record_sk(kind: str, at: str, record_id: str) -> str:
    return f"{kind}#{at}#{record_id}"


@dataclass
class CaseItems:
    """A case's records, each list in sort-key order (oldest first)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)


def _failed_condition(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class CaseRecords:
    def __init__(
        self, client: Any, table: str, new_id: Callable[[], str] = lambda: uuid.uuid4().hex
    ) -> None:
        self._db = client
        self._table = table
        self.new_id = new_id

    @classmethod
    def from_environment(cls) -> CaseRecords:  # pragma: no cover - production wiring
        from shared import aws
        from shared.settings import settings

        return cls(aws.client("dynamodb"), settings(CasesSettings).cases_table)

    def _query(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        args = {"TableName": self._table, **args}
        while True:
            page = self._db.query(**args)
            found += [from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # --- the timeline ----------------------------------------------------------------------

    def add_event(
        self,
        case_id: str,
        kind: str,
        at: str,
        actor_id: str,
        detail: Mapping[str, str | int] | None = None,
    ) -> dict[str, Any]:
        """Append one event to the case's timeline (`at` is a `utc_iso` stamp)."""
        item = event_item(case_id, kind, at, actor_id, detail)
        sets = {"kind": item["kind"], "at": at, "actor_id": actor_id}
        if item["detail"]:
            sets["detail"] = item["detail"]
        names = {f"#{name}": name for name in sets}
        self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
            UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in sets),
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item({f":{n}": v for n, v in sets.items()}),
        )
        return item

    # --- notes, contacts, referrals ----------------------------------------------------------

    def add(
        self, case_id: str, kind: str, record_id: str, at: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Put a note, contact or referral (`fields` plain, or sealed as `<name>_ct`)."""
        if kind not in (NOTE, CONTACT, REFERRAL):
            raise ValueError(f"not a case record: {kind!r}")
        item = {
            "pk": case_pk(case_id),
            "sk": record_sk(kind, at, record_id),
            "case_id": case_id,
            "id": record_id,
            **fields,
        }
        self._db.put_item(
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return item

    def case_items(self, case_id: str) -> CaseItems:
        """The case's events, notes, contacts and referrals: one Query of its partition
        (the case and its signals come along and are dropped)."""
        found = CaseItems()
        lists = {
            EVENT: found.events,
            NOTE: found.notes,
            CONTACT: found.contacts,
            REFERRAL: found.referrals,
        }
        for item in self._query(
            {
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": to_item({":p": case_pk(case_id)}),
            }
        ):
            kind = str(item["sk"]).partition("#")[0]
            if kind in lists:
                lists[kind].append(item)
        return found

    def contacted(self, case_id: str, org_id: str, user_id: str, at: str, who: str) -> None:
        """Move `last_contact` (and for a guardian or the family `last_family_contact`)
        forward to `at` on the case and on the member's watch entry, if it has one; a
        contact older than the one recorded changes nothing."""
        names = ["last_contact"] + (["last_family_contact"] if who in FAMILY else [])
        keys = [
            {"pk": case_pk(case_id), "sk": CASE},
            {"pk": watch_pk(org_id), "sk": user_id},
        ]
        for key in keys:
            for name in names:
                try:
                    self._db.update_item(
                        TableName=self._table,
                        Key=to_item(key),
                        UpdateExpression="SET #n = :at",
                        ConditionExpression=(
                            "attribute_exists(pk) AND (attribute_not_exists(#n) OR #n < :at)"
                        ),
                        ExpressionAttributeNames={"#n": name},
                        ExpressionAttributeValues=to_item({":at": at}),
                    )
                except ClientError as error:
                    if not _failed_condition(error):
                        raise

    # --- the watch list ----------------------------------------------------------------------

    def watch_entry(self, org_id: str, user_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": watch_pk(org_id), "sk": user_id}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def watch_entries(self, org_id: str) -> list[dict[str, Any]]:
        """Every watch entry of the organisation (one partition; paged through whole)."""
        return self._query(
            {
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": to_item({":p": watch_pk(org_id)}),
            }
        )
