"""Publishes the check-ins stream to the check-in events topic (no HTTP).

The check-ins table's stream has two readers: the risk intake, which must never wait,
and this one. Every other feature that follows check-ins (reminders, the supporter
inbox, statistics) reads its own queue subscribed to the topic (shared/change_events.py,
docs/decisions.md). Records go out unchanged and in order per member; the data key item
("#key") is left out, as no consumer wants it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared import aws
from shared.change_events import publish_records
from shared.observability import instrument, logger, metrics
from shared.settings import Settings, settings

KEY_ITEM = "#key"


class CheckinEventsSettings(Settings):
    checkin_events_topic_arn: str


@cache
def topic_arn() -> str:
    return settings(CheckinEventsSettings).checkin_events_topic_arn


@cache
def sns() -> Any:
    return aws.client("sns")


def is_checkin(record: dict[str, Any]) -> bool:
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    return (keys.get("date") or {}).get("S") != KEY_ITEM


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = [r for r in event.get("Records") or () if is_checkin(r)]
    unsent = publish_records(sns(), topic_arn(), records, "user_id")
    sent = len(records) - len(unsent)
    metrics.add_metric(name="CheckinEventsPublished", unit="Count", value=sent)
    if unsent:
        logger.warning("check-in events not published", extra={"unsent": len(unsent)})
    return {"batchItemFailures": [{"itemIdentifier": s} for s in unsent]}
