"""Decisions of the orgs function as plain functions: who may be assigned, what a rota names.

Items in, reasons out: no I/O, so the unit tier checks every rule directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from shared.orgs.roles import DUTY_ROLES
from shared.orgs.rota import Slot

SUPPORTER = "peer_supporter"
COUNSELLOR = "counsellor"
SETTINGS_FIELDS = (
    "name",
    "kind",
    "time_zone",
    "locale",
    "region_code",
    "journal_retention_days",
    "escalation_contact",
)
PERSON_FIELDS = (
    "user_id",
    "username",
    "display_name",
    "role",
    "status",
    "unit_id",
    "email",
    "phone",
    "supervisor_id",
    "training_valid_until",
    "created_at",
    "updated_at",
)


def person_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a person item an org admin sees."""
    view = {k: item[k] for k in PERSON_FIELDS if item.get(k) is not None}
    view["units_supported"] = sorted(item.get("units_supported") or ())
    return view


def is_active(item: Mapping[str, Any] | None) -> bool:
    return item is not None and item.get("status") == "active"


def training_valid(item: Mapping[str, Any], today: dt.date) -> bool:
    until = item.get("training_valid_until")
    return until is not None and dt.date.fromisoformat(until) >= today


def supporter_refusals(
    wanted: Iterable[str],
    people: Mapping[str, Mapping[str, Any]],
    supervisors: Mapping[str, Mapping[str, Any]],
    today: dt.date,
) -> list[str]:
    """Why each of `wanted` cannot be assigned to a unit (empty: all can).

    A supporter must be an active peer supporter of the organisation with a training
    valid today and a supervisor who is an active counsellor of the same organisation.
    """
    reasons: list[str] = []
    for position, user_id in enumerate(wanted):
        person = people.get(user_id)
        if person is None:  # not an id of ours: named by position, never echoed
            reasons.append(f"supporters[{position}]: not on this organisation's roster")
            continue
        if not is_active(person):
            reasons.append(f"{user_id}: no longer on this organisation's roster")
            continue
        assert person is not None
        if person.get("role") != SUPPORTER:
            reasons.append(f"{user_id}: not a peer supporter")
        elif person.get("training_valid_until") is None:
            reasons.append(f"{user_id}: has no training record")
        elif not training_valid(person, today):
            reasons.append(f"{user_id}: training lapsed on {person['training_valid_until']}")
        elif not person.get("supervisor_id"):
            reasons.append(f"{user_id}: has no supervising counsellor")
        else:
            supervisor = supervisors.get(str(person["supervisor_id"]))
            if not is_active(supervisor) or (supervisor or {}).get("role") != COUNSELLOR:
                reasons.append(f"{user_id}: their supervisor is no longer an active counsellor")
    return reasons


def rota_people(slots: Iterable[Slot], fallback: str | None) -> set[str]:
    named = {s.primary for s in slots} | {s.duty_officer for s in slots}
    named |= {s.backup for s in slots if s.backup}
    return named | ({fallback} if fallback else set())


def rota_refusals(named: Iterable[str], people: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Everyone a rota names must be active counsellor or admin staff of the organisation."""
    reasons = []
    unknown = sum(1 for user_id in named if user_id not in people)
    if unknown:  # not ids of ours: counted, never echoed
        reasons.append(f"{unknown} of the ids named are not on this organisation's roster")
    for user_id in sorted(u for u in named if u in people):
        person = people.get(user_id)
        if not is_active(person):
            reasons.append(f"{user_id}: no longer on this organisation's roster")
        elif (person or {}).get("role") not in DUTY_ROLES:
            reasons.append(f"{user_id}: must be a counsellor or an org admin to be on duty")
    return reasons


def unit_view(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "unit_id": item["unit_id"],
        "name": item["name"],
        "kind": item["kind"],
        "parent_id": item.get("parent_id"),
        "supporters": list(item.get("supporters") or ()),
    }
