"""A table's stream fanned out: one reader publishes, each consumer has its own queue.

A DynamoDB stream shard serves two readers well; AWS throttles more, and the first to
suffer would be the risk intake, the reader that must never wait. So the check-ins
stream has two: the risk intake, and one publisher (functions/checkins/events.py) that
puts each stream record, unchanged, on an SNS FIFO topic. Every other consumer
(reminders, the supporter inbox, statistics) reads its own SQS FIFO queue subscribed to
the topic, with raw delivery, and handles the record exactly as it would have from the
stream (docs/decisions.md).

Order and duplicates: the message group is a hash of the item's partition key (the
member), so one member's changes arrive in the order the table made them; the
deduplication id is the stream record's `eventID`, so SNS drops a record published twice
within five minutes (a retried batch). The publisher stops at its first failure and
reports that record and every later one, so a retry never reorders a member's changes.
Past five minutes a duplicate can arrive; every consumer is idempotent on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

PUBLISH_BATCH = 10  # SNS PublishBatch's limit
# What a consumer needs of a stream record; the rest (region, ARNs) stays behind.
RECORD_FIELDS = ("eventID", "eventName", "eventSource", "dynamodb")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def message_group(record: dict[str, Any], partition_key: str) -> str:
    """A stable group per item partition (a member), without the id itself in SNS/SQS."""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    value = json.dumps(keys.get(partition_key), sort_keys=True)
    return hashlib.sha256(value.encode()).hexdigest()[:64]


def publish_records(
    sns: Any, topic_arn: str, records: Sequence[dict[str, Any]], partition_key: str
) -> list[str]:
    """Publishes stream records in order; returns the sequence numbers not published.

    At the first entry SNS refuses, that record and all after it are returned: the
    stream retries from there, and dedup ids drop whatever of it was already sent.
    """
    for start in range(0, len(records), PUBLISH_BATCH):
        batch = records[start : start + PUBLISH_BATCH]
        entries = [
            {
                "Id": str(index),
                "Message": json.dumps({k: r[k] for k in RECORD_FIELDS if k in r}),
                "MessageGroupId": message_group(r, partition_key),
                "MessageDeduplicationId": str(r["eventID"])[:128],
            }
            for index, r in enumerate(batch)
        ]
        answer = sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=entries)
        failed = sorted(int(f["Id"]) for f in answer.get("Failed") or ())
        if failed:
            return [_sequence(r) for r in records[start + failed[0] :]]
    return []


def _sequence(record: dict[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def stream_record(message: SQSRecord) -> DynamoDBRecord:
    """The stream record a queue message carries (raw delivery: the body is the record)."""
    return DynamoDBRecord(json.loads(message.body))


def queue_handler(record_handler: Callable[[DynamoDBRecord], None]) -> Handler:
    """A Lambda handler for a FIFO queue of stream records, one record at a time.

    A failed record fails the rest of its member's group in the batch (they come back in
    order), never another member's: Powertools' FIFO processor with skip_group_on_error.
    """
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)

    def handle(record: SQSRecord) -> None:  # Powertools passes it as `record=`
        record_handler(stream_record(record))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=handle, processor=processor, context=context
            )
        )

    return handler
