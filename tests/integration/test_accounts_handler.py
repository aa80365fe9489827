"""The accounts Lambda handler in-process against the deployed table and user pool."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest

from tests.support.events import api_event, lambda_context, response_json


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.accounts.handler import handler

    return handler(event, lambda_context("accounts"))


@pytest.fixture
def cognito_member(function_env: dict[str, Any]) -> dict[str, str]:
    """A real user in the deployed pool, and the claims its ID token would carry."""
    cognito = boto3.client("cognito-idp")
    username = f"it-{uuid.uuid4().hex[:10]}"
    created = cognito.admin_create_user(
        UserPoolId=function_env["user_pool_id"],
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "zoneinfo", "Value": "Asia/Shanghai"}],
    )
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    return {"sub": sub, "cognito:username": username, "zoneinfo": "Asia/Shanghai"}


def test_health_needs_no_claims(function_env: dict[str, Any]) -> None:
    # Given the health event, which carries no authorizer
    # When the handler runs
    response = invoke(api_event("accounts/health.json"))

    # Then it is up
    assert (response["statusCode"], response_json(response)) == (200, {"status": "ok"})


def test_get_me_creates_the_profile_once(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given a member who never called the API
    # When they read their profile twice
    first = response_json(invoke(api_event("accounts/get_me.json", claims=claims)))
    second = response_json(invoke(api_event("accounts/get_me.json", claims=claims)))

    # Then the first call created it and the second read the same one
    assert first["user_id"] == claims["sub"]
    assert second == first


def test_put_me_stores_the_profile_and_moves_the_zone_onto_the_token(
    function_env: dict[str, Any], cognito_member: dict[str, str]
) -> None:
    # Given a member in Shanghai
    # When they move to London
    response = invoke(
        api_event(
            "accounts/put_me.json",
            claims=cognito_member,
            body={"time_zone": "Europe/London", "region_code": "GB-ENG"},
        )
    )

    # Then the profile says so and the Cognito user (the next token) carries the zone
    assert response["statusCode"] == 200
    assert response_json(response)["time_zone"] == "Europe/London"
    user = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=function_env["user_pool_id"], Username=cognito_member["cognito:username"]
    )
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["zoneinfo"] == "Europe/London"


def test_put_me_with_an_unknown_zone_changes_nothing(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given a member with a profile
    before = response_json(invoke(api_event("accounts/get_me.json", claims=claims)))

    # When they send a zone that does not exist
    response = invoke(
        api_event("accounts/put_me.json", claims=claims, body={"time_zone": "Mars/Base"})
    )

    # Then it is a 422 problem and the profile is as it was
    after = response_json(invoke(api_event("accounts/get_me.json", claims=claims)))
    assert response["statusCode"] == 422
    assert response["headers"]["content-type"] == "application/problem+json"
    assert after == before
