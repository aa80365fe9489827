"""The notifications table through NotificationsRepository (moto DynamoDB, template schema):
the inbox and its unread counter, devices, the reminder index, export and erase."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.notifications.data_rights import NotificationsData
from functions.notifications.repository import (
    INBOX_DAYS,
    UNREAD,
    NotificationsRepository,
    SenderRepository,
    inbox_id,
    inbox_sk,
    partition,
    token_pk,
)
from shared.dynamo import from_item, to_item
from tests.support.calls import DynamoCalls
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

AT = "2026-11-24T04:00:00.000Z"
TOKEN = "apns-token-0123456789abcdef-secret"
ENDPOINT = "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/7c1f"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "NotificationsTable", fresh_name("notifications"))


@pytest.fixture
def repo(db: Any, table: str) -> NotificationsRepository:
    return NotificationsRepository(db, table)


def entry(created_at: str = AT, **fields: Any) -> dict[str, Any]:
    return {
        "category": "announcement",
        "title": "New announcement",
        "body": "Open the app to read it",
        "route": "inbox",
        "ref": "ann-1",
        "created_at": created_at,
    } | fields


def stamp(n: int) -> str:
    """The n-th minute after AT, as the sender stamps created_at."""
    moment = dt.datetime(2026, 11, 24, 4, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def raw_items(db: Any, table: str, user_id: str) -> list[dict[str, Any]]:
    response = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": partition(user_id)}),
    )
    return [from_item(i) for i in response["Items"]]


def inbox_items(db: Any, table: str, user_id: str) -> list[dict[str, Any]]:
    return [i for i in raw_items(db, table, user_id) if i["sk"].startswith("inbox#")]


# --- add_inbox_entry -----------------------------------------------------------------------


def test_add_inbox_entry_with_the_same_request_id_twice_makes_one_entry_counted_once(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given an entry added for request r-1
    first = repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    # When the same request is delivered again (an SQS redelivery)
    again = repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    # Then the second write is refused, one entry exists, and it is counted unread once
    assert (first, again) == (True, False)
    assert len(inbox_items(db, table, "user-a")) == 1
    assert repo.unread_count("user-a") == 1


def test_add_inbox_entry_for_two_requests_makes_two_entries(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given / When two requests add an entry at the same instant
    assert repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    assert repo.add_inbox_entry("user-a", "n-2", entry(), "r-2")
    # Then both are kept and both are unread
    assert len(inbox_items(db, table, "user-a")) == 2
    assert repo.unread_count("user-a") == 2


def test_inbox_entry_expires_90_days_after_it_was_created(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given / When an entry is added
    repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    # Then its TTL is 90 days after created_at, and it keeps the notification id
    [item] = inbox_items(db, table, "user-a")
    created = dt.datetime(2026, 11, 24, 4, tzinfo=dt.UTC)
    assert item["expires_at"] == int((created + dt.timedelta(days=INBOX_DAYS)).timestamp())
    assert item["notification_id"] == "n-1"
    assert item["sk"] == f"inbox#{AT}#r-1"


@pytest.mark.parametrize(
    ("fields", "request_id"),
    [
        pytest.param({"created_at": "2026-11-24T04:00:00Z"}, "r-1", id="no-milliseconds"),
        pytest.param({"created_at": "yesterday"}, "r-1", id="not-an-instant"),
        pytest.param({}, "r#1", id="hash-in-request-id"),
        pytest.param({"token": TOKEN}, "r-1", id="unknown-field"),
    ],
)
def test_add_inbox_entry_refuses_what_would_make_a_bad_key_or_item(
    db: Any, table: str, repo: NotificationsRepository, fields: dict[str, Any], request_id: str
) -> None:
    # Given an entry with a bad created_at, request id or field
    # When added / Then it is refused and nothing is written
    with pytest.raises(ValueError):
        repo.add_inbox_entry("user-a", "n-1", entry(**fields), request_id)
    assert raw_items(db, table, "user-a") == []


# --- reading -------------------------------------------------------------------------------


def test_marking_an_entry_read_twice_counts_it_off_once(repo: NotificationsRepository) -> None:
    # Given two unread entries
    repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    repo.add_inbox_entry("user-a", "n-2", entry(), "r-2")
    sk = inbox_sk(inbox_id(AT, "r-1"))
    assert sk is not None
    # When the first is marked read twice
    results = [repo.mark_read("user-a", sk, stamp(5)), repo.mark_read("user-a", sk, stamp(6))]
    # Then both succeed, and the count fell by one only
    assert results == [True, True]
    assert repo.unread_count("user-a") == 1


def test_marking_an_unknown_entry_read_is_false_and_counts_nothing(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given one unread entry
    repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    # When an entry that does not exist is marked read
    marked = repo.mark_read("user-a", f"inbox#{AT}#r-9", stamp(5))
    # Then it is reported missing, no item is made, and the count is unchanged
    assert marked is False
    assert len(inbox_items(db, table, "user-a")) == 1
    assert repo.unread_count("user-a") == 1


def test_mark_all_read_marks_more_than_one_transaction_and_zeroes_the_count(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given 130 unread entries (more than one transaction holds) and one already read
    for n in range(131):
        repo.add_inbox_entry("user-a", f"n-{n}", entry(stamp(n)), f"r-{n}")
    repo.mark_read("user-a", f"inbox#{stamp(0)}#r-0", stamp(200))
    # When all are marked read
    marked = repo.mark_all_read("user-a", stamp(300))
    # Then the 130 unread ones were, the count is 0, and the one read before kept its time
    assert marked == 130
    assert repo.unread_count("user-a") == 0
    read_at = {i["sk"]: i.get("read_at") for i in inbox_items(db, table, "user-a")}
    assert read_at.pop(f"inbox#{stamp(0)}#r-0") == stamp(200)
    assert set(read_at.values()) == {stamp(300)}


def test_mark_all_read_resets_a_count_left_by_an_unread_entry_that_expired(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given two unread entries, one of which TTL removed without touching the count
    repo.add_inbox_entry("user-a", "n-1", entry(), "r-1")
    repo.add_inbox_entry("user-a", "n-2", entry(), "r-2")
    db.delete_item(
        TableName=table, Key=to_item({"pk": partition("user-a"), "sk": f"inbox#{AT}#r-2"})
    )
    # When all are marked read
    repo.mark_all_read("user-a", stamp(5))
    # Then the count is 0, not 1
    counter = next(i for i in raw_items(db, table, "user-a") if i["sk"] == UNREAD)
    assert counter["unread"] == 0


def test_inbox_page_leaves_out_entries_past_their_expiry(repo: NotificationsRepository) -> None:
    # Given an entry from 91 days ago (TTL has not removed it yet) and one from today
    old = (dt.datetime(2026, 11, 24, 4, tzinfo=dt.UTC) - dt.timedelta(days=91)).isoformat(
        timespec="milliseconds"
    )
    repo.add_inbox_entry("user-a", "n-old", entry(old.replace("+00:00", "Z")), "r-old")
    repo.add_inbox_entry("user-a", "n-new", entry(), "r-new")
    # When the inbox is read now
    now = int(dt.datetime(2026, 11, 24, 5, tzinfo=dt.UTC).timestamp())
    items, _ = repo.inbox_page("user-a", 10, None, now)
    # Then only today's entry is there
    assert [i["notification_id"] for i in items] == ["n-new"]


# --- devices -------------------------------------------------------------------------------


def device(**fields: Any) -> dict[str, Any]:
    return {
        "platform": "ios",
        "provider": "apns",
        "token": TOKEN,
        "apns_environment": "production",
        "app_version": "1.4.0",
        "locale": "zh-CN",
    } | fields


def test_putting_a_device_again_keeps_created_at_and_drops_fields_left_out(
    repo: NotificationsRepository, db: Any, table: str
) -> None:
    # Given a device registered at AT that SNS has since given an endpoint
    repo.put_device("user-a", "install-1", device(), AT)
    db.update_item(
        TableName=table,
        Key=to_item({"pk": partition("user-a"), "sk": "device#install-1"}),
        UpdateExpression="SET endpoint_arn = :e",
        ExpressionAttributeValues=to_item({":e": "arn:aws:sns:us-east-1:1:endpoint/APNS/x/y"}),
    )
    # When it is registered again later without an app version, with a new token
    stored = repo.put_device("user-a", "install-1", device(app_version=None, token="t2"), stamp(9))
    # Then created_at is the first time, and the app version and the old endpoint are gone
    assert (stored["created_at"], stored["updated_at"], stored["token"]) == (AT, stamp(9), "t2")
    assert "app_version" not in stored
    assert "endpoint_arn" not in stored
    assert repo.device_count("user-a") == 1


def test_deleting_a_device_answers_what_it_was_or_none(repo: NotificationsRepository) -> None:
    # Given one device
    repo.put_device("user-a", "install-1", device(), AT, endpoint_arn=ENDPOINT)
    # When another is deleted, then the first
    missing = repo.delete_device("user-a", "install-2")
    deleted = repo.delete_device("user-a", "install-1")
    # Then the first answer is None, the second the device with its endpoint, and none are left
    assert missing is None
    assert deleted is not None and deleted["endpoint_arn"] == ENDPOINT
    assert repo.devices("user-a") == []


def test_token_pk_is_a_hash_of_provider_and_token() -> None:
    # Given / When one token's key is made for two providers
    fcm, jpush = token_pk("fcm", TOKEN), token_pk("jpush", TOKEN)
    # Then the keys differ, and neither holds the token
    assert fcm.startswith("token#") and len(fcm) == len("token#") + 64
    assert fcm != jpush
    assert TOKEN not in fcm


def test_putting_a_device_sets_its_endpoint_state_and_index_key_in_one_write(
    repo: NotificationsRepository, db: Any
) -> None:
    # Given / When a device is put with its endpoint and a reason it is disabled
    with DynamoCalls(db) as calls:
        stored = repo.put_device(
            "user-a",
            "install-1",
            device(),
            AT,
            endpoint_arn=ENDPOINT,
            disabled_reason="provider_not_configured",
        )
    # Then one UpdateItem stored them all, with the ByToken key of its token
    assert calls.names == ["UpdateItem"]
    assert stored["endpoint_arn"] == ENDPOINT
    assert stored["disabled_reason"] == "provider_not_configured"
    assert stored["token_pk"] == token_pk("apns", TOKEN)


def test_putting_a_device_again_without_a_disabled_reason_enables_it(
    repo: NotificationsRepository, db: Any, table: str
) -> None:
    # Given a device whose token the sender marked dead
    repo.put_device("user-a", "install-1", device(), AT, endpoint_arn=ENDPOINT)
    assert SenderRepository(db, table).disable_device("user-a", "install-1", TOKEN)
    # When it is put again
    stored = repo.put_device("user-a", "install-1", device(), stamp(1), endpoint_arn=ENDPOINT)
    # Then it is enabled again
    assert "disabled_reason" not in stored
    assert [
        d["installation_id"] for d in SenderRepository(db, table).enabled_devices("user-a")
    ] == ["install-1"]


def test_taking_a_token_deletes_every_other_device_holding_it(
    repo: NotificationsRepository,
) -> None:
    # Given the token on user-a's phone, on user-b's, and on user-a's old installation,
    # and user-a's tablet with another token
    repo.put_device("user-a", "install-1", device(), AT)
    repo.put_device("user-b", "install-9", device(), AT, endpoint_arn=ENDPOINT)
    repo.put_device("user-a", "install-0", device(), AT)
    repo.put_device("user-a", "tablet-1", device(token="other-token"), AT)
    # When user-a's phone takes the token
    taken = repo.take_token("user-a", "install-1", token_pk("apns", TOKEN))
    # Then the other two holders are deleted and answered; the phone and the tablet stay
    assert sorted((t["pk"], t["installation_id"]) for t in taken) == [
        ("user#user-a", "install-0"),
        ("user#user-b", "install-9"),
    ]
    assert repo.devices("user-b") == []
    assert sorted(d["installation_id"] for d in repo.devices("user-a")) == [
        "install-1",
        "tablet-1",
    ]


def test_taking_a_token_leaves_a_holder_that_registered_another_token_meanwhile(
    repo: NotificationsRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given user-b's phone, which the (eventually consistent) index still lists under the
    # token, though it has registered another token since
    repo.put_device("user-b", "install-9", device(token="newer-token"), AT)
    lagging = [to_item({"pk": partition("user-b"), "sk": "device#install-9"})]
    monkeypatch.setattr(repo, "_token_holders", lambda _: iter(lagging))
    # When user-a's phone takes the old token
    taken = repo.take_token("user-a", "install-1", token_pk("apns", TOKEN))
    # Then user-b's phone stays
    assert taken == []
    assert [d["installation_id"] for d in repo.devices("user-b")] == ["install-9"]


def test_an_endpoint_is_used_elsewhere_only_by_another_item_holding_it(
    repo: NotificationsRepository,
) -> None:
    # Given user-a's phone on an endpoint, and user-b's item on the same token
    phone = repo.put_device("user-a", "install-1", device(), AT, endpoint_arn=ENDPOINT)
    repo.put_device("user-b", "install-9", device(), AT, endpoint_arn=ENDPOINT + "-other")
    # When asked whether the phone's endpoint is used elsewhere, before and after user-b's
    # item points at it too
    before = repo.endpoint_used_elsewhere(phone)
    repo.put_device("user-b", "install-9", device(), AT, endpoint_arn=ENDPOINT)
    after = repo.endpoint_used_elsewhere(phone)
    # Then it is not, then it is
    assert (before, after) == (False, True)


# --- the reminder index ------------------------------------------------------------------


def test_preferences_are_in_the_due_reminders_index_only_while_they_carry_its_keys(
    repo: NotificationsRepository,
) -> None:
    # Given preferences with a reminder due in the 12:00 slot
    due = {"reminder_time": "20:00", "time_zone": "Asia/Shanghai", "next_due": "x"}
    repo.put_preferences("user-a", due | {"due_pk": "2026-11-24T12:00Z", "due_sk": "user-a"})
    found = [i["due_sk"] for i in repo.due_reminders("2026-11-24T12:00Z")]
    # When they are replaced by preferences without a reminder
    repo.put_preferences("user-a", {"reminder_time": None, "time_zone": "Asia/Shanghai"})
    # Then the slot held the member before, and holds nobody after
    assert found == ["user-a"]
    assert list(repo.due_reminders("2026-11-24T12:00Z")) == []


# --- export and erase ----------------------------------------------------------------------


class RecordingSns:
    """An SNS client that records the endpoints deleted."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete_endpoint(self, EndpointArn: str) -> None:
        self.deleted.append(EndpointArn)


