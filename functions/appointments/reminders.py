"""The appointment reminder sweep (no HTTP): EventBridge Scheduler runs it every 5 minutes.

Booking writes a reminder item for 24 h and for 1 h before the start (only those not
already due), in the partition of the UTC hour it falls due, `remind#<YYYY-MM-DDTHH>`,
sorted by due time. Each run reads the current hour's partition and the previous one
(due at or before "now", one Query each, page by page), so a run that failed is caught
by the next ones within the hour. "Now" is the time the schedule meant to run (the
event's `scheduled_time`, if within an hour of the clock), else the clock.

For each reminder due, one consistent GetItem of its appointment: only one that is
still booked, at the same start and not yet started, is sent (a cancel or a move
deletes the reminders in its own transaction; this also covers a race with one). The
request goes to the sender's queue (category "appointment_reminder", params {"time":
local start in the member's language, "Wed 26 Nov 14:00" / "11月26日 周三 14:00"}) with
a request id made from the appointment id and the kind: a re-run asks again, and the
sender (idempotent per request id) sends nothing twice. The reminder item is then
deleted. A reminder not swept within two days of its due time expires (TTL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from functions.appointments.keys import appointment_sk, member_pk, parse_utc, remind_pk
from functions.appointments.logic import time_label
from shared import aws
from shared.clock import Clock, system_clock, utc_iso
from shared.dynamo import from_item, to_item
from shared.notifications.notify import Queue, build_request
from shared.notifications.render import locale_of
from shared.observability import instrument, logger
from shared.scheduled import scheduled_time

CATEGORY = "appointment_reminder"
DEFAULT_ZONE = "Asia/Shanghai"
Send = Callable[[dict[str, Any]], None]


@dataclass
class SweepCounts:
    due: int = 0
    sent: int = 0
    skipped: int = 0  # cancelled, moved, started or gone meanwhile
    failed: int = 0


class ReminderStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def due(self, partition: str, now: datetime) -> Iterator[dict[str, Any]]:
        """The reminders of one hour's partition due at or before `now`, oldest first."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND sk <= :now",
            # "~" sorts after every character of an id: every reminder due at `now` counts.
            "ExpressionAttributeValues": to_item({":p": partition, ":now": f"{utc_iso(now)}#~"}),
            "ConsistentRead": True,
        }
        while True:
            response = self._db.query(**args)
            yield from (from_item(i) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def appointment(self, member_id: str, appointment_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": member_pk(member_id), "sk": appointment_sk(appointment_id)}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(found) if found else None

    def done(self, reminder: Mapping[str, Any]) -> None:
        self._db.delete_item(
            TableName=self._table, Key=to_item({"pk": reminder["pk"], "sk": reminder["sk"]})
        )


def request_id(appointment_id: str, kind: str) -> str:
    """The same id for the same reminder: the sender sends it once, however often asked."""
    return f"appt-{appointment_id}-{kind}"[:128]


def _request(reminder: Mapping[str, Any], starts: datetime, now: datetime) -> dict[str, Any]:
    zone = str(reminder.get("zone") or DEFAULT_ZONE)
    label = time_label(starts, zone, locale_of(reminder.get("locale")))
    return build_request(
        str(reminder["member_id"]),
        CATEGORY,
        {"time": label},
        request_id=request_id(str(reminder["appointment_id"]), str(reminder["kind"])),
        # Worth sending until the appointment starts, never later.
        ttl_seconds=max(60, min(86400, int((starts - now).total_seconds()))),
        now=now,
    )


def _remind(store: ReminderStore, send: Send, reminder: dict[str, Any], now: datetime) -> bool:
    """Send one reminder if its appointment is still booked as it was; True if sent."""
    appointment = store.appointment(str(reminder["member_id"]), str(reminder["appointment_id"]))
    starts = parse_utc(str(reminder["starts_at"]))
    sent = False
    if (
        appointment is not None
        and appointment.get("status") == "booked"
        and appointment.get("starts_at") == reminder["starts_at"]
        and starts > now
    ):
        send(_request(reminder, starts, now))
        sent = True
    store.done(reminder)
    return sent


def sweep(now: datetime, store: ReminderStore, send: Send) -> SweepCounts:
    """Send every reminder due by `now` in this hour's and the previous hour's partitions."""
    counts = SweepCounts()
    for partition in (remind_pk(now - timedelta(hours=1)), remind_pk(now)):
        for reminder in store.due(partition, now):
            counts.due += 1
            try:
                if _remind(store, send, reminder, now):
                    counts.sent += 1
                else:
                    counts.skipped += 1
            except Exception:  # one failure must not hold up the others; the next run retries
                counts.failed += 1
                logger.exception("appointment reminder failed", extra={"partition": partition})
    return counts


# The run's time: its `scheduled_time` if near the clock (shared/scheduled.py).
sweep_time = scheduled_time


# --- production wiring -----------------------------------------------------------------


@cache
def reminder_store() -> ReminderStore:
    from functions.appointments.settings import AppointmentsTableSettings
    from shared.settings import settings

    return ReminderStore(
        aws.client("dynamodb"), settings(AppointmentsTableSettings).appointments_table
    )


@cache
def queue() -> Queue:
    return Queue()  # NOTIFY_QUEUE_URL


clock: Clock = system_clock


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    counts = asdict(sweep(sweep_time(event, clock()), reminder_store(), queue().send))
    logger.info("appointment reminder sweep", extra=counts)
    return counts
