"""The notifications HTTP contract, driven in-process over moto DynamoDB (template schema)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.notifications import routes
from functions.notifications.repository import NotificationsRepository, partition
from functions.notifications.routes import app, repository
from shared.dynamo import from_item, to_item
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity
from shared.routing import clock
from tests.support.fakes import Caller, MovableClock, member
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# Tuesday 24 November 2026, 12:00 in Shanghai, 04:00 UTC.
START = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)
PROBLEM_JSON = "application/problem+json"
TOKEN = "fcm-registration-token-that-must-never-be-echoed"
INSTALL = "install-0001"


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


@pytest.fixture
def caller() -> Caller:
    return Caller(member("user-a", zoneinfo="Asia/Shanghai"))


@pytest.fixture
def now() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def api(
    repo: NotificationsRepository,
    caller: Caller,
    now: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: now
    monkeypatch.setattr(routes, "cursor_secret", lambda: b"k" * 32)
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """An RFC 9457 problem of this status and type that does not echo the push token."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    assert TOKEN not in response.text
    return body


def stored(db: Any, table: str, user_id: str, sk: str) -> dict[str, Any] | None:
    key = to_item({"pk": partition(user_id), "sk": sk})
    item = db.get_item(TableName=table, Key=key).get("Item")
    return from_item(item) if item else None


# --- devices -------------------------------------------------------------------------------


def android(**fields: Any) -> dict[str, Any]:
    return {"platform": "android", "provider": "fcm", "token": TOKEN} | fields


def iphone(**fields: Any) -> dict[str, Any]:
    return {
        "platform": "ios",
        "provider": "apns",
        "token": TOKEN,
        "apns_environment": "sandbox",
        "app_version": "2.0.1",
        "locale": "zh-Hans-CN",
    } | fields


def test_registering_a_device_stores_it_without_an_endpoint_and_answers_without_the_token(
    api: TestClient, db: Any, table: str
) -> None:
    # Given / When an iPhone registers
    response = api.put(f"/devices/{INSTALL}", json=iphone())
    # Then the device is answered without its token and stored with it, with no SNS endpoint
    assert response.status_code == 200, response.text
    assert response.json() == {
        "installation_id": INSTALL,
        "platform": "ios",
        "provider": "apns",
        "apns_environment": "sandbox",
        "app_version": "2.0.1",
        "locale": "zh-Hans-CN",
        "created_at": "2026-11-24T04:00:00.000Z",
        "updated_at": "2026-11-24T04:00:00.000Z",
    }
    assert TOKEN not in response.text
    item = stored(db, table, "user-a", f"device#{INSTALL}")
    assert item is not None
    assert item["token"] == TOKEN
    assert "endpoint_arn" not in item


def test_registering_the_same_installation_again_updates_it_keeping_created_at(
    api: TestClient, now: MovableClock
) -> None:
    # Given a registered phone
    api.put(f"/devices/{INSTALL}", json=android())
    # When it registers again an hour later with a new token
    now.now = START + dt.timedelta(hours=1)
    response = api.put(f"/devices/{INSTALL}", json=android(token="new-token"))
    # Then there is still one device, first registered at the start
    devices = api.get("/devices").json()["items"]
    assert [(d["created_at"], d["updated_at"]) for d in devices] == [
        ("2026-11-24T04:00:00.000Z", "2026-11-24T05:00:00.000Z")
    ]
    assert response.status_code == 200


def test_a_member_may_have_many_devices_and_lists_only_their_own(
    api: TestClient, caller: Caller
) -> None:
    # Given a phone and a tablet of user-a, and a phone of user-b
    api.put("/devices/phone-0001", json=android())
    api.put("/devices/tablet-0001", json=iphone())
    caller.identity = member("user-b")
    api.put("/devices/phone-0002", json=android())
    caller.identity = member("user-a")
    # When user-a lists their devices
    response = api.get("/devices")
    # Then both of theirs come back and nothing of user-b's
    assert response.status_code == 200
    assert sorted(d["installation_id"] for d in response.json()["items"]) == [
        "phone-0001",
        "tablet-0001",
    ]


