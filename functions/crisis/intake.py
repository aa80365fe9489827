"""Risk intake: the feature tables' streams become cases and workflow runs (no HTTP).

The check-ins, journal, screenings and peer streams (NEW_AND_OLD_IMAGES) feed this one
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

**Reasons for the counsellor.** A risky item carries its reason codes sealed for the
crisis feature (`signal_ct`, shared/crisis/signal_seal.py: a direct KMS Encrypt with the
purpose "crisis-signal" that only this function may decrypt). The intake opens it and seals
the codes again with the crisis vault (purpose "crisis", the member's crisis key, kept in
the cases table) into the signal's `reasons_ct`, which the counsellor's view opens. A
missing or unreadable `signal_ct` never holds a case back: the signal is attached with no
reasons and the metric `CrisisSignalReasonsMissing` or `CrisisSignalReasonsUnreadable`
counts it.

**Sustained low mood.** Every check-in with a mood is kept in the member's mood history
(functions/crisis/moods.py), and the last 14 local days (or `low_mood_days`, if longer)
are judged by shared/crisis/signals.py's `sustained_low_mood` with the parameters
`low_mood_days` and `mood_drop_threshold` (template parameters LowMoodDays and
MoodDropThreshold). When it fires, a signal of source "sustained_low_mood" is taken in at
the table's severity, with the source id `low_mood#<local day>` and the reason codes
sealed by the crisis vault: a replay, or the day's second check-in, finds that id seen and
changes nothing.

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
the batch, retries, and sends what still fails to the on-failure queue. Each failed try of
a record adds 1 to the metric `RiskIntakeRecordsFailed` and logs its sequence number and
error code (never its content). Logs name cases,
never members: no user ids, no reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from functions.crisis import intake_logic
from functions.crisis.cases import CLOSED, NO_ORG, Attached, Case, CasesRepository
from functions.crisis.logic import GONE_TOKEN_ERRORS, PURPOSE
from functions.crisis.memberships import Memberships as Memberships
from functions.crisis.moods import MoodHistory
from shared import aws
from shared.clock import system_clock
from shared.crisis.signal_seal import SignalSealer, SignalUnreadable
from shared.crisis.signals import (
    DEFAULT_AVERAGE_DROP,
    DEFAULT_DAYS_IN_A_ROW,
    SEVERITIES,
    WEEK,
    severity_of,
    sustained_low_mood,
)
from shared.observability import error_code, instrument, logger, metrics
from shared.settings import BaseSettings, settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )


@cache
def processor() -> BatchProcessor:
    """Made on the stream handler's first call: `POST /help` (the crisis API) imports this
    module for `take_in` and must not pay for Powertools' batch utility on its cold start."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.DynamoDBStreams)


class IntakeSettings(BaseSettings):
    cases_table: str
    orgs_table: str
    crisis_state_machine_arn: str
    # The streams' tables, to name a signal's source; an unnamed table goes by its name.
    checkins_table: str = ""
    journal_table: str = ""
    screenings_table: str = ""
    peer_table: str = ""  # a supporter's concern, a member's risky message (source "peer")
    # Sustained low mood (shared/crisis/signals.py): template LowMoodDays, MoodDropThreshold.
    low_mood_days: int = DEFAULT_DAYS_IN_A_ROW
    mood_drop_threshold: float = DEFAULT_AVERAGE_DROP


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


class CrisisVault(Protocol):
    """shared/vault.py's Vault, as far as the intake uses it."""

    def key_for_writing(self, user_id: str) -> bytes: ...

    def seal_fields(
        self, key: bytes, user_id: str, item_id: str, fields: dict[str, Any]
    ) -> dict[str, bytes]: ...


class Reasons:
    """A signal's reason codes: opened from the source's `signal_ct`, sealed for the case."""

    def __init__(self, signals: SignalSealer, vault: CrisisVault) -> None:
        self._signals = signals
        self._vault = vault

    def open(self, found: intake_logic.Signal) -> list[str]:
        assert found.signal_ct is not None
        return self._signals.open(found.user_id, found.item_id, found.signal_ct)

    def seal(self, user_id: str, item_id: str, reasons: Iterable[str]) -> bytes:
        """The codes as the signal item's `reasons_ct`, under the member's crisis key."""
        key = self._vault.key_for_writing(user_id)
        sealed = self._vault.seal_fields(key, user_id, item_id, {"reasons": list(reasons)})
        return sealed["reasons_ct"]


@dataclass(frozen=True)
class LowMoodRule:
    """The sustained low mood's parameters (shared/crisis/signals.py)."""

    days_in_a_row: int = DEFAULT_DAYS_IN_A_ROW
    average_drop: float = DEFAULT_AVERAGE_DROP

    @property
    def lookback_days(self) -> int:
        """The days one judgement reads: two weeks, or the run if that is longer."""
        return max(2 * WEEK, self.days_in_a_row)


LOW_MOOD_SOURCE = "sustained_low_mood"


def low_mood_item_id(day: date) -> str:
    return day.isoformat()


def low_mood_source_id(day: date) -> str:
    """One per member-local day: the day's second check-in and replays are the same signal."""
    return f"low_mood#{day.isoformat()}"


@dataclass(frozen=True)
class Dependencies:
    cases: Cases
    organisation: Callable[[str], str | None]
    workflow: Workflow
    sources: Mapping[str, str]  # table name -> feature
    clock: Callable[[], datetime]
    # Absent where only `take_in` is used (POST /help seals its own reasons).
    reasons: Reasons | None = None
    moods: MoodHistory | None = None
    low_mood: LowMoodRule = field(default_factory=LowMoodRule)


