"""The check-ins Lambda handler in-process against the deployed tables."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.events import api_event, lambda_context, response_json


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    from functions.checkins.handler import handler

    return handler(event, lambda_context("checkins"))


def count_items(dynamodb: Any, table: str, user: str) -> int:
    """The member's check-ins (days; the "#key" item that holds their data key sorts before)."""
    return int(
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="user_id = :u AND #d >= :first",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":u": {"S": user}, ":first": {"S": "0"}},
            Select="COUNT",
        )["Count"]
    )


def test_post_from_the_sample_event_creates_a_scored_checkin(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given the sample event of events/checkins/post_checkin.json for a fresh member
    event = api_event("checkins/post_checkin.json", claims=claims)

    # When the handler runs
    response = invoke(event)

    # Then it answers 201 with scores and a watch-level risk from the positive GAD-2
    body = response_json(response)
    assert response["statusCode"] == 201
    assert body["scores"]["gad2"]["positive"] is True
    assert body["risk"] == {
        "level": "watch",
        "reasons": ["gad2_positive"],
        "recommended_screener": None,
    }


def test_retry_with_the_same_idempotency_key_returns_the_first_answer_and_writes_once(
    function_env: dict[str, Any], claims: dict[str, str], dynamodb: Any
) -> None:
    # Given a check-in sent with an Idempotency-Key
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = invoke(api_event("checkins/post_checkin.json", claims=claims, headers=key))

    # When the app retries the very same request
    retry = invoke(api_event("checkins/post_checkin.json", claims=claims, headers=key))

    # Then the retry gets the stored 201 answer, and one item exists
    assert (first["statusCode"], retry["statusCode"]) == (201, 201)
    assert response_json(retry) == response_json(first)
    assert count_items(dynamodb, function_env["tables"]["checkins"], claims["sub"]) == 1


def test_same_idempotency_key_with_another_body_is_refused(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given a key already used for one check-in
    key = {"Idempotency-Key": str(uuid.uuid4())}
    invoke(api_event("checkins/post_checkin.json", claims=claims, headers=key))

    # When it is reused with a different mood
    response = invoke(
        api_event("checkins/post_checkin.json", claims=claims, headers=key, body={"mood": 5})
    )

    # Then the API refuses with a problem naming the reused key
    assert response["statusCode"] == 422
    assert response_json(response)["type"].endswith("/idempotency-key-reused")


def test_idempotency_keys_of_two_members_never_collide(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given member A used a key
    key = {"Idempotency-Key": "same-key-" + str(uuid.uuid4())}
    invoke(api_event("checkins/post_checkin.json", claims=claims, headers=key))

    # When member B sends another check-in with the same key
    other = {"sub": str(uuid.uuid4()), "cognito:username": "other"}
    response = invoke(
        api_event("checkins/post_checkin.json", claims=other, headers=key, body={"mood": 4})
    )

    # Then B's check-in is B's own, created fresh
    assert response["statusCode"] == 201
    assert response_json(response)["mood"] == 4


def test_list_event_pages_with_a_cursor_that_another_member_cannot_use(
    function_env: dict[str, Any], claims: dict[str, str]
) -> None:
    # Given three check-ins on three days
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        invoke(
            api_event("checkins/post_checkin.json", claims=claims, body={"mood": 3, "date": day})
        )
    first = response_json(
        invoke(api_event("checkins/list_checkins.json", claims=claims, query={"limit": "2"}))
    )

    # When another member presents that cursor
    other = {"sub": str(uuid.uuid4())}
    stolen = invoke(
        api_event(
            "checkins/list_checkins.json",
            claims=other,
            query={"limit": "2", "cursor": first["next_cursor"]},
        )
    )

    # Then the owner saw the newest two and the other member is refused
    assert [i["date"] for i in first["items"]] == ["2026-11-03", "2026-11-02"]
    assert stolen["statusCode"] == 400
    assert response_json(stolen)["type"].endswith("/invalid-cursor")
