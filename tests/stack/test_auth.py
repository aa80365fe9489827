"""Only verified ID tokens reach the functions; health is open."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest


def test_health_answers_without_a_token(api: httpx.Client) -> None:
    # Given no credentials
    # When the app checks the backend is up
    response = api.get("health")

    # Then it answers
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["me", "checkins", "checkins/summary", "checkins/2026-11-01"])
def test_every_other_route_needs_a_token(api: httpx.Client, path: str) -> None:
    # Given no Authorization header
    # When a protected route is called
    response = api.get(path)

    # Then API Gateway refuses it before any function runs
    assert response.status_code == 401


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["org_admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_garbage_and_tampered_tokens_are_refused(
    api: httpx.Client, login: Callable[..., dict[str, str]]
) -> None:
    # Given a real token whose claims were edited, and a string that is no token at all
    real = login("mei")["Authorization"]

    # When either is presented
    statuses = [
        api.get("checkins", headers={"Authorization": value}).status_code
        for value in (_tampered(real), "not-a-token")
    ]

    # Then both are refused
    assert statuses == [401, 401]


def test_access_token_is_refused_by_the_function(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given an access token (it carries no organisation or zone claims)
    demo = next(u for u in local_cloud["demo_users"] if u["username"] == "mei")
    tokens = cognito.initiate_auth(
        ClientId=local_cloud["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": demo["username"], "PASSWORD": demo["password"]},
    )["AuthenticationResult"]

    # When the app sends it instead of the ID token
    response = api.get("me", headers={"Authorization": tokens["AccessToken"]})

    # Then the function refuses it with a problem body
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
