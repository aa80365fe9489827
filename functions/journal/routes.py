"""HTTP routes of the journal function: encrypted entries, optimistic versions, offline sync."""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Response

from functions.journal.logic import (
    EARLIEST,
    TOMBSTONE_DAYS,
    day_bounds,
    etag,
    merged,
    plain_item,
    settled_changes,
    to_entry,
    token_too_old,
    tombstone,
    version_from_etag,
)
from functions.journal.models import Change, Entry, EntryIn, EntryPage, EntryPatch, SyncPage
from functions.journal.repository import JournalRepository, JournalStore
from functions.journal.vault import JournalVault, journal_vault
from shared import aws
from shared.clock import zone
from shared.crisis.support import support_message, support_requested
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from shared.http import create_app, problem_responses
from shared.identity import Identity
from shared.risk import CRISIS_LEVELS, Risk
from shared.routing import Caller, Now
from shared.settings import BaseSettings, JournalSettings, settings
from shared.signing_keys import SigningKeys, signing_keys

# A body of 20,000 Chinese characters is ~60 KB of UTF-8, plus JSON escaping.
app = create_app("Journal API", max_body_bytes=160 * 1024)
ERRORS = problem_responses(400, 401, 403, 404, 409, 410, 412, 413, 415, 422, 428)
EntryId = Annotated[uuid.UUID, Path(alias="id", description="The entry's id (a UUID)")]


def _table() -> JournalRepository:
    return JournalRepository(aws.client("dynamodb"), settings(JournalSettings).journal_table)


@cache
def repository() -> JournalStore:
    return _table()


@cache
def vault() -> JournalVault:
    return journal_vault(_table())


def cursor_secret() -> SigningKeys:
    return signing_keys(settings(JournalSettings).cursor_secret_arn)


Repo = Annotated[JournalStore, Depends(repository)]
Sealer = Annotated[JournalVault, Depends(vault)]


def member_zone(identity: Identity) -> str:
    try:
        return zone(identity.zoneinfo).key if identity.zoneinfo else _default_zone()
    except InvalidInput:
        return _default_zone()


def _default_zone() -> str:
    return settings(BaseSettings).default_time_zone


def assess(title: str, body: str) -> Risk:
    # Imported on first write: reads and lists never need the lexicon.
    from shared.lexicon import assess_text

    return assess_text(f"{title}\n{body}")


def with_crisis_lines(entry: Entry, identity: Identity, at: dt.datetime) -> Entry:
    if entry.risk.level in CRISIS_LEVELS:
        from shared.resources.for_member import crisis_lines  # only a risky entry pays

        entry.crisis_resources = crisis_lines(identity, at)
    if support_requested(entry.risk.level, identity.org_id):
        entry.support_requested = True
        entry.support_message = support_message(identity.locale)
    return entry


def _stored(
    identity: Identity,
    entry_id: str,
    fields: dict[str, Any],
    sealer: JournalVault,
    written: dt.datetime,
    now: dt.datetime,
    version: int,
) -> tuple[dict[str, Any], Entry]:
    """The stored form (plain structure, sealed words) and the member's view of it."""
    risk = assess(fields["title"], fields["body"])
    words = {
        "title": fields["title"],
        "body": fields["body"],
        "tags": fields.get("tags") or None,
        "reasons": risk.reasons or None,
    }
    sealed, retention = sealer.seal(identity.user_id, entry_id, words)
    item = plain_item(identity.user_id, entry_id, fields, risk, written, now, version, retention)
    item |= sealed | sealer.seal_signal(identity.user_id, entry_id, risk.level, risk.reasons)
    opened = {"title": fields["title"], "body": fields["body"], "tags": fields.get("tags")}
    return item, to_entry(item, opened | {"reasons": risk.reasons})


@app.post(
    "/journal/entries",
    status_code=201,
    response_model=Entry,
    responses={
        200: {"model": Entry, "description": "Resent client_id: the entry made first"},
        **ERRORS,
    },
    summary="Write an entry (resending the same client_id is safe)",
)
def create_entry(
    payload: EntryIn, response: Response, identity: Caller, repo: Repo, sealer: Sealer, now: Now
) -> Entry:
    at = now()
    entry_id = str(payload.client_id or uuid.uuid4())
    fields = payload.model_dump(exclude={"client_id"})
    item, entry = _stored(identity, entry_id, fields, sealer, at, at, 1)
    if not repo.create(item):
        existing = repo.get(identity.user_id, entry_id)
        if existing is None or existing.get("deleted"):
            raise Conflict("This client_id belonged to an entry that was deleted; use a new one.")
        response.status_code = 200
        item = existing
        entry = to_entry(item, sealer.opener(identity.user_id)(item))
    response.headers["ETag"] = etag(item["version"])
    return with_crisis_lines(entry, identity, at)


