"""Counselling appointments over HTTP (issue 12's acceptance, on the deployed template):
twenty members race for one slot and exactly one holds it; the 24-hour reminder reaches
the winner's inbox when the sweep runs at that time (a fixed clock: the sweep is told the
time it was scheduled for) and names the start on the organisation's wall clock; the
counsellor's calendar feed parses with a real iCalendar library and names no member.

A counsellor and twenty members of their own, on the demo school's roster, so the demo
users' appointments are left alone."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from tests.support.appointments_stack import roster_people
from tests.support.crisis_stack import client, until

ZONE = "Asia/Shanghai"
RACERS = 20
# Requests in flight at once. The emulator starts a Python process for each concurrent
# invocation (as Lambda starts an environment): twenty cold starts at once on a 2-core
# CI machine take over a minute, so five race at a time and the rest follow at once.
IN_FLIGHT = 5
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The latest start of a 50-minute slot in a day ("24:00" may end a range).
LATEST_START = dt.time(23, 10)


def slot_start(now: dt.datetime) -> dt.datetime:
    """A local start 24 h 5 min to 24 h 55 min from now that a 50-minute slot fits in
    one day: the sweep told it is 24 h before that is within the hour it trusts."""
    zone = ZoneInfo(ZONE)
    earliest = (now + dt.timedelta(hours=24, minutes=6)).astimezone(zone)
    start = earliest.replace(second=0, microsecond=0)
    if start.time() > LATEST_START:
        start = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(0), zone)
    assert start - now < dt.timedelta(hours=24, minutes=55)
    return start


@pytest.fixture(scope="module")
def world(
    local_cloud: dict[str, Any], cognito: Any, login: Callable[..., dict[str, str]]
) -> dict[str, Any]:
    ((counsellor_id, counsellor_name, counsellor),) = roster_people(
        local_cloud, cognito, login, "counsellor", 1
    )
    members = roster_people(local_cloud, cognito, login, "member", RACERS)
    return {
        "counsellor": counsellor,
        "counsellor_id": counsellor_id,
        "counsellor_name": counsellor_name,
        "members": members,
    }


def publish(api: httpx.Client, counsellor: dict[str, str], start: dt.datetime) -> None:
    """Hours for one slot on that local weekday (and nothing else)."""
    end = (start + dt.timedelta(minutes=50)).strftime("%H:%M")
    weekly: dict[str, list[dict[str, str]]] = {day: [] for day in DAYS}
    weekly[DAYS[start.weekday()]] = [
        {"start": start.strftime("%H:%M"), "end": "24:00" if end == "00:00" else end}
    ]
    answer = api.put("counsellors/me/availability", headers=counsellor, json={"weekly": weekly})
    assert answer.status_code == 200, answer.text


def invoke(local_cloud: dict[str, Any], name: str, event: dict[str, Any]) -> dict[str, Any]:
    answer = client(local_cloud, "lambda").invoke(
        FunctionName=local_cloud["functions"][name], Payload=json.dumps(event).encode()
    )
    payload: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
    assert "FunctionError" not in answer, payload
    return payload


def reminders(api: httpx.Client, member: dict[str, str]) -> list[dict[str, Any]]:
    answer = api.get("notifications", headers=member)
    assert answer.status_code == 200, answer.text
    return [i for i in answer.json()["items"] if i["category"] == "appointment_reminder"]


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_twenty_members_race_for_one_slot_and_the_winner_is_reminded_a_day_before(
    local_cloud: dict[str, Any], api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a counsellor with one slot, a day from now on the school's wall clock
    now = dt.datetime.now(dt.UTC)
    start = slot_start(now)
    publish(api, world["counsellor"], start)
    slots = api.get(
        "appointments/slots",
        headers=world["members"][0][2],
        params={
            "from": start.date().isoformat(),
            "to": start.date().isoformat(),
            "counsellor": world["counsellor_id"],
        },
    )
    assert slots.status_code == 200, slots.text
    (slot,) = slots.json()["slots"]
    assert dt.datetime.fromisoformat(slot["local_start"]) == start
    assert slot["counsellor_name"] == world["counsellor_name"]

    # When twenty members book it at once, each with a preview that names the time
    for _, _, headers in world["members"]:
        prefs = api.put(
            "me/notification-preferences",
            headers=headers,
            json={"lock_screen_preview": "full", "time_zone": ZONE},
        )
        assert prefs.status_code == 200, prefs.text
    body = {"counsellor_id": world["counsellor_id"], "starts_at": slot["starts_at"]}

    def book(headers: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=str(api.base_url), timeout=60) as own:
            return own.post("appointments", headers=headers, json=body | {"mode": "video"})

    with ThreadPoolExecutor(IN_FLIGHT) as pool:
        answers = list(pool.map(book, [h for _, _, h in world["members"]]))

    # Then exactly one holds it, and the nineteen others get 409 problem+json
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [a.text[:200] for a in answers]
    losers = [a for a in answers if a.status_code == 409]
    assert all(a.headers["content-type"].startswith("application/problem+json") for a in losers)
    assert {a.json()["type"].rsplit("/", 1)[-1] for a in losers} <= {"slot-taken", "conflict"}
    winner = next(i for i, a in enumerate(answers) if a.status_code == 201)
    booked = answers[winner].json()
    winner_headers = world["members"][winner][2]
    # And the slot is no longer offered
    again = api.get(
        "appointments/slots",
        headers=world["members"][0][2],
        params={"from": start.date().isoformat(), "to": start.date().isoformat()},
    )
    assert booked["starts_at"] not in {s["starts_at"] for s in again.json()["slots"]}

    # When the reminder sweep runs ten minutes before the day-before mark: nothing yet
    due = dt.datetime.fromisoformat(booked["starts_at"].replace("Z", "+00:00"))
    early = invoke(
        local_cloud,
        "appointment_reminders",
        {"scheduled_time": iso(due - dt.timedelta(days=1, minutes=10))},
    )
    assert reminders(api, winner_headers) == [], early

    # When it runs at 24 hours before the start
    invoke(
        local_cloud, "appointment_reminders", {"scheduled_time": iso(due - dt.timedelta(days=1))}
    )

    # Then the winner's inbox holds one reminder naming the start on the school's clock
    (entry,) = until(lambda: reminders(api, winner_headers), "the 24 h reminder is in the inbox")
    local = start.strftime("%H:%M")
    assert local in entry["body"], entry
    # And a second run of the same slot sends nothing twice
    invoke(
        local_cloud, "appointment_reminders", {"scheduled_time": iso(due - dt.timedelta(days=1))}
    )
    assert len(reminders(api, winner_headers)) == 1
    # And no loser was reminded
    loser = world["members"][(winner + 1) % RACERS][2]
    assert reminders(api, loser) == []


def test_the_calendar_feed_parses_and_names_no_member_and_a_revoked_token_stops_it(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given the counsellor's booked appointment (from the race) and a feed token
    counsellor = world["counsellor"]
    listed = api.get(
        "counsellors/me/appointments",
        headers=counsellor,
        params={"to": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
    )
    assert listed.status_code == 200, listed.text
    items = [i for i in listed.json()["items"] if i["status"] == "booked"]
    assert items, listed.text
    token = api.post("counsellors/me/calendar-token", headers=counsellor)
    assert token.status_code == 201, token.text
    secret = token.json()["token"]

    # When a calendar app reads the feed without a bearer token
    feed = api.get("counsellors/me/calendar.ics", params={"token": secret})

    # Then it is a calendar a real library reads, with the appointment at its time
    assert feed.status_code == 200, feed.text
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    item = items[0]
    assert item["id"] in events
    starts = events[item["id"]].decoded("DTSTART")
    assert starts == dt.datetime.fromisoformat(item["starts_at"].replace("Z", "+00:00"))
    # And it holds no member's name or id, and no note
    text = feed.text
    for member_id, name, _ in world["members"]:
        assert name not in text and member_id not in text

    # When the counsellor revokes the token
    assert api.delete("counsellors/me/calendar-token", headers=counsellor).status_code == 204
    # Then the old feed address answers 404 problem+json
    gone = api.get("counsellors/me/calendar.ics", params={"token": secret})
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")


def test_bad_input_is_a_problem_and_books_nothing(api: httpx.Client, world: dict[str, Any]) -> None:
    member = world["members"][-1][2]
    before = api.get("appointments", headers=member, params={"all": "true"}).json()["items"]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(microsecond=0)
    cases = [
        (
            "put",
            "counsellors/me/availability",
            world["counsellor"],
            {"weekly": {"mon": [{"start": "10:00", "end": "09:00"}]}},
            422,
        ),
        (
            "post",
            "appointments",
            member,
            {"counsellor_id": world["counsellor_id"], "starts_at": "tomorrow", "mode": "video"},
            422,
        ),
        (
            "post",
            "appointments",
            member,
            {
                "counsellor_id": world["counsellor_id"],
                "starts_at": tomorrow.isoformat(),
                "mode": "carrier pigeon",
            },
            422,
        ),
        (
            "post",
            "appointments",
            member,
            {
                "counsellor_id": world["counsellor_id"],
                "starts_at": tomorrow.replace(minute=7).isoformat(),
                "mode": "video",
            },
            422,
        ),
        (
            "post",
            "appointments",
            member,
            {
                "counsellor_id": str(uuid.uuid4()),
                "starts_at": tomorrow.isoformat(),
                "mode": "video",
            },
            404,
        ),
        ("get", "appointments/slots", member, None, 422),
    ]
    for method, path, headers, body, status in cases:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        else:
            kwargs["params"] = {"from": "2026-01-10", "to": "2026-03-30"}
        answer = api.request(method.upper(), path, **kwargs)
        assert answer.status_code == status, (path, body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    # And a member may not publish hours, nor a counsellor book
    assert (
        api.put("counsellors/me/availability", headers=member, json={"weekly": {}}).status_code
        == 403
    )
    after = api.get("appointments", headers=member, params={"all": "true"})
    assert after.status_code == 200 and after.json()["items"] == before
