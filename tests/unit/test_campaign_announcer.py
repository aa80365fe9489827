"""The campaign announcer over moto DynamoDB and SQS: batches of 10, once, reminders skip
who has answered or declined."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.screenings.campaign_announcer import (
    OrgsRoster,
    SqsSender,
    announce,
    run_time,
)
from functions.screenings.campaign_keys import parse_time, request_id
from shared.notifications.notify import Queue
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.unit.test_campaign_world import MINIMAL_PHQ9, NOW, World

CLASS_SIZE = 25  # mei and lei, and 23 more in Class 7-1


class CountingSqs:
    """moto's SQS, counting SendMessageBatch calls and their sizes."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs
        self.batches: list[int] = []

    def send_message_batch(self, **kwargs: Any) -> Any:
        self.batches.append(len(kwargs["Entries"]))
        return self._sqs.send_message_batch(**kwargs)


class FailingFirst(CountingSqs):
    """Refuses every entry of the first batch it is sent."""

    def send_message_batch(self, **kwargs: Any) -> Any:
        if not self.batches:
            self.batches.append(len(kwargs["Entries"]))
            failed = [{"Id": e["Id"], "SenderFault": False, "Code": "x"} for e in kwargs["Entries"]]
            return {"Successful": [], "Failed": failed}
        return super().send_message_batch(**kwargs)


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "sqs") as made:
        yield made


@pytest.fixture
def world(clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    made = World(clients["dynamodb"], monkeypatch)
    for n in range(CLASS_SIZE - 2):
        made.enrol(f"pupil{n:02d}", "member", "c71")
    made.enrol("gone", "member", "c71", status="removed")
    yield made
    made.http.app.dependency_overrides.clear()  # type: ignore[attr-defined]


@pytest.fixture
def queue_url(clients: dict[str, Any]) -> str:
    return str(clients["sqs"].create_queue(QueueName=fresh_name("notify"))["QueueUrl"])


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not page.get("Messages"):
            return messages
        for message in page["Messages"]:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def run(world: World, sqs: Any, url: str, at: dt.datetime) -> dict[str, Any]:
    sender = SqsSender(sqs, Queue(sqs, url))
    roster = OrgsRoster(world.db, world.orgs_table, 0.0)
    return vars(announce(at, world.repo, roster, sender))


def test_opening_notifies_the_audience_in_batches_of_10_once(
    world: World, clients: dict[str, Any], queue_url: str
) -> None:
    # Given a campaign for Class 7-1 (25 active members, one removed)
    campaign = world.create_campaign()
    sqs = CountingSqs(clients["sqs"])
    # When the announcer runs
    counts = run(world, sqs, queue_url, NOW)
    # Then 25 "campaign" requests went out in batches of 10, 10 and 5
    assert sqs.batches == [10, 10, 5]
    assert (counts["opened"], counts["notified"], counts["failed"]) == (1, CLASS_SIZE, 0)
    messages = received(clients["sqs"], queue_url)
    assert {m["category"] for m in messages} == {"campaign"}
    assert "gone" not in {m["recipient_id"] for m in messages}
    assert {m["request_id"] for m in messages} == {
        request_id(campaign["campaign_id"], m["recipient_id"], "open") for m in messages
    }
    # and the audience of the class is recorded for completion rates
    items = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}
    assert items["audience#c71"]["members"] == CLASS_SIZE
    # When it runs again / Then nothing new is sent: the due item is gone
    again = run(world, sqs, queue_url, NOW + dt.timedelta(minutes=5))
    assert (again["campaigns"], again["notified"]) == (0, 0)
    assert sqs.batches == [10, 10, 5]


def test_a_failed_batch_keeps_the_due_item_and_the_retry_reuses_the_request_ids(
    world: World, clients: dict[str, Any], queue_url: str
) -> None:
    world.create_campaign()
    flaky = FailingFirst(clients["sqs"])
    first = run(world, flaky, queue_url, NOW)
    assert first["failed"] == 10 and first["notified"] == 15
    sent_first = {m["request_id"] for m in received(clients["sqs"], queue_url)}
    # When the next run comes / Then the item is tried again with the same ids, and done
    second = run(world, CountingSqs(clients["sqs"]), queue_url, NOW + dt.timedelta(minutes=5))
    sent_second = {m["request_id"] for m in received(clients["sqs"], queue_url)}
    assert second["notified"] == CLASS_SIZE and second["failed"] == 0
    assert sent_first < sent_second
    third = run(world, CountingSqs(clients["sqs"]), queue_url, NOW + dt.timedelta(minutes=10))
    assert third["campaigns"] == 0


def test_the_reminder_skips_members_who_answered_or_declined(
    world: World, clients: dict[str, Any], queue_url: str
) -> None:
    # Given mei answered and lei declined
    campaign = world.create_campaign()
    world.take_part(campaign, "mei", {"phq9": MINIMAL_PHQ9})
    assert world.consent(campaign, "lei", "decline").status_code == 201
    run(world, CountingSqs(clients["sqs"]), queue_url, NOW)
    received(clients["sqs"], queue_url)
    # When the announcer runs at the reminder's time
    sqs = CountingSqs(clients["sqs"])
    counts = run(world, sqs, queue_url, parse_time(campaign["remind_at"]))
    # Then everyone else is reminded, once
    messages = received(clients["sqs"], queue_url)
    assert {m["category"] for m in messages} == {"campaign_reminder"}
    recipients = {m["recipient_id"] for m in messages}
    assert len(recipients) == CLASS_SIZE - 2 and not {"mei", "lei"} & recipients
    assert (counts["reminded"], counts["skipped"]) == (1, 2)
    assert sqs.batches == [10, 10, 3]


def test_nothing_is_sent_before_a_campaign_opens(
    world: World, clients: dict[str, Any], queue_url: str
) -> None:
    world.create_campaign(opens_at="2026-11-25T00:00:00Z", closes_at="2026-11-28T00:00:00Z")
    sqs = CountingSqs(clients["sqs"])
    assert run(world, sqs, queue_url, NOW)["campaigns"] == 0
    assert sqs.batches == []


def test_an_opening_found_after_the_campaign_closed_sends_nothing(
    world: World, clients: dict[str, Any], queue_url: str
) -> None:
    world.create_campaign(opens_at="2026-11-24T00:00:00Z", closes_at="2026-11-24T03:00:00Z")
    sqs = CountingSqs(clients["sqs"])
    counts = run(world, sqs, queue_url, NOW + dt.timedelta(hours=2))
    assert sqs.batches == [] and counts["late"] == 2


def test_the_scheduled_time_is_used_when_near_the_clock() -> None:
    near = {"scheduled_time": "2026-11-24T02:05:00Z"}
    assert run_time(near, NOW) == dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.UTC)
    assert run_time({"scheduled_time": "2026-11-25T02:05:00Z"}, NOW) == NOW
    assert run_time({"scheduled_time": "soon"}, NOW) == NOW
    assert run_time({}, NOW) == NOW
