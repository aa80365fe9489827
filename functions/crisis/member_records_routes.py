"""HTTP routes of a member's records: their safety plan, the counsellor's care plan, and
guardian contacts (included by functions/crisis/routes.py).

- `GET/PUT /me/safety-plan`: the member's own Stanley–Brown safety plan, for anyone whose
  token holds the member role (in an organisation or none); anyone else gets 403. The
  app keeps the plan offline: reads answer its ETag and honour If-None-Match (304); a
  write must name the version it changes (functions/crisis/member_records_logic.py).
  No plan yet is a 404 (rather than an empty plan), so the app can tell "never written"
  from "emptied".
- `/members/{id}/...`: the counsellors (and duty admins) of the member's organisation,
  checked against the roster; anyone else, and any member of no organisation, is told
  the member does not exist (404). Every read and write writes an audit record.

Every text is sealed by the crisis vault under the member's key; the stored items hold
only versions, times, who wrote, the review date and counts in plain.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from functions.crisis.deps import CrisisApiSettings, CrisisVault, Log, audit
from functions.crisis.logic import CASE_ROLES
from functions.crisis.member_records import (
    MemberRecords,
    care_plan_sk,
    guardians_item_id,
    safety_plan_item_id,
)
from functions.crisis.member_records_logic import (
    check_guardians,
    etag,
    expected_version,
    next_version,
    not_modified,
)
from functions.crisis.member_records_models import (
    CarePlan,
    CarePlanIn,
    CarePlanVersion,
    CarePlanVersions,
    Guardians,
    GuardiansIn,
    MemberSafetyPlan,
    MySafetyPlan,
    SafetyPlan,
    SafetyPlanIn,
)
from functions.crisis.memberships import Memberships
from shared import aws
from shared.clock import utc_iso
from shared.errors import Forbidden, NotFound, PreconditionFailed
from shared.http import problem_responses
from shared.identity import Identity
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry
from shared.routing import Caller, Now
from shared.settings import settings
from shared.vault import Vault

router = APIRouter()

READ_ERRORS = problem_responses(400, 401, 403, 404, 422)
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 412, 413, 415, 422, 428)
MY_WRITE_ERRORS = problem_responses(400, 401, 403, 412, 413, 415, 422, 428)
GUARDIAN_WRITE_ERRORS = problem_responses(400, 401, 403, 404, 412, 413, 415, 422)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified"}}
ETAG_HEADER = {"ETag": {"description": 'The version, quoted: "3"', "schema": {"type": "string"}}}
CARE_FIELDS = ("goals", "supports", "people_involved")
NO_MEMBER = "No such member."


# --- wiring (tests replace these with app.dependency_overrides) ----------------------------


@cache
def member_records() -> MemberRecords:
    return MemberRecords(aws.client("dynamodb"), settings(CrisisApiSettings).cases_table)


@cache
def member_orgs() -> Memberships:
    return Memberships(aws.client("dynamodb"), settings(CrisisApiSettings).orgs_table)


Records = Annotated[MemberRecords, Depends(member_records)]
Orgs = Annotated[Memberships, Depends(member_orgs)]
MemberId = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$", description="A user id"),
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=256)]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=256)]


def member_caller(identity: Caller) -> Identity:
    if "member" not in identity.roles:
        raise Forbidden("Only members keep a safety plan.")
    return identity


TheMember = Annotated[Identity, Depends(member_caller)]


def member_staff(identity: Identity, orgs: Memberships, user_id: str) -> RosterEntry:
    """The caller's roster entry if they handle cases in the member's organisation; 404 for
    anyone else, as for a member who does not exist."""
    if not identity.org_id or not identity.roles & set(CASE_ROLES):
        raise NotFound(NO_MEMBER)  # no read of the member's organisation for the plainly out
    org_id = orgs.org_of(user_id)
    if org_id is None:
        raise NotFound(NO_MEMBER)
    try:
        return require_role(identity, org_id, CASE_ROLES)
    except (Forbidden, NotFound):
        raise NotFound(NO_MEMBER) from None


def _opened(
    vault: Vault, user_id: str, item_id: str, item: dict[str, Any], names: tuple[str, ...]
) -> dict[str, Any] | None:
    """The sealed fields in plain form; None if the member's crisis key is gone (erased)."""
    key = vault.key_for_reading(user_id)
    if key is None:
        return None
    return vault.open_fields(key, user_id, item_id, item, names)


