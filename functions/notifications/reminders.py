"""The reminder sweep (no HTTP): EventBridge Scheduler runs it every 15 minutes.

Each run sweeps the 15-minute UTC slot that is starting: schedule.slot_start of the
time the schedule meant to run (the event's `scheduled_time`, if within an hour of the
clock), else of the clock's time. Sweeping a slot at its start sends every
reminder due in [slot, slot + 15 min) at, or up to 15 minutes before, its local time:
a reminder is never late because of the schedule, and a member who set 08:10 is asked
at 08:00 rather than at 08:15.

Slots: from the last slot swept (the item pk "sweep", sk "last"; swept again, so a
reminder saved into the running slot after its sweep, or one that failed, is caught 15
minutes later) to the current one, at most MAX_SLOTS in all. A missed run thus
strands no reminder, and after a long outage the sweep does not flood members with
hours of old reminders. Reminders in slots older than that stay where they are until
the member saves preferences again (a known limit).
Before the first mark only the current slot is swept.

For each slot one Query of the DueReminders partition, page by page: the cost grows
with the members due, never with all members. For each member due, one consistent
GetItem (the index lags and does not hold `last_checkin_day`) and one conditional
UpdateItem. A member who already checked in on the reminder's local day (the day of
`next_due` in their zone, so a late sweep names the same day) is not sent one; either
way the reminder moves to `next_reminder(slot end, ...)` (daylight saving handled
there), only if it is still in this slot, so a preferences change made meanwhile wins.
The request id (a hash of the member and the local day) is deterministic: a re-run or a
concurrent run of the same slot asks the sender (idempotent per request id) again, and
nothing is sent twice. The mark then moves to the current slot, or to the first slot
where a member failed, so the next run tries that member again.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from functions.notifications.reminder_store import DynamoReminderStore, ReminderStore
from shared import aws
from shared.clock import Clock, system_clock
from shared.notifications.notify import Queue, build_request
from shared.notifications.schedule import SLOT, local_day, next_reminder, slot_key, slot_start
from shared.observability import instrument, logger
from shared.scheduled import scheduled_time
from shared.settings import NotificationsSettings, settings

MAX_SLOTS = 8
CATEGORY = "reminder"
_SLOT_KEY = "%Y-%m-%dT%H:%MZ"


class Notify(Protocol):
    """Asks the sender to notify a member; the sender is idempotent per request id."""

    def __call__(self, user_id: str, category: str, *, request_id: str, day: str) -> None: ...


@dataclass
class SweepCounts:
    slots: int = 0
    due: int = 0
    sent: int = 0
    skipped_checked_in: int = 0
    stale: int = 0  # in the index but no longer due in that slot (a change meanwhile)
    failed: int = 0


def parse_slot_key(key: str) -> datetime:
    """The start of the slot `key` names (the inverse of schedule.slot_key)."""
    return datetime.strptime(key, _SLOT_KEY).replace(tzinfo=UTC)


def reminder_request_id(user_id: str, day: str) -> str:
    """The same id for the same member and day (so the sender sends it once), naming
    neither: request ids are logged."""
    digest = hashlib.sha256(f"{user_id}|{day}".encode()).hexdigest()[:40]
    return f"{CATEGORY}-{digest}"


def slots_to_sweep(now: datetime, mark: str | None) -> list[datetime]:
    """The slot starts to sweep at `now`: from the mark's slot to the current one, at most
    MAX_SLOTS of them; only the current one without a mark (or with one in the future)."""
    current = slot_start(now)
    if mark is None:
        return [current]
    first = max(parse_slot_key(mark), current - (MAX_SLOTS - 1) * SLOT)
    if first > current:
        return [current]
    return [first + n * SLOT for n in range((current - first) // SLOT + 1)]


def _due_at(state: dict[str, Any], slot: datetime) -> datetime:
    text = state.get("next_due")
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else slot


def _remind(
    store: ReminderStore, notify: Notify, slot: datetime, user_id: str, counts: SweepCounts
) -> None:
    key = slot_key(slot)
    state = store.reminder_state(user_id)
    if state is None or state.get("due_pk") != key:
        counts.stale += 1
        return
    zone = str(state["time_zone"])
    day = local_day(_due_at(state, slot), zone).isoformat()
    if str(state.get("last_checkin_day") or "") >= day:
        counts.skipped_checked_in += 1
    else:
        notify(user_id, CATEGORY, request_id=reminder_request_id(user_id, day), day=day)
        counts.sent += 1
    following = next_reminder(
        slot + SLOT, str(state["reminder_time"]), list(state.get("reminder_days") or []), zone
    )
    store.move_reminder(user_id, key, following)


def sweep(now: datetime, store: ReminderStore, notify: Notify) -> SweepCounts:
    """Send the reminders due in the slots to sweep at `now` and move each one on."""
    counts = SweepCounts()
    slots = slots_to_sweep(now, store.sweep_mark())
    first_failed: datetime | None = None
    for slot in slots:
        counts.slots += 1
        for entry in store.due_reminders(slot_key(slot)):
            counts.due += 1
            try:
                _remind(store, notify, slot, str(entry["due_sk"]), counts)
            except Exception:  # one member's failure must not hold up the others
                counts.failed += 1
                first_failed = first_failed or slot
                logger.exception("reminder failed", extra={"slot": slot_key(slot)})
    store.set_sweep_mark(slot_key(first_failed or slots[-1]))
    return counts


# --- production wiring -----------------------------------------------------------------


class QueueNotify:
    """Notify through the sender's queue, with the request shape every sender reads
    (shared/notifications/notify.py): one message per reminder."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def __call__(self, user_id: str, category: str, *, request_id: str, day: str) -> None:
        # A reminder is worth sending for a few hours, not the next day; `day` lets the
        # sender drop one held back by quiet hours once the member has checked in.
        self._queue.send(
            build_request(user_id, category, request_id=request_id, ttl_seconds=6 * 3600, day=day)
        )


@cache
def reminder_store() -> DynamoReminderStore:
    return DynamoReminderStore(
        aws.client("dynamodb"), settings(NotificationsSettings).notifications_table
    )


@cache
def notifier() -> QueueNotify:
    return QueueNotify(Queue())  # NOTIFY_QUEUE_URL


clock: Clock = system_clock


# The run's time: its `scheduled_time` if near the clock (shared/scheduled.py).
sweep_time = scheduled_time


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    counts = asdict(sweep(sweep_time(event, clock()), reminder_store(), notifier()))
    logger.info("reminder sweep", extra=counts)
    return counts
