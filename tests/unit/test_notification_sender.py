"""The notification sender (moto DynamoDB with the template's table, fake providers, a fake
queue): preferences, quiet hours, one inbox entry and one push per device per request."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket, socket_allow_hosts

from bench.events import sqs_event
from functions.notifications import sender
from functions.notifications.repository import SenderRepository, inbox_id, partition
from functions.notifications.sender import (
    Dependencies,
    LazyProvider,
    PushesToRetry,
    deliver,
    jpush_credentials,
)
from local.jpush_double import JPushDouble
from shared.dynamo import from_item, to_item
from shared.notifications.notify import build_request
from shared.notifications.providers import Device, Outcome, Push
from shared.settings import settings
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
        self.delayed: list[tuple[str, int]] = []

    def send(self, request: dict[str, Any], delay_seconds: int = 0) -> None:
        self.sent.append((dict(request), delay_seconds))

    def retry_later(self, request: dict[str, Any], receipt_handle: str, seconds: int) -> None:
        self.delayed.append((receipt_handle, seconds))


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "secretsmanager", "sns") as made:
        yield made


@pytest.fixture
def db(clients: dict[str, Any]) -> Any:
    return clients["dynamodb"]


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
    # Given two working devices (JPush, and APNs with its SNS endpoint), one with a dead token
    # and one on a platform this deployment has not configured
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
    add_device(db, table, user, "phone-3", disabled_reason="token_dead")
    add_device(
        db, table, user, "phone-4", provider="fcm", disabled_reason="provider_not_configured"
    )
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


def test_each_push_is_in_its_devices_locale_and_the_inbox_in_the_preferences(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a member reading English, with a Chinese phone, a British tablet and a watch
    # that never said its locale
    repo.put_preferences(user, {"locale": "en", "time_zone": "Asia/Shanghai"})
    add_device(db, table, user, "phone-1", locale="zh-CN")
    add_device(db, table, user, "tablet-1", locale="en-GB")
    add_device(db, table, user, "watch-1")
    # When a peer message is delivered
    deliver(request(user), deps, NOON)
    # Then each device reads its own language (the watch the preferences'), and so does
    # the inbox
    titles = {installation: push.title for installation, push in provider.sent}
    assert titles == {"phone-1": "新消息", "tablet-1": "New message", "watch-1": "New message"}
    assert items(db, table, user, "inbox#")[0]["title"] == "New message"


def test_without_preferences_a_device_locale_still_chooses_the_push_text(
    db: Any, table: str, deps: Dependencies, provider: FakeProvider, user: str
) -> None:
    # Given a member who never saved preferences, with an English phone
    add_device(db, table, user, "phone-1", locale="en-US")
    # When a reminder is delivered
    deliver(request(user, "reminder", params={}), deps, NOON)
    # Then the push is English and the inbox is in zh-CN, the default
    [(_, push)] = provider.sent
    assert push.title == "Daily check-in"
    assert items(db, table, user, "inbox#")[0]["title"] == "每日签到"


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
    # Then the device is marked dead and no longer pushed to, until the app registers again
    [device] = items(db, table, user, "device#")
    assert device["disabled_reason"] == "token_dead"
    assert repo.enabled_devices(user) == []
    deliver(request(user), deps, NOON)
    assert provider.devices() == ["phone-1"]
    fresh = {"platform": "android", "provider": "jpush", "token": "fresh"}
    repo.put_device(user, "phone-1", fresh, "2026-11-24T05:00:00.000Z")
    assert [d["installation_id"] for d in repo.enabled_devices(user)] == ["phone-1"]


def test_a_dead_token_does_not_disable_a_device_that_registered_a_new_one_meanwhile(
    db: Any, table: str, repo: SenderRepository, user: str
) -> None:
    # Given a device that registered a new token after a push went to its old one
    add_device(db, table, user, "phone-1", token="new")
    # When the old token's push comes back dead
    disabled = repo.disable_device(user, "phone-1", "old")
    # Then the device stays enabled
    assert disabled is False
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


def test_a_record_to_retry_waits_longer_each_time_it_comes_back(
    db: Any,
    table: str,
    deps: Dependencies,
    provider: FakeProvider,
    queue: FakeQueue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a device that keeps asking to try again, and a request SQS delivered 3 times
    member = f"member-{uuid.uuid4().hex[:8]}"
    add_device(db, table, member, "phone-a")
    provider.script["phone-a"] = ["retry"]
    monkeypatch.setattr(sender, "dependencies", lambda: deps)
    event = sqs_event([request(member)])
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "3"
    # When the sender handles it
    response = sender.handler(event, lambda_context("sender"))
    # Then it fails, and SQS holds it back 40 s (10 s doubled per earlier try)
    assert len(response["batchItemFailures"]) == 1
    assert queue.delayed == [(event["Records"][0]["receiptHandle"], 40)]


@pytest.mark.parametrize(
    ("receive_count", "urgent", "seconds"),
    [
        (1, False, 10),
        (2, False, 20),
        (7, False, 640),
        (8, False, 900),
        (500, False, 900),
        (1, True, 10),
        (3, True, 40),
        (4, True, 60),
        (0, True, 10),
    ],
)
def test_retries_back_off_to_a_ceiling(receive_count: int, urgent: bool, seconds: int) -> None:
    assert sender.backoff_seconds(receive_count, urgent) == seconds


def test_a_message_that_is_not_a_request_is_dropped_not_retried(
    deps: Dependencies, queue: FakeQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a batch with a body that is not JSON and one without a recipient
    monkeypatch.setattr(sender, "dependencies", lambda: deps)
    event = sqs_event([{"category": "reminder"}])
    event["Records"].append(dict(event["Records"][0], body="not json", messageId="m-2"))
    # When the sender handles it
    response = sender.handler(event, lambda_context("sender"))
    # Then neither fails (retrying cannot mend them) and nothing is delayed
    assert response == {"batchItemFailures": []}
    assert queue.delayed == []


def test_a_held_back_reminder_is_dropped_once_the_member_checked_in_that_day(
    db: Any,
    table: str,
    repo: SenderRepository,
    deps: Dependencies,
    provider: FakeProvider,
    user: str,
) -> None:
    # Given a member with a device who checked in on the day a reminder was for
    add_device(db, table, user, "phone-a")
    db.put_item(
        TableName=table,
        Item=to_item(
            {
                "pk": partition(user),
                "sk": "prefs",
                "time_zone": "Asia/Shanghai",
                "last_checkin_day": "2026-11-24",
            }
        ),
    )
    # When that reminder, and one for the next day, are delivered
    today = sender.deliver(request(user, "reminder", params={}, day="2026-11-24"), deps, NOON)
    tomorrow = sender.deliver(request(user, "reminder", params={}, day="2026-11-25"), deps, NOON)
    # Then only the next day's reaches the inbox and the phone
    assert (today, tomorrow) == ("checked_in", "delivered")
    assert len(items(db, table, user, "inbox#")) == 1
    assert provider.devices() == ["phone-a"]


# --- the production dependencies ---------------------------------------------------------

APP_KEY = "7d431e42dfa6a6d693ac2d04"
MASTER_SECRET = "5e987ac6d2e04d95a9d8f0d1"


class Calls:
    """The operations a client makes while inside the block (botocore before-call)."""

    def __init__(self, client: Any, service: str) -> None:
        self.names: list[str] = []
        self._client = client
        self._event = f"before-call.{service}"

    def __enter__(self) -> Calls:
        self._client.meta.events.register(self._event, self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.meta.events.unregister(self._event, self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)


@pytest.fixture
def made_clients(
    clients: dict[str, Any], table: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[str]]:
    """sender.dependencies() over the moto clients; the services it asked a client for."""
    asked: list[str] = []

    def client(service: str) -> Any:
        asked.append(service)
        return clients[service]

    monkeypatch.setenv("NOTIFICATIONS_TABLE", table)
    monkeypatch.delenv("JPUSH_SECRET_ARN", raising=False)
    monkeypatch.delenv("JPUSH_API_URL", raising=False)
    monkeypatch.setattr(sender.aws, "client", client)
    settings.cache_clear()
    sender.dependencies.cache_clear()
    yield asked
    settings.cache_clear()
    sender.dependencies.cache_clear()


def jpush_secret(clients: dict[str, Any], value: str) -> str:
    made = clients["secretsmanager"].create_secret(Name=fresh_name("jpush"), SecretString=value)
    return str(made["ARN"])


@pytest.fixture
def double(monkeypatch: pytest.MonkeyPatch) -> Iterator[JPushDouble]:
    """A local JPush, with sockets on for this test and to 127.0.0.1 only."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    true_connect = socket.socket.connect
    enable_socket()
    socket_allow_hosts(["127.0.0.1"])
    try:
        with JPushDouble(APP_KEY, MASTER_SECRET) as running:
            yield running
    finally:
        socket.socket.connect = true_connect  # type: ignore[method-assign]
        disable_socket(allow_unix_socket=True)


