"""The reminder sweep over 10,000 members: DynamoDB calls grow with the members due only.

Against the throwaway local cloud's notifications table, seeded (not measured) with
MEMBERS preferences items through BatchWriteItem, built by the preferences route's own
`preferences_item` in the layout `put_preferences` writes: DUE members (1 %) due in the
slot at SLOT, FEW_DUE in the slot after it, none in the one after that, and the rest
spread over the day's other slots (one in ten with reminders off). Some of those due
already checked in on the reminder's local day (`last_checkin_day`, what the check-ins
stream records) and must get nothing.

Then `functions.notifications.reminders.sweep` runs in-process at the start of each of
those slots, in order, as the 15-minute schedule would (each sweep also sweeps again
the slot of the last mark), with a fixed clock, the production DynamoReminderStore and
QueueNotify (an SQS queue made in the emulator for the purpose). Every call is counted
through botocore's event hooks, as bench/calls.py does, on a session of its own so
nothing else is counted; the items each call read come from its answer (Count,
ScannedCount, Item). A sweep that looked at all members (a Scan, a filter over the
index) would read thousands of items and fail the target, even when no one is due.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from bench.calls import Target

MEMBERS = 10_000
DUE = MEMBERS // 100  # 1 %
FEW_DUE = DUE // 10
CHECKED_IN_EVERY = 5  # one due member in five already checked in that local day
REMINDERS_OFF_EVERY = 10  # of the members not due: one in ten has reminders off
# A fixed clock: the slot with DUE members starts here (20:00 in Shanghai, 12:00 in London).
SLOT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
# The preferences were saved half a day before: each member's next reminder is the first
# time their wall clock reads reminder_time after this.
SAVED_AT = SLOT - timedelta(hours=12)
ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Kolkata")
LOCALES = ("zh-CN", "en")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BATCH = 25  # BatchWriteItem's limit
SEED_THREADS = 4
# Targets: calls per due member (the consistent GetItem and the conditional UpdateItem
# today), and the fixed part of a sweep of two slots (the mark read and written, one
# Query a slot; a second Query page would be a fixed part too).
MAX_CALLS_PER_DUE = 3
MAX_CALLS_PER_SWEEP = 6
MAX_ITEMS_READ_PER_DUE = 2  # the index entry and the member's preferences
SEED = 9


# --- counting ------------------------------------------------------------------------------


@dataclass
class Counted:
    operation: str  # "dynamodb.Query"
    items_read: int


@dataclass
class SessionCounter:
    """The API calls of every client made from one boto3 session (bench/calls.py's hooks).

    Hooks are registered before any client is made: a client copies them when it is made.
    """

    region: str
    session: boto3.session.Session = field(init=False)
    calls: list[Counted] = field(default_factory=list)
    http_attempts: int = 0

    def __post_init__(self) -> None:
        self.session = placeholder_session(self.region)
        events = self.session.events
        events.register("after-call", self._after_call)
        events.register("before-send", self._before_send)

    def client(self, service: str, stack: dict[str, Any]) -> Any:
        return self.session.client(service, endpoint_url=stack["aws_endpoint_url"])

    # Hooks return None: a value from 'before-send' would replace the request.
    def _after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append(
            Counted(f"{model.service_model.service_name}.{model.name}", _read(parsed))
        )

    def _before_send(self, **_: Any) -> None:
        self.http_attempts += 1


def _read(parsed: dict[str, Any]) -> int:
    """How many items a DynamoDB answer read (0 for anything else)."""
    if "ScannedCount" in parsed:
        return int(parsed["ScannedCount"])
    if "Count" in parsed:
        return int(parsed["Count"])
    if "Item" in parsed:
        return 1
    if "Responses" in parsed and isinstance(parsed["Responses"], dict):
        return sum(len(items) for items in parsed["Responses"].values())
    return 0


# --- the table -----------------------------------------------------------------------------


def notifications_table(stack: dict[str, Any]) -> str:
    """The notifications table: from stack.json when it names it, else from CloudFormation."""
    if "notifications" in stack.get("tables", {}):
        return str(stack["tables"]["notifications"])
    if stack.get("outputs", {}).get("NotificationsTableName"):
        return str(stack["outputs"]["NotificationsTableName"])
    cloudformation = setup_client("cloudformation", stack)
    detail = cloudformation.describe_stack_resource(
        StackName=stack["stack_name"], LogicalResourceId="NotificationsTable"
    )["StackResourceDetail"]
    return str(detail["PhysicalResourceId"])


def placeholder_session(region: str) -> boto3.session.Session:
    """A boto3 session of its own with the emulator's documented placeholder credentials."""
    return boto3.session.Session(
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 (the emulator's placeholder, not a secret)
        region_name=region,
    )


def setup_client(service: str, stack: dict[str, Any]) -> Any:
    """A client of a session of its own: its calls are not counted anywhere."""
    return placeholder_session(stack["region"]).client(
        service, endpoint_url=stack["aws_endpoint_url"]
    )


# --- seeding -------------------------------------------------------------------------------


@dataclass
class Seeded:
    items: list[dict[str, Any]]  # DynamoDB JSON, as put_preferences leaves them
    by_slot: Counter[str]  # members due by slot key
    checked_in: Counter[str]  # of those, members who checked in on the reminder's local day
    reminders_on: int


def _swept_slots() -> list[datetime]:
    """The slots the sweeps cover: the one before SLOT (the first sweep) and three more."""
    return [SLOT + n * QUARTER for n in range(-1, 3)]


def _wall_time(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def seed_items(rng: random.Random) -> Seeded:
    """MEMBERS preferences items: exactly what PUT /me/notification-preferences writes."""
    logic = import_module("functions.notifications.logic")
    models = import_module("functions.notifications.models")
    repository = import_module("functions.notifications.repository")
    schedule = import_module("shared.notifications.schedule")
    to_item = import_module("shared.dynamo").to_item
    store = import_module("functions.notifications.reminder_store")

    swept = _swept_slots()
    start, end = swept[0], swept[-1] + QUARTER
    # Minutes of the day after SAVED_AT outside the swept slots: where the others are due.
    elsewhere = [
        SAVED_AT + timedelta(minutes=m)
        for m in range(1, 24 * 60)
        if not start <= SAVED_AT + timedelta(minutes=m) < end
    ]
    items: list[dict[str, Any]] = []
    by_slot: Counter[str] = Counter()
    checked_in: Counter[str] = Counter()
    reminders_on = 0
    for n in range(MEMBERS):
        user_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        zone = ZONES[n % len(ZONES)]
        locale = LOCALES[n % len(LOCALES)]
        due: datetime | None
        if n < DUE:
            due = SLOT + timedelta(minutes=n % 15)
        elif n < DUE + FEW_DUE:
            due = SLOT + QUARTER + timedelta(minutes=n % 15)
        else:
            due = None if n % REMINDERS_OFF_EVERY == 0 else rng.choice(elsewhere)
        # The due ones remind every day (so the slot is known); the others on some days.
        days = list(DAYS) if n < DUE + FEW_DUE else sorted(rng.sample(DAYS, rng.randint(1, 7)))
        wall = _wall_time(due, zone) if due else None
        # Quiet hours for one in three, where they leave the reminder time free (as the
        # API requires).
        quiet = {"start": "22:30", "end": "07:00"} if n % 3 == 0 else None
        if quiet and wall and models.in_window(wall, quiet["start"], quiet["end"]):
            quiet = None
        prefs = models.PreferencesIn.model_validate(
            {
                "reminder_time": wall,
                "reminder_days": days,
                "quiet_hours": quiet,
                "opt_outs": ["announcements"] if n % 7 == 0 else [],
                "lock_screen_preview": "full" if n % 4 == 0 else "generic",
                "time_zone": zone,
            }
        )
        fields = logic.preferences_item(user_id, prefs, zone, locale, SAVED_AT)
        # put_preferences sets the fields that are not None and removes the others.
        item = {k: v for k, v in fields.items() if v is not None}
        if "due_pk" in item:
            reminders_on += 1
            by_slot[item["due_pk"]] += 1
            if n < DUE + FEW_DUE and n % CHECKED_IN_EVERY == 0:
                fired = datetime.fromisoformat(item["next_due"].replace("Z", "+00:00"))
                day = schedule.local_day(fired, zone).isoformat()
                item[store.LAST_CHECKIN_DAY] = day
                checked_in[item["due_pk"]] += 1
            elif n % CHECKED_IN_EVERY == 1:  # checked in on an earlier day: still reminded
                item[store.LAST_CHECKIN_DAY] = "2026-11-20"
        key = {"pk": repository.partition(user_id), "sk": repository.PREFS}
        items.append(to_item(key | item))
    return Seeded(items, by_slot, checked_in, reminders_on)


def _write(dynamodb: Any, table: str, batch: list[dict[str, Any]]) -> int:
    """One batch of puts, retrying what the service left unprocessed; the calls made."""
    requests: dict[str, list[dict[str, Any]]] = {
        table: [{"PutRequest": {"Item": item}} for item in batch]
    }
    for attempt in range(1, 9):
        left = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not left:
            return attempt
        requests = left
        time.sleep(0.05 * 2**attempt)
    raise RuntimeError("BatchWriteItem left items unprocessed after 8 attempts")


def seed(stack: dict[str, Any], table: str, items: list[dict[str, Any]]) -> int:
    """Write `items` through BatchWriteItem (uncounted); the BatchWriteItem calls made."""
    dynamodb = setup_client("dynamodb", stack)
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        return sum(pool.map(lambda batch: _write(dynamodb, table, batch), batches))


# --- the sweeps ----------------------------------------------------------------------------


@dataclass
class Sweep:
    slot: str  # the key of the slot starting at `now`
    seeded_due: int
    seeded_checked_in: int
    slots: int
    due: int
    sent: int
    skipped: int
    stale: int
    failed: int
    dynamodb_calls: int
    items_read: int
    sqs_calls: int
    seconds: float
    operations: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__}


def run_sweeps(stack: dict[str, Any], table: str, seeded: Seeded) -> list[Sweep]:
    """One sweep at the start of each swept slot, in order, each counted on its own."""
    reminders = import_module("functions.notifications.reminders")
    store_module = import_module("functions.notifications.reminder_store")
    to_item = import_module("shared.dynamo").to_item
    schedule = import_module("shared.notifications.schedule")

    setup_sqs = setup_client("sqs", stack)
    queue_url = setup_sqs.create_queue(QueueName=f"bench-reminders-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]
    # No mark: the first sweep sweeps its own slot only (as on a new deployment).
    setup_client("dynamodb", stack).delete_item(
        TableName=table,
        Key=to_item({"pk": store_module.SWEEP_PK, "sk": store_module.SWEEP_SK}),
    )
    counter = SessionCounter(stack["region"])
    store = store_module.DynamoReminderStore(counter.client("dynamodb", stack), table)
    queue = import_module("shared.notifications.notify").Queue
    notify = reminders.QueueNotify(queue(counter.client("sqs", stack), queue_url))
    results = []
    for now in _swept_slots():
        key = schedule.slot_key(now)
        first = len(counter.calls)
        started = time.perf_counter()
        counts = reminders.sweep(now, store, notify)
        seconds = time.perf_counter() - started
        calls = counter.calls[first:]
        dynamodb = [c for c in calls if c.operation.startswith("dynamodb.")]
        results.append(
            Sweep(
                slot=key,
                seeded_due=seeded.by_slot[key],
                seeded_checked_in=seeded.checked_in[key],
                slots=counts.slots,
                due=counts.due,
                sent=counts.sent,
                skipped=counts.skipped_checked_in,
                stale=counts.stale,
                failed=counts.failed,
                dynamodb_calls=len(dynamodb),
                items_read=sum(c.items_read for c in dynamodb),
                sqs_calls=sum(c.operation.startswith("sqs.") for c in calls),
                seconds=round(seconds, 2),
                operations=dict(Counter(c.operation for c in calls)),
            )
        )
    queued = setup_sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"]
    setup_sqs.delete_queue(QueueUrl=queue_url)
    sent = sum(s.sent for s in results)
    if int(queued) != sent:
        raise RuntimeError(f"{sent} reminders sent but {queued} messages on the queue")
    return results


# --- the verdict ---------------------------------------------------------------------------


def fit(sweeps: list[Sweep]) -> tuple[float, float, bool]:
    """(a, b, exact) of DynamoDB calls = a + b·due over the sweeps after the first.

    The first sweep (no mark yet) sweeps one slot, the others two; a and b come from the
    sweeps with the fewest and the most members due, `exact` says every other one lies
    on that line too.
    """
    steady = sweeps[1:]
    low = min(steady, key=lambda s: s.due)
    high = max(steady, key=lambda s: s.due)
    if high.due == low.due:
        return float(low.dynamodb_calls), 0.0, False
    b = (high.dynamodb_calls - low.dynamodb_calls) / (high.due - low.due)
    a = low.dynamodb_calls - b * low.due
    exact = all(abs(s.dynamodb_calls - (a + b * s.due)) < 1e-9 for s in steady)
    return a, b, exact


def targets(sweeps: list[Sweep], seeded_members: int) -> list[Target]:
    a, b, exact = fit(sweeps)
    steady = sweeps[1:]
    by_due = ", ".join(
        f"{s.due} due: {s.dynamodb_calls}" for s in sorted(steady, key=lambda s: -s.due)
    )
    items_ok = all(s.items_read <= MAX_ITEMS_READ_PER_DUE * s.due + s.slots for s in sweeps)
    scans = sum(s.operations.get("dynamodb.Scan", 0) for s in sweeps)
    scale = Target(
        f"reminder sweep, {seeded_members:,} members seeded: DynamoDB calls = a + b·due",
        f"linear in members due, b <= {MAX_CALLS_PER_DUE}, a <= {MAX_CALLS_PER_SWEEP} "
        f"(2 slots), items read <= {MAX_ITEMS_READ_PER_DUE}·due + 1 a slot, no Scan",
        f"a = {a:g}, b = {b:g} ({by_due}); items read "
        + ", ".join(str(s.items_read) for s in steady)
        + f"; {scans} Scan",
        exact and b <= MAX_CALLS_PER_DUE and a <= MAX_CALLS_PER_SWEEP and items_ok and scans == 0,
    )
    correct = all(
        s.due == s.seeded_due
        and s.skipped == s.seeded_checked_in
        and s.sent == s.due - s.seeded_checked_in
        and s.sqs_calls == s.sent
        and not s.failed
        and not s.stale
        for s in sweeps
    )
    outcome = Target(
        "reminder sweep: members due reminded once, checked-in ones skipped",
        "sent = due - checked in, one SQS SendMessage each, no failures",
        "; ".join(
            f"{s.slot}: {s.sent} sent, {s.skipped} skipped of {s.due} due "
            f"(seeded {s.seeded_due}, {s.seeded_checked_in} checked in), {s.sqs_calls} SQS"
            + (f", {s.failed} failed" if s.failed else "")
            + (f", {s.stale} stale" if s.stale else "")
            for s in sweeps
        ),
        correct,
    )
    return [scale, outcome]


def print_sweeps(sweeps: list[Sweep]) -> None:
    print(
        f"{'slot (now)':<18} {'slots':>5} {'due':>5} {'sent':>5} {'skip':>5} "
        f"{'dynamodb':>8} {'/due':>5} {'read':>5} {'sqs':>5} {'s':>5}  operations"
    )
    for s in sweeps:
        per_due = f"{s.dynamodb_calls / s.due:.2f}" if s.due else "-"
        ops = ", ".join(f"{op} {n}" for op, n in s.operations.items())
        print(
            f"{s.slot:<18} {s.slots:>5} {s.due:>5} {s.sent:>5} {s.skipped:>5} "
            f"{s.dynamodb_calls:>8} {per_due:>5} {s.items_read:>5} {s.sqs_calls:>5} "
            f"{s.seconds:>5.2f}  {ops}"
        )


def measure(stack: dict[str, Any]) -> tuple[dict[str, Any], list[Target]]:
    """Seed MEMBERS members, sweep four slots in order; print, and return data and targets."""
    table = notifications_table(stack)
    started = time.perf_counter()
    seeded = seed_items(random.Random(SEED))
    batches = seed(stack, table, seeded.items)
    seeding = time.perf_counter() - started
    print(
        f"seeded {len(seeded.items):,} members ({seeded.reminders_on:,} with reminders on) "
        f"in {seeding:.1f} s: {batches} BatchWriteItem, not counted"
    )
    started = time.perf_counter()
    sweeps = run_sweeps(stack, table, seeded)
    sweeping = time.perf_counter() - started
    print_sweeps(sweeps)
    a, b, _ = fit(sweeps)
    print(
        f"DynamoDB calls per due member: {b:g}; per sweep (fixed, 2 slots): {a:g}; "
        f"SQS calls per reminder sent: 1; {len(sweeps)} sweeps in {sweeping:.1f} s"
    )
    data = {
        "members": len(seeded.items),
        "reminders_on": seeded.reminders_on,
        "seed_seconds": round(seeding, 1),
        "seed_batch_writes": batches,
        "dynamodb_calls_per_due_member": b,
        "dynamodb_calls_per_sweep": a,
        "sweeps": [s.to_json() for s in sweeps],
    }
    return data, targets(sweeps, len(seeded.items))


def main() -> int:
    """The reminder sweep bench alone, on a throwaway local cloud of its own."""
    from bench.cold import verdict
    from local.cloud import bring_up
    from local.emulator import free_port

    started = time.perf_counter()
    emulator, stack = bring_up(free_port())
    try:
        print(f"local cloud up in {time.perf_counter() - started:.1f} s")
        print(f"\n== Reminder sweep ({MEMBERS:,} members seeded, 1 % due; in-process, counted)")
        _, found = measure(stack)
    finally:
        emulator.stop()
    for t in found:
        print(f"{verdict(t.passed)}  {t.name}: {t.measured} (target {t.expected})")
    return 0 if all(t.passed for t in found) else 1


if __name__ == "__main__":
    sys.exit(main())
