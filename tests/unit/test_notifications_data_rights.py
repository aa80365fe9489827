"""Erasure of the notifications feature takes the member's SNS endpoints with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.notifications.data_rights import NotificationsData
from functions.notifications.repository import NotificationsRepository
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

AT = "2026-11-24T08:00:00.000Z"


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "sns") as clients:
        yield clients


def endpoint(sns: Any, app: str, token: str) -> str:
    return str(sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"])


def test_erase_deletes_the_endpoints_of_the_members_devices_only(clients: dict[str, Any]) -> None:
    # Given two members, each with a device whose SNS endpoint is stored on it
    db, sns = clients["dynamodb"], clients["sns"]
    table = create_table(db, "NotificationsTable", fresh_name("notifications"))
    app = sns.create_platform_application(
        Name="stack-fcm", Platform="GCM", Attributes={"PlatformCredential": "{}"}
    )["PlatformApplicationArn"]
    repo = NotificationsRepository(db, table)
    arns = {}
    for user, token in (("user-a", "token-a"), ("user-b", "token-b")):
        arns[user] = endpoint(sns, app, token)
        fields = {"platform": "android", "provider": "fcm", "token": token}
        repo.put_device(user, f"install-{user}", fields, AT)
        db.update_item(
            TableName=table,
            Key={"pk": {"S": f"user#{user}"}, "sk": {"S": f"device#install-{user}"}},
            UpdateExpression="SET endpoint_arn = :e",
            ExpressionAttributeValues={":e": {"S": arns[user]}},
        )
    data = NotificationsData(db, table, sns)
    # When the first member is erased, twice (the workflow may retry)
    erased, again = data.erase("user-a"), data.erase("user-a")
    # Then their endpoint and device are gone, once; the other member keeps both
    left = {
        e["EndpointArn"]
        for e in sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    }
    assert left == {arns["user-b"]}
    assert (erased, again) == (1, 0)
    assert [d["installation_id"] for d in repo.devices("user-b")] == ["install-user-b"]