def _with_etag(response: Response, version: int, created: bool = False) -> None:
    response.headers["ETag"] = etag(version)
    if created:
        response.status_code = status.HTTP_201_CREATED


# --- the member's safety plan --------------------------------------------------------------


def _safety_plan(vault: Vault, user_id: str, item: dict[str, Any] | None) -> SafetyPlan | None:
    if item is None:
        return None
    version = int(item["version"])
    opened = _opened(vault, user_id, safety_plan_item_id(version), item, ("plan",))
    if opened is None or opened["plan"] is None:
        return None
    return SafetyPlan.model_validate(
        opened["plan"] | {"version": version, "updated_at": item["updated_at"]}
    )


@router.get(
    "/me/safety-plan",
    response_model=MySafetyPlan,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **READ_ERRORS,
    },
    summary="My safety plan, with the crisis lines (404 until I write one)",
    description=(
        'Answers `ETag: "<version>"`; send it back as If-None-Match to get 304 when the '
        "plan has not changed. The crisis lines are added at every read and are not part "
        "of the ETag."
    ),
)
def read_my_safety_plan(
    identity: TheMember,
    records: Records,
    vault: CrisisVault,
    now: Now,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> MySafetyPlan | Response:
    from shared.resources.for_member import crisis_lines

    item = records.safety_plan(identity.user_id)
    plan = _safety_plan(vault, identity.user_id, item)
    if plan is None:
        raise NotFound("No safety plan yet: PUT /me/safety-plan writes one.")
    if not_modified(if_none_match, plan.version):
        return Response(
            status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag(plan.version)}
        )
    _with_etag(response, plan.version)
    return MySafetyPlan(**plan.model_dump(), crisis_lines=crisis_lines(identity, now()))


