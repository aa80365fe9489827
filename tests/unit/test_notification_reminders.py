"""The reminder sweep and the check-ins stream that feeds it, on moto's DynamoDB.

The notifications table comes from template.yaml; members are seeded through the
preferences route's own logic and repository, so the items have the stored shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.notifications import checkins_stream, reminders
from functions.notifications.logic import preferences_item
from functions.notifications.models import PreferencesIn
from functions.notifications.reminder_store import DynamoReminderStore
from functions.notifications.reminders import MAX_SLOTS, QueueNotify, slots_to_sweep, sweep
from functions.notifications.reminders import reminder_request_id as rid
from functions.notifications.repository import NotificationsRepository
from shared.notifications.notify import Queue
from shared.notifications.schedule import slot_start
from tests.support.change_events import queued
from tests.support.events import lambda_context
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# A Tuesday; London is on UTC in November, so local and UTC times read alike.
SEEDED_AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SLOT_0415 = datetime(2026, 11, 24, 4, 15, 5, tzinfo=UTC)
LONDON = "Europe/London"


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers flush Powertools metrics; metrics left by earlier tests need a namespace."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")


class RecordingNotify:
    """The sender's stand-in: records each request; fails for the members in `failing`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.failing: set[str] = set()

    def __call__(self, user_id: str, category: str, *, request_id: str, day: str) -> None:
        assert request_id == rid(user_id, day)
        if user_id in self.failing:
            raise RuntimeError("the queue is unavailable")
        self.calls.append((user_id, category, request_id))

    @property
    def request_ids(self) -> list[str]:
        return [request_id for _, _, request_id in self.calls]


class Table:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.repo = NotificationsRepository(client, name)
        self.store = DynamoReminderStore(client, name)

    def seed(
        self,
        user_id: str,
        reminder_time: str | None,
        *,
        zone: str = LONDON,
        days: list[str] | None = None,
        at: datetime = SEEDED_AT,
    ) -> dict[str, Any]:
        """A member who saved preferences at `at` (the route's item, as the route stores it)."""
        prefs = PreferencesIn.model_validate(
            {"reminder_time": reminder_time} | ({"reminder_days": days} if days else {})
        )
        item = preferences_item(user_id, prefs, zone, "en", at)
        self.repo.put_preferences(user_id, item)
        return item

    def prefs(self, user_id: str) -> dict[str, Any] | None:
        return self.repo.preferences(user_id)


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "sqs") as made:
        yield made


@pytest.fixture
def dynamodb(clients: dict[str, Any]) -> Any:
    return clients["dynamodb"]


@pytest.fixture
def table(dynamodb: Any) -> Table:
    return Table(dynamodb, create_table(dynamodb, "NotificationsTable", fresh_name("notif")))


@pytest.fixture
def notify() -> RecordingNotify:
    return RecordingNotify()


# --- which slots a run sweeps -----------------------------------------------------------


def test_first_sweep_without_a_mark_sweeps_only_the_starting_slot() -> None:
    # Given no sweep has run yet
    # When the run at 04:15:05 picks its slots
    slots = slots_to_sweep(SLOT_0415, None)
    # Then it sweeps the slot starting at 04:15, and nothing before it
    assert slots == [datetime(2026, 11, 24, 4, 15, tzinfo=UTC)]


def test_sweep_after_a_long_outage_goes_back_at_most_eight_slots() -> None:
    # Given the last slot swept was a day ago
    # When the run at 04:15 picks its slots
    slots = slots_to_sweep(SLOT_0415, "2026-11-23T04:15Z")
    # Then it sweeps the eight slots ending with the current one, in order
    assert len(slots) == MAX_SLOTS == 8
    assert slots[0] == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)
    assert slots[-1] == datetime(2026, 11, 24, 4, 15, tzinfo=UTC)


# --- the sweep --------------------------------------------------------------------------