def test_jpush_credentials_are_read_from_the_secret_once_at_the_first_jpush_push(
    clients: dict[str, Any],
    made_clients: list[str],
    double: JPushDouble,
    db: Any,
    table: str,
    user: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the JPush secret, the JPush API at the double, and a member with two JPush phones
    secret = json.dumps({"app_key": APP_KEY, "master_secret": MASTER_SECRET})
    monkeypatch.setenv("JPUSH_SECRET_ARN", jpush_secret(clients, secret))
    monkeypatch.setenv("JPUSH_API_URL", double.url)
    add_device(db, table, user, "phone-1")
    add_device(db, table, user, "phone-2")
    # When the sender starts, then delivers two requests
    with Calls(clients["secretsmanager"], "secretsmanager") as reads:
        deps = sender.dependencies()
        read_at_start = list(reads.names)
        results = [deliver(request(user), deps, NOON) for _ in range(2)]
    # Then the secret was read once, at the first push, and the double took all four pushes
    # (it answers 401 to any other credentials)
    assert read_at_start == []
    assert reads.names == ["GetSecretValue"]
    assert results == ["delivered", "delivered"]
    sent_to = [r.registration_ids for r in double.requests]
    assert sorted(sent_to) == [["token-phone-1"]] * 2 + [["token-phone-2"]] * 2


def test_without_a_jpush_secret_jpush_devices_are_skipped_and_the_inbox_still_written(
    made_clients: list[str], db: Any, table: str, user: str
) -> None:
    # Given no JPUSH_SECRET_ARN, and a member with a JPush phone
    add_device(db, table, user, "phone-1")
    deps = sender.dependencies()
    # When a request is delivered
    result = deliver(request(user), deps, NOON)
    # Then it is delivered to the inbox only, and Secrets Manager was never asked
    assert set(deps.providers) == {"apns", "fcm"}
    assert result == "delivered"
    assert len(items(db, table, user, "inbox#")) == 1
    assert "secretsmanager" not in made_clients


def test_the_sender_makes_no_sns_client_until_an_sns_device_is_pushed(
    made_clients: list[str], db: Any, table: str, user: str
) -> None:
    # Given the sender's dependencies, and a member whose only device is an APNs one
    deps = sender.dependencies()
    asked_at_start = list(made_clients)
    add_device(
        db,
        table,
        user,
        "phone-1",
        platform="ios",
        provider="apns",
        apns_environment="production",
        endpoint_arn="arn:aws:sns:us-east-1:123456789012:endpoint/APNS/none/x",
    )
    # When a request is delivered to it
    deliver(request(user), deps, NOON)
    # Then the SNS client was made for that push, not before
    assert "sns" not in asked_at_start
    assert "sns" in made_clients


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("app_key=k;master_secret=s", id="not-json"),
        pytest.param('["a-key-value", "a-secret-value"]', id="a-list"),
        pytest.param('{"app_key": "a-key-value"}', id="no-master-secret"),
        pytest.param('{"app_key": "", "master_secret": "a-secret-value"}', id="empty-app-key"),
        pytest.param('{"app_key": "a-key-value", "master_secret": 7}', id="number"),
    ],
)
def test_a_jpush_secret_without_both_keys_is_refused_without_quoting_it(
    clients: dict[str, Any], value: str
) -> None:
    # Given a JPush secret that is not {"app_key": ..., "master_secret": ...}
    arn = jpush_secret(clients, value)
    # When it is read
    with pytest.raises(ValueError) as refused:
        jpush_credentials(clients["secretsmanager"], arn)
    # Then it is refused, naming the keys and none of the values
    assert "app_key and master_secret" in str(refused.value)
    assert not any(v in str(refused.value) for v in ("a-key-value", "a-secret-value", "k;"))


