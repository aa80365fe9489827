"""The notification sender (moto DynamoDB with the template's table, fake providers, a fake
queue): preferences, quiet hours, one inbox entry and one push per device per request."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.notifications import sender
from functions.notifications.repository import SenderRepository, inbox_id, partition
from functions.notifications.sender import Dependencies, PushesToRetry, deliver
from shared.dynamo import from_item, to_item
from shared.notifications.notify import build_request
from shared.notifications.providers import Device, Outcome, Push
from tests.support.events import lambda_context
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# 12:00 in Shanghai (UTC+8): outside the quiet hours used below.
NOON = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
# 23:00 in Shanghai: inside 22:00-07:00, which ends at 23:00 UTC.
LATE = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
QUIET = {"quiet_start": "22:00", "quiet_end": "07:00", "time_zone": "Asia/Shanghai"}


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers flush Powertools metrics; metrics left by earlier tests need a namespace."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")


class FakeProvider:
    """Answers each device with its scripted outcomes in turn ("delivered" once they run out)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Push]] = []
        self.script: dict[str, list[Outcome]] = {}

    def send(self, device: Device, push: Push) -> Outcome:
        self.sent.append((device.installation_id, push))
        planned = self.script.get(device.installation_id)
        return planned.pop(0) if planned else "delivered"

    def devices(self) -> list[str]:
        return [installation for installation, _ in self.sent]


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, Any], int]] = []

    def send(self, request: dict[str, Any], delay_seconds: int = 0) -> None:
        self.sent.append((dict(request), delay_seconds))


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "NotificationsTable", fresh_name("notifications"))


@pytest.fixture
def repo(db: Any, table: str) -> SenderRepository:
    return SenderRepository(db, table)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def deps(repo: SenderRepository, provider: FakeProvider, queue: FakeQueue) -> Dependencies:
    return Dependencies(
        repository=repo,
        providers={"apns": provider, "fcm": provider, "jpush": provider},
        queue=queue,  # type: ignore[arg-type]
        clock=lambda: NOON,
    )


@pytest.fixture
def user() -> str:
    return f"member-{uuid.uuid4().hex[:8]}"


def add_device(db: Any, table: str, user_id: str, installation_id: str, **fields: Any) -> None:
    item = {
        "pk": partition(user_id),
        "sk": f"device#{installation_id}",
        "installation_id": installation_id,
        "platform": "android",
        "provider": "jpush",
        "token": f"token-{installation_id}",
    } | fields
    db.put_item(TableName=table, Item=to_item(item))


def items(db: Any, table: str, user_id: str, prefix: str) -> list[dict[str, Any]]:
    response = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_item({":pk": partition(user_id), ":prefix": prefix}),
    )
    return [from_item(i) for i in response["Items"]]


def request(user_id: str, category: str = "peer_message", **changes: Any) -> dict[str, Any]:
    params = changes.pop("params", {"sender_name": "Lin"})
    return build_request(user_id, category, params, now=changes.pop("now", NOON), **changes)


# --- delivery ------------------------------------------------------------------------------


