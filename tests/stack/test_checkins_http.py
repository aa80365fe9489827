"""Daily check-ins over HTTP on the deployed stack."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx

Login = Callable[..., dict[str, str]]


def shanghai_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_demo_member_creates_then_updates_todays_checkin(api: httpx.Client, login: Login) -> None:
    # Given the demo member signed in through Cognito
    auth = login("mei")
    day = (shanghai_today() - dt.timedelta(days=40)).isoformat()  # a day no other test uses

    # When they check in, then check in again the same day
    first = api.post("checkins", headers=auth, json={"mood": 2, "note": "tired", "date": day})
    second = api.post("checkins", headers=auth, json={"mood": 4, "emotions": ["calm"], "date": day})
    read = api.get(f"checkins/{day}", headers=auth)

    # Then the first is created, the second updates it, and the day holds the update
    assert (first.status_code, second.status_code, read.status_code) == (201, 200, 200)
    assert second.json()["created_at"] == first.json()["created_at"]
    assert (read.json()["mood"], read.json()["note"], read.json()["emotions"]) == (
        4,
        None,
        ["calm"],
    )


def test_checkin_without_date_lands_on_the_members_local_day(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member whose token says they live in Auckland
    auth = new_member(zoneinfo="Pacific/Auckland")

    # When they check in without a date
    response = api.post("checkins", headers=auth, json={"mood": 3})

    # Then the check-in is dated by Auckland's calendar
    assert response.status_code == 201
    assert (
        response.json()["date"] == dt.datetime.now(ZoneInfo("Pacific/Auckland")).date().isoformat()
    )
    assert response.json()["time_zone"] == "Pacific/Auckland"


def test_list_walks_three_pages_newest_first(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given seven check-ins on seven days
    auth = new_member()
    today = shanghai_today()
    days = [(today - dt.timedelta(days=i)).isoformat() for i in range(7)]
    for day in days:
        assert api.post("checkins", headers=auth, json={"mood": 3, "date": day}).status_code == 201

    # When the app lists them three at a time, following next_cursor
    seen: list[str] = []
    pages = 0
    params: dict[str, str] = {"limit": "3"}
    while True:
        page = api.get("checkins", headers=auth, params=params).json()
        pages += 1
        seen += [item["date"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]

    # Then three pages hold every day once, newest first
    assert pages == 3
    assert seen == days


def test_summary_reports_streak_averages_and_latest_bands(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given check-ins today, yesterday and two days ago, then a gap, and a PHQ-9 yesterday
    auth = new_member()
    today = shanghai_today()
    posts = [
        {"mood": 4, "date": today.isoformat()},
        {
            "mood": 2,
            "date": (today - dt.timedelta(days=1)).isoformat(),
            "instruments": {"phq9": [1, 1, 1, 1, 1, 1, 1, 1, 0]},
        },
        {"mood": 3, "date": (today - dt.timedelta(days=2)).isoformat()},
        {"mood": 5, "date": (today - dt.timedelta(days=10)).isoformat()},
    ]
    for body in posts:
        assert api.post("checkins", headers=auth, json=body).status_code == 201

    # When the app asks for the summary
    summary = api.get("checkins/summary", headers=auth).json()

    # Then the streak is three days, averages cover their windows, and PHQ-9 is mild
    assert summary["streak_days"] == 3
    assert summary["checked_in_today"] is True
    assert summary["mood_avg_7d"] == 3.0
    assert summary["mood_avg_30d"] == 3.5
    assert summary["latest_bands"]["phq9"]["band"] == "mild"


def test_member_cannot_read_another_members_checkins(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given member B with two check-ins, and member A with none
    member_b, member_a = new_member(), new_member()
    today = shanghai_today()
    for i in range(2):
        day = (today - dt.timedelta(days=i)).isoformat()
        api.post("checkins", headers=member_b, json={"mood": 1, "note": "private", "date": day})
    cursor = api.get("checkins", headers=member_b, params={"limit": "1"}).json()["next_cursor"]

    # When A lists, reads B's day, and replays B's cursor
    listing = api.get("checkins", headers=member_a)
    by_day = api.get(f"checkins/{today.isoformat()}", headers=member_a)
    replay = api.get("checkins", headers=member_a, params={"limit": "1", "cursor": cursor})

    # Then A sees nothing of B
    assert listing.json() == {"items": [], "next_cursor": None}
    assert by_day.status_code == 404
    assert replay.status_code == 400
    assert "private" not in listing.text + by_day.text + replay.text


def test_high_risk_checkin_is_flagged_and_recorded(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member who answers PHQ-9 item 9 with "several days"
    auth = new_member()
    answers = {"phq9": [1, 0, 0, 0, 0, 0, 0, 0, 1]}

    # When they check in
    created = api.post("checkins", headers=auth, json={"mood": 2, "instruments": answers}).json()
    stored = api.get(f"checkins/{created['date']}", headers=auth).json()

    # Then the response and the stored check-in carry a high risk and offer the C-SSRS
    assert created["risk"]["level"] == "high"
    assert created["risk"]["recommended_screener"] == "cssrs"
    assert stored["risk"] == created["risk"]
    assert stored["scores"]["phq9"]["flags"] == ["item9_positive"]


def test_retry_with_idempotency_key_over_http_returns_the_same_checkin(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a check-in posted with an Idempotency-Key
    auth = new_member() | {"Idempotency-Key": str(uuid.uuid4())}
    first = api.post("checkins", headers=auth, json={"mood": 3})

    # When the app retries after a lost response
    retry = api.post("checkins", headers=auth, json={"mood": 3})

    # Then the retry gets the first answer, not an update
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
