"""The roster: invitations, people, training records, supervisors (org admins).

Every read of people's details is a staff read of member data: it writes an audit
record before the answer leaves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from functions.orgs.enrolment import ALREADY, ENROLLED, REMOVED, NewPerson
from functions.orgs.imports import username_for
from functions.orgs.logic import COUNSELLOR, SUPPORTER, is_active, person_view, training_valid
from functions.orgs.repository import Exists
from functions.orgs.roster_models import (
    Invitation,
    InvitationIn,
    PeoplePage,
    Person,
    PersonDetail,
    PersonPatch,
    Role,
    SupervisorIn,
    SupporterList,
    SupporterStatus,
    Training,
    TrainingIn,
)
from functions.orgs.wiring import (
    MAX_UNIT_ID,
    Admin,
    Audit,
    Enrol,
    Keys,
    Repo,
    UserPath,
    org_settings,
)
from shared.clock import local_day, utc_iso
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Conflict, InvalidInput, NotFound
from shared.http import problem_responses
from shared.routing import Now

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)


def _person(repo: Repo, org_id: str, user_id: str) -> dict[str, Any]:
    person = repo.person(org_id, user_id)
    if person is None:
        raise NotFound("No such person in this organisation.")
    return person


def _check_unit(repo: Repo, org_id: str, unit_id: str | None) -> None:
    if unit_id is not None and repo.unit(org_id, unit_id) is None:
        raise InvalidInput(
            "The unit does not exist in this organisation.",
            errors=[{"location": ["body", "unit_id"], "message": "Unknown unit"}],
        )


@router.post(
    "/orgs/{org_id}/invitations",
    status_code=201,
    response_model=Invitation,
    responses=ERRORS,
    summary="Invite one person: their account, role and unit",
    description=(
        "Creates the Cognito user in this organisation and its role's group. On AWS "
        "Cognito sends the temporary password by email (or SMS); on the local cloud it "
        "comes back here as `temporary_password`. The first sign-in must set a new one. "
        "409 if the email or phone already has an account."
    ),
)
def invite(
    invitation: InvitationIn,
    actor: Admin,
    repo: Repo,
    enrol: Enrol,
    audit: Audit,
    now: Now,
    response: Response,
) -> Invitation:
    org_id = actor.org_id
    if invitation.email is None and invitation.phone is None:
        raise InvalidInput("Give an email or a phone number to send the invitation to.")
    org = org_settings(repo, org_id)
    _check_unit(repo, org_id, invitation.unit_id)
    email = invitation.email.strip().lower() if invitation.email else None
    person = NewPerson(
        display_name=invitation.display_name,
        email=email,
        phone=invitation.phone,
        role=invitation.role,
        unit_id=invitation.unit_id,
        username=username_for(email, invitation.phone),
    )
    (outcome,) = enrol.enrol(org_id, [person], org, utc_iso(now()))
    if outcome.result == ALREADY:
        raise Conflict("This person is already on the roster.")
    if outcome.reason == REMOVED:
        raise Conflict("This person was removed from the organisation; removal is not undone.")
    if outcome.result != ENROLLED or outcome.user_id is None:
        raise Conflict("This email or phone cannot be invited.")
    audit(actor, "roster.invite", "person", outcome.user_id, {"role": invitation.role})
    stored = _person(repo, org_id, outcome.user_id)
    response.headers["Location"] = f"orgs/{org_id}/people/{outcome.user_id}"
    return Invitation(
        person=Person(**person_view(stored)), temporary_password=outcome.temporary_password
    )


@router.get(
    "/orgs/{org_id}/people",
    response_model=PeoplePage,
    responses=ERRORS,
    summary="The roster, a page at a time, by unit and/or role",
)
def people(
    actor: Admin,
    repo: Repo,
    audit: Audit,
    keys: Keys,
    # A pattern here (one route): the unit id becomes part of an index key.
    unit: Annotated[str | None, Query(max_length=MAX_UNIT_ID, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PeoplePage:
    org_id = actor.org_id
    scope = f"people:{org_id}:{actor.user_id}:{unit or ''}:{role or ''}"
    start = decode_cursor(cursor, scope, keys)
    items, last = repo.people_page(org_id, unit_id=unit, role=role, limit=limit, start_key=start)
    audit(actor, "people.list", "people", unit or org_id, {"count": len(items)})
    return PeoplePage(
        items=[Person(**person_view(i)) for i in items],
        next_cursor=encode_cursor(last, scope, keys),
    )


@router.get(
    "/orgs/{org_id}/people/{user_id}",
    response_model=PersonDetail,
    responses=ERRORS,
    summary="One person of the roster with their training records",
)
def person(user_id: UserPath, actor: Admin, repo: Repo, audit: Audit) -> PersonDetail:
    org_id = actor.org_id
    stored = _person(repo, org_id, user_id)
    trainings = repo.trainings(org_id, user_id)
    audit(actor, "people.read", "person", user_id, subject_id=user_id)
    return PersonDetail(
        person=Person(**person_view(stored)),
        trainings=[Training.model_validate(t) for t in trainings],
    )


@router.patch(
    "/orgs/{org_id}/people/{user_id}",
    response_model=Person,
    responses=ERRORS,
    summary="Move a person to another unit and/or change their role",
    description=(
        "Staff checks use the roster: a removed role stops working within a minute on "
        "every call, whatever the person's token still says."
    ),
)
def patch_person(
    user_id: UserPath,
    change: PersonPatch,
    actor: Admin,
    repo: Repo,
    enrol: Enrol,
    audit: Audit,
    now: Now,
) -> Person:
    org_id = actor.org_id
    if change.clear_unit and change.unit_id is not None:
        raise InvalidInput("Give either unit_id or clear_unit, not both.")
    current = _person(repo, org_id, user_id)
    if not is_active(current):
        raise Conflict("This person was removed from the organisation.")
    if user_id == actor.user_id and change.role not in (None, actor.role):
        raise Conflict("Admins cannot change their own role; ask another admin.")
    _check_unit(repo, org_id, change.unit_id)
    sets: dict[str, object] = {"updated_at": utc_iso(now())}
    removes: list[str] = []
    if change.role is not None:
        sets["role"] = change.role
        if change.role != SUPPORTER and current.get("units_supported"):
            raise Conflict("Unassign this supporter from their units before changing the role.")
    if change.unit_id is not None:
        sets["unit_id"] = change.unit_id
    if change.clear_unit:
        removes.append("unit_id")
    try:
        stored = repo.update_person(org_id, user_id, sets, removes)
    except Exists as changed:
        raise Conflict("The person changed meanwhile; look again.") from changed
    if change.role is not None:
        # The account ends in the new role's group only, whatever a failed earlier try left.
        enrol.only_group(str(current["username"]), change.role)
    detail: dict[str, str | int] = {}
    if change.role is not None:
        detail = {"from": str(current["role"]), "to": change.role}
    audit(actor, "roster.update", "person", user_id, detail or None)
    return Person(**person_view(stored))


@router.delete(
    "/orgs/{org_id}/people/{user_id}",
    status_code=204,
    responses=ERRORS,
    summary="Off-board a person: their account is disabled, their roles end",
    description=(
        "Staff rights end within a minute; the person cannot sign in again. Their data "
        "follows the retention policy. A supporter must be unassigned from units first."
    ),
)
def remove_person(
    user_id: UserPath,
    actor: Admin,
    repo: Repo,
    enrol: Enrol,
    audit: Audit,
    now: Now,
) -> Response:
    org_id = actor.org_id
    current = _person(repo, org_id, user_id)
    if user_id == actor.user_id:
        raise Conflict("Admins cannot remove themselves; ask another admin.")
    if current.get("units_supported"):
        raise Conflict("Unassign this supporter from their units first.")
    # Cognito first, then the record, then the roster: a retry after any failure does
    # every step again (each is safe to repeat), so no account stays enabled, unaudited.
    enrol.disable(str(current["username"]))
    if is_active(current):
        audit(actor, "roster.remove", "person", user_id)
        try:
            repo.update_person(org_id, user_id, {"status": "removed", "updated_at": utc_iso(now())})
        except Exists as changed:
            raise Conflict("The person changed meanwhile; look again.") from changed
    return Response(status_code=204)


@router.post(
    "/orgs/{org_id}/people/{user_id}/training",
    status_code=201,
    response_model=Training,
    responses=ERRORS,
    summary="Record a completed training (peer supporters)",
)
def add_training(
    user_id: UserPath,
    training: TrainingIn,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
) -> Training:
    org_id = actor.org_id
    if training.valid_until <= training.completed_on:
        raise InvalidInput("valid_until must be after completed_on.")
    if training.completed_on > now().date() + dt.timedelta(days=1):
        raise InvalidInput("completed_on cannot be in the future.")
    current = _person(repo, org_id, user_id)
    if not is_active(current):
        raise Conflict("This person was removed from the organisation.")
    stamp = utc_iso(now())
    record = {
        "training_id": uuid.uuid4().hex[:12],
        "user_id": user_id,
        "course": training.course,
        "completed_on": training.completed_on.isoformat(),
        "valid_until": training.valid_until.isoformat(),
        "trainer": training.trainer,
        "recorded_at": stamp,
    }
    try:
        repo.add_training(org_id, user_id, record, current, stamp)
    except Exists as changed:
        raise Conflict("The person changed meanwhile; try again.") from changed
    audit(actor, "training.add", "person", user_id, {"valid_until": record["valid_until"]})
    return Training.model_validate(record)


@router.put(
    "/orgs/{org_id}/people/{user_id}/supervisor",
    response_model=Person,
    responses=ERRORS,
    summary="Set the counsellor who supervises a peer supporter",
)
def set_supervisor(
    user_id: UserPath,
    body: SupervisorIn,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
) -> Person:
    org_id = actor.org_id
    current = _person(repo, org_id, user_id)
    if not is_active(current):
        raise Conflict("This person was removed from the organisation.")
    if current.get("role") != SUPPORTER:
        raise Conflict("Only peer supporters have a supervisor.")
    supervisor = repo.person(org_id, body.supervisor_id)
    if not is_active(supervisor) or (supervisor or {}).get("role") != COUNSELLOR:
        raise Conflict("The supervisor must be an active counsellor of this organisation.")
    try:
        stored = repo.update_person(
            org_id, user_id, {"supervisor_id": body.supervisor_id, "updated_at": utc_iso(now())}
        )
    except Exists as changed:
        raise Conflict("The person changed meanwhile; try again.") from changed
    audit(actor, "training.supervisor", "person", user_id, {"supervisor": body.supervisor_id})
    return Person(**person_view(stored))


@router.get(
    "/orgs/{org_id}/supporters",
    response_model=SupporterList,
    responses=ERRORS,
    summary="Peer supporters whose training lapses within `expiring_within` days (or has)",
    description=(
        "A supporter whose training lapsed stays visible to their members but receives "
        "nothing new until it is renewed."
    ),
)
def expiring_supporters(
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
    expiring_within: Annotated[int, Query(ge=0, le=3650)] = 30,
) -> SupporterList:
    org_id = actor.org_id
    org = org_settings(repo, org_id)
    today = local_day(now(), str(org.get("time_zone") or "UTC"))
    index = repo.expiring(org_id, today + dt.timedelta(days=expiring_within))
    found = repo.people(org_id, [i["user_id"] for i in index])
    items = [
        SupporterStatus(
            user_id=p["user_id"],
            display_name=p["display_name"],
            training_valid_until=p.get("training_valid_until"),
            lapsed=not training_valid(p, today),
            supervisor_id=p.get("supervisor_id"),
            units_supported=sorted(p.get("units_supported") or ()),
        )
        for p in (found.get(i["user_id"]) for i in index)
        if is_active(p) and p is not None and p.get("role") == SUPPORTER
    ]
    audit(actor, "people.list", "supporters", org_id, {"count": len(items)})
    return SupporterList(items=items)
