"""HTTP routes of the accounts function: health and the member's own profile."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends

from functions.accounts.logic import changes_from, new_profile, to_profile, token_attributes
from functions.accounts.models import Health, Profile, ProfileUpdate
from functions.accounts.repository import AccountsRepository
from shared import aws
from shared.clock import Clock, system_clock, utc_iso
from shared.http import create_app, problem_responses
from shared.identity import Identity, current_identity
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


def clock() -> Clock:
    return system_clock


Caller = Annotated[Identity, Depends(current_identity)]
Repo = Annotated[AccountsRepository, Depends(repository)]
Now = Annotated[Clock, Depends(clock)]


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
    summary="Change display name, time zone, locale or region",
    description=(
        "Fields left out keep their value. `time_zone` and `locale` are also written to "
        "the Cognito user: refresh the ID token after changing them."
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
