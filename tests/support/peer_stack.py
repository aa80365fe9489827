"""A fresh organisation for the peer stack tests, built over HTTP the way an admin does:
a school with classes, invited people who sign in for the first time, trained and
supervised supporters assigned to their class."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from local.deploy import aws_client
from local.seed_orgs import create_org
from tests.support.passwords import policy_password

Headers = dict[str, str]


@dataclass
class Person:
    user_id: str
    display_name: str
    headers: Headers


@dataclass
class Org:
    org_id: str
    admin: Headers
    school: str
    units: dict[str, str] = field(default_factory=dict)  # name -> unit id


def _ok(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def new_org(local_cloud: dict[str, Any], login: Any, api: httpx.Client) -> Org:
    org_id = f"st-{uuid.uuid4().hex[:10]}"
    username, password = f"admin-{org_id}", policy_password("Stack-Admin")
    create_org(
        local_cloud,
        org_id,
        name=f"Org {org_id}",
        kind="school",
        time_zone="Asia/Shanghai",
        locale="zh-CN",
        admin_username=username,
        admin_password=password,
    )
    admin = login(username, password)
    school = add_unit(api, org_id, admin, "School", "school", None)
    return Org(org_id, admin, school)


def add_unit(
    api: httpx.Client, org_id: str, admin: Headers, name: str, kind: str, parent: str | None
) -> str:
    created = api.post(
        f"orgs/{org_id}/units",
        headers=admin,
        json={"name": name, "kind": kind, "parent_id": parent},
    )
    return str(_ok(created, 201)["unit_id"])


def first_sign_in(local_cloud: dict[str, Any], username: str, temporary: str) -> Headers:
    """The app's first sign-in: the temporary password, then a chosen one."""
    cognito = aws_client("cognito-idp", local_cloud["aws_endpoint_url"], local_cloud["region"])
    client_id = local_cloud["user_pool_client_id"]
    first = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": policy_password("Chosen")},
    )
    return {"Authorization": done["AuthenticationResult"]["IdToken"]}


def invite(
    local_cloud: dict[str, Any], api: httpx.Client, org: Org, role: str, unit: str | None
) -> Person:
    name = f"{role} {uuid.uuid4().hex[:4]}"
    body = _ok(
        api.post(
            f"orgs/{org.org_id}/invitations",
            headers=org.admin,
            json={
                "display_name": name,
                "email": f"{uuid.uuid4().hex[:12]}@example.com",
                "role": role,
                "unit_id": unit,
            },
        ),
        201,
    )
    person = body["person"]
    headers = first_sign_in(local_cloud, person["username"], body["temporary_password"])
    return Person(person["user_id"], name, headers)


def assign_supporters(
    api: httpx.Client, org: Org, unit: str, supporters: list[Person], supervisor: Person
) -> None:
    """Train, supervise and assign supporters to a unit, as the admin does."""
    today = dt.date.today()
    for s in supporters:
        _ok(
            api.post(
                f"orgs/{org.org_id}/people/{s.user_id}/training",
                headers=org.admin,
                json={
                    "course": "Peer support basics",
                    "completed_on": (today - dt.timedelta(days=3)).isoformat(),
                    "valid_until": (today + dt.timedelta(days=200)).isoformat(),
                    "trainer": "Counsellor",
                },
            ),
            201,
        )
        _ok(
            api.put(
                f"orgs/{org.org_id}/people/{s.user_id}/supervisor",
                headers=org.admin,
                json={"supervisor_id": supervisor.user_id},
            ),
            200,
        )
    _ok(
        api.put(
            f"orgs/{org.org_id}/units/{unit}/supporters",
            headers=org.admin,
            json={"supporters": [s.user_id for s in supporters]},
        ),
        200,
    )
