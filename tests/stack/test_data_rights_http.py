"""Export and erasure over HTTP: the member's data rights across every feature."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from local.deploy import aws_client
from local.token import id_token


def enrol(local_cloud: dict[str, Any], cognito: Any) -> tuple[str, str, dict[str, str]]:
    username, password = f"st-{uuid.uuid4().hex[:10]}", "Rights-" + uuid.uuid4().hex[:10]
    pool = local_cloud["user_pool_id"]
    created = cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:org_id", "Value": "demo-school"}],
    )
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password=password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="member")
    auth = {"Authorization": id_token(local_cloud, username, password)}
    return username, sub, auth


def owned_items(local_cloud: dict[str, Any], sub: str) -> dict[str, int]:
    """How many items each table holds for the member (by partition key)."""
    dynamodb = aws_client("dynamodb", local_cloud["aws_endpoint_url"], local_cloud["region"])
    counts = {}
    for feature in ("accounts", "checkins", "journal"):
        counts[feature] = dynamodb.query(
            TableName=local_cloud["tables"][feature],
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": sub}},
            Select="COUNT",
        )["Count"]
    return counts


def test_export_holds_what_was_written(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with a profile, a check-in and two journal entries (one deleted)
    _, _, auth = enrol(local_cloud, cognito)
    api.put("me", headers=auth, json={"display_name": "Lan"})
    api.post("checkins", headers=auth, json={"mood": 3, "note": "ok day"})
    kept = api.post(
        "journal/entries", headers=auth, json={"title": "日记", "body": "写给自己"}
    ).json()
    gone = api.post("journal/entries", headers=auth, json={"body": "delete me"}).json()
    api.delete(f"journal/entries/{gone['id']}", headers=auth)

    # When they export their data
    export = api.get("me/export", headers=auth)

    # Then the document holds each of them, decrypted, and nothing deleted or internal
    body = export.json()
    assert export.status_code == 200
    assert body["profile"]["display_name"] == "Lan"
    assert [c["note"] for c in body["checkins"]] == ["ok day"]
    entries = [(e["id"], e["title"], e["body"]) for e in body["journal_entries"]]
    assert entries == [(kept["id"], "日记", "写给自己")]
    assert "edk" not in export.text and "body_ct" not in export.text


def test_erasure_removes_everything_and_the_token_stops_working(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with data in every feature
    username, sub, auth = enrol(local_cloud, cognito)
    api.get("me", headers=auth)
    api.post("checkins", headers=auth, json={"mood": 2})
    api.post("journal/entries", headers=auth, json={"body": "private"})
    assert all(count > 0 for count in owned_items(local_cloud, sub).values())

    # When they erase their account, and the app repeats the request
    first = api.delete("me", headers=auth)
    again = api.delete("me", headers=auth)

    # Then nothing of them remains, the user is gone, and the old token is refused everywhere
    assert (first.status_code, again.status_code) == (204, 204)
    assert owned_items(local_cloud, sub) == {"accounts": 0, "checkins": 0, "journal": 0}
    users = cognito.list_users(
        UserPoolId=local_cloud["user_pool_id"], Filter=f'username = "{username}"'
    )
    assert users["Users"] == []
    assert api.get("me", headers=auth).status_code == 401


def test_retention_sets_expiry_on_existing_entries(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with one journal entry and no retention
    _, sub, auth = enrol(local_cloud, cognito)
    entry = api.post("journal/entries", headers=auth, json={"body": "keep a while"}).json()
    dynamodb = aws_client("dynamodb", local_cloud["aws_endpoint_url"], local_cloud["region"])

    def expires() -> str | None:
        item = dynamodb.get_item(
            TableName=local_cloud["tables"]["journal"],
            Key={"user_id": {"S": sub}, "entry_id": {"S": entry["id"]}},
        )["Item"]
        return item.get("expires_at", {}).get("N")

    before = expires()

    # When they choose to keep journal entries for 30 days, then to keep them for ever
    set_30 = api.put("me", headers=auth, json={"journal_retention_days": 30})
    after_30 = expires()
    api.put("me", headers=auth, json={"journal_retention_days": None})

    # Then the entry gained a TTL 30 days after it was written, and lost it again
    assert before is None
    assert set_30.json()["journal_retention_days"] == 30
    assert after_30 is not None
    assert expires() is None


def test_others_are_untouched_by_an_erasure(
    api: httpx.Client,
    local_cloud: dict[str, Any],
    cognito: Any,
    login: Callable[..., dict[str, str]],
) -> None:
    # Given two members with check-ins
    _, _, leaving = enrol(local_cloud, cognito)
    _, staying_sub, staying = enrol(local_cloud, cognito)
    api.post("checkins", headers=leaving, json={"mood": 3})
    api.post("checkins", headers=staying, json={"mood": 4})

    # When one erases their account
    api.delete("me", headers=leaving)

    # Then the other's data and access are as they were
    assert owned_items(local_cloud, staying_sub)["checkins"] == 1
    assert api.get("checkins", headers=staying).status_code == 200
