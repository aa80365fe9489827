"""The duty rota: the weekly schedule, per-date overrides, and who is on duty now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AwareDatetime

from functions.orgs.fields import EscalationContact, OnDutyPerson
from functions.orgs.logic import rota_people, rota_refusals
from functions.orgs.rota_models import (
    OnDuty,
    Override,
    OverrideIn,
    Rota,
    RotaIn,
    SlotIn,
    SlotRef,
)
from functions.orgs.rota_models import Slot as SlotOut
from functions.orgs.wiring import Admin, Audit, Repo, StaffReader, org_settings
from shared.clock import local_day, utc_iso
from shared.errors import InvalidInput, NotFound
from shared.http import problem_responses
from shared.orgs.duty import DutyLookup, duty_lookup
from shared.orgs.roster import roster
from shared.orgs.rota import (
    DAYS,
    Slot,
    day_gaps,
    override_warnings,
    parse_slot,
    schedule_warnings,
    slot_to_item,
)
from shared.routing import Now

router = APIRouter()
ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
Lookup = Annotated[DutyLookup, Depends(duty_lookup)]
Day = Annotated[dt.date, Path(alias="date", description="The local date, YYYY-MM-DD")]


def _inside_calendar(day: dt.date) -> dt.date:
    """An override's date must have a day before and after it (the night before runs in)."""
    if day in (dt.date.min, dt.date.max):
        raise InvalidInput("The date must be after 0001-01-01 and before 9999-12-31.")
    return day


def _parse(slots: Sequence[SlotIn], *, weekly: bool) -> list[Slot]:
    parsed = []
    for i, slot in enumerate(slots):
        try:
            parsed.append(parse_slot(slot.model_dump(exclude_none=True), weekly=weekly))
        except ValueError as error:
            raise InvalidInput(
                f"Slot {i + 1}: {error}",
                errors=[{"location": ["body", "slots", i], "message": str(error)}],
            ) from error
    return parsed


def _check_people(repo: Repo, org_id: str, slots: Sequence[Slot], fallback: str | None) -> None:
    named = rota_people(slots, fallback)
    refusals = rota_refusals(named, repo.people(org_id, named))
    if refusals:
        raise InvalidInput(
            "The rota names people who cannot be on duty: " + "; ".join(refusals),
            errors=[{"location": ["body"], "message": r} for r in refusals],
        )


def _weekly(rota: dict[str, Any] | None) -> list[Slot]:
    return [parse_slot(s, weekly=True) for s in (rota or {}).get("slots") or ()]


def _slots_starting(repo: Repo, org_id: str, day: dt.date, weekly: list[Slot]) -> list[Slot]:
    override = repo.override(org_id, day)
    if override is not None:
        return [parse_slot(s, weekly=False) for s in override.get("slots") or ()]
    return [s for s in weekly if s.day == DAYS[day.weekday()]]


def _override_view(item: dict[str, Any], warnings: list[str] | None = None) -> Override:
    return Override(
        date=item["date"],
        slots=[SlotOut(**s) for s in item.get("slots") or ()],
        note=item.get("note"),
        warnings=warnings or [],
    )


def _rota_view(repo: Repo, org_id: str, org: dict[str, Any], today: dt.date) -> Rota:
    rota = repo.rota(org_id) or {}
    weekly = _weekly(rota)
    return Rota(
        time_zone=str(org["time_zone"]),
        slots=[SlotOut(**slot_to_item(s)) for s in weekly],
        fallback_duty_officer=rota.get("fallback_duty_officer"),
        overrides=[_override_view(o) for o in repo.overrides(org_id, today)],
        warnings=schedule_warnings(weekly),
        updated_at=rota.get("updated_at"),
    )


@router.put(
    "/orgs/{org_id}/rota",
    response_model=Rota,
    responses=ERRORS,
    summary="Set the weekly duty rota (in the organisation's time zone)",
    description=(
        "Slots run from `start` to `end` on `day`; an `end` at or before `start` runs into "
        "the next day. Saved even with gaps: `warnings` lists every gap (alerts then go to "
        "`fallback_duty_officer`) and every overlap (the later start wins)."
    ),
)
def put_rota(body: RotaIn, actor: Admin, repo: Repo, audit: Audit, now: Now) -> Rota:
    org_id = actor.org_id
    org = org_settings(repo, org_id)
    slots = _parse(body.slots, weekly=True)
    _check_people(repo, org_id, slots, body.fallback_duty_officer)
    stamp = utc_iso(now())
    repo.save_rota(
        org_id,
        {
            "slots": [slot_to_item(s) for s in slots],
            "fallback_duty_officer": body.fallback_duty_officer,
            "updated_at": stamp,
        },
    )
    audit(actor, "rota.update", "rota", org_id, {"slots": len(slots)})
    return _rota_view(repo, org_id, org, local_day(now(), str(org["time_zone"])))


