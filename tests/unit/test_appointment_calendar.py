"""The counsellor's calendar feed: RFC 5545 text parsed by a real iCalendar library, the
revocable token, and no member's name, id or note in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import icalendar
import pytest

from functions.appointments.ics import escape_text, feed, fold
from tests.support.moto_cloud import moto_clients
from tests.unit.test_appointment_world import (
    COUNSELLOR,
    MEMBER,
    OTHER_COUNSELLOR,
    OTHER_MEMBER,
    WED_14,
    WED_15,
    World,
)

NOTE = "I cannot sleep; my name is Xiao Ming"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def new_token(world: World) -> dict[str, Any]:
    world.as_(COUNSELLOR)
    answer = world.http.post("/counsellors/me/calendar-token")
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def get_feed(world: World, token: str) -> Any:
    return world.http.get("/counsellors/me/calendar.ics", params={"token": token})


def test_the_feed_parses_and_names_no_member(world: World) -> None:
    # Given two booked appointments (one with a note) and a cancelled one
    world.publish()
    first = world.book(MEMBER, note=NOTE).json()
    second = world.book(OTHER_MEMBER, starts_at=WED_15, mode="phone").json()
    cancelled = world.book(OTHER_MEMBER, starts_at="2026-11-26T06:00:00Z").json()
    world.as_(OTHER_MEMBER)
    world.http.delete(f"/appointments/{cancelled['id']}")
    token = new_token(world)
    # When the calendar app fetches the feed, with no bearer token
    answer = get_feed(world, token["token"])
    # Then it is iCalendar that a real library reads: two events, in UTC
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(answer.content)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["UID"]) for e in events] == [
        f"{first['id']}@appointments.peer-support.dev",
        f"{second['id']}@appointments.peer-support.dev",
    ]
    assert [str(e["SUMMARY"]) for e in events] == ["Appointment (video)", "Appointment (phone)"]
    assert events[0].decoded("DTSTART") == dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
    assert events[0].decoded("DTEND") == dt.datetime(2026, 11, 25, 6, 50, tzinfo=dt.UTC)
    # And nothing names a member: no display name, no id, no note
    text = answer.content.decode()
    for secret in ("Xiao Ming", "Xiao Hong", MEMBER.user_id, OTHER_MEMBER.user_id, "sleep"):
        assert secret not in text
    assert all(line.endswith("\r") or line == "" for line in text.split("\n"))
    assert WED_14  # the slot booked above


def test_rotating_the_token_retires_the_old_one(world: World) -> None:
    world.publish()
    old = new_token(world)
    new = new_token(world)
    assert old["token"] != new["token"]
    assert new["path"] == f"/counsellors/me/calendar.ics?token={new['token']}"
    assert new["url"].endswith(new["path"])
    assert get_feed(world, old["token"]).status_code == 404
    assert get_feed(world, new["token"]).status_code == 200
    # Only hashes are stored
    assert new["token"] not in repr(world.items())


def test_a_revoked_or_unknown_token_is_a_404_problem(world: World) -> None:
    token = new_token(world)
    assert world.http.delete("/counsellors/me/calendar-token").status_code == 204
    answer = get_feed(world, token["token"])
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert get_feed(world, "A" * 43).status_code == 404
    assert get_feed(world, "short").status_code == 422
    assert world.audit.actions() == [
        "appointments.calendar_token.created",
        "appointments.calendar_token.revoked",
    ]
    assert world.http.delete("/counsellors/me/calendar-token").status_code == 204


def test_a_counsellor_off_the_roster_has_no_feed(world: World) -> None:
    token = new_token(world)
    world.roster.put(COUNSELLOR.__class__(**{**vars(COUNSELLOR), "active": False}))
    assert get_feed(world, token["token"]).status_code == 404


def test_each_counsellor_sees_only_their_own_appointments(world: World) -> None:
    world.publish()
    world.book()
    world.as_(OTHER_COUNSELLOR)
    token = world.http.post("/counsellors/me/calendar-token").json()["token"]
    calendar = icalendar.Calendar.from_ical(get_feed(world, token).content)
    assert list(calendar.walk("VEVENT")) == []


def test_long_lines_fold_at_75_octets_without_splitting_a_character() -> None:
    line = "SUMMARY:" + "咨询预约" * 30
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_a_feed_of_nothing_is_still_a_calendar() -> None:
    text = feed([], dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    calendar = icalendar.Calendar.from_ical(text)
    assert calendar["VERSION"] == "2.0" and text.endswith("END:VCALENDAR\r\n")
