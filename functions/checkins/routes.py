"""HTTP routes of the check-ins function: HTTP in, logic and repository calls, HTTP out."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response

from functions.checkins.logic import build_checkin, summarise
from functions.checkins.models import Checkin, CheckinIn, CheckinPage, Summary
from functions.checkins.repository import (
    PURPOSE,
    CheckinKeys,
    CheckinsRepository,
    CheckinsStore,
)
from shared import aws
from shared.clock import local_day, zone
from shared.crisis.support import support_message, support_requested
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import IdempotencyKeyReused, InvalidInput, NotFound, RequestInProgress
from shared.http import create_app, problem_responses
from shared.identity import Identity
from shared.observability import logger, metrics
from shared.risk import CRISIS_LEVELS
from shared.routing import Caller, Now
from shared.settings import BaseSettings, CheckinsSettings, settings
from shared.signing_keys import SigningKeys, signing_keys

app = create_app("Check-ins API")

ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
EARLIEST = dt.date(2000, 1, 1)


@cache
def repository() -> CheckinsStore:
    from shared.crisis.signal_seal import signal_sealer
    from shared.peer_share import share_sealer
    from shared.vault import vault_for

    table = settings(CheckinsSettings).checkins_table
    keys = CheckinKeys(aws.client("dynamodb"), table)
    vault = vault_for(PURPOSE, keys)
    return CheckinsRepository(aws.client("dynamodb"), table, vault, signal_sealer(), share_sealer())


def cursor_secret() -> SigningKeys:
    return signing_keys(settings(CheckinsSettings).cursor_secret_arn)


def member_time_zone(identity: Identity) -> str:
    """The zone on the member's token, else the deployment default (PUT /me keeps it valid)."""
    if identity.zoneinfo:
        try:
            zone(identity.zoneinfo)
            return identity.zoneinfo
        except InvalidInput:
            logger.warning("token carries an unknown zoneinfo; using the default")
    return settings(BaseSettings).default_time_zone


Repo = Annotated[CheckinsStore, Depends(repository)]


def _save(command: dict[str, Any], repo: CheckinsStore) -> dict[str, Any]:
    """The write that an Idempotency-Key protects.

    Its result is what the idempotency record keeps for 24 h, so it holds no
    personal data: only the day and whether it was new. A replay reads the check-in.
    """
    checkin = Checkin.model_validate(command["checkin"])
    _, created = repo.save(command["user_id"], command["org_id"], checkin)
    return {"created": created, "date": checkin.date.isoformat()}


@cache
def _idempotent_save() -> Any:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    persistence = DynamoDBPersistenceLayer(
        table_name=settings(CheckinsSettings).idempotency_table, boto3_client=aws.client("dynamodb")
    )
    config = IdempotencyConfig(
        event_key_jmespath="[user_id, key]",
        payload_validation_jmespath="request",
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    )
    save = idempotent_function(
        data_keyword_argument="command", persistence_store=persistence, config=config
    )(_save)
    return save, config


def save_once(command: dict[str, Any], repo: CheckinsStore, lambda_context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    save, config = _idempotent_save()
    if lambda_context is not None:
        # Lets an in-progress record expire with the invocation that wrote it.
        config.register_lambda_context(lambda_context)
    try:
        return dict(save(command=command, repo=repo))
    except IdempotencyValidationError as error:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different check-in; use a new key."
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise RequestInProgress(
            "The first request with this key is still running; retry shortly."
        ) from error


@app.post(
    "/checkins",
    status_code=201,
    response_model=Checkin,
    responses={200: {"model": Checkin, "description": "The day's check-in was updated"}, **ERRORS},
    summary="Create or update today's (or a past day's) check-in",
)
def post_checkin(
    payload: CheckinIn,
    request: Request,
    response: Response,
    identity: Caller,
    repo: Repo,
    now: Now,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$"),
    ] = None,
) -> Checkin:
    checkin = build_checkin(payload, member_time_zone(identity), now())
    command = {
        "user_id": identity.user_id,
        "org_id": identity.org_id,
        "checkin": checkin.model_dump(mode="json"),
    }
    if idempotency_key:
        command |= {
            "key": idempotency_key,
            # What the client sent, so a reused key with another body is refused.
            "request": hashlib.sha256(payload.model_dump_json().encode()).hexdigest(),
        }
        result = save_once(command, repo, request.scope.get("aws.context"))
        created = bool(result["created"])
        replayed = repo.get(identity.user_id, dt.date.fromisoformat(result["date"]))
        if replayed is None:  # erased since the first request
            raise NotFound("The check-in this key saved no longer exists.")
        stored = replayed
    else:
        stored, created = repo.save(identity.user_id, identity.org_id, checkin)
    if not created:
        response.status_code = 200
    metrics.add_metric(name="CheckinSaved", unit="Count", value=1)
    if stored.risk.level != "none":
        metrics.add_metric(name=f"CheckinRisk_{stored.risk.level}", unit="Count", value=1)
    if stored.risk.level in CRISIS_LEVELS:
        from shared.resources.for_member import crisis_lines  # only a risky check-in pays

        stored.crisis_resources = crisis_lines(identity, now())
    # The chain in MISSION.md: PHQ-9 item 9 > 0 -> offer the C-SSRS screener at once. Read
    # from the stored risk, so a replayed Idempotency-Key answers the same.
    if stored.risk.recommended_screener == "cssrs":
        stored.next_step = "cssrs"
    if support_requested(stored.risk.level, identity.org_id):
        stored.support_requested = True
        stored.support_message = support_message(identity.locale)
    return stored


@app.get(
    "/checkins",
    response_model=CheckinPage,
    responses=ERRORS,
    summary="List check-ins, newest first",
)
def list_checkins(
    identity: Caller,
    repo: Repo,
    now: Now,
    first: Annotated[dt.date | None, Query(alias="from")] = None,
    last: Annotated[dt.date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> CheckinPage:
    first = first or EARLIEST
    last = last or local_day(now(), member_time_zone(identity))
    if first > last:
        raise InvalidInput("'from' must not be after 'to'.")
    scope = f"checkins|{identity.user_id}|{first}|{last}"
    secret = cursor_secret()
    items, last_key = repo.page(
        identity.user_id, first, last, limit, decode_cursor(cursor, scope, secret)
    )
    return CheckinPage(items=items, next_cursor=encode_cursor(last_key, scope, secret))


@app.get(
    "/checkins/summary", response_model=Summary, responses=ERRORS, summary="Streak, averages, bands"
)
def checkin_summary(identity: Caller, repo: Repo, now: Now) -> Summary:
    today = local_day(now(), member_time_zone(identity))
    return summarise(repo.newest_first(identity.user_id, today), today)


@app.get("/checkins/{date}", response_model=Checkin, responses=ERRORS, summary="One day's check-in")
def get_checkin(
    identity: Caller,
    repo: Repo,
    day: Annotated[dt.date, Path(alias="date", description="Member-local day, YYYY-MM-DD")],
) -> Checkin:
    checkin = repo.get(identity.user_id, day)
    if checkin is None:
        raise NotFound("No check-in for that day.")
    return checkin
