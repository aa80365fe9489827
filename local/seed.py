"""Demo data: one organisation with one user per role plus a second member.

Safe to repeat: existing users keep their data and get their password and groups back.
"""

from __future__ import annotations

import contextlib
from typing import Any

from local.deploy import aws_client

DEMO_ORG = "demo-school"
# Local demo credentials only; printed by `make run`. Meets the pool's policy.
DEMO_PASSWORD = "DemoPass-2026"
DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("mei", "member"),
    ("lei", "member"),
    ("peer-zhang", "peer_supporter"),
    ("counsellor-wang", "counsellor"),
    ("admin-li", "org_admin"),
)


def seed_users(endpoint: str, region: str, user_pool_id: str) -> list[dict[str, str]]:
    cognito = aws_client("cognito-idp", endpoint, region)
    users = []
    for username, role in DEMO_USERS:
        _ensure_user(cognito, user_pool_id, username)
        cognito.admin_set_user_password(
            UserPoolId=user_pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True
        )
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=role)
        users.append(
            {"username": username, "password": DEMO_PASSWORD, "role": role, "org_id": DEMO_ORG}
        )
    return users


def _ensure_user(cognito: Any, user_pool_id: str, username: str) -> None:
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "custom:org_id", "Value": DEMO_ORG},
                {"Name": "zoneinfo", "Value": "Asia/Shanghai"},
                {"Name": "locale", "Value": "zh-CN"},
            ],
        )
