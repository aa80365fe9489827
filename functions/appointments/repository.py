"""The only module of the appointments HTTP function that talks to DynamoDB (keys.py has
the table's layout).

Booking is one BatchGetItem (the counsellor's availability, the member's `#upcoming`
list and, with a note, their data key item) and one TransactWriteItems: the slot hold
(only if absent: two members can never hold one slot), the appointment, its pointer,
the member's `#upcoming` list (only at the version read: the cap on upcoming
appointments holds under concurrent bookings) and the reminders not yet due. Moving and
cancelling are one transaction each too, that moves or frees the hold and the reminders
with the appointment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions.appointments.keys import (
    APPOINTMENT_PREFIX,
    AVAILABILITY_SK,
    BY_COUNSELLOR,
    ICS_SK,
    KEY_SK,
    POINTER_SK,
    REMINDERS,
    SEALED,
    SLOT_SK,
    UPCOMING_SK,
    appointment_sk,
    counsellor_pk,
    hold_pk,
    ics_pk,
    listing_pk,
    member_pk,
    parse_utc,
    pointer_pk,
    remind_pk,
    remind_sk,
    reminder_keys,
)
from functions.appointments.logic import Availability
from shared.clock import utc_iso
from shared.dynamo import from_item, to_item
from shared.vault import Vault

BOOKED, CANCELLED, ATTENDED, NO_SHOW = "booked", "cancelled", "attended", "no_show"
HOLD_KEEP = timedelta(days=30)  # a hold outlives its slot by this much (TTL)
REMINDER_KEEP = timedelta(days=2)  # an unsent reminder is dropped (TTL) this long after due


class SlotTaken(Exception):
    """Another appointment holds the slot."""


class Contended(Exception):
    """The member's `#upcoming` list or the appointment changed since it was read."""


