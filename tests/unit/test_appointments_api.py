"""The appointments API: availability, slots, booking races, moves, cancels and the
counsellor's list (moto DynamoDB, KMS in memory, roster and zones in dicts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.moto_cloud import moto_clients
from tests.unit.test_appointment_world import (
    ADMIN,
    COUNSELLOR,
    FOREIGN_COUNSELLOR,
    MEMBER,
    NOW,
    OFFICE_HOURS,
    OTHER_COUNSELLOR,
    OTHER_MEMBER,
    RACERS,
    SUPPORTER,
    WED_14,
    WED_15,
    World,
)

PROBLEM = "application/problem+json"
OVERLAPPING = {
    "weekly": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}
}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def problem(answer: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = answer.json()
    if slug is not None:
        assert body["type"].endswith("/" + slug), body
    return body


def slots(world: World, first: str, last: str | None = None, **query: str) -> list[Any]:
    world.as_(MEMBER)
    answer = world.http.get(
        "/appointments/slots", params={"from": first, "to": last or first, **query}
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["slots"])


# ---- availability -----------------------------------------------------------------------


def test_a_counsellor_publishes_weekly_hours_in_the_organisations_zone(world: World) -> None:
    # Given a counsellor of an organisation in Shanghai
    # When they publish their office hours
    published = world.publish()
    # Then the availability is kept with the organisation's zone and the default slot length
    assert published["time_zone"] == "Asia/Shanghai"
    assert (published["slot_minutes"], published["gap_minutes"]) == (50, 10)
    assert published["modes"] == ["in_person", "phone", "video"]
    assert published["version"] == 1
    again = world.http.get("/counsellors/me/availability").json()
    assert again == published
    assert world.publish()["version"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"weekly": {"mon": [{"start": "12:00", "end": "09:00"}]}},
        OVERLAPPING,
        {"weekly": {"mon": [{"start": "9:00", "end": "12:00"}]}},
        {"weekly": {"mon": [{"start": "09:00", "end": "24:30"}]}},
        {"weekly": {"mon": [{"start": "09:00", "end": "09:30"}]}},
        {"weekly": {"funday": [{"start": "09:00", "end": "12:00"}]}},
        {"weekly": {}, "time_zone": "Mars/Olympus"},
        {"weekly": {}, "slot_minutes": 5},
        {"weekly": {}, "exceptions": [{"date": "2026-11-24"}]},
        {"weekly": {}, "exceptions": [{"date": "2026-11-24", "closed": True, "hours": []}]},
        {"weekly": {}, "exceptions": [{"date": "2026-11-24", "closed": True}] * 2},
        {"weekly": {}, "modes": ["telepathy"]},
        {"weekly": {}, "modes": []},
    ],
)
def test_bad_availability_is_a_422_problem(world: World, body: dict[str, Any]) -> None:
    # Given a counsellor
    world.as_(COUNSELLOR)
    # When they send availability that is not valid
    answer = world.http.put("/counsellors/me/availability", json=body)
    # Then it is refused as invalid input, and nothing is stored
    problem(answer, 422, "invalid-input")
    stored = world.http.get("/counsellors/me/availability").json()
    assert stored["version"] == 0 and stored["updated_at"] is None
    assert all(hours == [] for hours in stored["weekly"].values())


@pytest.mark.parametrize("who", [MEMBER, SUPPORTER, ADMIN])
def test_only_counsellors_publish_availability_even_with_a_bad_body(world: World, who: Any) -> None:
    world.as_(who)
    problem(world.http.put("/counsellors/me/availability", json={"weekly": 1}), 403)
    problem(world.http.get("/counsellors/me/appointments"), 403)
    problem(world.http.post("/counsellors/me/calendar-token"), 403)


def test_a_counsellor_the_roster_no_longer_lists_is_refused(world: World) -> None:
    world.roster.put(COUNSELLOR.__class__(**{**vars(COUNSELLOR), "active": False}))
    world.as_(COUNSELLOR)
    problem(world.http.put("/counsellors/me/availability", json=OFFICE_HOURS), 403)


# ---- slots --------------------------------------------------------------------------------


def test_slots_are_50_minutes_with_10_between_and_none_in_the_past(world: World) -> None:
    # Given office hours 09:00-12:00 and 14:00-17:00, and the clock at 10:00:10 on Monday
    world.publish()
    # When a member asks for Monday's and Tuesday's slots
    found = slots(world, "2026-11-23", "2026-11-24")
    # Then Monday has 11:00 and the afternoon (09:00 and 10:00 have started), Tuesday all six
    local = [s["local_start"] for s in found]
    assert local == [
        "2026-11-23T11:00+08:00",
        "2026-11-23T14:00+08:00",
        "2026-11-23T15:00+08:00",
        "2026-11-23T16:00+08:00",
        "2026-11-24T09:00+08:00",
        "2026-11-24T10:00+08:00",
        "2026-11-24T11:00+08:00",
        "2026-11-24T14:00+08:00",
        "2026-11-24T15:00+08:00",
        "2026-11-24T16:00+08:00",
    ]
    first = found[0]
    assert (first["starts_at"], first["ends_at"]) == (
        "2026-11-23T03:00:00.000Z",
        "2026-11-23T03:50:00.000Z",
    )
    assert first["counsellor_name"] == "Ms Wang" and first["counsellor_id"] == "cou-1"
    assert first["modes"] == ["in_person", "phone", "video"]


def test_exceptions_close_a_day_or_give_it_other_hours(world: World) -> None:
    world.publish(
        OFFICE_HOURS
        | {
            "exceptions": [
                {"date": "2026-11-24", "closed": True},
                {"date": "2026-11-25", "hours": [{"start": "18:00", "end": "20:00"}]},
            ],
            "slot_minutes": 45,
            "gap_minutes": 15,
        }
    )
    found = slots(world, "2026-11-24", "2026-11-25")
    assert [s["local_start"] for s in found] == ["2026-11-25T18:00+08:00", "2026-11-25T19:00+08:00"]
    assert found[0]["local_end"] == "2026-11-25T18:45+08:00"


def test_slots_list_every_counsellor_of_the_members_organisation_only(world: World) -> None:
    world.publish()
    world.publish({"weekly": {"wed": [{"start": "08:00", "end": "09:00"}]}}, OTHER_COUNSELLOR)
    world.publish(OFFICE_HOURS, FOREIGN_COUNSELLOR)
    found = slots(world, "2026-11-25")
    assert {s["counsellor_id"] for s in found} == {"cou-1", "cou-2"}
    assert found[0]["counsellor_name"] == "Mr Liu"
    only = slots(world, "2026-11-25", counsellor="cou-2")
    assert [s["local_start"] for s in only] == ["2026-11-25T08:00+08:00"]
    world.as_(MEMBER)
    answer = world.http.get("/appointments/slots", params={"counsellor": "cou-9"})
    problem(answer, 404)


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-11-25", "to": "2026-11-24"},
        {"from": "2026-11-01", "to": "2026-12-31"},
        {"from": "tomorrow"},
    ],
)
def test_a_bad_slot_range_is_a_422_problem(world: World, query: dict[str, str]) -> None:
    world.publish()
    world.as_(MEMBER)
    problem(world.http.get("/appointments/slots", params=query), 422, "invalid-input")


# ---- booking ------------------------------------------------------------------------------


def test_a_member_books_a_slot_and_a_second_member_gets_409(world: World) -> None:
    # Given a published Wednesday 14:00 slot
    world.publish()
    # When one member books it, then another tries
    first = world.book(MEMBER, note="考试压力很大")
    second = world.book(OTHER_MEMBER)
    # Then the first has it, the second gets a problem, and the slot is no longer offered
    assert first.status_code == 201, first.text
    booked = first.json()
    assert booked["status"] == "booked" and booked["starts_at"] == WED_14
    assert booked["local_start"] == "2026-11-25T14:00+08:00"
    assert booked["counsellor_name"] == "Ms Wang" and booked["note"] == "考试压力很大"
    assert first.headers["location"] == f"/appointments/{booked['id']}"
    problem(second, 409, "slot-taken")
    assert WED_14 not in [s["starts_at"] for s in slots(world, "2026-11-25")]
    # And the note is stored sealed only
    (stored,) = [i for i in world.items() if str(i["sk"]).startswith("appointment#")]
    assert "note" not in stored and "note_ct" in stored
    assert "考试" not in repr(world.items())


def test_twenty_members_race_for_one_slot_and_exactly_one_gets_it(world: World) -> None:
    world.publish()
    answers = [world.book(racer) for racer in RACERS]
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19
    for answer in answers:
        if answer.status_code == 409:
            problem(answer, 409, "slot-taken")
    holds = [i for i in world.items() if str(i["pk"]).startswith("slot#")]
    assert len(holds) == 1


def test_a_booking_with_an_offset_time_finds_the_same_slot(world: World) -> None:
    world.publish()
    answer = world.book(starts_at="2026-11-25T14:00:00+08:00")
    assert answer.status_code == 201, answer.text
    assert answer.json()["starts_at"] == WED_14


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"starts_at": "2026-11-25T06:10:00Z"}, 422),  # not a slot's start
        ({"starts_at": "2026-11-23T01:00:00Z"}, 422),  # today 09:00: in the past
        ({"starts_at": "2026-11-25T14:00:00"}, 422),  # no offset
        ({"mode": "carrier_pigeon"}, 422),
        ({"note": "x" * 2001}, 422),
        ({"surprise": 1}, 422),
        ({"counsellor_id": "cou-9"}, 404),  # another organisation's counsellor
        ({"counsellor_id": "cou-2"}, 404),  # published nothing
    ],
)
def test_a_bad_booking_is_a_4xx_problem(world: World, extra: dict[str, Any], status: int) -> None:
    world.publish()
    world.publish(OFFICE_HOURS, FOREIGN_COUNSELLOR)
    world.as_(MEMBER)
    body = {"counsellor_id": "cou-1", "starts_at": WED_14, "mode": "video"} | extra
    problem(world.http.post("/appointments", json=body), status)
    assert not [i for i in world.items() if str(i["pk"]).startswith("slot#")]


def test_a_mode_the_counsellor_does_not_offer_is_refused(world: World) -> None:
    world.publish(OFFICE_HOURS | {"modes": ["in_person"]})
    problem(world.book(mode="video"), 422, "invalid-input")
    assert world.book(mode="in_person").status_code == 201


def test_a_member_holds_at_most_three_upcoming_appointments(world: World) -> None:
    world.publish()
    for start in ("2026-11-24T06:00:00Z", "2026-11-24T07:00:00Z", WED_14):
        assert world.book(starts_at=start).status_code == 201
    problem(world.book(starts_at=WED_15), 409, "too-many-appointments")
    # Once one has passed, there is room again
    world.clock.now = dt.datetime(2026, 11, 24, 6, 30, tzinfo=dt.UTC)
    assert world.book(starts_at=WED_15).status_code == 201


class CallCounter:
    def __init__(self, client: Any) -> None:
        self.operations: list[str] = []
        self._client = client
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def close(self) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", self._count)


@pytest.mark.parametrize("note", [None, "请下午联系我"])
def test_a_warm_booking_is_two_dynamodb_calls(world: World, note: str | None) -> None:
    # Given a warm container: the member booked before (their data key is cached)
    world.publish()
    extra: dict[str, Any] = {"note": note} if note else {}
    assert world.book(starts_at="2026-11-24T06:00:00Z", note="first").status_code == 201
    counter = CallCounter(world.db)
    try:
        # When they book another slot
        answer = world.book(**extra)
    finally:
        counter.close()
    # Then that was one BatchGetItem and one TransactWriteItems
    assert answer.status_code == 201, answer.text
    assert counter.operations == ["BatchGetItem", "TransactWriteItems"]


def test_members_see_their_own_upcoming_appointments(world: World) -> None:
    world.publish()
    mine = world.book(note="hello").json()
    world.book(OTHER_MEMBER, starts_at=WED_15)
    world.as_(MEMBER)
    listed = world.http.get("/appointments").json()["items"]
    assert [a["id"] for a in listed] == [mine["id"]]
    assert listed[0]["note"] == "hello"


# ---- reschedule and cancel ----------------------------------------------------------------


def test_a_move_takes_the_new_slot_and_frees_the_old_one_at_once(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(MEMBER)
    moved = world.http.patch(f"/appointments/{booked['id']}", json={"starts_at": WED_15})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["starts_at"], moved.json()["id"]) == (WED_15, booked["id"])
    # The old slot is free for someone else; the new one is not
    assert world.book(OTHER_MEMBER, starts_at=WED_14).status_code == 201
    problem(world.book(OTHER_MEMBER, starts_at=WED_15), 409, "slot-taken")
    # And the reminders moved with it (24 h and 1 h before 15:00)
    assert [k for k in world.keys_starting("remind#") if booked["id"] in k] == [
        f"2026-11-24T07:00:00.000Z#{booked['id']}#24h",
        f"2026-11-25T06:00:00.000Z#{booked['id']}#1h",
    ]


def test_a_move_to_a_taken_slot_is_409_and_changes_nothing(world: World) -> None:
    world.publish()
    booked = world.book().json()
    assert world.book(OTHER_MEMBER, starts_at=WED_15).status_code == 201
    before = world.items()
    world.as_(MEMBER)
    answer = world.http.patch(f"/appointments/{booked['id']}", json={"starts_at": WED_15})
    problem(answer, 409, "slot-taken")
    assert sorted(map(repr, world.items())) == sorted(map(repr, before))


def test_a_mode_change_keeps_the_slot(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(MEMBER)
    answer = world.http.patch(f"/appointments/{booked['id']}", json={"mode": "phone"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["mode"], answer.json()["starts_at"]) == ("phone", WED_14)
    problem(world.http.patch(f"/appointments/{booked['id']}", json={}), 422)


def test_cancelling_frees_the_slot_and_drops_the_reminders(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(MEMBER)
    answer = world.http.delete(f"/appointments/{booked['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled"
    assert world.keys_starting("remind#") == []
    assert world.book(OTHER_MEMBER).status_code == 201
    world.as_(MEMBER)
    assert world.http.delete(f"/appointments/{booked['id']}").json()["status"] == "cancelled"
    assert world.http.get("/appointments").json()["items"] == []


def test_a_late_cancel_is_409_and_keeps_the_appointment(world: World) -> None:
    # Given an appointment tomorrow at 09:00, 23 hours away, and a 24-hour cut-off
    world.publish()
    booked = world.book(starts_at="2026-11-24T01:00:00Z").json()
    world.as_(MEMBER)
    # When the member cancels or moves it
    cancel = world.http.delete(f"/appointments/{booked['id']}")
    move = world.http.patch(f"/appointments/{booked['id']}", json={"starts_at": WED_15})
    # Then both are refused, telling them to contact the counsellor
    assert "contact your counsellor" in problem(cancel, 409, "too-late-to-change")["detail"]
    problem(move, 409, "too-late-to-change")
    assert world.http.get("/appointments").json()["items"][0]["status"] == "booked"


def test_someone_elses_appointment_is_404(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(OTHER_MEMBER)
    problem(world.http.delete(f"/appointments/{booked['id']}"), 404)
    problem(world.http.patch(f"/appointments/{booked['id']}", json={"mode": "phone"}), 404)


# ---- the counsellor's side ----------------------------------------------------------------


def test_the_counsellor_sees_names_and_notes_and_each_member_is_audited(world: World) -> None:
    world.publish()
    first = world.book(note="想聊聊睡眠").json()
    second = world.book(OTHER_MEMBER, starts_at=WED_15).json()
    world.as_(COUNSELLOR)
    answer = world.http.get(
        "/counsellors/me/appointments", params={"from": "2026-11-25", "to": "2026-11-25"}
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [(i["id"], i["member_name"], i["note"]) for i in items] == [
        (first["id"], "Xiao Ming", "想聊聊睡眠"),
        (second["id"], "Xiao Hong", None),
    ]
    assert [(r["action"], r["subject_id"], r["target_id"]) for r in world.audit.records] == [
        ("appointments.read", "mem-1", first["id"]),
        ("appointments.read", "mem-2", second["id"]),
    ]
    # Another counsellor sees none of them
    world.as_(OTHER_COUNSELLOR)
    assert world.http.get("/counsellors/me/appointments").json()["items"] == []


def test_an_outcome_is_recorded_only_once_the_appointment_started(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(COUNSELLOR)
    path = f"/counsellors/me/appointments/{booked['id']}/outcome"
    problem(world.http.post(path, json={"outcome": "attended"}), 409)
    world.clock.now = dt.datetime(2026, 11, 25, 6, 5, tzinfo=dt.UTC)
    answer = world.http.post(path, json={"outcome": "no_show"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "no_show" and answer.json()["note"] is None
    problem(world.http.post(path, json={"outcome": "maybe"}), 422)
    world.as_(OTHER_COUNSELLOR)
    problem(world.http.post(path, json={"outcome": "attended"}), 404)
    assert world.audit.actions() == ["appointments.outcome"]


def test_a_counsellor_links_and_unlinks_a_case(world: World) -> None:
    world.publish()
    booked = world.book().json()
    world.as_(COUNSELLOR)
    path = f"/counsellors/me/appointments/{booked['id']}/link"
    assert world.http.put(path, json={"case_id": "case-42"}).json()["case_id"] == "case-42"
    assert world.http.put(path, json={"case_id": None}).json()["case_id"] is None
    problem(world.http.put(path, json={"case_id": "../x"}), 422)
    problem(world.http.put(path, json={}), 422)
    assert world.audit.actions() == ["appointments.link", "appointments.link"]
    problem(world.http.put("/counsellors/me/appointments/nope/link", json={"case_id": "c"}), 404)


def test_booking_at_the_clock_today_is_unaffected_by_the_time_of_day(world: World) -> None:
    # Given the clock late on Monday evening in Shanghai (Monday still, local)
    world.clock.now = NOW.replace(hour=15)  # 23:00 local
    world.publish()
    assert slots(world, "2026-11-23") == []
    assert len(slots(world, "2026-11-24")) == 6


@pytest.mark.parametrize("who", [SUPPORTER, ADMIN, COUNSELLOR])
def test_only_members_book_and_list_slots(world: World, who: Any) -> None:
    world.publish()
    world.as_(who)
    problem(world.http.get("/appointments/slots"), 403)
    problem(world.http.get("/appointments"), 403)
    problem(world.http.post("/appointments", json={"bad": 1}), 403)
    problem(world.http.delete("/appointments/x"), 403)
