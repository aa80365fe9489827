"""GET /me/access-log: who read the caller's data, newest first (functions/orgs/access_log.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from functions.orgs.access_log import ActorNames, NamedPeople, entries
from functions.orgs.access_log_models import AccessLogEntry, AccessLogPage
from functions.orgs.wiring import Keys, Log
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import InvalidCursor
from shared.http import problem_responses
from shared.orgs.roster import roster
from shared.routing import Caller

router = APIRouter()
ERRORS = problem_responses(400, 401, 422)


def people() -> NamedPeople:
    """The roster the actors' names come from (the container's, cached there)."""
    return roster()


People = Annotated[NamedPeople, Depends(people)]


@router.get(
    "/me/access-log",
    response_model=AccessLogPage,
    responses=ERRORS,
    summary="Who read your data: their name and role, what kind of data, and when",
    description=(
        "Every read of your data by staff of your organisation (a counsellor opening your "
        "case or plans, a peer supporter opening a check-in you shared, an admin opening "
        "your roster entry), newest first. Only your own records; never their details."
    ),
)
def my_access_log(
    identity: Caller,
    log: Log,
    keys: Keys,
    names: People,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AccessLogPage:
    subject = identity.user_id
    scope = f"access-log:{subject}"
    start = decode_cursor(cursor, scope, keys)
    try:
        records, last = log.subject_page(subject, start_key=start, limit=limit)
    except ValueError:  # a signed cursor whose key is not this member's
        raise InvalidCursor("The cursor is malformed.") from None
    shown = entries(subject, records, ActorNames(names))
    return AccessLogPage(
        items=[AccessLogEntry.model_validate(vars(e)) for e in shown],
        next_cursor=encode_cursor(last, scope, keys),
    )
