"""Demo data: the demo school (one user per role and then some) and a second organisation.

Safe to repeat: existing users keep their data and get their password and groups back.
The organisations' units, roster, training and rota are seeded by local/seed_orgs.py.
"""

from __future__ import annotations

import contextlib
from typing import Any

from local.deploy import aws_client

DEMO_ORG = "demo-school"
SECOND_ORG = "demo-works"
# Local demo credentials only; printed by `make run`. Meets the pool's policy.
DEMO_PASSWORD = "DemoPass-2026"
ZONES = {DEMO_ORG: ("Asia/Shanghai", "zh-CN"), SECOND_ORG: ("Europe/London", "en-GB")}
# username, role, organisation
DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("mei", "member", DEMO_ORG),
    ("lei", "member", DEMO_ORG),
    ("jun", "member", DEMO_ORG),
    ("peer-zhang", "peer_supporter", DEMO_ORG),
    ("counsellor-wang", "counsellor", DEMO_ORG),
    ("admin-li", "org_admin", DEMO_ORG),
    ("counsellor-liu", "counsellor", DEMO_ORG),
    ("officer-zhao", "counsellor", DEMO_ORG),
    ("admin-zhou", "org_admin", SECOND_ORG),
    ("counsellor-chen", "counsellor", SECOND_ORG),
)


def make_user(
    cognito: Any,
    user_pool_id: str,
    username: str,
    password: str,
    *,
    org_id: str,
    group: str,
    zoneinfo: str,
    locale: str | None = None,
) -> str:
    """A signed-up-able Cognito user of `org_id` in `group` with a permanent password; its sub.

    Safe to repeat: an existing user keeps their data and gets the password and group back.
    """
    attributes = [
        {"Name": "custom:org_id", "Value": org_id},
        {"Name": "zoneinfo", "Value": zoneinfo},
    ]
    if locale:
        attributes.append({"Name": "locale", "Value": locale})
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=attributes,
        )
    cognito.admin_set_user_password(
        UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=group)
    found = cognito.admin_get_user(UserPoolId=user_pool_id, Username=username)
    return str(next(a["Value"] for a in found["UserAttributes"] if a["Name"] == "sub"))


def seed_users(endpoint: str, region: str, user_pool_id: str) -> list[dict[str, str]]:
    cognito = aws_client("cognito-idp", endpoint, region)
    users = []
    for username, role, org_id in DEMO_USERS:
        zone, locale = ZONES[org_id]
        sub = make_user(
            cognito,
            user_pool_id,
            username,
            DEMO_PASSWORD,
            org_id=org_id,
            group=role,
            zoneinfo=zone,
            locale=locale,
        )
        users.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": role,
                "org_id": org_id,
                "user_id": sub,
            }
        )
    return users