def test_a_21st_device_is_409_but_one_of_the_20_may_still_be_updated(api: TestClient) -> None:
    # Given 20 devices
    for n in range(20):
        assert api.put(f"/devices/device-{n:04}", json=android()).status_code == 200
    # When a 21st registers, and one of the 20 registers again
    extra = api.put("/devices/device-0020", json=android())
    known = api.put("/devices/device-0007", json=android(token="refreshed"))
    # Then the new one is refused and the known one updated
    assert_problem(extra, 409, "conflict")
    assert known.status_code == 200
    assert len(api.get("/devices").json()["items"]) == 20


def test_deleting_a_device_is_204_and_then_404(api: TestClient) -> None:
    # Given a registered device
    api.put(f"/devices/{INSTALL}", json=android())
    # When it is deleted twice
    first, second = api.delete(f"/devices/{INSTALL}"), api.delete(f"/devices/{INSTALL}")
    # Then it is gone after the first, and the second finds nothing
    assert first.status_code == 204
    assert_problem(second, 404, "not-found")
    assert api.get("/devices").json() == {"items": []}


def test_deleting_another_members_device_is_404_and_leaves_it(
    api: TestClient, caller: Caller, db: Any, table: str
) -> None:
    # Given user-b's device
    caller.identity = member("user-b")
    api.put(f"/devices/{INSTALL}", json=android())
    # When user-a deletes that installation id
    caller.identity = member("user-a")
    response = api.delete(f"/devices/{INSTALL}")
    # Then it is not found for them, and user-b's device stays
    assert_problem(response, 404, "not-found")
    assert stored(db, table, "user-b", f"device#{INSTALL}") is not None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(android(platform="windows"), id="unknown-platform"),
        pytest.param(android(provider="mpns"), id="unknown-provider"),
        pytest.param(android(token=""), id="empty-token"),
        pytest.param(android(token=TOKEN + " x"), id="token-with-space"),
        pytest.param(android(token=TOKEN + "\n"), id="token-with-newline"),
        pytest.param(android(token="t" * 4097), id="token-4097-chars"),
        pytest.param(iphone(apns_environment=None), id="apns-without-environment"),
        pytest.param(iphone(apns_environment="staging"), id="apns-unknown-environment"),
        pytest.param(android(apns_environment="production"), id="fcm-with-environment"),
        pytest.param(android(app_version="1" * 33), id="app-version-33-chars"),
        pytest.param(android(locale="english"), id="locale-not-bcp47"),
        pytest.param(android(colour="blue"), id="unknown-field"),
        pytest.param({"platform": "android", "provider": "fcm"}, id="no-token"),
    ],
)
def test_a_bad_device_is_422_and_nothing_is_stored(
    api: TestClient, db: Any, table: str, body: dict[str, Any]
) -> None:
    # Given a device with one bad field
    # When registered
    response = api.put(f"/devices/{INSTALL}", json=body)
    # Then it is an invalid-input problem without the token, and nothing is stored
    assert_problem(response, 422, "invalid-input")
    assert stored(db, table, "user-a", f"device#{INSTALL}") is None


@pytest.mark.parametrize(
    "installation_id",
    [
        pytest.param("short12", id="7-chars"),
        pytest.param("x" * 65, id="65-chars"),
        pytest.param("install.0001", id="dot"),
        pytest.param("install%230001", id="hash"),
    ],
)
def test_a_bad_installation_id_is_422(api: TestClient, installation_id: str) -> None:
    # Given / When a device registers under an id outside [A-Za-z0-9_-]{8,64}
    # Then it is refused
    assert_problem(api.put(f"/devices/{installation_id}", json=android()), 422, "invalid-input")


# --- preferences ---------------------------------------------------------------------------

PREFS = "/me/notification-preferences"


def test_preferences_never_set_are_the_defaults_in_the_tokens_zone(
    api: TestClient, caller: Caller
) -> None:
    # Given a member whose token says Europe/London, who never set preferences
    caller.identity = member("user-a", zoneinfo="Europe/London")
    # When they are read
    response = api.get(PREFS)
    # Then no reminder, every day, no quiet hours, everything on, generic previews
    assert response.status_code == 200
    assert response.json() == {
        "reminder_time": None,
        "reminder_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "quiet_hours": None,
        "opt_outs": [],
        "lock_screen_preview": "generic",
        "time_zone": "Europe/London",
        "next_reminder_at": None,
        "updated_at": None,
    }