def test_members_due_in_the_slot_are_reminded_once(table: Table, notify: RecordingNotify) -> None:
    # Given two members whose reminder at 04:20 falls in the 04:15 slot
    table.seed("ada", "04:20")
    table.seed("bo", "04:29")
    # When the 04:15 sweep runs
    counts = sweep(SLOT_0415, table.store, notify)
    # Then each is reminded once, under the request id of their local day
    assert sorted(notify.calls) == [
        ("ada", "reminder", rid("ada", "2026-11-24")),
        ("bo", "reminder", rid("bo", "2026-11-24")),
    ]
    assert (counts.slots, counts.due, counts.sent) == (1, 2, 2)


def test_member_who_checked_in_on_their_local_day_is_not_reminded(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member in Shanghai due at 12:20 local (04:20Z) who checked in that local day
    table.seed("chen", "12:20", zone="Asia/Shanghai")
    assert table.store.record_checkin_day("chen", "2026-11-24")
    # When the 04:15 sweep runs
    counts = sweep(SLOT_0415, table.store, notify)
    # Then no reminder is asked for, and the reminder still moves on to tomorrow
    assert notify.calls == []
    assert counts.skipped_checked_in == 1
    assert table.prefs("chen")["next_due"] == "2026-11-25T04:20:00.000Z"  # type: ignore[index]


def test_member_who_checked_in_yesterday_is_reminded(table: Table, notify: RecordingNotify) -> None:
    # Given a member due at 04:20 whose last check-in was the day before
    table.seed("ada", "04:20")
    table.store.record_checkin_day("ada", "2026-11-23")
    # When the 04:15 sweep runs
    sweep(SLOT_0415, table.store, notify)
    # Then they are reminded
    assert notify.request_ids == [rid("ada", "2026-11-24")]


def test_member_due_in_a_later_slot_is_not_touched(table: Table, notify: RecordingNotify) -> None:
    # Given a member due at 04:30, the next slot
    before = table.seed("dee", "04:30")
    # When the 04:15 sweep runs
    counts = sweep(SLOT_0415, table.store, notify)
    # Then they are neither reminded nor moved
    assert notify.calls == []
    assert counts.due == 0
    after = table.prefs("dee")
    assert after is not None
    assert (after["next_due"], after["due_pk"]) == (before["next_due"], "2026-11-24T04:30Z")


def test_rerunning_the_same_sweep_does_not_send_twice(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member due in the 04:15 slot, swept once
    table.seed("ada", "04:20")
    sweep(SLOT_0415, table.store, notify)
    # When the same slot is swept again (a duplicate invocation)
    again = sweep(SLOT_0415, table.store, notify)
    # Then nothing more is asked of the sender
    assert notify.request_ids == [rid("ada", "2026-11-24")]
    assert again.sent == 0


def test_a_reminder_sent_again_carries_the_same_request_id(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member reminded by the 04:15 sweep, whose reminder is then back in that slot
    item = table.seed("ada", "04:20")
    sweep(SLOT_0415, table.store, notify)
    table.repo.put_preferences("ada", item)
    # When the slot is swept again
    sweep(SLOT_0415, table.store, notify)
    # Then the sender sees the same request id twice, so it sends once
    assert notify.request_ids == [rid("ada", "2026-11-24")] * 2


def test_next_due_moves_to_the_next_allowed_local_day(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member reminded at 04:20 on Tuesdays and Fridays only
    table.seed("ada", "04:20", days=["tue", "fri"])
    # When Tuesday's 04:15 sweep runs
    sweep(SLOT_0415, table.store, notify)
    # Then the reminder is next due on Friday, in Friday's slot
    prefs = table.prefs("ada")
    assert prefs is not None
    assert prefs["next_due"] == "2026-11-27T04:20:00.000Z"
    assert prefs["due_pk"] == "2026-11-27T04:15Z"


def test_next_due_across_spring_forward_keeps_the_local_time(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member reminded at 08:00 in New York, due on 2026-03-07 at 08:00 EST (13:00Z)
    table.seed("eve", "08:00", zone="America/New_York", at=datetime(2026, 3, 7, 5, tzinfo=UTC))
    # When that slot is swept
    sweep(datetime(2026, 3, 7, 13, 0, tzinfo=UTC), table.store, notify)
    # Then the next reminder is 08:00 EDT on 2026-03-08, which is 12:00Z
    prefs = table.prefs("eve")
    assert prefs is not None
    assert notify.request_ids == [rid("eve", "2026-03-07")]
    assert prefs["next_due"] == "2026-03-08T12:00:00.000Z"
    assert prefs["due_pk"] == "2026-03-08T12:00Z"


def test_a_missed_previous_slot_is_swept_by_the_next_run(
    table: Table, notify: RecordingNotify
) -> None:
    # Given the 04:00 slot was swept, the 04:15 run never happened, and a member was due 04:20
    table.store.set_sweep_mark("2026-11-24T04:00Z")
    table.seed("ada", "04:20")
    # When the 04:30 run sweeps
    counts = sweep(datetime(2026, 11, 24, 4, 30, tzinfo=UTC), table.store, notify)
    # Then the member is reminded, and the mark is the 04:30 slot
    assert notify.request_ids == [rid("ada", "2026-11-24")]
    assert counts.slots == 3  # 04:00 (again), 04:15, 04:30
    assert table.store.sweep_mark() == "2026-11-24T04:30Z"


def test_a_member_whose_reminder_failed_is_tried_again_by_the_next_run(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a run at 04:30 catching up on the missed 04:15 slot, where the sender's queue
    # failed for one member due at 04:20 but not for another due at 04:30
    table.store.set_sweep_mark("2026-11-24T04:00Z")
    table.seed("ada", "04:20")
    table.seed("bo", "04:30")
    notify.failing.add("ada")
    first = sweep(datetime(2026, 11, 24, 4, 30, tzinfo=UTC), table.store, notify)
    # When the queue is back and the 04:45 run sweeps
    notify.failing.clear()
    sweep(datetime(2026, 11, 24, 4, 45, tzinfo=UTC), table.store, notify)
    # Then the other member was not held up, and the failed one is reminded once
    assert first.failed == 1
    assert notify.request_ids == [rid("bo", "2026-11-24"), rid("ada", "2026-11-24")]


def test_a_preference_change_made_meanwhile_is_not_overwritten(table: Table) -> None:
    # Given a member whose reminder left the 04:15 slot (they chose 06:00) after the index read
    table.seed("ada", "06:00")
    # When the sweep moves the reminder it found in the 04:15 slot
    moved = table.store.move_reminder(
        "ada", "2026-11-24T04:15Z", datetime(2026, 11, 25, 4, 20, tzinfo=UTC)
    )
    # Then the move is refused and the member's choice stands
    prefs = table.prefs("ada")
    assert prefs is not None
    assert moved is False
    assert prefs["due_pk"] == "2026-11-24T06:00Z"


class LaggingIndex(DynamoReminderStore):
    """The store, with an index that still lists `user_id` in every slot (GSIs lag)."""

    def __init__(self, store: DynamoReminderStore, user_id: str) -> None:
        self.__dict__.update(store.__dict__)
        self._lagging = user_id

    def due_reminders(self, slot_key: str) -> Iterator[dict[str, Any]]:
        yield from super().due_reminders(slot_key)
        yield {"due_pk": slot_key, "due_sk": self._lagging}


def test_a_member_the_index_still_lists_after_a_change_is_not_reminded(
    table: Table, notify: RecordingNotify
) -> None:
    # Given a member who moved their reminder to 06:00, still listed in the 04:15 slot
    table.seed("ada", "06:00")
    # When the 04:15 sweep runs
    counts = sweep(SLOT_0415, LaggingIndex(table.store, "ada"), notify)
    # Then they are not reminded, and their 06:00 reminder stays where it is
    prefs = table.prefs("ada")
    assert prefs is not None
    assert notify.calls == []
    assert counts.stale == 1
    assert prefs["due_pk"] == "2026-11-24T06:00Z"


def test_dynamodb_calls_grow_with_members_due_not_with_all_members(
    table: Table, notify: RecordingNotify
) -> None:
    # Given 300 members: 3 due in the 04:15 slot, 200 due later, 97 without reminders
    for n in range(3):
        table.seed(f"due-{n}", "04:20")
    for n in range(200):
        table.seed(f"later-{n}", f"{5 + n % 18:02d}:{n % 60:02d}")
    for n in range(97):
        table.seed(f"off-{n}", None)
    operations: list[str] = []

    def count(model: Any, **_: Any) -> None:
        operations.append(model.name)

    table.client.meta.events.register("before-call.dynamodb", count)
    # When the 04:15 sweep runs
    try:
        counts = sweep(SLOT_0415, table.store, notify)
    finally:
        table.client.meta.events.unregister("before-call.dynamodb", count)
    # Then 3 are reminded, with the mark's 2 calls, 1 Query and 2 calls per member due
    assert counts.sent == 3
    assert "Scan" not in operations
    assert len(operations) <= 3 + 2 * 3, operations


def test_sweep_handler_sweeps_the_slot_of_the_clocks_time(
    table: Table, notify: RecordingNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a member due at 04:20 and the clock at 04:15:05
    table.seed("ada", "04:20")
    monkeypatch.setattr(reminders, "reminder_store", lambda: table.store)
    monkeypatch.setattr(reminders, "notifier", lambda: notify)
    monkeypatch.setattr(reminders, "clock", lambda: SLOT_0415)
    # When the scheduler invokes the sweep with no scheduled time
    result = reminders.handler({"source": "aws.scheduler"}, lambda_context())
    # Then the member is reminded and the counts come back
    assert notify.request_ids == [rid("ada", "2026-11-24")]
    assert (result["due"], result["sent"]) == (1, 1)


@pytest.mark.parametrize(
    ("scheduled", "swept"),
    [
        ("2026-11-24T04:15:00Z", "04:15"),  # the schedule's time, though the clock is late
        ("2026-11-24T04:15:00+00:00", "04:15"),
        ("<aws.scheduler.scheduled-time>", "04:30"),  # not filled in: the clock
        ("2026-11-24T09:00:00Z", "04:30"),  # hours away from the clock: ignored
        ("2026-11-24T04:15:00", "04:30"),  # no zone: ignored
        (12, "04:30"),
    ],
)
def test_the_sweep_uses_the_scheduled_time_only_near_the_clock(scheduled: Any, swept: str) -> None:
    # Given the clock at 04:31
    now = datetime(2026, 11, 24, 4, 31, tzinfo=UTC)
    # When the sweep time is taken from the schedule's event
    at = reminders.sweep_time({"scheduled_time": scheduled}, now)
    # Then its slot is the scheduled one, or the clock's
    assert slot_start(at).strftime("%H:%M") == swept


def test_queue_notify_puts_one_message_for_the_sender(clients: dict[str, Any]) -> None:
    # Given the sender's queue
    sqs = clients["sqs"]
    url = sqs.create_queue(QueueName=fresh_name("notify"))["QueueUrl"]
    # When a reminder is asked for
    QueueNotify(Queue(sqs, url))(
        "ada", "reminder", request_id=rid("ada", "2026-11-24"), day="2026-11-24"
    )
    # Then the queue holds one request in the shape the sender reads: the member, the
    # category and the request id, not urgent
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    (body,) = [json.loads(m["Body"]) for m in messages]
    assert (body["recipient_id"], body["category"], body["request_id"], body["urgent"]) == (
        "ada",
        "reminder",
        rid("ada", "2026-11-24"),
        False,
    )
    assert body["day"] == "2026-11-24"


# --- the check-ins stream ---------------------------------------------------------------


def checkin_event(*records: tuple[str, str, str]) -> dict[str, Any]:
    """A batch of check-ins stream records, as the check-in events queue delivers them:
    (event name, user id, date) per record."""
    return queued(
        {
            "Records": [
                {
                    "eventID": str(n),
                    "eventName": name,
                    "eventSource": "aws:dynamodb",
                    "eventSourceARN": "arn:aws:dynamodb:us-east-1:0:table/checkins/stream/x",
                    "dynamodb": {
                        "Keys": {"user_id": {"S": user_id}, "date": {"S": day}},
                        "NewImage": {
                            "user_id": {"S": user_id},
                            "date": {"S": day},
                            "mood": {"N": "3"},
                        },
                        "SequenceNumber": str(n),
                        "StreamViewType": "NEW_AND_OLD_IMAGES",
                    },
                }
                for n, (name, user_id, day) in enumerate(records, start=1)
            ]
        }
    )


@pytest.fixture
def stream(table: Table, monkeypatch: pytest.MonkeyPatch) -> Table:
    monkeypatch.setattr(checkins_stream, "checkin_days", lambda: table.store)
    return table


def test_checkin_stream_records_the_members_check_in_day(stream: Table) -> None:
    # Given a member with preferences
    stream.seed("ada", "04:20")
    # When their check-in of 2026-11-24 arrives on the stream
    result = checkins_stream.handler(
        checkin_event(("INSERT", "ada", "2026-11-24")), lambda_context()
    )
    # Then the day is recorded on their preferences
    assert result == {"batchItemFailures": []}
    assert stream.prefs("ada")["last_checkin_day"] == "2026-11-24"  # type: ignore[index]


def test_checkin_stream_ignores_the_key_item(stream: Table) -> None:
    # Given a member with preferences
    stream.seed("ada", "04:20")
    # When the check-ins table's "#key" item arrives on the stream
    result = checkins_stream.handler(checkin_event(("INSERT", "ada", "#key")), lambda_context())
    # Then nothing is recorded and nothing fails
    assert result == {"batchItemFailures": []}
    assert "last_checkin_day" not in stream.prefs("ada")  # type: ignore[operator]


def test_checkin_stream_never_moves_the_day_back(stream: Table) -> None:
    # Given a member whose check-in of 2026-11-24 was recorded
    stream.seed("ada", "04:20")
    checkins_stream.handler(checkin_event(("INSERT", "ada", "2026-11-24")), lambda_context())
    # When an edit of the day before arrives later
    checkins_stream.handler(checkin_event(("MODIFY", "ada", "2026-11-23")), lambda_context())
    # Then the later day stays
    assert stream.prefs("ada")["last_checkin_day"] == "2026-11-24"  # type: ignore[index]


def test_checkin_stream_creates_no_preferences(stream: Table) -> None:
    # Given a member who never saved preferences
    # When their check-in arrives on the stream
    result = checkins_stream.handler(
        checkin_event(("INSERT", "kit", "2026-11-24")), lambda_context()
    )
    # Then no preferences item appears (the route's defaults still apply)
    assert result == {"batchItemFailures": []}
    assert stream.prefs("kit") is None


def test_a_reminder_request_id_is_stable_per_member_and_day_and_names_neither() -> None:
    # When the ids of two members' reminders on two days are made
    ada_today, again = rid("ada-1234", "2026-11-24"), rid("ada-1234", "2026-11-24")
    others = {rid("ada-1234", "2026-11-25"), rid("bo-5678", "2026-11-24")}
    # Then the same member and day give the same id, and no id holds the member or the day
    assert ada_today == again and ada_today not in others and len(others) == 2
    assert "ada" not in ada_today and "2026" not in ada_today
