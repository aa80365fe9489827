"""The check-ins stream fanned out: published in order per member, consumed one by one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from functions.checkins import events
from shared.change_events import message_group, publish_records, queue_handler
from tests.support.change_events import queued
from tests.support.events import lambda_context
from tests.support.moto_cloud import fresh_name, moto_clients


def record(n: int, user_id: str, day: str, name: str = "INSERT") -> dict[str, Any]:
    return {
        "eventID": f"e-{n}",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/c/stream/x",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"user_id": {"S": user_id}, "date": {"S": day}},
            "NewImage": {
                "user_id": {"S": user_id},
                "date": {"S": day},
                "mood": {"N": str(n % 5 + 1)},
            },
            "SequenceNumber": f"{n:05d}",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class Topic:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.sns, self.sqs = clients["sns"], clients["sqs"]
        name = fresh_name("events")
        self.arn = self.sns.create_topic(Name=f"{name}.fifo", Attributes={"FifoTopic": "true"})[
            "TopicArn"
        ]
        self.queue = self.sqs.create_queue(
            QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )

    def received(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages"):
            for message in batch:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def topic() -> Iterator[Topic]:
    with moto_clients("sns", "sqs") as clients:
        yield Topic(clients)


def test_records_reach_the_queue_unchanged_and_in_order(topic: Topic) -> None:
    # Given 23 stream records of three members (more than one PublishBatch)
    records = [record(n, f"u{n % 3}", f"2026-11-{n:02d}") for n in range(1, 24)]
    # When they are published
    unsent = publish_records(topic.sns, topic.arn, records, "user_id")
    # Then all arrive, each member's in the table's order, without region or ARN
    assert unsent == []
    got = topic.received()
    assert len(got) == 23
    for user in ("u0", "u1", "u2"):
        mine = [r["eventID"] for r in got if r["dynamodb"]["Keys"]["user_id"]["S"] == user]
        assert mine == [
            r["eventID"] for r in records if r["dynamodb"]["Keys"]["user_id"]["S"] == user
        ]
    assert got[0]["dynamodb"] == records[0]["dynamodb"]
    assert "eventSourceARN" not in got[0] and "awsRegion" not in got[0]


def test_the_message_group_is_per_member_and_names_no_one() -> None:
    a1, a2, b = (
        record(1, "ada-1234", "2026-11-01"),
        record(2, "ada-1234", "2026-11-02"),
        record(3, "bo", "2026-11-01"),
    )
    assert (
        message_group(a1, "user_id") == message_group(a2, "user_id") != message_group(b, "user_id")
    )
    assert "ada" not in message_group(a1, "user_id")


class RefusingSns:
    """SNS that refuses the entry with the given id in the first batch."""

    def __init__(self, refuse: str) -> None:
        self.refuse, self.batches = refuse, 0

    def publish_batch(self, **call: Any) -> dict[str, Any]:
        self.batches += 1
        entries = call["PublishBatchRequestEntries"]
        failed = [e for e in entries if e["Id"] == self.refuse]
        ok = [e for e in entries if e["Id"] != self.refuse]
        return {
            "Successful": [{"Id": e["Id"]} for e in ok],
            "Failed": [{"Id": e["Id"], "Code": "x", "SenderFault": False} for e in failed],
        }


def test_at_the_first_refusal_that_record_and_all_later_ones_are_reported() -> None:
    # Given 15 records and SNS refusing the fourth
    records = [record(n, "ada", f"2026-11-{n:02d}") for n in range(1, 16)]
    sns = RefusingSns(refuse="3")
    # When they are published
    unsent = publish_records(sns, "arn:topic.fifo", records, "user_id")
    # Then the fourth and every later one are returned for the stream to retry, in order,
    # and the second batch was never sent
    assert unsent == [f"{n:05d}" for n in range(4, 16)]
    assert sns.batches == 1


def test_the_publisher_leaves_the_key_item_out_and_reports_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the stream's batch holds the data key item and two check-ins
    sns = RefusingSns(refuse="1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "test")
    monkeypatch.setattr(events, "sns", lambda: sns)
    monkeypatch.setattr(events, "topic_arn", lambda: "arn:topic.fifo")
    batch = {
        "Records": [
            record(1, "ada", "#key"),
            record(2, "ada", "2026-11-02"),
            record(3, "ada", "2026-11-03"),
        ]
    }
    # When the publisher runs and SNS refuses the second check-in
    result = events.handler(batch, lambda_context())
    # Then only that check-in is reported (the key item is never published)
    assert result == {"batchItemFailures": [{"itemIdentifier": "00003"}]}


def test_a_failed_record_holds_back_its_members_later_ones_only() -> None:
    # Given a consumer that fails on ada's second record
    seen: list[str] = []

    def handle(change: DynamoDBRecord) -> None:
        day = change.dynamodb.keys["date"]  # type: ignore[union-attr]
        if day == "2026-11-02" and change.dynamodb.keys["user_id"] == "ada":  # type: ignore[union-attr]
            raise ValueError("boom")
        seen.append(f"{change.dynamodb.keys['user_id']}:{day}")  # type: ignore[union-attr]

    records = [
        record(1, "ada", "2026-11-01"),
        record(2, "ada", "2026-11-02"),
        record(3, "bo", "2026-11-02"),
        record(4, "ada", "2026-11-03"),
    ]
    event = queued({"Records": records})
    # When the queue's batch is handled
    result = queue_handler(handle)(event, lambda_context())
    # Then ada's failed record and her later one come back; bo's is handled
    assert seen == ["ada:2026-11-01", "bo:2026-11-02"]
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-4"}]}