def test_preferences_without_a_zone_anywhere_use_the_deployment_default(
    api: TestClient, caller: Caller
) -> None:
    # Given a token without zoneinfo / When preferences are read / Then the default zone applies
    caller.identity = member("user-a", zoneinfo=None)
    assert api.get(PREFS).json()["time_zone"] == "Asia/Shanghai"


def test_turning_reminders_on_puts_the_member_in_the_slot_of_the_next_reminder(
    api: TestClient, db: Any, table: str
) -> None:
    # Given Tuesday noon in Shanghai
    # When the member asks for a reminder at 20:00 on weekdays, with quiet hours
    body = {
        "reminder_time": "20:00",
        "reminder_days": ["fri", "tue", "mon"],
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "opt_outs": ["announcements"],
        "lock_screen_preview": "full",
    }
    response = api.put(PREFS, json=body)
    # Then tonight's 20:00 (12:00 UTC) is next, and the index holds them in the 12:00 slot
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["next_reminder_at"] == "2026-11-24T12:00:00.000Z"
    assert answer["reminder_days"] == ["mon", "tue", "fri"]
    assert answer["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert api.get(PREFS).json() == answer
    item = stored(db, table, "user-a", "prefs")
    assert item is not None
    assert (item["due_pk"], item["due_sk"]) == ("2026-11-24T12:00Z", "user-a")
    assert (item["quiet_start"], item["quiet_end"], item["time_zone"]) == (
        "22:00",
        "07:00",
        "Asia/Shanghai",
    )


def test_the_reminder_follows_the_zone_on_the_token(
    api: TestClient, caller: Caller, db: Any, table: str
) -> None:
    # Given a member in London (token zoneinfo)
    caller.identity = member("user-a", zoneinfo="Europe/London")
    # When they ask for 20:00 without naming a zone
    response = api.put(PREFS, json={"reminder_time": "20:00"})
    # Then it fires at 20:00 London time (UTC in November)
    assert response.json()["time_zone"] == "Europe/London"
    assert response.json()["next_reminder_at"] == "2026-11-24T20:00:00.000Z"
    item = stored(db, table, "user-a", "prefs")
    assert item is not None and item["due_pk"] == "2026-11-24T20:00Z"


def test_a_zone_in_the_body_wins_over_the_token(api: TestClient) -> None:
    # Given a Shanghai token / When preferences name New York
    response = api.put(PREFS, json={"reminder_time": "08:30", "time_zone": "America/New_York"})
    # Then 08:30 in New York on Tuesday (13:30 UTC) is next
    assert response.json()["time_zone"] == "America/New_York"
    assert response.json()["next_reminder_at"] == "2026-11-24T13:30:00.000Z"


def test_changing_the_zone_moves_the_reminder_to_another_slot(
    api: TestClient, db: Any, table: str
) -> None:
    # Given a reminder at 20:00 in Shanghai (the 12:00 UTC slot)
    api.put(PREFS, json={"reminder_time": "20:00"})
    # When the member moves to Berlin
    api.put(PREFS, json={"reminder_time": "20:00", "time_zone": "Europe/Berlin"})
    # Then the reminder sits in the 19:00 UTC slot
    item = stored(db, table, "user-a", "prefs")
    assert item is not None and item["due_pk"] == "2026-11-24T19:00Z"


@pytest.mark.parametrize(
    "off",
    [
        pytest.param({"reminder_time": None}, id="no-reminder-time"),
        pytest.param({"reminder_time": "20:00", "opt_outs": ["reminders"]}, id="opted-out"),
    ],
)
def test_turning_reminders_off_takes_the_member_out_of_the_index(
    api: TestClient, db: Any, table: str, off: dict[str, Any]
) -> None:
    # Given reminders on
    api.put(PREFS, json={"reminder_time": "20:00"})
    # When they are turned off
    response = api.put(PREFS, json=off)
    # Then no reminder is next and the index keys are gone
    assert response.json()["next_reminder_at"] is None
    item = stored(db, table, "user-a", "prefs")
    assert item is not None
    assert not {"due_pk", "due_sk", "next_due"} & item.keys()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"reminder_time": "24:00"}, id="hour-24"),
        pytest.param({"reminder_time": "8:00"}, id="one-digit-hour"),
        pytest.param({"reminder_time": "08:00:00"}, id="seconds"),
        pytest.param({"reminder_time": 800}, id="number"),
        pytest.param({"reminder_days": []}, id="no-days"),
        pytest.param({"reminder_days": ["mon", "mon"]}, id="repeated-day"),
        pytest.param({"reminder_days": ["monday"]}, id="unknown-day"),
        pytest.param({"reminder_days": "mon"}, id="days-not-a-list"),
        pytest.param({"quiet_hours": {"start": "22:00", "end": "22:00"}}, id="quiet-empty"),
        pytest.param({"quiet_hours": {"start": "22:00", "end": "25:00"}}, id="quiet-bad-end"),
        pytest.param({"quiet_hours": {"start": "22:00"}}, id="quiet-no-end"),
        pytest.param({"opt_outs": ["safety"]}, id="opt-out-safety"),
        pytest.param({"opt_outs": ["counsellor_alert"]}, id="opt-out-counsellor-alert"),
        pytest.param({"opt_outs": ["reminders", "reminders"]}, id="repeated-opt-out"),
        pytest.param({"lock_screen_preview": "none"}, id="unknown-preview"),
        pytest.param({"time_zone": "Mars/Olympus_Mons"}, id="unknown-zone"),
        pytest.param({"time_zone": "../../etc/passwd"}, id="path-as-zone"),
        pytest.param({"time_zone": ""}, id="empty-zone"),
        pytest.param({"sound": "bell"}, id="unknown-field"),
    ],
)
def test_bad_preferences_are_422_and_leave_what_was_stored(
    api: TestClient, db: Any, table: str, body: dict[str, Any]
) -> None:
    # Given preferences with a reminder at 20:00
    api.put(PREFS, json={"reminder_time": "20:00"})
    before = stored(db, table, "user-a", "prefs")
    # When preferences with one bad field are sent
    response = api.put(PREFS, json={"reminder_time": "21:00"} | body)
    # Then it is an invalid-input problem and the stored preferences are unchanged
    assert_problem(response, 422, "invalid-input")
    assert stored(db, table, "user-a", "prefs") == before


