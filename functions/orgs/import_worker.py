"""Enrols the rows of a roster import, one queue message (a chunk of rows) at a time (no HTTP).

`POST /orgs/{org_id}/imports` checked the file and queued its good rows in chunks.
Each chunk: the Cognito users and groups, then the roster items in batched writes,
then the import's counters, counted once per chunk even if the message comes again.
A redelivered chunk enrols nobody twice (enrolment.py). BatchProcessor reports
failed messages one by one; after the queue's retries a chunk lands in its dead-letter
queue, which raises an alarm.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from functions.orgs.enrolment import ALREADY, ENROLLED, Enroller, NewPerson
from functions.orgs.imports import row_from_message
from functions.orgs.repository import OrgsRepository
from shared import aws
from shared.audit import AuditLog
from shared.clock import system_clock, utc_iso
from shared.observability import instrument, logger
from shared.settings import OrgsImportSettings, settings

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def repository() -> OrgsRepository:
    return OrgsRepository(aws.client("dynamodb"), settings(OrgsImportSettings).orgs_table)


@cache
def enroller() -> Enroller:
    # Imports never hand out passwords: on AWS Cognito sends each person their invitation.
    local = settings(OrgsImportSettings).return_temporary_passwords
    return Enroller(
        aws.client("cognito-idp"),
        settings(OrgsImportSettings).user_pool_id,
        repository(),
        send_invitations=not local,
    )


@cache
def audit_log() -> AuditLog:
    return AuditLog(aws.client("dynamodb"), settings(OrgsImportSettings).audit_table)


def enrol_chunk(
    message: dict[str, Any], repo: OrgsRepository, enrol: Enroller, audit: AuditLog
) -> bool:
    """Enrol one chunk and count it; False when it had been counted before."""
    org_id = str(message["org_id"])
    import_id = str(message["import_id"])
    org = repo.settings(org_id)
    if org is None:
        raise ValueError("the organisation of the import is gone")
    rows = [row_from_message(r) for r in message["rows"]]
    people = [
        NewPerson(
            display_name=r.display_name,
            email=r.email,
            phone=r.phone,
            role=r.role,
            unit_id=r.unit_id,
            username=r.username,
            line=r.line,
        )
        for r in rows
    ]
    stamp = utc_iso(system_clock())
    outcomes = enrol.enrol(org_id, people, org, stamp)
    counts = {
        "done": len(outcomes),
        "enrolled": sum(o.result == ENROLLED for o in outcomes),
        "already_enrolled": sum(o.result == ALREADY for o in outcomes),
    }
    rejected = [
        [o.person.line, o.reason or "rejected"]
        for o in outcomes
        if o.result not in (ENROLLED, ALREADY)
    ]
    # The record before the count: a chunk redelivered after a failed append writes it
    # then (a second record of the same chunk is better than none).
    audit.append(
        org_id,
        actor_id=str(message["actor_id"]),
        actor_role=str(message["actor_role"]),
        action="roster.import_chunk",
        target_type="import",
        target_id=import_id,
        detail={"chunk": int(message["chunk"]), "enrolled": counts["enrolled"]},
    )
    return repo.finish_chunk(org_id, import_id, int(message["chunk"]), counts, rejected, stamp)


def record_handler(record: SQSRecord) -> None:
    message = json.loads(record.body)
    counted = enrol_chunk(message, repository(), enroller(), audit_log())
    logger.info("import chunk", extra={"chunk": message.get("chunk"), "counted": counted})


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
