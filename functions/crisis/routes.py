"""HTTP routes of the crisis feature's cases API: the counsellor's cases and watch list
(`POST /help` and a member's records are functions of their own: decision 30).

Case routes are for the counsellors of the case's organisation, checked against the
roster (functions/crisis/logic.py); anyone else gets 404, so a case's existence never
leaks. Every read and every acknowledgement or closure writes an audit record.

`POST /cases/{id}/ack` and `POST /cases/{id}/close` resume the case's workflow run: each
takes the task token the run left on the case in one conditional write, so exactly one
caller sends it to Step Functions; a second caller, or a run that is not waiting, is a
409. If Step Functions no longer waits on the token (the tier timed out meanwhile), the
write is undone and the answer is a 409 that says so; if Step Functions cannot be
reached, the token is put back and the answer is a 503.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import Depends, Query

from functions.crisis.case_records_models import CaseRecordsDetail
from functions.crisis.case_records_routes import record_event, records_view
from functions.crisis.case_records_routes import router as case_records_router
from functions.crisis.cases import Taken
from functions.crisis.deps import (
    ERRORS,
    CaseId,
    Cases,
    CrisisVault,
    Keys,
    Log,
    Records,
    audit,
    case_for_staff,
    case_staff,
)

# Re-exported: tests and other modules know these providers by their routes.py names.
from functions.crisis.deps import CrisisApiSettings as CrisisApiSettings
from functions.crisis.deps import audit_log as audit_log
from functions.crisis.deps import case_records as case_records
from functions.crisis.deps import cases as cases
from functions.crisis.deps import crisis_vault as crisis_vault
from functions.crisis.deps import cursor_keys as cursor_keys
from functions.crisis.logic import (
    GONE_TOKEN_ERRORS,
    SEALED_FIELDS,
    outcome_item,
    signal_view,
)
from functions.crisis.models import (
    AckOut,
    CasePage,
    CaseSummary,
    CloseIn,
    CloseOut,
    Outcome,
    Severity,
    Status,
)
from shared import aws
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Conflict, DomainError, NotFound
from shared.http import create_app, problem_responses
from shared.observability import logger, metrics
from shared.routing import Caller, Now

app = create_app("Crisis API")
RESUME_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422, 503)


class WorkflowUnavailable(DomainError):
    status = 503
    type_slug = "workflow-unavailable"
    title = "The case's workflow could not be reached"


class TaskTokens:
    """Resumes a waiting workflow step with the token it left on the case."""

    def __init__(self, client: Any) -> None:
        self._sfn = client

    def succeed(self, token: str, output: Mapping[str, Any]) -> bool:
        """True if the run took the answer; False if it no longer waits on this token."""
        try:
            self._sfn.send_task_success(taskToken=token, output=json.dumps(output))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in GONE_TOKEN_ERRORS:
                return False
            raise
        return True


# --- wiring (tests replace these with app.dependency_overrides; the shared ones are in
# functions/crisis/deps.py) ---------------------------------------------------------------


@cache
def task_tokens() -> TaskTokens:
    return TaskTokens(aws.client("stepfunctions"))


Tokens = Annotated[TaskTokens, Depends(task_tokens)]


def _resume(tokens: TaskTokens, taken: Taken, output: Mapping[str, Any]) -> bool | None:
    """Send the token: whether the run took it; None if Step Functions was out of reach."""
    try:
        return tokens.succeed(taken.token, output)
    except (ClientError, BotoCoreError) as error:
        logger.error(
            "the workflow could not be resumed",
            extra={"case_id": taken.case.case_id, "error_type": type(error).__name__},
        )
        return None


# --- the counsellor's routes ------------------------------------------------------------------


@app.post(
    "/cases/{case_id}/ack",
    response_model=AckOut,
    responses=RESUME_ERRORS,
    summary="Acknowledge a case: its workflow stops escalating",
)
def acknowledge(
    case_id: CaseId,
    identity: Caller,
    repo: Cases,
    records: Records,
    tokens: Tokens,
    log: Log,
    now: Now,
) -> AckOut:
    _, staff = case_for_staff(repo, identity, case_id)
    taken = repo.take_ack(case_id, staff.user_id, now())
    if taken is None:
        raise Conflict(
            "This case is not waiting for an acknowledgement: it was acknowledged already, "
            "or its workflow has not asked yet."
        )
    accepted = _resume(tokens, taken, {"acknowledged_by": staff.user_id})
    if accepted is None:
        repo.give_back_ack(taken, token_alive=True)
        raise WorkflowUnavailable("The case could not be acknowledged; try again.")
    detail: dict[str, str | int] = {
        "severity": taken.case.severity,
        "revision": taken.case.revision,
    }
    if not accepted:
        repo.give_back_ack(taken, token_alive=False)
        audit(log, staff, "case.ack_too_late", case_id, detail)
        raise Conflict(
            "The acknowledgement came too late: the case was escalated to the next tier "
            "meanwhile. Acknowledge it again to take it."
        )
    audit(log, staff, "case.acknowledged", case_id, detail)
    record_event(records, case_id, "acknowledged", taken.at, staff.user_id, detail)
    metrics.add_metric(name="CrisisCaseAcknowledged", unit="Count", value=1)
    return AckOut(
        case_id=case_id,
        status="acknowledged",
        acknowledged_by=staff.user_id,
        acknowledged_at=taken.at,
    )


@app.post(
    "/cases/{case_id}/close",
    response_model=CloseOut,
    responses=RESUME_ERRORS,
    summary="Close a case with its outcome",
)
def close(
    case_id: CaseId,
    payload: CloseIn,
    identity: Caller,
    repo: Cases,
    records: Records,
    tokens: Tokens,
    log: Log,
    now: Now,
) -> CloseOut:
    _, staff = case_for_staff(repo, identity, case_id)
    outcome = outcome_item(payload.outcome)
    taken = repo.take_closure(case_id, staff.user_id, outcome, now())
    if taken is None:
        raise Conflict(
            "This case is not waiting for closure: it is closed already, or its follow-up "
            "has not finished."
        )
    accepted = _resume(tokens, taken, {"closed_by": staff.user_id, "outcome": outcome})
    if accepted is None:
        repo.give_back_closure(taken, token_alive=True)
        raise WorkflowUnavailable("The case could not be closed; try again.")
    if not accepted:
        repo.give_back_closure(taken, token_alive=False)
        audit(log, staff, "case.close_refused", case_id, {"outcome": outcome["kind"]})
        raise Conflict("The case's workflow is no longer waiting for closure.")
    detail: dict[str, str | int] = {"outcome": outcome["kind"]}
    if "watch_level" in outcome:
        detail |= {"watch_level": outcome["watch_level"], "review_on": outcome["review_on"]}
    audit(log, staff, "case.closed", case_id, detail)
    record_event(records, case_id, "closed", taken.at, staff.user_id, detail)
    return CloseOut(
        case_id=case_id,
        status="closed",
        closed_by=staff.user_id,
        closed_at=taken.at,
        outcome=Outcome.model_validate(outcome),
    )


@app.get(
    "/cases",
    response_model=CasePage,
    responses=ERRORS,
    summary="The organisation's cases: imminent first, then the oldest",
)
def list_cases(
    identity: Caller,
    repo: Cases,
    log: Log,
    keys: Keys,
    case_status: Annotated[Status, Query(alias="status")] = "open",
    severity: Severity | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> CasePage:
    org_id = identity.org_id
    if not org_id:
        raise NotFound("No such organisation.")
    staff = case_staff(identity, org_id)
    scope = f"cases|{org_id}|{staff.user_id}|{case_status}|{severity or ''}"
    start = decode_cursor(cursor, scope, keys)
    found, last = repo.page(org_id, case_status, limit, start, severity)
    audit(
        log,
        staff,
        "case.list_read",
        org_id,
        {"status": case_status, "severity": severity or "any", "count": len(found)},
    )
    items = [
        CaseSummary(
            case_id=c.case_id,
            user_id=c.user_id,
            status=c.status,
            severity=c.severity,
            revision=c.revision,
            created_at=c.created_at,
            updated_at=c.updated_at,
            signals=c.signals,
        )
        for c in found
    ]
    return CasePage(items=items, next_cursor=encode_cursor(last, scope, keys))


@app.get(
    "/cases/{case_id}",
    response_model=CaseRecordsDetail,
    responses=ERRORS,
    summary="A case with its signals, timeline, follow-ups, notes, contacts and referrals",
)
def read_case(
    case_id: CaseId,
    identity: Caller,
    repo: Cases,
    records: Records,
    vault: CrisisVault,
    log: Log,
) -> CaseRecordsDetail:
    found, staff = case_for_staff(repo, identity, case_id)
    user_id = str(found["user_id"])

    def open_crisis_fields(owner: str, item_id: str, item: Mapping[str, Any]) -> dict[str, Any]:
        key = vault.key_for_reading(owner)
        if key is None:  # the member's crisis key was erased: their words are gone
            return {}
        return vault.open_fields(key, owner, item_id, dict(item), SEALED_FIELDS)

    items = sorted(repo.signals(case_id), key=lambda i: str(i.get("received_at") or ""))
    signals = [signal_view(i, user_id, open_crisis_fields) for i in items]
    extra = records_view(records.case_items(case_id), user_id, vault)
    audit(log, staff, "case.read", case_id, {"signals": len(signals)}, subject_id=user_id)
    return CaseRecordsDetail.model_validate(found | {"signal_details": signals} | extra)


app.include_router(case_records_router)
