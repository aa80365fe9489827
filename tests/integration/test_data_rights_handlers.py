"""Each feature's export and erase handler in-process, against the deployed tables and bucket."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from tests.support.events import _load, api_event, lambda_context, response_json


def data_rights_event(name: str, user_id: str, export_id: str | None = None) -> dict[str, Any]:
    event = dict(_load(f"data_rights/{name}.json")) | {"user_id": user_id}
    if export_id is not None:
        event["export_id"] = export_id
    return event


def journal(event: dict[str, Any]) -> dict[str, Any]:
    from functions.journal.handler import handler

    return handler(event, lambda_context("journal"))


def checkins(event: dict[str, Any]) -> dict[str, Any]:
    from functions.checkins.handler import handler

    return handler(event, lambda_context("checkins"))


@pytest.fixture
def member_with_data(function_env: dict[str, Any], claims: dict[str, str]) -> dict[str, str]:
    """A member with two journal entries and a check-in, written through the handlers."""
    for body in ("first words", "second words"):
        journal(api_event("journal/create_entry.json", claims=claims, body={"body": body}))
    checkins(api_event("checkins/post_checkin.json", claims=claims, body={"mood": 4, "note": "n"}))
    return claims


def test_journal_export_writes_its_part_opened_and_allowlisted(
    function_env: dict[str, Any], member_with_data: dict[str, str]
) -> None:
    # Given a member with two journal entries
    from functions.journal.data_rights import handler

    export_id = str(uuid.uuid4())

    # When the journal's data-rights handler exports them
    result = handler(
        data_rights_event("export", member_with_data["sub"], export_id), lambda_context("j-dr")
    )

    # Then its part in the bucket holds both entries in plain text and no storage detail
    part = boto3.client("s3").get_object(
        Bucket=function_env["outputs"]["ExportBucketName"], Key=result["key"]
    )
    document = json.loads(part["Body"].read())
    assert result == {"feature": "journal", "key": f"{export_id}/journal.json"}
    assert sorted(e["body"] for e in document["journal_entries"]) == ["first words", "second words"]
    assert not {"edk", "body_ct", "user_id", "change_seq"} & set(document["journal_entries"][0])


def test_erase_removes_the_members_items_and_key_and_is_safe_to_repeat(
    function_env: dict[str, Any], member_with_data: dict[str, str]
) -> None:
    # Given a member with data in the journal and check-ins
    from functions.checkins.data_rights import handler as checkins_rights
    from functions.journal.data_rights import handler as journal_rights

    user = member_with_data["sub"]
    event = data_rights_event("erase", user)

    # When each feature erases them, twice
    first = [
        journal_rights(event, lambda_context("j")),
        checkins_rights(event, lambda_context("c")),
    ]
    second = [
        journal_rights(event, lambda_context("j")),
        checkins_rights(event, lambda_context("c")),
    ]

    # Then the first pass erased the entries, the check-in and both wrapped keys; the second nothing
    assert first == [{"feature": "journal", "erased": 3}, {"feature": "checkins", "erased": 2}]
    assert [r["erased"] for r in second] == [0, 0]
    listed = journal(api_event("journal/list_entries.json", claims=member_with_data))
    assert response_json(listed)["items"] == []