@router.get(
    "/orgs/{org_id}/rota",
    response_model=Rota,
    responses=ERRORS,
    summary="The weekly rota, today's and later overrides, and its warnings",
)
def get_rota(caller: StaffReader, repo: Repo, now: Now) -> Rota:
    org_id = caller.org_id
    org = org_settings(repo, org_id)
    return _rota_view(repo, org_id, org, local_day(now(), str(org["time_zone"])))


@router.put(
    "/orgs/{org_id}/rota/overrides/{date}",
    response_model=Override,
    responses=ERRORS,
    summary="Replace the slots starting on one local date (holiday, swap)",
    description=(
        "The slots have no `day`. The previous night's slot still runs into the morning. "
        "`warnings` lists the gaps this leaves on that date and the next morning."
    ),
)
def put_override(
    day: Day,
    body: OverrideIn,
    actor: Admin,
    repo: Repo,
    audit: Audit,
    now: Now,
) -> Override:
    org_id = actor.org_id
    _inside_calendar(day)
    org_settings(repo, org_id)
    slots = _parse(body.slots, weekly=False)
    _check_people(repo, org_id, slots, None)
    item = {
        "date": day.isoformat(),
        "slots": [slot_to_item(s) for s in slots],
        "note": body.note,
        "updated_at": utc_iso(now()),
    }
    repo.save_override(org_id, day, item)
    audit(actor, "rota.override", "rota", day.isoformat(), {"slots": len(slots)})
    weekly = _weekly(repo.rota(org_id))
    before = _slots_starting(repo, org_id, day - dt.timedelta(days=1), weekly)
    after = _slots_starting(repo, org_id, day + dt.timedelta(days=1), weekly)
    warnings = override_warnings(day, slots, before)
    warnings += [
        f"No one is on duty on {(day + dt.timedelta(days=1)).isoformat()} "
        f"({g.start}–{g.end}); alerts then go to the duty officer."
        for g in day_gaps(day + dt.timedelta(days=1), after, slots)
    ]
    return _override_view(item, warnings)


@router.delete(
    "/orgs/{org_id}/rota/overrides/{date}",
    status_code=204,
    responses=ERRORS,
    summary="Remove a date's override: the weekly rota applies again",
)
def delete_override(day: Day, actor: Admin, repo: Repo, audit: Audit) -> Response:
    org_id = actor.org_id
    if not repo.delete_override(org_id, day):
        raise NotFound("No override on that date.")
    audit(actor, "rota.override_delete", "rota", day.isoformat())
    return Response(status_code=204)


@router.get(
    "/orgs/{org_id}/rota/now",
    response_model=OnDuty,
    responses=ERRORS,
    summary="Who is primary, backup and duty officer at an instant, and from which slot",
    description=(
        "`at` defaults to now; give it with an offset (2026-11-24T08:30:00+08:00 or ...Z). "
        "Where no slot covers it, the duty officer is on duty alone (`fallback`)."
    ),
)
def rota_now(
    caller: StaffReader,
    lookup: Lookup,
    now: Now,
    at: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
) -> OnDuty:
    org_id = caller.org_id
    instant = at or now()
    try:
        duty = lookup.at(org_id, instant)
    except ValueError as error:  # an instant outside the supported dates
        raise InvalidInput(str(error)) from error
    if duty is None:
        raise NotFound("No such organisation.")
    people = roster()

    def named(user_id: str | None) -> OnDutyPerson | None:
        if user_id is None:
            return None
        entry = people.entry(org_id, user_id)
        return OnDutyPerson(user_id=user_id, display_name=entry.display_name if entry else None)

    answer = duty.on_duty
    slot = None
    if answer.slot is not None and answer.slot_date is not None and answer.source != "fallback":
        slot = SlotRef(
            source=answer.source,
            date=answer.slot_date,
            day=DAYS[answer.slot_date.weekday()],
            start=answer.slot.start,
            end=answer.slot.end,
        )
    contact = duty.settings.get("escalation_contact")
    return OnDuty(
        at=utc_iso(instant.astimezone(dt.UTC)),
        time_zone=duty.zone,
        local_time=answer.local_time.isoformat(timespec="minutes"),
        primary=named(duty.primary),
        backup=named(duty.backup),
        duty_officer=named(duty.duty_officer),
        slot=slot,
        fallback=slot is None or (duty.primary is None and duty.backup is None),
        escalation_contact=EscalationContact(**contact) if contact else None,
        warnings=duty.warnings,
    )