def test_a_lazy_provider_builds_again_after_a_failed_build_then_keeps_what_it_built() -> None:
    # Given a provider whose first build fails (Secrets Manager throttled, say)
    builds: list[int] = []
    working = FakeProvider()

    def build() -> FakeProvider:
        builds.append(1)
        if len(builds) == 1:
            raise RuntimeError("throttled")
        return working

    lazy = LazyProvider(build)
    phone = Device("phone-1", "android", "jpush", "token", None, None)
    push = Push("t", "b", "inbox", "ref", "c", 0, False, 60)
    # When it is used three times
    with pytest.raises(RuntimeError):
        lazy.send(phone, push)
    outcomes = [lazy.send(phone, push), lazy.send(phone, push)]
    # Then the failure is not kept: it built twice, and the second build served both pushes
    assert outcomes == ["delivered", "delivered"]
    assert len(builds) == 2
    assert working.devices() == ["phone-1", "phone-1"]


@pytest.mark.parametrize("configured", [None, ""], ids=["unset", "empty"])
def test_jpush_api_url_defaults_to_jpush_cn(
    made_clients: list[str], monkeypatch: pytest.MonkeyPatch, configured: str | None
) -> None:
    # Given a JPush secret, and JPUSH_API_URL unset or empty
    monkeypatch.setenv("JPUSH_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:jpush")
    if configured is not None:
        monkeypatch.setenv("JPUSH_API_URL", configured)
    built: list[str] = []

    def fake_jpush(_secret_arn: str, api_url: str) -> FakeProvider:
        built.append(api_url)
        return FakeProvider()

    monkeypatch.setattr(sender, "jpush_provider", fake_jpush)
    # When the sender pushes to a JPush device
    sender.dependencies().providers["jpush"].send(
        Device("phone-1", "android", "jpush", "token", None, None),
        Push("t", "b", "inbox", "ref", "c", 0, False, 60),
    )
    # Then JPush's public API is used
    assert built == ["https://api.jpush.cn"]
