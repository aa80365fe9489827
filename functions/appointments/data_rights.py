"""The appointments feature's export and erase, run by the data-rights workflow (no HTTP).

**A member** (their partition `member#<id>`): the export holds each appointment (when,
how, its status, the note they wrote, opened) and nothing the counsellor added (a case
link is the crisis feature's record). Erasure frees each appointment's slot hold (only
if it is still this appointment's), deletes its reminders and its pointer, then the
member's partition with their data key last: a note in a backup is unreadable.

**A counsellor**: their availability (exported), its copy in the organisation's listing,
their calendar feed token. Appointments members booked with them are the members' record
and stay (they name the counsellor's id; see the report to the lead).

Erasing twice changes nothing more.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from functions.appointments.keys import (
    APPOINTMENT_PREFIX,
    AVAILABILITY_SK,
    ICS_SK,
    KEY_SK,
    POINTER_SK,
    PURPOSE,
    SEALED,
    SLOT_SK,
    AppointmentKeys,
    counsellor_pk,
    hold_pk,
    ics_pk,
    listing_pk,
    member_pk,
    parse_utc,
    pointer_pk,
    reminder_keys,
)
from shared import aws
from shared.data_rights import (
    FeatureData,
    data_rights_handler,
    delete_keys,
    delete_partition,
    pick,
    query_partition,
)
from shared.dynamo import from_item, to_item
from shared.vault import Vault

APPOINTMENT_FIELDS = (
    "appointment_id",
    "counsellor_id",
    "starts_at",
    "ends_at",
    "zone",
    "mode",
    "status",
    "created_at",
    "cancelled_at",
)
AVAILABILITY_FIELDS = (
    "zone",
    "weekly",
    "slot_minutes",
    "gap_minutes",
    "exceptions",
    "modes",
    "updated_at",
)


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


class AppointmentsData:
    feature = "appointments"

    def __init__(self, db: Any, table: str, vault: Vault) -> None:
        self._db = db
        self._table = table
        self._vault = vault

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True
        ).get("Item")
        return from_item(found) if found else None

    def _note(self, user_id: str, item: dict[str, Any]) -> str | None:
        if "note_ct" not in item:
            return None
        key = self._vault.key_for_reading(user_id)
        if key is None:
            return None
        opened = self._vault.open_fields(key, user_id, str(item["appointment_id"]), item, SEALED)
        return None if opened["note"] is None else str(opened["note"])

    def export(self, user_id: str) -> dict[str, Any]:
        own = list(query_partition(self._db, self._table, "pk", member_pk(user_id)))
        appointments = [
            pick(i, APPOINTMENT_FIELDS) | {"note": self._note(user_id, i)}
            for i in own
            if str(i["sk"]).startswith(APPOINTMENT_PREFIX)
        ]
        appointments.sort(key=lambda a: str(a.get("starts_at")))
        availability = self._get(counsellor_pk(user_id), AVAILABILITY_SK)
        return {
            "appointments": appointments,
            "availability": pick(availability, AVAILABILITY_FIELDS) if availability else None,
        }

    def erase(self, user_id: str) -> int:
        return self._erase_as_member(user_id) + self._erase_as_counsellor(user_id)

    def _erase_as_member(self, user_id: str) -> int:
        own = list(query_partition(self._db, self._table, "pk", member_pk(user_id)))
        changed = 0
        keys: list[dict[str, Any]] = []
        for item in own:
            if not str(item["sk"]).startswith(APPOINTMENT_PREFIX):
                continue
            changed += self._free_hold(item)
            starts = parse_utc(str(item["starts_at"]))
            keys += reminder_keys(str(item["appointment_id"]), starts)
            keys.append({"pk": pointer_pk(str(item["appointment_id"])), "sk": POINTER_SK})
        delete_keys(self._db, self._table, keys)  # absent ones are no error
        last = [_key(i) for i in own if i["sk"] != KEY_SK]
        last += [_key(i) for i in own if i["sk"] == KEY_SK]
        delete_keys(self._db, self._table, last)
        return changed + len(keys) + len(last)

    def _free_hold(self, item: dict[str, Any]) -> int:
        starts = str(item["starts_at"])
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=to_item({"pk": hold_pk(str(item["counsellor_id"]), starts), "sk": SLOT_SK}),
                ConditionExpression="appointment_id = :a",
                ExpressionAttributeValues=to_item({":a": item["appointment_id"]}),
            )
        except ClientError as error:  # gone, or another appointment's: leave it
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return 0
        return 1

    def _erase_as_counsellor(self, user_id: str) -> int:
        keys: list[dict[str, Any]] = []
        availability = self._get(counsellor_pk(user_id), AVAILABILITY_SK)
        if availability is not None:
            keys.append({"pk": listing_pk(str(availability["org_id"])), "sk": user_id})
        token = self._get(counsellor_pk(user_id), ICS_SK)
        if token is not None and token.get("token_hash"):
            keys.append({"pk": ics_pk(str(token["token_hash"])), "sk": ICS_SK})
        delete_keys(self._db, self._table, keys)
        return len(keys) + delete_partition(
            self._db, self._table, "pk", "sk", counsellor_pk(user_id)
        )


@cache
def feature_data() -> FeatureData:
    from functions.appointments.settings import AppointmentsTableSettings
    from shared.settings import settings
    from shared.vault import vault_for

    table = settings(AppointmentsTableSettings).appointments_table
    db = aws.client("dynamodb")
    return AppointmentsData(db, table, vault_for(PURPOSE, AppointmentKeys(db, table)))


handler = data_rights_handler(feature_data)