# --- inbox ---------------------------------------------------------------------------------


def stamp(minutes: int) -> str:
    moment = START + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def deliver(repo: NotificationsRepository, user_id: str, n: int) -> str:
    """What the sender does for its n-th notification; the entry's public id."""
    entry = {
        "category": "peer_message",
        "title": f"New message {n}",
        "body": "You have a new message",
        "route": "messages",
        "ref": f"thread-{n}",
        "created_at": stamp(n),
    }
    assert repo.add_inbox_entry(user_id, f"n-{n}", entry, f"req-{n}")
    return f"{stamp(n)}~req-{n}"


def test_inbox_pages_newest_first_with_the_unread_count(
    api: TestClient, repo: NotificationsRepository, now: MovableClock
) -> None:
    # Given five notifications a minute apart
    for n in range(1, 6):
        deliver(repo, "user-a", n)
    now.now = START + dt.timedelta(hours=1)
    # When the inbox is read two at a time, following next_cursor
    pages: list[list[str]] = []
    counts: list[int] = []
    cursor: str | None = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = api.get("/notifications", params=params)
        assert response.status_code == 200, response.text
        pages.append([i["title"] for i in response.json()["items"]])
        counts.append(response.json()["unread_count"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    # Then every entry comes once, newest first, and each page says five are unread
    assert pages == [
        ["New message 5", "New message 4"],
        ["New message 3", "New message 2"],
        ["New message 1"],
    ]
    assert counts == [5, 5, 5]


def test_an_inbox_entry_reads_as_the_sender_wrote_it(
    api: TestClient, repo: NotificationsRepository
) -> None:
    # Given one notification
    entry_id = deliver(repo, "user-a", 1)
    # When the inbox is read
    [item] = api.get("/notifications").json()["items"]
    # Then it carries its id, words, route and ref, unread
    assert item == {
        "id": entry_id,
        "category": "peer_message",
        "title": "New message 1",
        "body": "You have a new message",
        "route": "messages",
        "ref": "thread-1",
        "created_at": stamp(1),
        "read_at": None,
    }


def test_another_members_cursor_is_400(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given a cursor handed to user-a, and user-b with an inbox of their own
    for n in range(1, 4):
        deliver(repo, "user-a", n)
        deliver(repo, "user-b", n)
    cursor = api.get("/notifications", params={"limit": 1}).json()["next_cursor"]
    assert cursor
    # When user-b sends it
    caller.identity = member("user-b")
    response = api.get("/notifications", params={"limit": 1, "cursor": cursor})
    # Then it is refused as an invalid cursor
    assert_problem(response, 400, "invalid-cursor")


def test_an_empty_inbox_has_no_entries_and_nothing_unread(api: TestClient) -> None:
    # Given / When a new member reads their inbox / Then it is empty
    assert api.get("/notifications").json() == {
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }


def test_reading_an_entry_twice_lowers_the_unread_count_once(
    api: TestClient, repo: NotificationsRepository, now: MovableClock
) -> None:
    # Given three unread notifications
    ids = [deliver(repo, "user-a", n) for n in range(1, 4)]
    now.now = START + dt.timedelta(hours=1)
    # When the second is marked read twice
    first = api.post(f"/notifications/{ids[1]}/read")
    second = api.post(f"/notifications/{ids[1]}/read")
    # Then both answer 204, two stay unread, and the entry has the first read time
    assert (first.status_code, second.status_code) == (204, 204)
    inbox = api.get("/notifications").json()
    assert inbox["unread_count"] == 2
    assert [i["read_at"] for i in inbox["items"]] == [None, "2026-11-24T05:00:00.000Z", None]


@pytest.mark.parametrize(
    "entry_id",
    [
        pytest.param(f"{'2026-11-24T04:01:00.000Z'}~req-9", id="unknown"),
        pytest.param("not-an-entry-id", id="malformed"),
        pytest.param("2026-11-24T04:01:00Z~req-1", id="no-milliseconds"),
    ],
)
def test_reading_an_unknown_entry_is_404_and_counts_nothing(
    api: TestClient, repo: NotificationsRepository, entry_id: str
) -> None:
    # Given one unread notification
    deliver(repo, "user-a", 1)
    # When an entry that is not there is marked read
    response = api.post(f"/notifications/{entry_id}/read")
    # Then it is not found and one is still unread
    assert_problem(response, 404, "not-found")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_reading_another_members_entry_is_404_and_leaves_it_unread(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given user-b's notification
    entry_id = deliver(repo, "user-b", 1)
    # When user-a marks its id read
    response = api.post(f"/notifications/{entry_id}/read")
    # Then user-a is told there is none, and user-b still has it unread
    assert_problem(response, 404, "not-found")
    caller.identity = member("user-b")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_read_all_marks_every_entry_and_zeroes_the_count(
    api: TestClient, repo: NotificationsRepository, caller: Caller
) -> None:
    # Given four notifications of user-a, one already read, and one of user-b
    ids = [deliver(repo, "user-a", n) for n in range(1, 5)]
    api.post(f"/notifications/{ids[0]}/read")
    deliver(repo, "user-b", 1)
    # When user-a marks all read
    response = api.post("/notifications/read-all")
    # Then nothing of theirs is unread, and user-b's entry is untouched
    assert response.status_code == 204
    inbox = api.get("/notifications").json()
    assert inbox["unread_count"] == 0
    assert all(i["read_at"] for i in inbox["items"])
    caller.identity = member("user-b")
    assert api.get("/notifications").json()["unread_count"] == 1


def test_the_handler_module_wires_the_app() -> None:
    # Given / When the Lambda entry point is imported / Then it exposes a handler over this app
    from functions.notifications import handler

    assert callable(handler.handler)
    assert handler.app is app