@app.get("/journal/entries", response_model=EntryPage, responses=ERRORS, summary="Newest first")
def list_entries(
    identity: Caller,
    repo: Repo,
    sealer: Sealer,
    first: Annotated[dt.date | None, Query(alias="from", description="Local day")] = None,
    last: Annotated[dt.date | None, Query(alias="to", description="Local day")] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    mood: Annotated[int | None, Query(ge=1, le=5)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> EntryPage:
    lower, upper = day_bounds(first, last, member_zone(identity))
    scope = f"journal|{identity.user_id}|{lower}|{upper}|{tag}|{mood}"
    secret = cursor_secret()
    items, last_key = repo.page(
        identity.user_id, lower, upper, limit, decode_cursor(cursor, scope, secret), mood
    )
    open_item = sealer.opener(identity.user_id) if items else None
    entries = [to_entry(item, open_item(item)) for item in items] if open_item else []
    if tag is not None:  # tags are sealed: filtered here, so a page may hold fewer than `limit`
        entries = [e for e in entries if tag in e.tags]
    return EntryPage(items=entries, next_cursor=encode_cursor(last_key, scope, secret))


def _live(repo: JournalStore, user_id: str, entry_id: uuid.UUID) -> dict[str, Any]:
    item = repo.get(user_id, str(entry_id))
    if item is None or item.get("deleted"):
        raise NotFound("No such entry.")
    return item


@app.get("/journal/entries/{id}", response_model=Entry, responses=ERRORS, summary="One entry")
def get_entry(
    identity: Caller, repo: Repo, sealer: Sealer, entry_id: EntryId, response: Response
) -> Entry:
    item = _live(repo, identity.user_id, entry_id)
    response.headers["ETag"] = etag(item["version"])
    return to_entry(item, sealer.opener(identity.user_id)(item))


@app.patch(
    "/journal/entries/{id}",
    response_model=Entry,
    responses=ERRORS,
    summary="Change an entry; send If-Match (412 on conflict) or `version` (409 on conflict)",
)
def patch_entry(
    change: EntryPatch,
    identity: Caller,
    repo: Repo,
    sealer: Sealer,
    now: Now,
    entry_id: EntryId,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=64)] = None,
) -> Entry:
    if if_match is None and change.version is None:
        raise PreconditionRequired("Send If-Match with the entry's ETag, or its version.")
    expected = version_from_etag(if_match) if if_match is not None else change.version
    assert expected is not None
    stale_error = PreconditionFailed if if_match is not None else Conflict
    current = _live(repo, identity.user_id, entry_id)
    if current["version"] != expected:
        raise stale_error(f"The entry is at version {current['version']}; read it again.")
    opened = sealer.opener(identity.user_id)(current)
    fields = merged(current, opened, change.model_dump(exclude_unset=True, exclude={"version"}))
    at = now()
    written = dt.datetime.fromisoformat(current["written_at"].replace("Z", "+00:00"))
    item, entry = _stored(identity, str(entry_id), fields, sealer, written, at, expected + 1)
    if not repo.replace(item, expected):
        raise stale_error("The entry changed while you were saving; read it again.")
    response.headers["ETag"] = etag(item["version"])
    return with_crisis_lines(entry, identity, at)


@app.delete(
    "/journal/entries/{id}",
    status_code=204,
    responses=ERRORS,
    summary="Delete an entry (sync reports it as a tombstone)",
)
def delete_entry(identity: Caller, repo: Repo, now: Now, entry_id: EntryId) -> Response:
    current = repo.get(identity.user_id, str(entry_id))
    if current is None:
        raise NotFound("No such entry.")
    if current.get("deleted"):
        return Response(status_code=204)
    grave = tombstone(identity.user_id, str(entry_id), current["version"], now())
    if not repo.replace(grave, current["version"]):
        raise Conflict("The entry changed while you were deleting it; try again.")
    return Response(status_code=204)


@app.get(
    "/journal/sync",
    response_model=SyncPage,
    responses=ERRORS,
    summary="Every change since a token, deletions included, for an offline copy",
)
def sync(
    identity: Caller,
    repo: Repo,
    sealer: Sealer,
    now: Now,
    since: Annotated[
        str | None, Query(max_length=2048, description="next_token of the last sync")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SyncPage:
    scope = f"journal-sync|{identity.user_id}"
    secret = cursor_secret()
    token = decode_cursor(since, scope, secret)
    after = str(token["after"]) if token else EARLIEST
    at = now()
    if token_too_old(after, at):
        raise Gone(
            f"Tokens older than {TOMBSTONE_DAYS} days cannot see every deletion: sync fully."
        )
    items, more = repo.changes(identity.user_id, after, limit)
    taken, after, more = settled_changes(items, after, more, at)
    live = [i for i in taken if not i.get("deleted")]
    open_item = sealer.opener(identity.user_id) if live else None
    changes = [
        Change(id=i["entry_id"], deleted=True)
        if i.get("deleted") or open_item is None
        else Change(id=i["entry_id"], deleted=False, entry=to_entry(i, open_item(i)))
        for i in taken
    ]
    next_token = encode_cursor({"after": after}, scope, secret)
    assert next_token is not None
    return SyncPage(changes=changes, next_token=next_token, has_more=more)