@router.put(
    "/me/safety-plan",
    response_model=MySafetyPlan,
    responses={
        200: {"description": "Replaced", "headers": ETAG_HEADER},
        201: {"description": "Created", "headers": ETAG_HEADER, "model": MySafetyPlan},
        **MY_WRITE_ERRORS,
    },
    summary="Write my safety plan (If-Match with its ETag to change it)",
    description=(
        "The whole plan, replaced. Creating: no If-Match (or `If-None-Match: *`), 201. "
        "Changing: `If-Match` with the ETag read, 200; another ETag is 412, none is 428."
    ),
)
def write_my_safety_plan(
    payload: SafetyPlanIn,
    identity: TheMember,
    records: Records,
    vault: CrisisVault,
    now: Now,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> MySafetyPlan:
    from shared.resources.for_member import crisis_lines

    user_id = identity.user_id
    current = records.safety_plan(user_id)
    current_version = int(current["version"]) if current is not None else None
    expected = expected_version(current_version, if_match, if_none_match, "safety plan")
    version, at = next_version(expected), now()
    document = payload.model_dump(mode="json")
    key = vault.key_for_writing(user_id)
    sealed = vault.seal_fields(key, user_id, safety_plan_item_id(version), {"plan": document})
    stamp = utc_iso(at)
    if not records.put_safety_plan(user_id, version, sealed["plan_ct"], stamp, expected):
        raise PreconditionFailed("The safety plan changed while you were saving: read it again.")
    _with_etag(response, version, created=expected is None)
    return MySafetyPlan(
        **document, version=version, updated_at=stamp, crisis_lines=crisis_lines(identity, at)
    )


@router.get(
    "/members/{member_id}/safety-plan",
    response_model=MemberSafetyPlan,
    responses={200: {"headers": ETAG_HEADER}, **READ_ERRORS},
    summary="A member's safety plan, for their counsellor (audited)",
)
def read_member_safety_plan(
    member_id: MemberId,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    vault: CrisisVault,
    log: Log,
    response: Response,
) -> MemberSafetyPlan:
    staff = member_staff(identity, orgs, member_id)
    plan = _safety_plan(vault, member_id, records.safety_plan(member_id))
    version = plan.version if plan is not None else 0
    audit(
        log,
        staff,
        "safety_plan.read",
        member_id,
        {"version": version},
        target_type="member",
        subject_id=member_id,
    )
    if plan is None:
        raise NotFound("This member has no safety plan yet.")
    _with_etag(response, plan.version)
    return MemberSafetyPlan(**plan.model_dump(), user_id=member_id)


# --- the care plan -----------------------------------------------------------------------------


def _care_plan(vault: Vault, user_id: str, item: dict[str, Any]) -> CarePlan:
    version = int(item["version"])
    opened = _opened(vault, user_id, care_plan_sk(version), item, CARE_FIELDS) or {}
    return CarePlan(
        user_id=user_id,
        version=version,
        updated_by=str(item["updated_by"]),
        updated_at=str(item["updated_at"]),
        review_on=dt.date.fromisoformat(str(item["review_on"])),
        **{name: opened.get(name) or [] for name in CARE_FIELDS},
    )


@router.get(
    "/members/{member_id}/plan",
    response_model=CarePlan,
    responses={200: {"headers": ETAG_HEADER}, **READ_ERRORS},
    summary="A member's care plan, its current version (audited)",
)
def read_care_plan(
    member_id: MemberId,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    vault: CrisisVault,
    log: Log,
    response: Response,
) -> CarePlan:
    staff = member_staff(identity, orgs, member_id)
    head = records.care_plan_head(member_id)
    item = records.care_plan_version(member_id, int(head["version"])) if head else None
    version = int(item["version"]) if item is not None else 0
    audit(
        log,
        staff,
        "care_plan.read",
        member_id,
        {"version": version},
        target_type="member",
        subject_id=member_id,
    )
    if item is None:
        raise NotFound("This member has no care plan yet.")
    _with_etag(response, version)
    return _care_plan(vault, member_id, item)


@router.put(
    "/members/{member_id}/plan",
    response_model=CarePlan,
    responses={
        200: {"description": "A new version", "headers": ETAG_HEADER},
        201: {"description": "The first version", "headers": ETAG_HEADER, "model": CarePlan},
        **WRITE_ERRORS,
    },
    summary="Write a new version of a member's care plan (If-Match with its ETag)",
    description=(
        "Every write is a new version; older ones stay (GET .../plan/versions). The first: "
        "no If-Match (or `If-None-Match: *`), 201. Later ones: `If-Match` with the current "
        "ETag, 200; a stale ETag is 412, none is 428."
    ),
)
def write_care_plan(
    member_id: MemberId,
    payload: CarePlanIn,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    vault: CrisisVault,
    log: Log,
    now: Now,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> CarePlan:
    staff = member_staff(identity, orgs, member_id)
    head = records.care_plan_head(member_id)
    current = int(head["version"]) if head is not None else None
    expected = expected_version(current, if_match, if_none_match, "care plan")
    version = next_version(expected)
    document = payload.model_dump(mode="json")
    key = vault.key_for_writing(member_id)
    sealed = vault.seal_fields(
        key, member_id, care_plan_sk(version), {name: document[name] for name in CARE_FIELDS}
    )
    stamp = utc_iso(now())
    item = {
        "version": version,
        "updated_by": staff.user_id,
        "updated_at": stamp,
        "org_id": staff.org_id,
        "review_on": document["review_on"],
        **sealed,
    }
    if not records.put_care_plan(member_id, item, expected):
        raise PreconditionFailed("The care plan changed while you were saving: read it again.")
    audit(log, staff, "care_plan.written", member_id, {"version": version}, target_type="member")
    _with_etag(response, version, created=expected is None)
    return CarePlan(
        **document, user_id=member_id, version=version, updated_by=staff.user_id, updated_at=stamp
    )


@router.get(
    "/members/{member_id}/plan/versions",
    response_model=CarePlanVersions,
    responses=READ_ERRORS,
    summary="The versions of a member's care plan, newest first (metadata only; audited)",
)
def list_care_plan_versions(
    member_id: MemberId,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    log: Log,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[int | None, Query(ge=1, description="Versions older than this")] = None,
) -> CarePlanVersions:
    staff = member_staff(identity, orgs, member_id)
    items, next_before = records.care_plan_versions(member_id, limit, before)
    audit(
        log,
        staff,
        "care_plan.versions_read",
        member_id,
        {"count": len(items)},
        target_type="member",
        subject_id=member_id,
    )
    return CarePlanVersions(
        items=[CarePlanVersion.model_validate(i) for i in items], next_before=next_before
    )


# --- guardians ---------------------------------------------------------------------------------


def _guardians(vault: Vault, user_id: str, item: dict[str, Any]) -> Guardians:
    version = int(item["version"])
    opened = _opened(vault, user_id, guardians_item_id(version), item, ("guardians",)) or {}
    return Guardians(
        user_id=user_id,
        member_under_14=bool(item.get("member_under_14")),
        guardians=opened.get("guardians") or [],
        version=version,
        updated_by=str(item["updated_by"]),
        updated_at=str(item["updated_at"]),
    )


@router.get(
    "/members/{member_id}/guardians",
    response_model=Guardians,
    responses={200: {"headers": ETAG_HEADER}, **READ_ERRORS},
    summary="A member's guardian contacts and their consent (audited)",
)
def read_guardians(
    member_id: MemberId,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    vault: CrisisVault,
    log: Log,
    response: Response,
) -> Guardians:
    staff = member_staff(identity, orgs, member_id)
    item = records.guardians(member_id)
    detail: dict[str, str | int] = {"version": 0}
    if item is not None:
        detail = {"version": int(item["version"]), "guardians": int(item["guardian_count"])}
    audit(
        log, staff, "guardians.read", member_id, detail, target_type="member", subject_id=member_id
    )
    if item is None:
        raise NotFound("No guardian contacts are recorded for this member.")
    _with_etag(response, int(item["version"]))
    return _guardians(vault, member_id, item)


@router.put(
    "/members/{member_id}/guardians",
    response_model=Guardians,
    responses={
        200: {"description": "Replaced", "headers": ETAG_HEADER},
        201: {"description": "The first record", "headers": ETAG_HEADER, "model": Guardians},
        **GUARDIAN_WRITE_ERRORS,
    },
    summary="Record a member's guardian contacts, with consent per field (PIPL)",
    description=(
        "The whole list, replaced. A phone or e-mail is kept only with consent to it: one "
        "sent without consent is a 422, never dropped silently. For a member under 14 "
        '(`member_under_14`) every guardian\'s `consent_by` must be "guardian" (else 422). '
        "If-Match is optional here: when sent, a stale ETag is 412."
    ),
)
def write_guardians(
    member_id: MemberId,
    payload: GuardiansIn,
    identity: Caller,
    orgs: Orgs,
    records: Records,
    vault: CrisisVault,
    log: Log,
    now: Now,
    response: Response,
    if_match: IfMatch = None,
    if_none_match: IfNoneMatch = None,
) -> Guardians:
    staff = member_staff(identity, orgs, member_id)
    current = records.guardians(member_id)
    under_14 = payload.member_under_14
    if under_14 is None:  # left out: as recorded before, so it cannot be dropped by omission
        under_14 = bool(current.get("member_under_14")) if current is not None else False
    at = now()
    check_guardians(payload.guardians, under_14, at)
    current_version = int(current["version"]) if current is not None else None
    expected = expected_version(
        current_version, if_match, if_none_match, "guardian record", required=False
    )
    version = next_version(expected)
    guardians = [
        g.model_dump(mode="json") | {"consent_recorded_at": utc_iso(g.consent_recorded_at)}
        for g in payload.guardians
    ]
    key = vault.key_for_writing(member_id)
    sealed = vault.seal_fields(key, member_id, guardians_item_id(version), {"guardians": guardians})
    stamp = utc_iso(at)
    item = {
        "version": version,
        "updated_by": staff.user_id,
        "updated_at": stamp,
        "org_id": staff.org_id,
        "member_under_14": under_14,
        "guardian_count": len(guardians),
        **sealed,
    }
    if not records.put_guardians(member_id, item, expected):
        raise PreconditionFailed(
            "The guardian record changed while you were saving: read it again."
        )
    audit(
        log,
        staff,
        "guardians.written",
        member_id,
        {"version": version, "guardians": len(guardians), "under_14": int(under_14)},
        target_type="member",
    )
    _with_etag(response, version, created=expected is None)
    return Guardians(
        user_id=member_id,
        member_under_14=under_14,
        guardians=payload.guardians,
        version=version,
        updated_by=staff.user_id,
        updated_at=stamp,
    )