@cache
def dependencies() -> Dependencies:  # pragma: no cover - production wiring
    from shared.crisis.signal_seal import signal_sealer
    from shared.vault import vault_for

    config = settings(IntakeSettings)
    tables = {
        config.checkins_table: "checkins",
        config.journal_table: "journal",
        config.screenings_table: "screenings",
        config.peer_table: "peer",
    }
    cases = CasesRepository(aws.client("dynamodb"), config.cases_table)
    return Dependencies(
        cases=cases,
        organisation=Memberships(aws.client("dynamodb"), config.orgs_table).org_of,
        workflow=Workflow(aws.client("stepfunctions"), config.crisis_state_machine_arn),
        sources={name: feature for name, feature in tables.items() if name},
        clock=lambda: system_clock().astimezone(UTC),
        reasons=Reasons(signal_sealer(), vault_for(PURPOSE, cases)),
        moods=MoodHistory(aws.client("dynamodb"), config.cases_table),
        low_mood=LowMoodRule(config.low_mood_days, config.mood_drop_threshold),
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
    """Take one stream record in; a failure is counted (`RiskIntakeRecordsFailed`) and logged
    with the record's sequence number, then raised for the batch to report and the stream
    to retry (then the on-failure queue: docs/runbook.md "Faults")."""
    try:
        take_record(record)
    except Exception as error:
        metrics.add_metric(name="RiskIntakeRecordsFailed", unit="Count", value=1)
        change = record.dynamodb
        logger.warning(
            "risk intake record failed; the stream retries it",
            extra={
                "sequence_number": change.sequence_number if change is not None else None,
                "table": intake_logic.source_of(record.event_source_arn, {}),
                "error": error_code(error),
            },
        )
        raise


def take_record(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    deps = dependencies()
    source = intake_logic.source_of(record.event_source_arn, deps.sources)
    found = intake_logic.signal(
        record.event_name.name, source, change.keys, change.old_image, change.new_image
    )
    if found is not None:
        _signal(with_crisis_reasons(found, deps), source, deps)
    day = intake_logic.mood_day(record.event_name.name, source, change.keys, change.new_image)
    if day is not None and deps.moods is not None:
        low = low_mood_signal(day, deps)
        if low is not None:
            metrics.add_metric(name="CrisisLowMoodSignals", unit="Count", value=1)
            _signal(low, LOW_MOOD_SOURCE, deps)
    reply = intake_logic.answer(record.event_name.name, source, change.keys, change.new_image)
    answered = take_answer(reply, deps) if reply is not None else None
    if answered is not None:
        case_id, resumed = answered
        metrics.add_metric(
            name="CrisisAnswersTaken" if resumed else "CrisisAnswersTooLate", unit="Count", value=1
        )
        logger.info("follow-up answer taken in", extra={"case_id": case_id, "resumed": resumed})


def with_crisis_reasons(found: intake_logic.Signal, deps: Dependencies) -> intake_logic.Signal:
    """The signal with its reasons sealed by the crisis vault, opened from `signal_ct`; as
    it was (no reasons) if that is missing or cannot be opened: the case must not wait."""
    if deps.reasons is None or found.sealed_reasons is not None:
        return found
    if found.signal_ct is None:
        metrics.add_metric(name="CrisisSignalReasonsMissing", unit="Count", value=1)
        logger.warning("risk signal without reasons for the crisis feature", extra=_where(found))
        return found
    try:
        codes = deps.reasons.open(found)
        sealed = deps.reasons.seal(found.user_id, found.item_id, codes)
    except (ClientError, BotoCoreError, SignalUnreadable) as error:
        metrics.add_metric(name="CrisisSignalReasonsUnreadable", unit="Count", value=1)
        logger.warning(
            "risk signal reasons could not be opened",
            extra=_where(found) | {"error": error_code(error)},
        )
        return found
    return replace(found, sealed_reasons=sealed, signal_ct=None)


def _where(found: intake_logic.Signal) -> dict[str, Any]:
    """What a log line may say of a signal: its feature and level, never its member."""
    return {"source": found.source, "severity": found.severity}


def low_mood_signal(day: intake_logic.MoodDay, deps: Dependencies) -> intake_logic.Signal | None:
    """Keep the day's mood; the sustained low mood signal of that day, if it fires."""
    assert deps.moods is not None
    rule = deps.low_mood
    deps.moods.keep(day.user_id, day.day, day.mood, day.revision, deps.clock())
    history = deps.moods.recent(day.user_id, day.day, rule.lookback_days)
    codes = sustained_low_mood(
        history, day.day, days_in_a_row=rule.days_in_a_row, average_drop=rule.average_drop
    )
    if not codes:
        return None
    item_id = low_mood_item_id(day.day)
    return intake_logic.Signal(
        user_id=day.user_id,
        severity=max((severity_of(code) for code in codes), key=SEVERITIES.index),
        source=LOW_MOOD_SOURCE,
        item_id=item_id,
        source_id=low_mood_source_id(day.day),
        sealed_reasons=deps.reasons.seal(day.user_id, item_id, codes) if deps.reasons else None,
        mood=day.mood,
    )


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
    from aws_lambda_powertools.utilities.batch import process_partial_response

    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor(), context=context
        )
    )
