"""The statistics function's world for the unit tier: moto tables, stream records, a caller.

The stats table's shape comes from template.yaml's `StatsTable`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from shared.dynamo import to_item
from tests.support.tables import create_table

_sequence = itertools.count(10**20)


def next_sequence() -> str:
    """A stream sequence number greater than every one handed out before."""
    return str(next(_sequence))


def create_stats_table(client: Any, name: str) -> str:
    return create_table(client, "StatsTable", name)


def checkin_record(
    user_id: str,
    day: dt.date,
    *,
    mood: int = 3,
    tier: str = "none",
    org_id: str | None = "org-a",
    event: str = "INSERT",
    sequence: str | None = None,
) -> dict[str, Any]:
    """A check-ins stream record (NEW_AND_OLD_IMAGES) as Lambda receives it."""
    keys = {"user_id": user_id, "date": day.isoformat()}
    image = {**keys, "mood": mood, "risk_level": tier, "risk": {"level": tier}}
    if org_id is not None:
        image["org_id"] = org_id
    change: dict[str, Any] = {
        "Keys": to_item(keys),
        "SequenceNumber": sequence or next_sequence(),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if event != "REMOVE":
        change["NewImage"] = to_item(image)
    if event != "INSERT":
        change["OldImage"] = to_item(image)
    return {
        "eventID": change["SequenceNumber"],
        "eventName": event,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Checkins/stream/x",
        "dynamodb": change,
    }


def case_record(
    case_id: str,
    user_id: str,
    created_at: str,
    *,
    org_id: str = "org-a",
    acknowledged_at: str | None = None,
    status: str = "open",
    event: str = "INSERT",
) -> dict[str, Any]:
    """A cases stream record of a `#case` item."""
    keys = {"pk": f"case#{case_id}", "sk": "#case"}
    image = {
        **keys,
        "case_id": case_id,
        "user_id": user_id,
        "org_id": org_id,
        "status": status,
        "severity": "high",
        "created_at": created_at,
        "acknowledged_at": acknowledged_at,
    }
    sequence = next_sequence()
    return {
        "eventID": sequence,
        "eventName": event,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/Cases/stream/x",
        "dynamodb": {"Keys": to_item(keys), "NewImage": to_item(image), "SequenceNumber": sequence},
    }
