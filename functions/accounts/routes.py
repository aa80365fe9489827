"""HTTP routes of the accounts function: health and the member's own profile."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import Depends, Response

from functions.accounts.logic import changes_from, new_profile, to_profile, token_attributes
from functions.accounts.member_data import MemberData
from functions.accounts.models import Export, Health, Profile, ProfileUpdate
from functions.accounts.repository import AccountsRepository
from shared import aws
from shared.clock import Clock, system_clock, utc_iso
from shared.envelope import KeyRing
from shared.http import create_app, problem_responses
from shared.identity import Identity, current_identity, verified_identity
from shared.observability import logger
from shared.revocation import revocations, revoke
from shared.settings import AccountsSettings, BaseSettings, settings

app = create_app("Accounts API")

ERRORS = problem_responses(400, 401, 403, 413, 415, 422)
RETENTION = "journal_retention_days"


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
def member_data() -> MemberData:
    """The member's data in the other features' tables (export, erasure, retention)."""
    config = settings(AccountsSettings)
    keyring = KeyRing(aws.client("kms"), config.journal_key_id) if config.journal_key_id else None
    return MemberData(aws.client("dynamodb"), config.checkins_table, config.journal_table, keyring)


def clock() -> Clock:
    return system_clock


Caller = Annotated[Identity, Depends(current_identity)]
Repo = Annotated[AccountsRepository, Depends(repository)]
Now = Annotated[Clock, Depends(clock)]
Data = Annotated[MemberData, Depends(member_data)]


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
        "`journal_retention_days` applies to existing entries too (null keeps them)."
    ),
)
def put_me(update: ProfileUpdate, identity: Caller, repo: Repo, data: Data, now: Now) -> Profile:
    stamp = utc_iso(now())
    changes = changes_from(update, stamp)
    defaults = new_profile(identity, settings(AccountsSettings).default_time_zone, stamp)
    defaults.pop("user_id")
    stored = repo.update(identity.user_id, changes, defaults)
    repo.mirror_to_token(identity.username, token_attributes(identity, stored))
    if RETENTION in changes:
        data.set_journal_retention(identity.user_id, changes[RETENTION])
    return to_profile(stored, identity)


@app.get(
    "/me/export",
    response_model=Export,
    responses=ERRORS,
    summary="Everything the member owns, from every feature, as one JSON document",
)
def export_me(identity: Caller, repo: Repo, data: Data, now: Now) -> Export:
    stored = repo.get(identity.user_id) or new_profile(
        identity, settings(AccountsSettings).default_time_zone, utc_iso(now())
    )
    return Export(
        exported_at=utc_iso(now()),
        profile=to_profile(stored, identity),
        checkins=data.checkins(identity.user_id),
        journal_entries=data.journal_entries(identity.user_id),
    )


@app.delete(
    "/me",
    status_code=204,
    responses=ERRORS,
    summary="Erase the member: their data in every feature and their account; safe to repeat",
)
def delete_me(
    identity: Annotated[Identity, Depends(verified_identity)], repo: Repo, data: Data, now: Now
) -> Response:
    revoked = revocations()
    if revoked is not None and revoked.is_revoked(identity.user_id):
        return Response(status_code=204)  # erased already: a retry changes nothing
    data.erase(identity.user_id)
    repo.delete(identity.user_id)
    repo.delete_user(identity.username)
    # Last, so a retry after a partial failure is still let in to finish the job.
    config = settings(BaseSettings)
    if config.revoked_table:
        revoke(
            aws.client("dynamodb"), config.revoked_table, identity.user_id, int(now().timestamp())
        )
    if revoked is not None:
        revoked.add(identity.user_id)
    logger.info("member erased")  # no identifiers: the log must not keep them either
    return Response(status_code=204)
