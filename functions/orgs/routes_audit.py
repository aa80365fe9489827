"""The organisation's audit log, newest first (org admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from functions.orgs.models import AuditPage, AuditRecord
from functions.orgs.wiring import MAX_USER_ID, Admin, Keys, Log
from shared.clock import utc_iso
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import InvalidCursor, InvalidInput
from shared.http import problem_responses

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 422)
FIELDS = tuple(AuditRecord.model_fields)


@router.get(
    "/orgs/{org_id}/audit",
    response_model=AuditPage,
    responses=ERRORS,
    summary="Who did or read what: the organisation's audit records, newest first",
    description=(
        "`from` (inclusive) and `to` (exclusive) are instants with an offset; `actor` is a "
        "user id. Records are hash-chained: `make audit-verify ORG=<id>` checks the chain."
    ),
)
def audit_records(
    viewer: Admin,
    log: Log,
    keys: Keys,
    since: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    actor: Annotated[str | None, Query(max_length=MAX_USER_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    org_id = viewer.org_id
    if since is not None and until is not None and since >= until:
        raise InvalidInput("`from` must be before `to`.")
    lower = utc_iso(since) if since else None
    upper = utc_iso(until) if until else None
    scope = f"audit:{org_id}:{viewer.user_id}:{lower}:{upper}:{actor}"
    start = decode_cursor(cursor, scope, keys)
    after = start.get("after") if start else None
    if start is not None and not isinstance(after, int):
        raise InvalidCursor("The cursor is malformed.")
    records, next_after = log.page(
        org_id,
        since=lower,
        until=upper,
        actor=actor,
        after_seq=after,
        limit=limit,
    )
    return AuditPage(
        items=[AuditRecord(**{k: r.get(k) for k in FIELDS}) for r in records],
        next_cursor=encode_cursor({"after": next_after} if next_after else None, scope, keys),
    )