def test_a_request_makes_one_inbox_entry_and_one_push_per_enabled_device(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given two working devices (JPush, and APNs with its SNS endpoint) and one with a dead token
    add_device(db, table, user, "phone-1")
    add_device(
        db,
        table,
        user,
        "phone-2",
        platform="ios",
        provider="apns",
        apns_environment="production",
        endpoint_arn="arn:aws:sns:us-east-1:0:endpoint/APNS/a/b",
    )
    add_device(db, table, user, "phone-3", token="old", dead_token="old")
    sent = request(user)
    # When the request is delivered
    result = deliver(sent, deps, NOON)
    # Then one inbox entry, counted unread, and a push to each working device only
    assert result == "delivered"
    [entry] = items(db, table, user, "inbox#")
    assert entry["category"] == "peer_message" and entry["notification_id"] == sent["request_id"]
    assert repo.unread_count(user) == 1
    assert sorted(provider.devices()) == ["phone-1", "phone-2"]
    push = provider.sent[0][1]
    assert push.ref == inbox_id(sent["created_at"], sent["request_id"])
    assert push.collapse_id == f"peer_message:{sent['request_id']}"
    assert push.badge == 1 and push.urgent is False
    assert push.ttl_seconds == 86400
    assert (push.route, push.title) == ("messages", "新消息")  # zh-CN and generic by default


def test_the_text_follows_the_members_locale_and_full_preview(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a member reading English with full previews
    repo.put_preferences(
        user, {"locale": "en-GB", "lock_screen_preview": "full", "time_zone": "Europe/London"}
    )
    add_device(db, table, user, "phone-1")
    # When a peer message from Lin is delivered
    deliver(request(user), deps, NOON)
    # Then the push and the inbox name the sender in English
    [(_, push)] = provider.sent
    assert push.body == "Lin replied to your check-in"
    assert items(db, table, user, "inbox#")[0]["body"] == "Lin replied to your check-in"


def test_a_counsellor_alert_is_generic_whatever_the_preview(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a counsellor with full previews
    repo.put_preferences(user, {"locale": "en", "lock_screen_preview": "full"})
    add_device(db, table, user, "phone-1")
    # When an alert is delivered with a parameter
    deliver(request(user, "counsellor_alert"), deps, NOON)
    # Then the push is the generic alert, urgent
    [(_, push)] = provider.sent
    assert push.title == "Urgent: a member needs a call back"
    assert push.urgent is True


def test_a_redelivered_request_makes_no_second_inbox_entry_and_no_second_push(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a request already delivered to two devices
    add_device(db, table, user, "phone-1")
    add_device(db, table, user, "phone-2")
    sent = request(user)
    deliver(sent, deps, NOON)
    # When SQS delivers it again
    result = deliver(sent, deps, NOON + timedelta(seconds=30))
    # Then there is still one entry, counted once, and each device got one push
    assert result == "delivered"
    assert len(items(db, table, user, "inbox#")) == 1
    assert repo.unread_count(user) == 1
    assert sorted(provider.devices()) == ["phone-1", "phone-2"]


def test_reminders_share_one_collapse_id_so_repeats_replace_each_other(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given a device
    add_device(db, table, user, "phone-1")
    # When two reminders are delivered
    deliver(request(user, "reminder", params={}), deps, NOON)
    deliver(request(user, "reminder", params={}), deps, NOON)
    # Then both pushes collapse under "reminder"
    assert [push.collapse_id for _, push in provider.sent] == ["reminder", "reminder"]


# --- provider outcomes -------------------------------------------------------------------


def test_a_retry_outcome_fails_the_request_and_the_redelivery_pushes_only_the_missing_device(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given two devices, the second of which the service asks to try again once
    add_device(db, table, user, "phone-1")
    add_device(db, table, user, "phone-2")
    provider.script["phone-2"] = ["retry"]
    sent = request(user)
    # When the request is delivered
    with pytest.raises(PushesToRetry) as failed:
        deliver(sent, deps, NOON)
    # Then it fails naming the device to retry
    assert failed.value.installation_ids == ["phone-2"]
    # And when SQS delivers it again, only that device gets a push
    assert deliver(sent, deps, NOON + timedelta(minutes=1)) == "delivered"
    assert provider.devices() == ["phone-1", "phone-2", "phone-2"]
    assert len(items(db, table, user, "inbox#")) == 1


def test_a_provider_error_releases_the_device_for_the_next_delivery(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given a device whose provider raised (our configuration, say) on the first delivery
    add_device(db, table, user, "phone-1")
    sent = request(user)

    class Raising:
        def send(self, device: Device, push: Push) -> Outcome:
            raise RuntimeError("bad credentials")

    failing = Dependencies(deps.repository, {"jpush": Raising()}, deps.queue, deps.clock)
    with pytest.raises(RuntimeError):
        deliver(sent, failing, NOON)
    # When the request is delivered again with the provider fixed
    deliver(sent, deps, NOON)
    # Then the device gets its push
    assert provider.devices() == ["phone-1"]


def test_a_dead_token_disables_the_device_for_later_requests(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a device whose token the service calls dead
    add_device(db, table, user, "phone-1")
    provider.script["phone-1"] = ["token_dead"]
    # When a request is delivered
    assert deliver(request(user), deps, NOON) == "delivered"
    # Then the device is no longer pushed to, until the app registers a new token
    assert repo.enabled_devices(user) == []
    deliver(request(user), deps, NOON)
    assert provider.devices() == ["phone-1"]
    fresh = {"platform": "android", "provider": "jpush", "token": "fresh"}
    repo.put_device(user, "phone-1", fresh, "2026-11-24T05:00:00.000Z")
    assert [d["installation_id"] for d in repo.enabled_devices(user)] == ["phone-1"]


def test_an_sns_device_without_an_endpoint_is_skipped(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given an FCM device whose SNS endpoint has not been made yet
    add_device(db, table, user, "phone-1", provider="fcm")
    # When a request is delivered
    result = deliver(request(user), deps, NOON)
    # Then it is written to the inbox but nothing is pushed
    assert result == "delivered"
    assert provider.sent == []
    assert len(items(db, table, user, "inbox#")) == 1


# --- preferences, quiet hours, expiry ----------------------------------------------------


@pytest.mark.parametrize(
    ("category", "opt_out"),
    [
        ("reminder", "reminders"),
        ("peer_message", "peer_messages"),
        ("follow_up", "follow_ups"),
        ("announcement", "announcements"),
    ],
)
def test_a_category_the_member_turned_off_is_dropped(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
    category: str,
    opt_out: str,
) -> None:
    # Given a member who turned the category off
    repo.put_preferences(user, {"opt_outs": [opt_out]})
    add_device(db, table, user, "phone-1")
    # When a request of it is delivered
    result = deliver(request(user, category), deps, NOON)
    # Then nothing is written or pushed
    assert result == "opted_out"
    assert items(db, table, user, "inbox#") == [] and provider.sent == []


def test_a_safety_notification_reaches_a_member_who_turned_everything_off(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a member who turned every optional category off
    repo.put_preferences(
        user, {"opt_outs": ["announcements", "follow_ups", "peer_messages", "reminders"]}
    )
    add_device(db, table, user, "phone-1")
    # When a safety notification is delivered
    # Then it is pushed
    assert deliver(request(user, "safety"), deps, NOON) == "delivered"
    assert provider.devices() == ["phone-1"]


def test_a_reminder_in_quiet_hours_is_requeued_until_they_end(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    queue: FakeQueue,
    user: str,
) -> None:
    # Given a member in quiet hours (23:00 in Shanghai, quiet until 07:00)
    repo.put_preferences(user, QUIET)
    add_device(db, table, user, "phone-1")
    sent = request(user, "reminder", params={}, now=LATE)
    # When the reminder is delivered
    result = deliver(sent, deps, LATE)
    # Then the same request goes back on the queue for SQS's longest delay, nothing else
    assert result == "deferred"
    assert queue.sent == [(sent, 900)]
    assert provider.sent == [] and items(db, table, user, "inbox#") == []


def test_a_deferral_near_the_end_of_quiet_hours_waits_only_until_they_end(
    repo: SenderRepository, deps: Dependencies, queue: FakeQueue, user: str
) -> None:
    # Given a member ten minutes before their quiet hours end (06:50 in Shanghai)
    repo.put_preferences(user, QUIET)
    at = datetime(2026, 11, 24, 22, 50, tzinfo=UTC)
    # When a follow-up is delivered
    deliver(request(user, "follow_up", now=at), deps, at)
    # Then it is held back for the ten minutes left
    assert [delay for _, delay in queue.sent] == [600]


def test_a_counsellor_alert_in_quiet_hours_is_pushed_at_once_and_urgent(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    queue: FakeQueue,
    user: str,
) -> None:
    # Given a counsellor in quiet hours
    repo.put_preferences(user, QUIET)
    add_device(db, table, user, "phone-1")
    # When a counsellor alert is delivered
    result = deliver(request(user, "counsellor_alert", now=LATE), deps, LATE)
    # Then it is pushed now, urgent, and not deferred
    assert result == "delivered"
    [(_, push)] = provider.sent
    assert push.urgent is True
    assert queue.sent == []


def test_an_expired_request_is_dropped(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given a request with a one-hour life
    add_device(db, table, user, "phone-1")
    sent = request(user, ttl_seconds=3600)
    # When it is delivered an hour later
    result = deliver(sent, deps, NOON + timedelta(hours=1))
    # Then nothing is written or pushed
    assert result == "expired"
    assert provider.sent == [] and items(db, table, user, "inbox#") == []


# --- the Lambda --------------------------------------------------------------------------


def sqs_event(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS event as Lambda delivers it (see the AWS Lambda SQS event reference)."""
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": f"handle-{n}",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795924800000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795924800001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:notify",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def test_a_batch_of_ten_requests_is_delivered_in_one_invocation(
    db: Any,
    table: str,
    deps: Dependencies,
    provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given ten members with a device each and a request for each
    members = [f"member-{uuid.uuid4().hex[:8]}" for _ in range(10)]
    for member in members:
        add_device(db, table, member, f"{member}-phone")
    monkeypatch.setattr(sender, "dependencies", lambda: deps)
    event = sqs_event([request(member) for member in members])
    # When the sender handles them in one invocation
    response = sender.handler(event, lambda_context("sender"))
    # Then no record failed and every member got one push
    assert response == {"batchItemFailures": []}
    assert sorted(provider.devices()) == sorted(f"{m}-phone" for m in members)


def test_a_record_to_retry_is_reported_alone_as_a_batch_item_failure(
    db: Any,
    table: str,
    deps: Dependencies,
    provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two members, the second of whose device asks to try again
    first, second = (f"member-{uuid.uuid4().hex[:8]}" for _ in range(2))
    add_device(db, table, first, "phone-a")
    add_device(db, table, second, "phone-b")
    provider.script["phone-b"] = ["retry"]
    monkeypatch.setattr(sender, "dependencies", lambda: deps)
    event = sqs_event([request(first), request(second)])
    # When the sender handles the batch
    response = sender.handler(event, lambda_context("sender"))
    # Then only the second record is reported failed
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
