"""The stack tier: the deployed template driven over HTTP the way the mobile app does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from local.deploy import aws_client
from local.seed import make_user
from local.token import id_token
from tests.support.passwords import policy_password


@pytest.fixture(scope="session")
def api(local_cloud: dict[str, Any]) -> Iterator[httpx.Client]:
    # 60 s: on a 2-core machine a function's first request can wait for its emulated
    # container while stream consumers start theirs (30 s was hit once, by the matrix).
    with httpx.Client(base_url=local_cloud["api_url"] + "/", timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def cognito(local_cloud: dict[str, Any]) -> Any:
    return aws_client("cognito-idp", local_cloud["aws_endpoint_url"], local_cloud["region"])


@pytest.fixture(scope="session")
def login(local_cloud: dict[str, Any]) -> Callable[..., dict[str, str]]:
    """Authorization headers from a real Cognito sign-in (USER_PASSWORD_AUTH, ID token)."""

    def _login(username: str, password: str | None = None) -> dict[str, str]:
        return {"Authorization": id_token(local_cloud, username, password)}

    return _login


@pytest.fixture
def new_member(
    local_cloud: dict[str, Any], cognito: Any, login: Callable[..., dict[str, str]]
) -> Callable[..., dict[str, str]]:
    """Enrol a fresh user (a member unless `group` says otherwise) and sign them in.

    Each test gets users of its own, so it owns its data.
    """

    def _enrol(
        zoneinfo: str = "Asia/Shanghai", org_id: str = "demo-school", group: str = "member"
    ) -> dict[str, str]:
        username = f"st-{uuid.uuid4().hex[:12]}"
        password = policy_password("Stack-Test")
        make_user(
            cognito,
            local_cloud["user_pool_id"],
            username,
            password,
            org_id=org_id,
            group=group,
            zoneinfo=zoneinfo,
        )
        return login(username, password)

    return _enrol
