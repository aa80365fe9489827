"""Organisation settings, and the caller's own place in their organisation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from functions.orgs.fields import OnDutyPerson
from functions.orgs.logic import SETTINGS_FIELDS, is_active, unit_view
from functions.orgs.models import Membership, OrgSettings, OrgSettingsPatch, Unit
from functions.orgs.wiring import Admin, Audit, Repo, StaffReader, org_settings
from shared.clock import utc_iso, zone
from shared.errors import NotFound
from shared.http import problem_responses
from shared.orgs.access import roster_entry
from shared.routing import Caller, Now

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
CONTACT_ROLES = ("counsellor", "org_admin")
# Settings a PATCH may clear with null; the others keep their value.
CLEARABLE = ("journal_retention_days", "escalation_contact")


def _settings_view(org_id: str, item: dict[str, Any], show_contact: bool) -> OrgSettings:
    values = {k: item.get(k) for k in SETTINGS_FIELDS}
    if not show_contact:
        values["escalation_contact"] = None
    return OrgSettings(org_id=org_id, updated_at=item.get("updated_at"), **values)


@router.get(
    "/orgs/me",
    response_model=Membership,
    responses=ERRORS,
    summary="The caller's organisation, role, unit(s) and supporters",
    description=(
        "Members see the peer supporters of their unit; supporters see the units they "
        "support; counsellors and admins also see the escalation contact."
    ),
)
def my_membership(identity: Caller, repo: Repo) -> Membership:
    if not identity.org_id:
        raise NotFound("You are not in an organisation.")
    entry = roster_entry(identity, identity.org_id)
    org = org_settings(repo, entry.org_id)
    unit_ids = list(entry.units_supported)
    if entry.unit_id and entry.unit_id not in unit_ids:
        unit_ids.insert(0, entry.unit_id)
    units = [u for u in (repo.unit(entry.org_id, i) for i in unit_ids) if u is not None]
    supporters: list[OnDutyPerson] = []
    if entry.role == "member" and entry.unit_id:
        own = next((u for u in units if u["unit_id"] == entry.unit_id), None)
        ids = list((own or {}).get("supporters") or ())
        found = repo.people(entry.org_id, ids)
        supporters = [
            OnDutyPerson(user_id=i, display_name=found[i]["display_name"])
            for i in ids
            if is_active(found.get(i))
        ]
    contact = org.get("escalation_contact") if entry.role in CONTACT_ROLES else None
    return Membership(
        org_id=entry.org_id,
        org_name=org["name"],
        kind=org["kind"],
        roles=[entry.role],
        units=[Unit(**unit_view(u)) for u in units],
        supporters=supporters,
        escalation_contact=contact,
    )


@router.get(
    "/orgs/{org_id}",
    response_model=OrgSettings,
    responses=ERRORS,
    summary="The organisation's settings (org admins and counsellors)",
)
def get_settings(caller: StaffReader, repo: Repo) -> OrgSettings:
    org_id = caller.org_id
    return _settings_view(org_id, org_settings(repo, org_id), show_contact=True)


@router.patch(
    "/orgs/{org_id}",
    response_model=OrgSettings,
    responses=ERRORS,
    summary="Change the organisation's settings (org admins)",
    description=(
        "Fields left out (or null) keep their value, except `journal_retention_days` and "
        "`escalation_contact`, which null clears."
    ),
)
def patch_settings(
    change: OrgSettingsPatch, actor: Admin, repo: Repo, audit: Audit, now: Now
) -> OrgSettings:
    org_id = actor.org_id
    given = change.model_dump(exclude_unset=True, mode="json")
    if given.get("time_zone") is not None:
        given["time_zone"] = zone(given["time_zone"]).key  # unknown zone: 422
    sets = {k: v for k, v in given.items() if v is not None}
    removes = [k for k, v in given.items() if v is None and k in CLEARABLE]
    org_settings(repo, org_id)
    stored = repo.save_settings(org_id, {**sets, "updated_at": utc_iso(now())}, removes)
    audit(actor, "org.update", "org", org_id, {"fields": ",".join(sorted(given))})
    return _settings_view(org_id, stored, show_contact=True)
