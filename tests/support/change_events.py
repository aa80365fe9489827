"""Stream records as a consumer's FIFO queue delivers them (shared/change_events.py)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from shared.change_events import RECORD_FIELDS, message_group

QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:stack-checkin-events.fifo"


def queued(stream_event: dict[str, Any], partition_key: str = "user_id") -> dict[str, Any]:
    """The SQS FIFO event Lambda passes for `stream_event`'s records, published raw."""
    messages = []
    for n, record in enumerate(stream_event["Records"], start=1):
        body = json.dumps({k: record[k] for k in RECORD_FIELDS if k in record})
        messages.append(
            {
                "messageId": f"m-{n}",
                "receiptHandle": f"r-{n}",
                "body": body,
                "attributes": {
                    "MessageGroupId": message_group(record, partition_key),
                    "MessageDeduplicationId": str(record["eventID"]),
                    "SequenceNumber": str(n),
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's own
                "eventSource": "aws:sqs",
                "eventSourceARN": QUEUE_ARN,
                "awsRegion": "us-east-1",
            }
        )
    return {"Records": messages}
