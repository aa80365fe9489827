"""Notifications on the local cloud: devices, preferences, the reminder sweep, the sender.

Two devices a member: an iPhone on APNs through SNS mobile push (the emulator keeps no
record of a publish, so the sender's own per-device "sent" marks count its pushes) and an
Android phone on the mainland-China route, whose pushes reach the JPush double that the
local cloud runs (local/jpush_double.py; read and steered over HTTP here).

The sweep and the sender are the deployed functions, invoked the way their triggers do:
the sweep with the time the schedule meant (a fixed clock), the sender with an SQS batch
(and a redelivery of the same message).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bench.events import sqs_event
from local.deploy import aws_client
from shared.notifications.notify import build_request

Enrol = Callable[..., dict[str, str]]
DEADLINE = 60.0
# Zones to choose from, so the test's local day does not roll over while it runs.
ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Tokyo", "Pacific/Honolulu")


@pytest.fixture(scope="module")
def aws(local_cloud: dict[str, Any]) -> Callable[[str], Any]:
    return lambda service: aws_client(
        service, local_cloud["aws_endpoint_url"], local_cloud["region"]
    )


@pytest.fixture(scope="module")
def double(local_cloud: dict[str, Any]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_cloud["jpush_double_url"] + "/_double/", timeout=10) as c:
        yield c


def pushes_to(double: httpx.Client, registration_id: str) -> list[dict[str, Any]]:
    """What the JPush double received for one registration id."""
    requests = double.get("requests").json()["requests"]
    return [r for r in requests if registration_id in r["registration_ids"]]


def until(check: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """Poll `check` until it answers something truthy, or fail after `deadline` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {deadline:.0f} s: {what}")


def daytime_zone(now: datetime) -> str:
    """A zone where it is between 02:00 and 21:00 now (a reminder 20 minutes on is today)."""
    for name in ZONES:
        if 2 <= now.astimezone(ZoneInfo(name)).hour < 21:
            return name
    raise AssertionError("no daytime zone in ZONES")


