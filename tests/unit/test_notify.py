"""notify(): the request it builds and the queue it goes to (moto SQS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.notifications.notify import Queue, build_request, notify
from tests.support.moto_cloud import fresh_name, moto_clients

NOW = datetime(2026, 11, 24, 4, 0, 0, 123000, tzinfo=UTC)


@pytest.fixture(scope="module")
def sqs() -> Iterator[Any]:
    with moto_clients("sqs") as clients:
        yield clients["sqs"]


@pytest.fixture
def queues(sqs: Any) -> tuple[str, str]:
    normal = sqs.create_queue(QueueName=fresh_name("notify"))["QueueUrl"]
    alerts = sqs.create_queue(QueueName=fresh_name("alerts"))["QueueUrl"]
    return normal, alerts


@pytest.fixture
def queue(sqs: Any, queues: tuple[str, str]) -> Queue:
    return Queue(sqs, queues[0], queues[1])


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_counsellor_alert_goes_to_the_alerts_queue_only(
    sqs: Any, queues: tuple[str, str], queue: Queue
) -> None:
    # Given the two queues
    normal, alerts = queues
    # When a counsellor alert is asked for
    request_id = notify("counsellor-1", "counsellor_alert", queue=queue, now=NOW)
    # Then it waits on the alerts queue, marked urgent, and not on the ordinary one
    [request] = received(sqs, alerts)
    assert request["request_id"] == request_id
    assert request["urgent"] is True
    assert received(sqs, normal) == []


def test_a_peer_message_goes_to_the_ordinary_queue(
    sqs: Any, queues: tuple[str, str], queue: Queue
) -> None:
    # Given the two queues
    normal, alerts = queues
    # When a peer message notification is asked for
    notify("member-1", "peer_message", {"sender_name": "Lin"}, queue=queue, now=NOW)
    # Then it waits on the ordinary queue only
    [request] = received(sqs, normal)
    assert request["category"] == "peer_message"
    assert request["urgent"] is False
    assert received(sqs, alerts) == []


def test_urgent_true_sends_any_category_to_the_alerts_queue(
    sqs: Any, queues: tuple[str, str], queue: Queue
) -> None:
    # Given the two queues
    normal, alerts = queues
    # When a safety notification is asked for as urgent
    notify("member-1", "safety", urgent=True, queue=queue, now=NOW)
    # Then it goes to the alerts queue
    assert [r["category"] for r in received(sqs, alerts)] == ["safety"]
    assert received(sqs, normal) == []


def test_the_request_holds_ids_params_and_the_times_of_its_life() -> None:
    # Given a fixed moment and a one-hour life
    # When the request is built with a request id of the caller's
    request = build_request(
        "member-1",
        "follow_up",
        {"sender_name": "Lin"},
        request_id="follow-up-42",
        ttl_seconds=3600,
        now=NOW,
    )
    # Then it carries exactly the ids, category, params and times
    assert request == {
        "request_id": "follow-up-42",
        "recipient_id": "member-1",
        "category": "follow_up",
        "params": {"sender_name": "Lin"},
        "urgent": False,
        "created_at": "2026-11-24T04:00:00.123Z",
        "expires_at": int(NOW.timestamp()) + 3600,
    }


def test_without_a_request_id_each_request_gets_a_new_one(queue: Queue) -> None:
    # Given no request id
    # When two notifications are asked for
    first = notify("member-1", "reminder", queue=queue, now=NOW)
    second = notify("member-1", "reminder", queue=queue, now=NOW)
    # Then each has its own id, usable in an inbox key
    assert first != second
    assert len(first) == 32 and first.isalnum()


def test_an_unknown_category_is_refused_and_nothing_is_sent(
    sqs: Any, queues: tuple[str, str], queue: Queue
) -> None:
    # Given the two queues
    # When a category the renderer does not know is asked for
    with pytest.raises(ValueError, match="Unknown notification category"):
        notify("member-1", "gossip", queue=queue, now=NOW)
    # Then nothing is queued
    assert received(sqs, queues[0]) == [] and received(sqs, queues[1]) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient_id": ""},
        {"request_id": "has space"},
        {"request_id": "x" * 129},
        {"ttl_seconds": 0},
        {"ttl_seconds": 86401},
        {"params": {"sender_name": 7}},
        {"now": datetime(2026, 11, 24, 4, 0)},
        {"day": "24/11/2026"},
    ],
    ids=[
        "blank-recipient",
        "bad-request-id",
        "long-request-id",
        "no-ttl",
        "ttl-over-a-day",
        "non-str",
        "naive",
        "bad-day",
    ],
)
def test_a_request_the_sender_could_not_use_is_refused(changes: dict[str, Any]) -> None:
    # Given otherwise valid arguments
    arguments: dict[str, Any] = {"recipient_id": "member-1", "now": NOW} | changes
    recipient = arguments.pop("recipient_id")
    # When / Then building the request fails
    with pytest.raises(ValueError):
        build_request(recipient, "peer_message", **arguments)


def test_the_queue_urls_come_from_the_environment_when_not_given(
    sqs: Any, queues: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the queue URLs only in the environment (and no settings read yet)
    from shared.settings import settings

    settings.cache_clear()
    monkeypatch.setenv("NOTIFY_QUEUE_URL", queues[0])
    monkeypatch.setenv("NOTIFY_ALERTS_QUEUE_URL", queues[1])
    try:
        # When a reminder and an alert are sent through a queue given only a client
        queue = Queue(sqs)
        notify("member-1", "reminder", queue=queue, now=NOW)
        notify("counsellor-1", "counsellor_alert", queue=queue, now=NOW)
        # Then each reached its queue
        assert [r["category"] for r in received(sqs, queues[0])] == ["reminder"]
        assert [r["category"] for r in received(sqs, queues[1])] == ["counsellor_alert"]
    finally:
        settings.cache_clear()
