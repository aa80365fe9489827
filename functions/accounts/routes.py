"""HTTP routes of the accounts function: health and the member's own profile."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Annotated

from fastapi import Depends, Path, Response

from functions.accounts.logic import changes_from, new_profile, to_profile, token_attributes
from functions.accounts.models import ErasureStarted, ExportStatus, Health, Profile, ProfileUpdate
from functions.accounts.repository import AccountsRepository
from functions.accounts.workflows import LINK_SECONDS, DataRightsWorkflows, Workflows
from shared import aws
from shared.clock import utc_iso
from shared.errors import NotFound
from shared.http import create_app, problem_responses
from shared.identity import Identity, verified_identity
from shared.observability import logger
from shared.revocation import revocations
from shared.routing import Caller, Now
from shared.settings import AccountsSettings, settings

app = create_app("Accounts API")

ERRORS = problem_responses(400, 401, 403, 413, 415, 422)


@cache
def repository() -> AccountsRepository:
    config = settings(AccountsSettings)
    return AccountsRepository(
        aws.client("dynamodb"),
        config.accounts_table,
        aws.client("cognito-idp"),
        config.user_pool_id,
    )


@cache
def workflows() -> Workflows:
    config = settings(AccountsSettings)
    return DataRightsWorkflows(
        aws.client("stepfunctions"),
        aws.client("s3"),
        erasure_arn=config.erasure_state_machine_arn,
        export_arn=config.export_state_machine_arn,
        export_bucket=config.export_bucket,
    )


Repo = Annotated[AccountsRepository, Depends(repository)]
Flows = Annotated[Workflows, Depends(workflows)]


@app.get("/health", response_model=Health, summary="Liveness; needs no token and touches nothing")
def health() -> Health:
    return Health(status="ok")


@app.get(
    "/me",
    response_model=Profile,
    responses=ERRORS,
    summary="The caller's profile, created on first use",
)
def get_me(identity: Caller, repo: Repo, now: Now) -> Profile:
    stored = repo.get(identity.user_id)
    if stored is None:
        default_zone = settings(AccountsSettings).default_time_zone
        stored = repo.create(new_profile(identity, default_zone, utc_iso(now())))
    return to_profile(stored, identity)


@app.put(
    "/me",
    response_model=Profile,
    responses=ERRORS,
    summary="Change display name, time zone, locale, region or journal retention",
    description=(
        "Fields left out keep their value. `time_zone`, `locale` and `region_code` are also "
        "written to the Cognito user: refresh the ID token after changing them. "
        "`journal_retention_days` applies to existing entries too (null keeps them); the "
        "journal applies it within seconds."
    ),
)
def put_me(update: ProfileUpdate, identity: Caller, repo: Repo, now: Now) -> Profile:
    stamp = utc_iso(now())
    changes = changes_from(update, stamp)
    defaults = new_profile(identity, settings(AccountsSettings).default_time_zone, stamp)
    defaults.pop("user_id")
    stored = repo.update(identity.user_id, changes, defaults)
    repo.mirror_to_token(identity.username, token_attributes(identity, stored))
    return to_profile(stored, identity)


@app.post(
    "/me/exports",
    status_code=202,
    response_model=ExportStatus,
    responses=ERRORS,
    summary="Start an export of everything the member owns, from every feature",
    description=(
        "Answers at once with the export's id; `GET /me/exports/{id}` tells when it is "
        "ready and gives a link to download it."
    ),
)
def start_export(identity: Caller, flows: Flows, response: Response) -> ExportStatus:
    export_id = str(uuid.uuid4())
    flows.start_export(export_id, identity.user_id)
    response.headers["Location"] = f"me/exports/{export_id}"
    return ExportStatus(id=export_id, status="running")


@app.get(
    "/me/exports/{id}",
    response_model=ExportStatus,
    responses=problem_responses(400, 401, 403, 404, 422),
    summary="An export's state, and when ready a download link valid 15 minutes",
)
def export_status(
    identity: Caller,
    flows: Flows,
    now: Now,
    export_id: Annotated[uuid.UUID, Path(alias="id")],
) -> ExportStatus:
    found = flows.export_state(str(export_id), identity.user_id)
    if found is None:
        raise NotFound("No such export.")
    state, link = found
    expires = utc_iso(now() + dt.timedelta(seconds=LINK_SECONDS)) if link else None
    return ExportStatus(id=str(export_id), status=state, url=link, url_expires_at=expires)


@app.delete(
    "/me",
    status_code=202,
    response_model=ErasureStarted,
    responses=ERRORS,
    summary="Erase the member: their data in every feature and their account",
    description=(
        "Starts the erasure workflow and answers at once. The member's tokens are refused "
        "within seconds; their data is erased at once and swept again once every token "
        "issued before the request has expired; then the account is deleted. Sending it "
        "again runs the erasure again."
    ),
)
def delete_me(
    identity: Annotated[Identity, Depends(verified_identity)], flows: Flows, now: Now
) -> ErasureStarted:
    request_id = str(uuid.uuid4())
    flows.start_erasure(request_id, identity.user_id, identity.username, utc_iso(now()))
    revoked = revocations()
    if revoked is not None:
        revoked.add(identity.user_id)  # this container refuses the token at once
    logger.info("erasure started")  # no identifiers: the log must not keep them either
    return ErasureStarted(id=request_id)
