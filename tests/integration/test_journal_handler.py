"""The journal Lambda handler in-process against the deployed table and KMS key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.support.events import api_event, lambda_context, response_json


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.journal.handler import handler

    return handler(event, lambda_context("journal"))


@pytest.fixture
def kms_calls() -> Iterator[list[str]]:
    """Names of the KMS operations made through boto3's default session."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        if model.service_model.service_name == "kms":
            calls.append(model.name)

    events = boto3.DEFAULT_SESSION.events if boto3.DEFAULT_SESSION else None
    if events is None:
        boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events
    events.register("before-call", record)
    yield calls
    events.unregister("before-call", record)


def test_a_page_of_entries_costs_at_most_one_kms_call(
    function_env: dict[str, Any], claims: dict[str, str], kms_calls: list[str]
) -> None:
    # Given a member with five entries, and a container that has forgotten its data keys
    from functions.journal import routes
    from shared import aws

    for i in range(5):
        event = api_event("journal/create_entry.json", claims=claims, body={"body": f"entry {i}"})
        assert invoke(event)["statusCode"] == 201
    aws.client.cache_clear()
    routes.repository.cache_clear()
    routes.vault.cache_clear()
    kms_calls.clear()

    # When the journal is listed
    page = invoke(api_event("journal/list_entries.json", claims=claims))

    # Then five entries came back, opened with a single Decrypt
    assert [e["body"] for e in response_json(page)["items"]] == [
        f"entry {i}" for i in range(4, -1, -1)
    ]
    assert kms_calls == ["Decrypt"]


def test_member_key_cannot_open_another_members_entry(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given an entry of one member
    import boto3 as sdk

    from shared.envelope import KeyRing

    created = response_json(
        invoke(api_event("journal/create_entry.json", claims=claims, body={"body": "mine"}))
    )
    assert created["body"] == "mine"
    meta = sdk.client("dynamodb").get_item(
        TableName=function_env["tables"]["journal"],
        Key={"user_id": {"S": claims["sub"]}, "entry_id": {"S": "#meta"}},
    )["Item"]
    edk = bytes(meta["edk"]["B"])
    journal = KeyRing(sdk.client("kms"), function_env["sealing_key_id"], "journal")
    checkins = KeyRing(sdk.client("kms"), function_env["sealing_key_id"], "checkins")

    # When its wrapped key is presented to KMS in another member's or feature's name
    # Then KMS refuses: the encryption context binds the key to its member and feature
    with pytest.raises(sdk.client("kms").exceptions.InvalidCiphertextException):
        journal.unwrap(str(uuid.uuid4()), edk)
    with pytest.raises(sdk.client("kms").exceptions.InvalidCiphertextException):
        checkins.unwrap(claims["sub"], edk)
    assert len(journal.unwrap(claims["sub"], edk)) == 32