def seed_member(repo: NotificationsRepository, user_id: str) -> None:
    repo.put_device(user_id, "install-1", device(), AT, endpoint_arn=ENDPOINT)
    repo.put_preferences(
        user_id,
        {
            "reminder_time": "20:00",
            "reminder_days": ["mon"],
            "time_zone": "Asia/Shanghai",
            "due_pk": "2026-11-30T12:00Z",
            "due_sk": user_id,
            "next_due": "2026-11-30T12:00:00.000Z",
        },
    )
    repo.add_inbox_entry(user_id, "n-1", entry(stamp(1)), "r-1")
    repo.add_inbox_entry(user_id, "n-2", entry(stamp(2), title="Second"), "r-2")
    repo.mark_read(user_id, f"inbox#{stamp(1)}#r-1", stamp(3))


def test_export_holds_devices_preferences_and_inbox_but_no_token_or_index_keys(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given a member with a device, preferences and two inbox entries (one read)
    seed_member(repo, "user-a")
    # When exported
    exported = NotificationsData(db, table, RecordingSns()).export("user-a")
    # Then every part is there, the inbox newest first, and no storage detail or token
    assert exported["devices"] == [
        {
            "platform": "ios",
            "provider": "apns",
            "app_version": "1.4.0",
            "locale": "zh-CN",
            "created_at": AT,
            "updated_at": AT,
        }
    ]
    assert exported["preferences"] == {
        "reminder_time": "20:00",
        "reminder_days": ["mon"],
        "time_zone": "Asia/Shanghai",
    }
    assert [(e["title"], e.get("read_at")) for e in exported["inbox"]] == [
        ("Second", None),
        ("New announcement", stamp(3)),
    ]
    text = json.dumps(exported)
    for leak in (TOKEN, "token#", "endpoint", "due_pk", "next_due", "user#", "expires_at", "r-1"):
        assert leak not in text


def test_erase_deletes_every_item_of_the_member_and_no_one_elses(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given two members with devices, preferences, entries and counters
    seed_member(repo, "user-a")
    seed_member(repo, "user-b")
    # When the first is erased, twice
    sns = RecordingSns()
    data = NotificationsData(db, table, sns)
    erased = data.erase("user-a")
    again = data.erase("user-a")
    # Then all five of their items went (the device, prefs, two entries, the counter), once,
    # and their device's endpoint
    assert sns.deleted == [ENDPOINT]
    assert (erased, again) == (5, 0)
    assert raw_items(db, table, "user-a") == []
    assert list(repo.due_reminders("2026-11-30T12:00Z")) == [
        {"due_pk": "2026-11-30T12:00Z", "due_sk": "user-b", "pk": "user#user-b", "sk": "prefs"}
    ]
    assert len(raw_items(db, table, "user-b")) == 5


def test_saving_preferences_keeps_the_check_in_day_and_drops_a_stale_reminder_slot(
    db: Any, table: str, repo: NotificationsRepository
) -> None:
    # Given preferences with a reminder due, and the check-in day the stream recorded
    repo.put_preferences(
        "ada",
        {
            "reminder_time": "20:00",
            "time_zone": "UTC",
            "due_pk": "2026-11-24T20:00Z",
            "due_sk": "ada",
        },
    )
    db.update_item(
        TableName=table,
        Key={"pk": {"S": "user#ada"}, "sk": {"S": "prefs"}},
        UpdateExpression="SET last_checkin_day = :d",
        ExpressionAttributeValues={":d": {"S": "2026-11-24"}},
    )
    # When the member turns reminders off
    repo.put_preferences("ada", {"reminder_time": None, "time_zone": "UTC"})
    # Then the check-in day stays and the reminder leaves the index
    (item,) = [i for i in raw_items(db, table, "ada") if i["sk"] == "prefs"]
    assert item.get("last_checkin_day") == "2026-11-24"
    assert "due_pk" not in item and "reminder_time" not in item


# --- the accounts stream's update ----------------------------------------------------------


def test_updating_preferences_if_unchanged_sets_and_removes_fields(
    repo: NotificationsRepository,
) -> None:
    # Given preferences saved at AT with a reminder due
    repo.put_preferences(
        "ada", {"time_zone": "UTC", "updated_at": AT, "due_pk": "2026-11-24T20:00Z"}
    )
    # When the zone is changed and the reminder keys removed, as seen at AT
    updated = repo.update_preferences_if_unchanged(
        "ada", {"time_zone": "Europe/Paris", "due_pk": None}, AT
    )
    # Then it is written
    prefs = repo.preferences("ada")
    assert updated is True
    assert prefs is not None and prefs["time_zone"] == "Europe/Paris"
    assert "due_pk" not in prefs


def test_updating_preferences_saved_since_they_were_read_changes_nothing(
    repo: NotificationsRepository,
) -> None:
    # Given preferences saved again after they were read at AT
    repo.put_preferences("ada", {"time_zone": "UTC", "updated_at": stamp(5)})
    # When they are updated as seen at AT
    updated = repo.update_preferences_if_unchanged("ada", {"time_zone": "Asia/Tokyo"}, AT)
    # Then nothing is written
    assert updated is False
    assert repo.preferences("ada") == {
        "pk": "user#ada",
        "sk": "prefs",
        "time_zone": "UTC",
        "updated_at": stamp(5),
    }


def test_updating_preferences_never_creates_them(repo: NotificationsRepository) -> None:
    # Given a member who never saved preferences
    # When they are updated
    updated = repo.update_preferences_if_unchanged("kit", {"time_zone": "Asia/Tokyo"}, None)
    # Then none are created
    assert updated is False
    assert repo.preferences("kit") is None
