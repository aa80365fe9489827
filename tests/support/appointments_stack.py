"""Fresh people of the demo school on its roster, for the appointments stack tests:
each test's counsellor and members are its own, so the demo users' bookings are left alone."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from functions.orgs.repository import OrgsRepository
from local.seed import make_user
from tests.support.crisis_stack import client
from tests.support.passwords import policy_password

ORG, ZONE, UNIT = "demo-school", "Asia/Shanghai", "class-7-2"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def roster_people(
    local_cloud: dict[str, Any],
    cognito: Any,
    login: Callable[..., dict[str, str]],
    role: str,
    count: int,
) -> list[tuple[str, str, dict[str, str]]]:
    """Fresh users of the demo school with this role, on its roster: (id, name, headers)."""
    people, rows = [], []
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for n in range(count):
        username = f"st-appt-{uuid.uuid4().hex[:10]}"
        password = policy_password("Stack-Appt")
        user_id = make_user(
            cognito,
            local_cloud["user_pool_id"],
            username,
            password,
            org_id=ORG,
            group=role,
            zoneinfo=ZONE,
            locale="en",
        )
        name = f"Racer {n:02d} {uuid.uuid4().hex[:6]}"
        rows.append(
            {
                "org_id": ORG,
                "user_id": user_id,
                "username": username,
                "display_name": name,
                "role": role,
                "unit_id": UNIT,
                "status": "active",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        people.append((user_id, name, {"username": username, "password": password}))
    OrgsRepository(client(local_cloud, "dynamodb"), local_cloud["tables"]["orgs"]).enrol(rows)
    return [(uid, name, login(c["username"], c["password"])) for uid, name, c in people]


def open_hours(api: httpx.Client, counsellor: dict[str, str]) -> None:
    """08:00-20:00 every day, 50-minute slots with 10 minutes between."""
    weekly = {day: [{"start": "08:00", "end": "20:00"}] for day in DAYS}
    answer = api.put("counsellors/me/availability", headers=counsellor, json={"weekly": weekly})
    assert answer.status_code == 200, answer.text
