"""Applies a member's journal retention, chosen on their profile, to their journal (no HTTP).

The accounts table's stream is the only way the choice reaches the journal: the
accounts function never touches the journal table. A changed
`journal_retention_days` is recorded on "#meta" (for new entries) and set as the
TTL of every live entry; the update is conditional, so an entry deleted
meanwhile is never re-created as a stub. Powertools BatchProcessor reports
failed records one by one, so one bad record never replays the batch.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from functions.journal.repository import JournalRepository
from functions.journal.stored import expiry, written_at
from shared import aws
from shared.observability import instrument, logger
from shared.settings import JournalSettings, settings

FIELD = "journal_retention_days"
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@cache
def repository() -> JournalRepository:
    return JournalRepository(aws.client("dynamodb"), settings(JournalSettings).journal_table)


def _days(image: dict[str, Any] | None) -> int | None:
    value = (image or {}).get(FIELD)
    return None if value is None else int(value)


def apply_retention(repo: JournalRepository, user_id: str, days: int | None) -> int:
    """Record the retention and set every live entry's expiry; the number of entries touched."""
    repo.set_retention(user_id, days)
    touched = 0
    for item in repo.live_entries(user_id):
        repo.set_expiry(user_id, item["entry_id"], expiry(written_at(item), days))
        touched += 1
    return touched


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None or record.event_name.name == "REMOVE":
        return  # an erased profile: the journal's own erasure handles the journal
    new, old = change.new_image, change.old_image
    if _days(new) == _days(old) and old is not None:
        return
    if FIELD not in (new or {}) and old is None:
        return  # a new profile without a retention choice: nothing to apply
    touched = apply_retention(repository(), str(new["user_id"]), _days(new))
    logger.info("journal retention applied", extra={"entries": touched})


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
