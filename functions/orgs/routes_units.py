"""The organisation's units as a tree, and each unit's peer supporters (org admins)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response

from functions.orgs.logic import supporter_refusals, unit_view
from functions.orgs.models import SupportersIn, Unit, UnitIn, UnitPatch, UnitTree
from functions.orgs.repository import Exists
from functions.orgs.tree import build_tree, sibling_name_taken, would_create_cycle
from functions.orgs.wiring import Admin, Audit, Repo, StaffReader, UnitPath
from shared.clock import local_day, utc_iso
from shared.errors import Conflict, InvalidInput, NotFound
from shared.http import problem_responses
from shared.orgs.roster import roster
from shared.routing import Now

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)


def _name_taken() -> Conflict:
    return Conflict("A unit with this name already exists under the same parent.")


@router.post(
    "/orgs/{org_id}/units",
    status_code=201,
    response_model=Unit,
    responses=ERRORS,
    summary="Add a unit (school, grade, class, company, department, team)",
)
def create_unit(
    unit: UnitIn,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
    response: Response,
) -> Unit:
    org_id = actor.org_id
    units = repo.units(org_id)
    if unit.parent_id is not None and not any(u["unit_id"] == unit.parent_id for u in units):
        raise InvalidInput("The parent unit does not exist in this organisation.")
    if sibling_name_taken(units, unit.parent_id, unit.name):
        raise _name_taken()
    stamp = utc_iso(now())
    unit_id = uuid.uuid4().hex[:12]
    item = {
        "unit_id": unit_id,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "created_at": stamp,
        "updated_at": stamp,
    }
    repo.create_unit(org_id, item)
    audit(actor, "unit.create", "unit", unit_id)
    response.headers["Location"] = f"orgs/{org_id}/units/{unit_id}"
    return Unit(**unit_view(item))


@router.get(
    "/orgs/{org_id}/units",
    response_model=UnitTree,
    responses=ERRORS,
    summary="The organisation's units as a tree (org admins and counsellors)",
)
def unit_tree(caller: StaffReader, repo: Repo) -> UnitTree:
    org_id = caller.org_id
    units = [unit_view(u) for u in repo.units(org_id)]
    supporters = {u["unit_id"]: u["supporters"] for u in units}

    def with_supporters(node: Mapping[str, Any]) -> Unit:
        return Unit(
            unit_id=node["unit_id"],
            name=node["name"],
            kind=node["kind"],
            parent_id=node["parent_id"],
            supporters=supporters.get(node["unit_id"], []),
            children=[with_supporters(c) for c in node["children"]],
        )

    return UnitTree(units=[with_supporters(t) for t in build_tree(units)])


@router.patch(
    "/orgs/{org_id}/units/{unit_id}",
    response_model=Unit,
    responses=ERRORS,
    summary="Rename a unit or move it (never under itself or its own descendants)",
)
def patch_unit(
    unit_id: UnitPath,
    change: UnitPatch,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
) -> Unit:
    org_id = actor.org_id
    if change.move_to_top and change.parent_id is not None:
        raise InvalidInput("Give either parent_id or move_to_top, not both.")
    units = repo.units(org_id)
    current = next((u for u in units if u["unit_id"] == unit_id), None)
    if current is None:
        raise NotFound("No such unit.")
    parent = current.get("parent_id")
    if change.move_to_top:
        parent = None
    elif change.parent_id is not None:
        if not any(u["unit_id"] == change.parent_id for u in units):
            raise InvalidInput("The parent unit does not exist in this organisation.")
        if would_create_cycle(units, unit_id, change.parent_id):
            raise Conflict("A unit cannot move under itself or one of its own units.")
        parent = change.parent_id
    name = change.name if change.name is not None else current["name"]
    if sibling_name_taken(units, parent, name, except_id=unit_id):
        raise _name_taken()
    sets = {"name": name, "updated_at": utc_iso(now())}
    removes: list[str] = []
    if parent is None:
        removes.append("parent_id")
    else:
        sets["parent_id"] = parent
    try:
        stored = repo.update_unit(org_id, unit_id, sets, removes)
    except Exists as gone:
        raise NotFound("No such unit.") from gone
    audit(actor, "unit.update", "unit", unit_id)
    return Unit(**unit_view(stored))


@router.delete(
    "/orgs/{org_id}/units/{unit_id}",
    status_code=204,
    responses=ERRORS,
    summary="Delete an empty unit (no units, people or supporters inside: 409 otherwise)",
)
def delete_unit(unit_id: UnitPath, actor: Admin, repo: Repo, audit: Audit) -> Response:
    org_id = actor.org_id
    units = repo.units(org_id)
    current = next((u for u in units if u["unit_id"] == unit_id), None)
    if current is None:
        raise NotFound("No such unit.")
    if any(u.get("parent_id") == unit_id for u in units):
        raise Conflict("The unit has units inside; move or delete them first.")
    if current.get("supporters"):
        raise Conflict("The unit has peer supporters assigned; unassign them first.")
    if repo.unit_has_people(org_id, unit_id):
        raise Conflict("The unit has people in it; move them first.")
    try:
        repo.delete_unit(org_id, unit_id)
    except Exists as changed:
        raise Conflict("The unit changed meanwhile; look again.") from changed
    audit(actor, "unit.delete", "unit", unit_id)
    return Response(status_code=204)


@router.put(
    "/orgs/{org_id}/units/{unit_id}/supporters",
    response_model=Unit,
    responses=ERRORS,
    summary="Set a unit's peer supporters (each trained, in date, and supervised)",
    description=(
        "Replaces the list. Every supporter must be an active peer supporter of the "
        "organisation with a training valid today and a supervising counsellor: 409 names "
        "each one that is not."
    ),
)
def put_supporters(
    unit_id: UnitPath,
    body: SupportersIn,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
) -> Unit:
    org_id = actor.org_id
    wanted = list(dict.fromkeys(body.supporters))
    unit = repo.unit(org_id, unit_id)
    if unit is None:
        raise NotFound("No such unit.")
    org = repo.settings(org_id) or {}
    today = local_day(now(), str(org.get("time_zone") or "UTC"))
    people = repo.people(org_id, wanted)
    supervisors = repo.people(
        org_id, {str(p["supervisor_id"]) for p in people.values() if p.get("supervisor_id")}
    )
    refusals = supporter_refusals(wanted, people, supervisors, today)
    if refusals:
        raise Conflict(
            "Some people cannot support this unit: " + "; ".join(refusals),
            errors=[{"location": ["body", "supporters"], "message": r} for r in refusals],
        )
    old = list(unit.get("supporters") or ())
    stamp = utc_iso(now())
    try:
        repo.set_supporters(org_id, unit_id, wanted, old, stamp)
    except Exists as changed:
        raise Conflict("The unit or a supporter changed meanwhile; try again.") from changed
    audit(actor, "unit.supporters", "unit", unit_id, {"count": len(wanted)})
    people_cache = roster()
    for user_id in {*wanted, *old}:
        people_cache.forget(org_id, user_id)  # their units, at once in this container
    return Unit(**unit_view({**unit, "supporters": wanted}))