@dataclass
class BookingState:
    availability: Availability | None
    upcoming: list[str] = field(default_factory=list)
    version: int = 0
    edk: bytes | None = None


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reasons(error: ClientError) -> list[str]:
    return [str(r.get("Code", "")) for r in error.response.get("CancellationReasons") or []]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class AppointmentsRepository:
    def __init__(self, client: Any, table: str, vault: Vault) -> None:
        self._db = client
        self._table = table
        self._vault = vault

    # ---- plumbing --------------------------------------------------------------------

    def _get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=consistent
        ).get("Item")
        return from_item(found) if found else None

    def _batch_get(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        request: dict[str, Any] = {
            self._table: {
                "Keys": [to_item({"pk": pk, "sk": sk}) for pk, sk in keys],
                "ConsistentRead": True,
            }
        }
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for _ in range(8):  # unprocessed keys come back under throttling: ask again
            response = self._db.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self._table, []):
                item = from_item(raw)
                found[(item["pk"], item["sk"])] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("DynamoDB kept keys unprocessed")

    def _query(self, **args: Any) -> Iterator[dict[str, Any]]:
        args = {"TableName": self._table, **args}
        while True:
            response = self._db.query(**args)
            yield from (from_item(i) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _transact(self, items: list[dict[str, Any]], guarded: dict[int, type[Exception]]) -> None:
        """Write `items` in one transaction; a failed condition on item i raises guarded[i]
        (the first one that failed, in order), Contended for any other."""
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = _reasons(error)
            for index, code in enumerate(reasons):
                if code == "ConditionalCheckFailed" and index in guarded:
                    raise guarded[index]() from None
            if any(code == "TransactionConflict" for code in reasons) or any(
                code == "ConditionalCheckFailed" for code in reasons
            ):
                raise Contended() from None
            raise

    def _put(self, item: dict[str, Any], condition: str | None = None, **extra: Any) -> dict:
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if condition:
            put["ConditionExpression"] = condition
        put.update(extra)
        return {"Put": put}

    def _delete(self, pk: str, sk: str, condition: str | None = None, **extra: Any) -> dict:
        delete: dict[str, Any] = {"TableName": self._table, "Key": to_item({"pk": pk, "sk": sk})}
        if condition:
            delete["ConditionExpression"] = condition
        delete.update(extra)
        return {"Delete": delete}

    def _upcoming_write(self, member_id: str, entries: list[str], version: int) -> dict:
        item: dict[str, Any] = {"pk": member_pk(member_id), "sk": UPCOMING_SK}
        item |= {"upcoming": entries, "version": version + 1}
        if version == 0:
            return self._put(item, "attribute_not_exists(pk)")
        return self._put(
            item,
            "version = :v",
            ExpressionAttributeValues=to_item({":v": version}),
        )

    # ---- availability ----------------------------------------------------------------

    def availability(self, counsellor_id: str) -> Availability | None:
        item = self._get(counsellor_pk(counsellor_id), AVAILABILITY_SK, consistent=False)
        return Availability.from_item(item) if item else None

    def put_availability(self, availability: Availability, previous_org: str | None) -> None:
        """The availability and its copy in the organisation's listing, in one transaction
        (and the copy in a previous organisation's listing gone)."""
        body = availability.to_item()
        who = availability.counsellor_id
        items = [
            self._put(body | {"pk": counsellor_pk(who), "sk": AVAILABILITY_SK}),
            self._put(body | {"pk": listing_pk(availability.org_id), "sk": who}),
        ]
        if previous_org and previous_org != availability.org_id:
            items.append(self._delete(listing_pk(previous_org), availability.counsellor_id))
        self._transact(items, {})

    def org_availabilities(self, org_id: str) -> list[Availability]:
        """Every published availability of the organisation's counsellors (one Query)."""
        return [
            Availability.from_item(i)
            for i in self._query(
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues=to_item({":p": listing_pk(org_id)}),
            )
        ]

    # ---- booking -----------------------------------------------------------------------

    def booking_state(self, counsellor_id: str, member_id: str, with_key: bool) -> BookingState:
        """The availability, the member's upcoming list and (with_key) their wrapped data key,
        in one BatchGetItem."""
        keys = [
            (counsellor_pk(counsellor_id), AVAILABILITY_SK),
            (member_pk(member_id), UPCOMING_SK),
        ]
        if with_key:
            keys.append((member_pk(member_id), KEY_SK))
        found = self._batch_get(keys)
        availability = found.get(keys[0])
        upcoming = found.get(keys[1]) or {}
        key_item = found.get((member_pk(member_id), KEY_SK)) if with_key else None
        return BookingState(
            availability=Availability.from_item(availability) if availability else None,
            upcoming=[str(e) for e in upcoming.get("upcoming") or ()],
            version=int(upcoming.get("version") or 0),
            edk=bytes(key_item["edk"]) if key_item and key_item.get("edk") is not None else None,
        )

    def seal_note(self, member_id: str, appointment_id: str, note: str, edk: bytes | None) -> dict:
        if edk is not None:
            self._vault.remember(member_id, edk)  # read with the booking state: no second read
        key = self._vault.key_for_writing(member_id)
        return self._vault.seal_fields(key, member_id, appointment_id, {"note": note})

    def open_note(self, item: dict[str, Any]) -> str | None:
        if "note_ct" not in item:
            return None
        member_id = str(item["member_id"])
        key = self._vault.key_for_reading(member_id)
        if key is None:  # the member's key was erased: the note is gone
            return None
        opened = self._vault.open_fields(key, member_id, str(item["appointment_id"]), item, SEALED)
        return None if opened["note"] is None else str(opened["note"])

    def _hold(self, item: dict[str, Any]) -> dict:
        ends = parse_utc(str(item["ends_at"]))
        hold = {
            "pk": hold_pk(str(item["counsellor_id"]), str(item["starts_at"])),
            "sk": SLOT_SK,
            "appointment_id": item["appointment_id"],
            "expires_at": _epoch(ends + HOLD_KEEP),
        }
        return self._put(hold, "attribute_not_exists(pk)")

    def _reminders(self, item: dict[str, Any], now: datetime) -> list[dict]:
        """Puts of the reminders of `item` not yet due at `now`."""
        starts = parse_utc(str(item["starts_at"]))
        puts = []
        for kind, before in REMINDERS.items():
            due = starts - before
            if due <= now:
                continue
            puts.append(
                self._put(
                    {
                        "pk": remind_pk(due),
                        "sk": remind_sk(due, str(item["appointment_id"]), kind),
                        "appointment_id": item["appointment_id"],
                        "member_id": item["member_id"],
                        "kind": kind,
                        "due_at": utc_iso(due),
                        "starts_at": item["starts_at"],
                        "zone": item.get("zone"),
                        "locale": item.get("locale"),
                        "expires_at": _epoch(due + REMINDER_KEEP),
                    }
                )
            )
        return puts

    def _reminder_deletes(self, item: dict[str, Any]) -> list[dict]:
        starts = parse_utc(str(item["starts_at"]))
        keys = reminder_keys(str(item["appointment_id"]), starts)
        return [self._delete(k["pk"], k["sk"]) for k in keys]

    def book(self, item: dict[str, Any], upcoming: list[str], version: int, now: datetime) -> None:
        """Hold the slot and write the appointment, its pointer, the member's upcoming list and
        its reminders in one transaction. SlotTaken if the slot is held; Contended if the
        member's list changed since it was read."""
        appointment = item | {
            "pk": member_pk(str(item["member_id"])),
            "sk": appointment_sk(str(item["appointment_id"])),
        }
        pointer = {
            "pk": pointer_pk(str(item["appointment_id"])),
            "sk": POINTER_SK,
            "member_id": item["member_id"],
        }
        items = [
            self._hold(item),
            self._put(appointment, "attribute_not_exists(pk)"),
            self._put(pointer),
            self._upcoming_write(str(item["member_id"]), upcoming, version),
            *self._reminders(item, now),
        ]
        self._transact(items, {0: SlotTaken})

    # ---- one appointment -----------------------------------------------------------------

    def appointment(self, member_id: str, appointment_id: str) -> dict[str, Any] | None:
        return self._get(member_pk(member_id), appointment_sk(appointment_id))

    def appointment_with_upcoming(
        self, member_id: str, appointment_id: str
    ) -> tuple[dict[str, Any] | None, list[str], int]:
        keys = [
            (member_pk(member_id), appointment_sk(appointment_id)),
            (member_pk(member_id), UPCOMING_SK),
        ]
        found = self._batch_get(keys)
        upcoming = found.get(keys[1]) or {}
        return (
            found.get(keys[0]),
            [str(e) for e in upcoming.get("upcoming") or ()],
            int(upcoming.get("version") or 0),
        )

    def appointment_by_id(self, appointment_id: str) -> dict[str, Any] | None:
        """Any member's appointment by its id (through its pointer), for the counsellor."""
        pointer = self._get(pointer_pk(appointment_id), POINTER_SK)
        if pointer is None:
            return None
        return self.appointment(str(pointer["member_id"]), appointment_id)

    def _guard_booked(self, item: dict[str, Any], changes: str, values: dict[str, Any]) -> dict:
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"pk": item["pk"], "sk": item["sk"]}),
                "UpdateExpression": changes,
                "ConditionExpression": "#s = :booked AND starts_at = :was",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item(
                    values | {":booked": BOOKED, ":was": item["starts_at"]}
                ),
            }
        }

    def _free_hold(self, item: dict[str, Any]) -> dict:
        return self._delete(
            hold_pk(str(item["counsellor_id"]), str(item["starts_at"])),
            SLOT_SK,
            "attribute_not_exists(pk) OR appointment_id = :a",
            ExpressionAttributeValues=to_item({":a": item["appointment_id"]}),
        )

    def move(
        self,
        item: dict[str, Any],
        moved: dict[str, Any],
        upcoming: list[str],
        version: int,
        now: datetime,
    ) -> None:
        """Move the appointment to `moved`'s start (and mode) in one transaction: the new hold
        (SlotTaken if held), the old one freed, the reminders moved."""
        changes = "SET starts_at = :s, ends_at = :e, #m = :m, updated_at = :u"
        values = {
            ":s": moved["starts_at"],
            ":e": moved["ends_at"],
            ":m": moved["mode"],
            ":u": moved["updated_at"],
        }
        update = self._guard_booked(item, changes, values)
        update["Update"]["ExpressionAttributeNames"]["#m"] = "mode"
        items = [
            self._hold(moved),
            update,
            self._free_hold(item),
            *self._reminder_deletes(item),
            *self._reminders(moved, now),
            self._upcoming_write(str(item["member_id"]), upcoming, version),
        ]
        self._transact(items, {0: SlotTaken})

    def change_mode(self, item: dict[str, Any], mode: str, now: datetime) -> None:
        update = self._guard_booked(
            item, "SET #m = :m, updated_at = :u", {":m": mode, ":u": utc_iso(now)}
        )
        update["Update"]["ExpressionAttributeNames"]["#m"] = "mode"
        self._transact([update], {})

    def cancel(
        self, item: dict[str, Any], upcoming: list[str], version: int, now: datetime
    ) -> None:
        """Cancel in one transaction: the status, the hold freed, the reminders gone."""
        stamp = utc_iso(now)
        items = [
            self._guard_booked(
                item,
                "SET #s = :c, cancelled_at = :t, updated_at = :t",
                {":c": CANCELLED, ":t": stamp},
            ),
            self._free_hold(item),
            *self._reminder_deletes(item),
            self._upcoming_write(str(item["member_id"]), upcoming, version),
        ]
        self._transact(items, {})

    def update_counsellor_fields(
        self, item: dict[str, Any], changes: dict[str, Any], removed: Sequence[str], now: datetime
    ) -> dict[str, Any]:
        """Set (and remove) fields the counsellor keeps on the appointment; the new item."""
        names = {f"#f{i}": name for i, name in enumerate(changes)}
        values = {f":v{i}": value for i, value in enumerate(changes.values())}
        sets = [f"#f{i} = :v{i}" for i in range(len(changes))] + ["updated_at = :u"]
        removes = [f"#r{i}" for i in range(len(removed))]
        names |= {f"#r{i}": name for i, name in enumerate(removed)}
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        response = self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values | {":u": utc_iso(now)}),
            ReturnValues="ALL_NEW",
        )
        return from_item(response["Attributes"])

    # ---- lists ---------------------------------------------------------------------------

    def member_appointments(self, member_id: str) -> list[dict[str, Any]]:
        return list(
            self._query(
                KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                ExpressionAttributeValues=to_item(
                    {":p": member_pk(member_id), ":a": APPOINTMENT_PREFIX}
                ),
            )
        )

    def counsellor_appointments(
        self, counsellor_id: str, first: datetime, last: datetime
    ) -> list[dict[str, Any]]:
        """The counsellor's appointments starting in [first, last), by start (ByCounsellor)."""
        return list(
            self._query(
                IndexName=BY_COUNSELLOR,
                KeyConditionExpression="counsellor_id = :c AND starts_at BETWEEN :f AND :l",
                ExpressionAttributeValues=to_item(
                    {
                        ":c": counsellor_id,
                        ":f": utc_iso(first),
                        ":l": utc_iso(last - timedelta(milliseconds=1)),
                    }
                ),
            )
        )

    # ---- the calendar feed's token -------------------------------------------------------

    def feed_token(self, counsellor_id: str) -> dict[str, Any] | None:
        return self._get(counsellor_pk(counsellor_id), ICS_SK)

    def token_owner(self, token_hash: str) -> dict[str, Any] | None:
        return self._get(ics_pk(token_hash), ICS_SK, consistent=False)

    def set_feed_token(
        self, counsellor_id: str, org_id: str, token_hash: str, old_hash: str | None, now: datetime
    ) -> None:
        stamp = utc_iso(now)
        items = [
            self._put(
                {"pk": ics_pk(token_hash), "sk": ICS_SK, "owner_id": counsellor_id}
                | {"org_id": org_id, "created_at": stamp}
            ),
            self._put(
                {"pk": counsellor_pk(counsellor_id), "sk": ICS_SK, "token_hash": token_hash}
                | {"org_id": org_id, "created_at": stamp}
            ),
        ]
        if old_hash and old_hash != token_hash:
            items.append(self._delete(ics_pk(old_hash), ICS_SK))
        self._transact(items, {})

    def revoke_feed_token(self, counsellor_id: str, old_hash: str | None) -> None:
        items = [self._delete(counsellor_pk(counsellor_id), ICS_SK)]
        if old_hash:
            items.append(self._delete(ics_pk(old_hash), ICS_SK))
        self._transact(items, {})


class OrgZones:
    """Each organisation's IANA zone (`time_zone` of its `#settings` item in the orgs table,
    read only), cached like the roster; the deployment's default for an unknown or invalid
    one (logic.zone_or_default)."""

    def __init__(self, client: Any, table: str, default_zone: str, ttl_seconds: float) -> None:
        from shared.ttl_cache import TtlCache

        self._db = client
        self._table = table
        self._default = default_zone
        self._zones: TtlCache[str, str] = TtlCache(ttl_seconds, max_size=1000)

    def zone(self, org_id: str) -> str:
        return self._zones.get(org_id, lambda: self._load(org_id))

    def _load(self, org_id: str) -> str:
        from functions.appointments.logic import zone_or_default
        from shared.orgs.keys import SETTINGS, org_pk

        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": org_pk(org_id), "sk": SETTINGS}),
            ProjectionExpression="time_zone",
        ).get("Item")
        return zone_or_default(from_item(found).get("time_zone") if found else None, self._default)
