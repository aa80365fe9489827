"""The crisis feature's help button, `POST /help`: a function of its own (decision 30),
so the route a member in danger presses has the smallest cold start and only the
permissions it needs: open or raise their case and start its workflow."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Body, Depends, Header, status

from functions.crisis import intake, intake_logic
from functions.crisis.deps import ERRORS, Cases, CrisisVault, _config
from functions.crisis.logic import (
    HELP_REASONS,
    HELP_SEVERITY,
    HELP_SOURCE,
    help_item_id,
    help_source_id,
)
from functions.crisis.memberships import Memberships
from functions.crisis.models import HelpIn, HelpOut
from shared import aws
from shared.crisis.support import support_message
from shared.http import create_app
from shared.observability import logger, metrics
from shared.routing import Caller, Now

app = create_app("Crisis help API")


# --- wiring (tests replace these with app.dependency_overrides) ------------------------------


@cache
def workflow() -> intake.Workflow:
    return intake.Workflow(aws.client("stepfunctions"), _config().crisis_state_machine_arn)


@cache
def memberships() -> Memberships:
    return Memberships(aws.client("dynamodb"), _config().orgs_table)


Run = Annotated[intake.Workflow, Depends(workflow)]
Members = Annotated[Memberships, Depends(memberships)]


# --- the member's help button -----------------------------------------------------------------


@app.post(
    "/help",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=HelpOut,
    responses=ERRORS,
    summary='"I need help now": a counsellor is told at once',
    description=(
        "Opens the member's case at imminent (or raises the open one) and starts its "
        "workflow. The answer carries the crisis lines and never any case detail."
    ),
)
def ask_for_help(
    identity: Caller,
    repo: Cases,
    vault: CrisisVault,
    run: Run,
    members: Members,
    now: Now,
    payload: Annotated[HelpIn | None, Body()] = None,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> HelpOut:
    from shared.resources.for_member import crisis_lines

    user_id = identity.user_id
    item_id = help_item_id(user_id, idempotency_key)
    source_id = help_source_id(item_id)
    key = vault.key_for_writing(user_id)
    sealed = vault.seal_fields(key, user_id, item_id, {"reasons": HELP_REASONS})
    signal = intake_logic.Signal(
        user_id=user_id,
        severity=HELP_SEVERITY,
        source=HELP_SOURCE,
        item_id=item_id,
        source_id=source_id,
        sealed_reasons=sealed["reasons_ct"],
        mood=None,
    )
    deps = intake.Dependencies(
        cases=repo, organisation=members.org_of, workflow=run, sources={}, clock=now
    )
    attached, ran = intake.take_in(signal, deps)
    text = payload.text if payload is not None else None
    if text and not attached.replayed:
        words = vault.seal_fields(key, user_id, item_id, {"text": text})["text_ct"]
        repo.add_signal_text(attached.case.case_id, source_id, words)
    metrics.add_metric(name="CrisisHelpRequested", unit="Count", value=1)
    logger.info(
        "help requested",
        extra={
            "case_id": attached.case.case_id,
            "opened": attached.started,
            "raised": attached.raised,
            "replayed": attached.replayed,
            "run_started": ran,
        },
    )
    return HelpOut(
        support_requested=True,
        message=support_message(identity.locale),
        crisis_resources=crisis_lines(identity, now()),
    )