def hhmm(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def user_id(api: httpx.Client, headers: dict[str, str]) -> str:
    answer = api.get("me", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["user_id"])


def register(api: httpx.Client, headers: dict[str, str], *, apns: bool = True) -> dict[str, str]:
    """An Android phone on JPush and (if `apns`) an iPhone on APNs; their ids and tokens."""
    ids = {"android": f"android-{uuid.uuid4().hex[:10]}", "jpush": f"reg-{uuid.uuid4().hex}"}
    answer = api.put(
        f"devices/{ids['android']}",
        headers=headers,
        json={"platform": "android", "provider": "jpush", "token": ids["jpush"], "locale": "zh-CN"},
    )
    assert answer.status_code == 200, answer.text
    if apns:
        ids["ios"] = f"ios-{uuid.uuid4().hex[:10]}"
        answer = api.put(
            f"devices/{ids['ios']}",
            headers=headers,
            json={
                "platform": "ios",
                "provider": "apns",
                "token": uuid.uuid4().hex + uuid.uuid4().hex,
                "apns_environment": "sandbox",
                "locale": "en-GB",
            },
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["enabled"] is True, answer.json()
    return ids


def inbox(api: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    answer = api.get("notifications", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def sent_marks(aws: Callable[[str], Any], table: str, member: str, device: str) -> list[str]:
    """The sender's "pushed to this device" marks for a member's device."""
    found = aws("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": f"user#{member}"}, ":s": {"S": "sent#"}},
    )["Items"]
    return [i["sk"]["S"] for i in found if i["sk"]["S"].endswith(f"#{device}")]


def invoke(aws: Callable[[str], Any], function: str, event: dict[str, Any]) -> Any:
    answer = aws("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    payload = json.loads(answer["Payload"].read() or b"null")
    assert "FunctionError" not in answer, payload
    return payload


def test_a_reminder_sweep_reminds_the_member_due_on_both_devices_and_not_one_who_checked_in(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Enrol,
    aws: Callable[[str], Any],
    double: httpx.Client,
) -> None:
    # Given two members in a daytime zone with a reminder 20 minutes from now, two devices
    # for the first, and a check-in today for the second
    now = datetime.now(UTC)
    zone = daytime_zone(now)
    prefs = {"reminder_time": hhmm(now + timedelta(minutes=20), zone), "time_zone": zone}
    due, checked_in = new_member(zoneinfo=zone), new_member(zoneinfo=zone)
    due_id, checked_in_id = user_id(api, due), user_id(api, checked_in)
    due_devices, other_devices = register(api, due), register(api, checked_in, apns=False)
    saved = {}
    for headers in (due, checked_in):
        answer = api.put("me/notification-preferences", headers=headers, json=prefs)
        assert answer.status_code == 200, answer.text
        saved[headers["Authorization"]] = answer.json()
    scheduled = saved[due["Authorization"]]["next_reminder_at"]
    assert scheduled == saved[checked_in["Authorization"]]["next_reminder_at"]
    answer = api.post("checkins", headers=checked_in, json={"mood": 4, "emotions": ["calm"]})
    assert answer.status_code in (200, 201), answer.text
    table = local_cloud["tables"]["notifications"]
    until(
        lambda: (
            aws("dynamodb")
            .get_item(
                TableName=table,
                Key={"pk": {"S": f"user#{checked_in_id}"}, "sk": {"S": "prefs"}},
                ConsistentRead=True,
            )
            .get("Item", {})
            .get("last_checkin_day")
        ),
        "the check-ins stream records the check-in day",
    )

    # When the sweep runs at the time the schedule meant for that reminder's slot
    counts = invoke(aws, local_cloud["functions"]["reminders"], {"scheduled_time": scheduled})

    # Then the member due gets one inbox entry, one push to each device, in generic words
    assert counts["sent"] >= 1 and counts["skipped_checked_in"] >= 1, counts
    entries = until(lambda: inbox(api, due)["items"], "the reminder reaches the inbox")
    assert [e["category"] for e in entries] == ["reminder"]
    assert inbox(api, due)["unread_count"] == 1
    (push,) = until(lambda: pushes_to(double, due_devices["jpush"]), "the JPush double is called")
    android = push["body"]["notification"]["android"]
    assert android["extras"] == {"route": entries[0]["route"], "ref": entries[0]["id"]}
    assert 0 < push["body"]["options"]["time_to_live"] <= 6 * 3600
    assert len(sent_marks(aws, table, due_id, due_devices["ios"])) == 1
    # And the member who checked in today gets nothing
    assert inbox(api, checked_in)["items"] == []
    assert pushes_to(double, other_devices["jpush"]) == []
    # And the reminder moved on to the next day
    after = api.get("me/notification-preferences", headers=due).json()
    assert after["next_reminder_at"] > scheduled


def test_a_redelivered_request_makes_one_inbox_entry_and_one_push_per_device(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Enrol,
    aws: Callable[[str], Any],
    double: httpx.Client,
) -> None:
    # Given a member with two devices and one request for them on the notification queue
    member = new_member()
    member_id = user_id(api, member)
    devices = register(api, member)
    request = build_request(member_id, "follow_up")
    aws("sqs").send_message(
        QueueUrl=local_cloud["notify_queues"]["requests"], MessageBody=json.dumps(request)
    )

    # When the same message also reaches the sender twice more (SQS redelivers)
    for _ in range(2):
        answer = invoke(
            aws,
            local_cloud["functions"]["notification_sender"],
            sqs_event([request], region=local_cloud["region"]),
        )
        assert answer == {"batchItemFailures": []}

    # Then, once the queue has drained, there is one entry and one push per device
    def drained() -> bool:
        attributes = aws("sqs").get_queue_attributes(
            QueueUrl=local_cloud["notify_queues"]["requests"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(v == "0" for v in attributes.values())

    until(drained, "the notification queue drains")
    assert [e["category"] for e in inbox(api, member)["items"]] == ["follow_up"]
    assert len(pushes_to(double, devices["jpush"])) == 1
    table = local_cloud["tables"]["notifications"]
    assert len(sent_marks(aws, table, member_id, devices["ios"])) == 1


def test_quiet_hours_hold_a_reminder_back_but_not_a_counsellor_alert(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Enrol,
    aws: Callable[[str], Any],
    double: httpx.Client,
) -> None:
    # Given a member in quiet hours that began an hour ago, with an Android phone
    now = datetime.now(UTC)
    member = new_member(zoneinfo="Asia/Shanghai")
    member_id = user_id(api, member)
    devices = register(api, member, apns=False)
    quiet = {
        "start": hhmm(now - timedelta(hours=1), "Asia/Shanghai"),
        "end": hhmm(now + timedelta(hours=1), "Asia/Shanghai"),
    }
    answer = api.put("me/notification-preferences", headers=member, json={"quiet_hours": quiet})
    assert answer.status_code == 200, answer.text

    # When a reminder and a counsellor alert reach the sender in one batch
    reminder = build_request(member_id, "reminder")
    alert = build_request(member_id, "counsellor_alert")
    answer = invoke(
        aws,
        local_cloud["functions"]["notification_sender"],
        sqs_event([reminder, alert], region=local_cloud["region"]),
    )

    # Then the alert is in the inbox and on the phone at once, as high priority; the
    # reminder waits for the end of quiet hours
    assert answer == {"batchItemFailures": []}
    assert [e["category"] for e in inbox(api, member)["items"]] == ["counsellor_alert"]
    (push,) = pushes_to(double, devices["jpush"])
    assert push["body"]["notification"]["android"]["priority"] == 2


def test_a_dead_token_disables_that_device_only(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Enrol,
    aws: Callable[[str], Any],
    double: httpx.Client,
) -> None:
    # Given a member whose Android registration id JPush no longer knows, and an iPhone
    member = new_member()
    member_id = user_id(api, member)
    devices = register(api, member)
    steer = double.put(f"behaviours/{devices['jpush']}", json={"behaviour": "invalid_token"})
    assert steer.status_code == 204

    # When a notification is sent to them
    request = build_request(member_id, "announcement", {"title": "Exam week"})
    answer = invoke(
        aws,
        local_cloud["functions"]["notification_sender"],
        sqs_event([request], region=local_cloud["region"]),
    )

    # Then the Android phone is disabled as token_dead, the iPhone still pushes
    assert answer == {"batchItemFailures": []}
    listed = {d["installation_id"]: d for d in api.get("devices", headers=member).json()["items"]}
    assert (
        listed[devices["android"]]["enabled"],
        listed[devices["android"]]["disabled_reason"],
    ) == (
        False,
        "token_dead",
    )
    assert listed[devices["ios"]]["enabled"] is True
    (refused,) = pushes_to(double, devices["jpush"])
    assert refused["status"] == 400


def test_a_new_time_zone_from_put_me_moves_the_reminder(
    api: httpx.Client, new_member: Enrol
) -> None:
    # Given a member in Shanghai with a reminder at 20:00
    member = new_member(zoneinfo="Asia/Shanghai")
    saved = api.put("me/notification-preferences", headers=member, json={"reminder_time": "20:00"})
    assert saved.status_code == 200, saved.text
    before = saved.json()["next_reminder_at"]

    # When they move to London with PUT /me
    moved = api.put("me", headers=member, json={"time_zone": "Europe/London"})
    assert moved.status_code == 200, moved.text

    # Then, through the accounts stream, the reminder is 20:00 London time
    def followed() -> dict[str, Any] | None:
        prefs = dict(api.get("me/notification-preferences", headers=member).json())
        return prefs if prefs["time_zone"] == "Europe/London" else None

    after = until(followed, "the preferences follow the new zone")
    at = datetime.fromisoformat(after["next_reminder_at"].replace("Z", "+00:00"))
    assert at.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") == "20:00"
    assert after["next_reminder_at"] != before


def test_a_token_registered_by_another_account_leaves_the_first(
    api: httpx.Client, new_member: Enrol
) -> None:
    # Given a phone registered by one member
    first, second = new_member(), new_member()
    phone = {"platform": "android", "provider": "jpush", "token": f"reg-{uuid.uuid4().hex}"}
    assert api.put("devices/shared-phone-1", headers=first, json=phone).status_code == 200

    # When someone else signs in on it and registers the same token
    assert api.put("devices/shared-phone-2", headers=second, json=phone).status_code == 200

    # Then only the second account has the phone
    first_devices = api.get("devices", headers=first).json()["items"]
    second_devices = api.get("devices", headers=second).json()["items"]
    assert first_devices == []
    assert [d["installation_id"] for d in second_devices] == ["shared-phone-2"]


def test_bad_device_and_preference_input_is_a_problem(api: httpx.Client, new_member: Enrol) -> None:
    member = new_member()
    cases = [
        ("put", "devices/short", {"platform": "ios", "provider": "apns", "token": "t"}, 422),
        ("put", "devices/phone-12345", {"platform": "ios", "provider": "apns", "token": "t"}, 422),
        ("put", "devices/phone-12345", {"platform": "pager", "provider": "fcm", "token": "t"}, 422),
        ("put", "me/notification-preferences", {"reminder_time": "25:00"}, 422),
        ("post", "notifications/unknown-id/read", None, 404),
        ("delete", "devices/never-registered", None, 404),
    ]
    for method, path, body, status in cases:
        answer = api.request(method.upper(), path, headers=member, json=body)
        assert answer.status_code == status, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json"), path
