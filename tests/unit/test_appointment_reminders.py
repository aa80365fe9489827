"""The appointment reminder sweep on moto's DynamoDB: 24 h and 1 h before, each once,
nothing after a cancel, and only reminders not yet due are written at booking."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.appointments import reminders
from functions.appointments.reminders import ReminderStore, sweep, sweep_time
from shared.notifications.notify import Queue
from tests.support.events import lambda_context
from tests.support.moto_cloud import moto_clients
from tests.unit.test_appointment_world import MEMBER, OTHER_MEMBER, WED_14, WED_15, World

START = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 14:00 in Shanghai


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


class Sent:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> None:
        self.requests.append(request)


def run(world: World, at: dt.datetime) -> tuple[Sent, Any]:
    sent = Sent()
    counts = sweep(at, ReminderStore(world.db, world.table), sent)
    return sent, counts


def test_the_reminders_go_24_hours_and_1_hour_before_each_once(world: World) -> None:
    # Given a member (in English) booked for Wednesday 14:00 Shanghai
    world.publish()
    booked = world.book(MEMBER).json()
    # When the sweep runs a minute before the 24-hour mark, then at it, then again
    early, _ = run(world, START - dt.timedelta(hours=24, minutes=1))
    due, counts = run(world, START - dt.timedelta(hours=24))
    again, _ = run(world, START - dt.timedelta(hours=24) + dt.timedelta(minutes=5))
    # Then one reminder goes, at the mark, naming the local time only
    assert early.requests == [] and again.requests == []
    (request,) = due.requests
    assert (counts.due, counts.sent) == (1, 1)
    assert request["recipient_id"] == MEMBER.user_id
    assert request["category"] == "appointment_reminder"
    assert request["params"] == {"time": "Wed 25 Nov 14:00"}
    assert request["request_id"] == f"appt-{booked['id']}-24h"
    # And the 1-hour reminder goes once an hour before, from a sweep a few minutes late
    hour, _ = run(world, START - dt.timedelta(minutes=57))
    assert [r["request_id"] for r in hour.requests] == [f"appt-{booked['id']}-1h"]
    assert run(world, START - dt.timedelta(minutes=52))[0].requests == []
    assert world.keys_starting("remind#") == []


def test_a_chinese_speaking_member_gets_the_time_in_chinese(world: World) -> None:
    world.publish()
    world.as_(MEMBER, locale="zh-CN")
    body = {"counsellor_id": "cou-1", "starts_at": WED_14, "mode": "in_person"}
    assert world.http.post("/appointments", json=body).status_code == 201
    (request,) = run(world, START - dt.timedelta(hours=24))[0].requests
    assert request["params"] == {"time": "11月25日 周三 14:00"}


def test_nothing_is_sent_after_a_cancel(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(MEMBER)
    assert world.http.delete(f"/appointments/{booked['id']}").status_code == 200
    assert run(world, START - dt.timedelta(hours=24))[0].requests == []
    assert run(world, START - dt.timedelta(hours=1))[0].requests == []


def test_a_reminder_of_an_appointment_cancelled_meanwhile_is_skipped_and_dropped(
    world: World,
) -> None:
    # Given a reminder item whose appointment was cancelled by a path that left it behind
    world.publish()
    booked = world.book().json()
    world.repo.update_counsellor_fields(
        world.repo.appointment(MEMBER.user_id, booked["id"]) or {},
        {"status": "cancelled"},
        (),
        START,
    )
    sent, counts = run(world, START - dt.timedelta(hours=24))
    assert sent.requests == [] and (counts.due, counts.skipped) == (1, 1)
    assert len(world.keys_starting("remind#")) == 1  # the 1-hour one, not yet due


def test_a_moved_appointment_is_reminded_at_its_new_time(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(MEMBER)
    world.http.patch(f"/appointments/{booked['id']}", json={"starts_at": WED_15})
    assert run(world, START - dt.timedelta(hours=24))[0].requests == []
    (request,) = run(world, START - dt.timedelta(hours=23))[0].requests
    assert request["params"] == {"time": "Wed 25 Nov 15:00"}


def test_booking_three_hours_ahead_writes_only_the_one_hour_reminder(world: World) -> None:
    # Given the clock at Wednesday 11:00 Shanghai
    world.clock.now = START - dt.timedelta(hours=3)
    world.publish()
    booked = world.book(OTHER_MEMBER).json()
    assert world.keys_starting("remind#") == [f"2026-11-25T05:00:00.000Z#{booked['id']}#1h"]


def test_the_handler_sweeps_at_the_scheduled_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a booking and the clock 3 minutes after the 24-hour mark
    world.publish()
    world.book()
    sent = Sent()
    monkeypatch.setattr(reminders, "reminder_store", lambda: ReminderStore(world.db, world.table))
    monkeypatch.setattr(
        reminders, "queue", lambda: Queue(sqs=Recorder(sent), queue_url="https://sqs.test/q")
    )
    monkeypatch.setattr(reminders, "clock", lambda: START - dt.timedelta(hours=23, minutes=57))
    # When the scheduler invokes it with the time it meant
    result = reminders.handler({"scheduled_time": "2026-11-24T06:00:00Z"}, lambda_context())
    # Then the reminder goes
    assert (result["due"], result["sent"]) == (1, 1)
    assert sent.requests[0]["category"] == "appointment_reminder"


class Recorder:
    def __init__(self, sent: Sent) -> None:
        self.sent = sent

    def send_message(self, **kw: Any) -> None:
        self.sent.requests.append(json.loads(kw["MessageBody"]))


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"scheduled_time": "2026-11-24T06:00:00Z"}, "2026-11-24T06:00:00+00:00"),
        ({"scheduled_time": "2026-11-25T06:00:00Z"}, "2026-11-24T06:20:00+00:00"),  # too far
        ({"scheduled_time": "soon"}, "2026-11-24T06:20:00+00:00"),
        ({}, "2026-11-24T06:20:00+00:00"),
    ],
)
def test_the_scheduled_time_is_used_only_near_the_clock(
    event: dict[str, Any], expected: str
) -> None:
    now = dt.datetime(2026, 11, 24, 6, 20, tzinfo=dt.UTC)
    assert sweep_time(event, now).isoformat() == expected
