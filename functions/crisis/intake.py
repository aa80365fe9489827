"""Risk intake: the feature tables' streams become cases and workflow runs (no HTTP).

The check-ins, journal and screenings streams (NEW_AND_OLD_IMAGES) feed this one
function. For each record that is a signal (functions/crisis/intake_logic.py):
1. the member's organisation is read from their `user#<id>` membership item in the orgs
   table (read only; shared/orgs/keys.py). A member of no organisation still gets a case,
   under org "none": no rota answers for it, so the workflow's tiers time out and the
   last one raises the unacknowledged-case alarm for the operators;
2. the signal opens the member's case or attaches to the open one, raising its
   severity if higher (functions/crisis/cases.py);
3. when that opened the case or raised it, the crisis workflow starts with the
   execution name `<case_id>-r<revision>` and the input {case_id, user_id, org_id,
   severity, revision, opening_mood}. A name already used is ExecutionAlreadyExists:
   that run exists, which is success. A replayed signal starts the current revision's
   run again for the same reason: the first try may have died between the case's write
   and the start, and nothing may be lost.

Every check-in written (INSERT or MODIFY, risky or not: the Checkins event has no filter)
is also the member's answer to the follow-up their case's workflow may wait on
(`AwaitAnswer`). If their open case holds `token_answer`, the token is taken off it in one
conditional write and the run resumed with SendTaskSuccess, output {level, mood}: the
check-in's plain risk level ("none" below watch) and its mood (null if absent). A replay
finds the token gone and sends nothing. A run that no longer waits (TaskTimedOut,
InvalidToken, TaskDoesNotExist) is logged and the record succeeds; any other failure puts
the token back and fails the record, to be retried. Cost: one GetItem (the member's `open`
pointer) per check-in of a member without a case.

Powertools BatchProcessor reports failed records one by one; the event source bisects
the batch, retries, and sends what still fails to the on-failure queue. Logs name cases,
never members: no user ids, no reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from botocore.exceptions import ClientError

from functions.crisis import intake_logic
from functions.crisis.cases import CLOSED, NO_ORG, Attached, Case, CasesRepository
from functions.crisis.logic import GONE_TOKEN_ERRORS
from shared import aws
from shared.clock import system_clock
from shared.dynamo import from_item, to_item
from shared.observability import instrument, logger, metrics
from shared.orgs.keys import MEMBERSHIP, member_pk
from shared.settings import BaseSettings, settings

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class IntakeSettings(BaseSettings):
    cases_table: str
    orgs_table: str
    crisis_state_machine_arn: str
    # The streams' tables, to name a signal's source; an unnamed table goes by its name.
    checkins_table: str = ""
    journal_table: str = ""
    screenings_table: str = ""


class Cases(Protocol):
    def attach_signal(
        self,
        user_id: str,
        org_id: str,
        severity: str,
        source_id: str,
        sealed_reasons: bytes | None,
        now: datetime,
        *,
        source: str | None = None,
        item_id: str | None = None,
        mood: int | None = None,
    ) -> Attached: ...

    def take_answer_token(self, user_id: str) -> tuple[str, str] | None: ...

    def give_back_answer_token(self, case_id: str, token: str) -> bool: ...


class Memberships:
    """Which organisation a member belongs to: one GetItem of their membership item."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def org_of(self, user_id: str) -> str | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": member_pk(user_id), "sk": MEMBERSHIP}),
            ProjectionExpression="org_id",
        ).get("Item")
        org_id = from_item(item).get("org_id") if item else None
        return str(org_id) if org_id else None


def workflow_input(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "user_id": case.user_id,
        "org_id": case.org_id,
        "severity": case.severity,
        "revision": case.revision,
        "opening_mood": case.opening_mood,  # always present: the definition reads it
    }


