"""POST /peer/concerns: a peer supporter raises a concern about a member they support.

An APIRouter for the peer function's app (`app.include_router(concerns_routes.router)`).
The concern is stored as a crisis signal on its own item (functions/peer/concerns.py); the
supporter is answered 202 with an acknowledgement only, never a case id or a severity.
The write is audited ("concern.raised", the member as target; not a read, so it names no
subject for the access log).

Only a peer supporter on the roster may raise one, and that is checked before the body
is read (a dependency): anyone else gets 403, not a 422 describing the body.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.peer.concerns import (
    ACKNOWLEDGEMENT,
    MAX_NOTE_CHARS,
    SUPPORTER,
    ConcernsRepository,
    People,
    assigned_member,
    new_concern,
)
from functions.peer.keys import PURPOSE, PeerKeys
from shared import aws
from shared.audit import AuditLog
from shared.errors import NotFound
from shared.http import problem_responses
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry, roster
from shared.routing import Caller, Now
from shared.settings import RosterSettings, settings

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
MAX_USER_ID = 128
# Control characters (but line breaks and tabs) and bidirectional overrides.
_NOT_IN_NOTES = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ConcernSettings(RosterSettings):
    peer_table: str
    audit_table: str


def _no_controls(text: str) -> str:
    if _NOT_IN_NOTES.search(text):
        raise ValueError("must not contain control or bidirectional formatting characters")
    return text


Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NOTE_CHARS),
    AfterValidator(_no_controls),
]


class ConcernIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_USER_ID)]
    note: Note = Field(description="What worried you, in a few words (sealed; at most 500)")
    urgent: bool = Field(default=False, description="They may need help today")


class ConcernAck(BaseModel):
    acknowledged: Literal[True] = True
    message: str


@cache
def concerns() -> ConcernsRepository:  # pragma: no cover - production wiring
    from shared.crisis.signal_seal import signal_sealer
    from shared.vault import vault_for

    table = settings(ConcernSettings).peer_table
    vault = vault_for(PURPOSE, PeerKeys(aws.client("dynamodb"), table))
    return ConcernsRepository(aws.client("dynamodb"), table, vault, signal_sealer())


@cache
def audit_log() -> AuditLog:  # pragma: no cover - production wiring
    return AuditLog(aws.client("dynamodb"), settings(ConcernSettings).audit_table)


def people() -> People:
    return roster()


def concern_supporter(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an active peer supporter (before the body)."""
    if not identity.org_id:
        raise NotFound("No such member.")
    return require_role(identity, identity.org_id, (SUPPORTER,))


Repo = Annotated[ConcernsRepository, Depends(concerns)]
Log = Annotated[AuditLog, Depends(audit_log)]
Roster = Annotated[People, Depends(people)]
Supporter = Annotated[RosterEntry, Depends(concern_supporter)]


@router.post(
    "/peer/concerns",
    status_code=202,
    response_model=ConcernAck,
    responses=ERRORS,
    summary="Tell a counsellor you are worried about a member you support",
    description=(
        "For peer supporters, about a member of a unit they support (anyone else: 404). "
        "The note is sealed. The answer is an acknowledgement only: counsellors take it "
        "from here, and you will not be told whether or how they act."
    ),
)
def raise_concern(
    supporter: Supporter, body: ConcernIn, repo: Repo, log: Log, names: Roster, now: Now
) -> ConcernAck:
    member = assigned_member(supporter, names, body.member_id)
    concern = new_concern(supporter, member, body.note, body.urgent, now())
    repo.add(concern)
    log.append(
        supporter.org_id,
        actor_id=supporter.user_id,
        actor_role=supporter.role,
        action="concern.raised",
        target_type="member",
        target_id=member.user_id,
        detail={"urgent": int(concern.urgent)},
    )
    return ConcernAck(message=ACKNOWLEDGEMENT)
