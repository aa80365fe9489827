"""Export and erasure of a member's appointments (and a counsellor's availability)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.appointments.data_rights import AppointmentsData
from tests.support.moto_cloud import moto_clients
from tests.unit.test_appointment_world import (
    COUNSELLOR,
    MEMBER,
    OTHER_MEMBER,
    WED_14,
    WED_15,
    World,
)


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def data(world: World) -> AppointmentsData:
    return AppointmentsData(world.db, world.table, world.vault)


def test_the_export_holds_the_members_appointments_with_their_note(world: World) -> None:
    world.publish()
    booked = world.book(note="请打电话给我").json()
    world.book(OTHER_MEMBER, starts_at=WED_15)
    world.as_(COUNSELLOR)
    world.http.put(f"/counsellors/me/appointments/{booked['id']}/link", json={"case_id": "c-1"})
    exported = data(world).export(MEMBER.user_id)
    (appointment,) = exported["appointments"]
    assert appointment["appointment_id"] == booked["id"]
    assert (appointment["starts_at"], appointment["status"]) == (WED_14, "booked")
    assert appointment["note"] == "请打电话给我"
    assert "case_id" not in appointment and "note_ct" not in appointment
    assert exported["availability"] is None


def test_erasure_removes_everything_of_the_member_and_frees_their_slot(world: World) -> None:
    # Given a member with a booked appointment (note, reminders, hold, pointer)
    world.publish()
    booked = world.book(note="secret").json()
    world.book(OTHER_MEMBER, starts_at=WED_15)
    # When they are erased (twice)
    erased = data(world).erase(MEMBER.user_id)
    assert erased > 0
    data(world).erase(MEMBER.user_id)
    # Then no item names them or their appointment, and the slot can be booked again
    left = repr(world.items())
    assert MEMBER.user_id not in left and booked["id"] not in left
    assert world.book(OTHER_MEMBER, starts_at=WED_14).status_code == 201
    assert data(world).export(MEMBER.user_id)["appointments"] == []


def test_a_counsellors_erasure_takes_their_availability_and_feed(world: World) -> None:
    world.publish()
    world.as_(COUNSELLOR)
    token = world.http.post("/counsellors/me/calendar-token").json()["token"]
    assert data(world).export(COUNSELLOR.user_id)["availability"]["slot_minutes"] == 50
    data(world).erase(COUNSELLOR.user_id)
    assert COUNSELLOR.user_id not in repr(world.items())
    feed = world.http.get("/counsellors/me/calendar.ics", params={"token": token})
    assert feed.status_code == 404
    world.as_(MEMBER)
    assert world.http.get("/appointments/slots").json()["slots"] == []