class Workflow:
    """The crisis follow-up state machine."""

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, case: Case) -> bool:
        """Start the run of the case's revision; False if it exists already (a replay)."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn,
                name=case.execution_name,
                input=json.dumps(workflow_input(case)),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def answer(self, token: str, output: Mapping[str, Any]) -> bool:
        """Resume the step waiting on `token`; False if the run no longer waits on it."""
        try:
            self._sfn.send_task_success(taskToken=token, output=json.dumps(output))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in GONE_TOKEN_ERRORS:
                return False
            raise
        return True


@dataclass(frozen=True)
class Dependencies:
    cases: Cases
    organisation: Callable[[str], str | None]
    workflow: Workflow
    sources: Mapping[str, str]  # table name -> feature
    clock: Callable[[], datetime]


@cache
def dependencies() -> Dependencies:  # pragma: no cover - production wiring
    config = settings(IntakeSettings)
    tables = {
        config.checkins_table: "checkins",
        config.journal_table: "journal",
        config.screenings_table: "screenings",
    }
    return Dependencies(
        cases=CasesRepository(aws.client("dynamodb"), config.cases_table),
        organisation=Memberships(aws.client("dynamodb"), config.orgs_table).org_of,
        workflow=Workflow(aws.client("stepfunctions"), config.crisis_state_machine_arn),
        sources={name: feature for name, feature in tables.items() if name},
        clock=lambda: system_clock().astimezone(UTC),
    )


def take_in(found: intake_logic.Signal, deps: Dependencies) -> tuple[Attached, bool]:
    """Attach one signal and start the workflow run it calls for; whether a run began."""
    org_id = deps.organisation(found.user_id) or NO_ORG
    attached = deps.cases.attach_signal(
        found.user_id,
        org_id,
        found.severity,
        found.source_id,
        found.sealed_reasons,
        deps.clock(),
        source=found.source,
        item_id=found.item_id,
        mood=found.mood,
    )
    wants_run = attached.started or attached.raised or attached.replayed
    ran = wants_run and attached.case.status != CLOSED and deps.workflow.start(attached.case)
    return attached, ran


def take_answer(found: intake_logic.Answer, deps: Dependencies) -> tuple[str, bool] | None:
    """Send the member's answer to the run waiting on their open case: (case id, whether
    the run took it), or None if nothing waits. Costs one GetItem without an open case."""
    taken = deps.cases.take_answer_token(found.user_id)
    if taken is None:
        return None
    case_id, token = taken
    try:
        resumed = deps.workflow.answer(token, found.output)
    except Exception:
        deps.cases.give_back_answer_token(case_id, token)  # the retried record sends it
        raise
    return case_id, resumed


def _count(attached: Attached) -> None:
    if attached.started:
        metrics.add_metric(name="CrisisCasesOpened", unit="Count", value=1)
    if attached.raised:
        metrics.add_metric(name="CrisisCasesRaised", unit="Count", value=1)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    deps = dependencies()
    source = intake_logic.source_of(record.event_source_arn, deps.sources)
    found = intake_logic.signal(
        record.event_name.name, source, change.keys, change.old_image, change.new_image
    )
    if found is not None:
        _signal(found, source, deps)
    reply = intake_logic.answer(record.event_name.name, source, change.keys, change.new_image)
    answered = take_answer(reply, deps) if reply is not None else None
    if answered is not None:
        case_id, resumed = answered
        metrics.add_metric(
            name="CrisisAnswersTaken" if resumed else "CrisisAnswersTooLate", unit="Count", value=1
        )
        logger.info("follow-up answer taken in", extra={"case_id": case_id, "resumed": resumed})


def _signal(found: intake_logic.Signal, source: str, deps: Dependencies) -> None:
    attached, ran = take_in(found, deps)
    _count(attached)
    logger.info(
        "risk signal taken in",
        extra={
            "case_id": attached.case.case_id,
            "revision": attached.case.revision,
            "source": source,
            "opened": attached.started,
            "raised": attached.raised,
            "replayed": attached.replayed,
            "run_started": ran,
        },
    )


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
