"""Who is on duty in an organisation at an instant: the rota lookup every function shares.

One BatchGetItem reads the organisation's settings (its zone, the escalation contact),
the weekly rota and the overrides of every date that can matter in any zone
(`override_dates_around`), so a warm lookup is one DynamoDB call. People the roster
no longer lists as active staff are dropped (the caller's roster cache answers that);
with nobody left, the rota's fallback duty officer is on duty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import from_item, to_item
from shared.orgs.keys import ROTA_WEEKLY, SETTINGS, org_pk, override_sk
from shared.orgs.roles import DUTY_ROLES
from shared.orgs.roster import RosterEntry, roster
from shared.orgs.rota import OnDuty, Slot, on_duty, override_dates_around, parse_slot
from shared.settings import RosterSettings, settings


@dataclass(frozen=True)
class Duty:
    """The rota's answer with the people checked against the roster."""

    on_duty: OnDuty
    zone: str
    settings: dict[str, Any]
    primary: str | None
    backup: str | None
    duty_officer: str | None
    warnings: list[str] = field(default_factory=list)


def _slots(items: Any, *, weekly: bool) -> list[Slot]:
    return [parse_slot(s, weekly=weekly) for s in items or ()]


def read_rota(client: Any, table: str, org_id: str, at: dt.datetime) -> dict[str, Any]:
    """Settings, weekly rota and nearby overrides of `org_id` by sort key, in one call."""
    keys = [SETTINGS, ROTA_WEEKLY, *(override_sk(d) for d in override_dates_around(at))]
    request: dict[str, Any] = {
        table: {"Keys": [to_item({"pk": org_pk(org_id), "sk": k}) for k in keys]}
    }
    found: dict[str, Any] = {}
    for _ in range(8):  # unprocessed keys come back under throttling: ask again
        response = client.batch_get_item(RequestItems=request)
        for raw in response.get("Responses", {}).get(table, []):
            item = from_item(raw)
            found[item["sk"]] = item
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise RuntimeError("DynamoDB kept keys unprocessed")


def resolve(
    items: dict[str, Any],
    at: dt.datetime,
    default_zone: str,
    staff: Callable[[str], RosterEntry | None],
) -> Duty | None:
    """Who is on duty from the items `read_rota` returned; None for an unknown organisation."""
    org = items.get(SETTINGS)
    if org is None:
        return None
    zone = str(org.get("time_zone") or default_zone)
    rota = items.get(ROTA_WEEKLY) or {}
    overrides = {
        dt.date.fromisoformat(item["date"]): _slots(item.get("slots"), weekly=False)
        for sk, item in items.items()
        if sk.startswith("rota#override#")
    }
    fallback = rota.get("fallback_duty_officer")
    answer = on_duty(at, zone, _slots(rota.get("slots"), weekly=True), overrides, fallback)
    warnings: list[str] = []

    def active(user_id: str | None, what: str) -> str | None:
        if user_id is None:
            return None
        entry = staff(user_id)
        if entry is not None and entry.active and entry.role in DUTY_ROLES:
            return user_id
        warnings.append(f"The rota's {what} is no longer active staff; left out.")
        return None

    primary = active(answer.primary, "primary")
    backup = active(answer.backup, "backup")
    officer = active(answer.duty_officer, "duty officer")
    if officer is None and answer.duty_officer != fallback:
        officer = active(fallback, "fallback duty officer")
    return Duty(answer, zone, org, primary, backup, officer, warnings)


class DutyLookup:
    def __init__(self, client: Any, table: str, default_zone: str) -> None:
        self._client = client
        self._table = table
        self._default_zone = default_zone

    def at(self, org_id: str, at: dt.datetime) -> Duty | None:
        items = read_rota(self._client, self._table, org_id, at)
        people = roster()
        return resolve(items, at, self._default_zone, lambda u: people.entry(org_id, u))


@cache
def duty_lookup() -> DutyLookup:
    config = settings(RosterSettings)
    return DutyLookup(aws.client("dynamodb"), config.orgs_table, config.default_time_zone)
