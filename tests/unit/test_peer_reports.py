"""Reported messages reach the organisation's counsellors: GET /peer/reports and
POST /peer/reports/{id}/resolve (moto DynamoDB shaped as template.yaml's PeerTable, KMS in
memory, the roster in a dict)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from functions.peer.logic import conversation_id
from tests.support.moto_cloud import moto_clients
from tests.unit.peer_world import (
    ADMIN,
    COUNSELLOR,
    FOREIGN_COUNSELLOR,
    MEMBER,
    NOW,
    ORG,
    SUPPORTER,
    World,
)

REASON = "他让我很难受"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def reported(world: World, text: str = "rude words", reason: str | None = REASON) -> str:
    """The supporter sends `text` to the member, who reports it; the report's id."""
    world.as_(MEMBER)
    started = world.http.post("/conversations", json={"with": SUPPORTER.user_id})
    cid = started.json()["conversation_id"]
    world.as_(SUPPORTER)
    body = {"text": text, "client_id": str(uuid.uuid4())}
    message_id = world.http.post(f"/conversations/{cid}/messages", json=body).json()["message_id"]
    world.as_(MEMBER)
    report = {"message_id": message_id} | ({"reason": reason} if reason else {})
    answer = world.http.post(f"/conversations/{cid}/report", json=report)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["report_id"])


def reports(world: World, **params: Any) -> Any:
    return world.http.get("/peer/reports", params=params)


@pytest.mark.parametrize("staff", [COUNSELLOR, ADMIN], ids=lambda e: e.role)
def test_staff_read_the_reported_message_with_who_and_why(world: World, staff: Any) -> None:
    # Given a member reported their supporter's message
    report_id = reported(world)
    # When a counsellor (or an admin) of the organisation lists the open reports
    world.as_(staff)
    response = reports(world)
    # Then the report is there with the message's words, both names and the reason
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    cid = conversation_id(ORG, MEMBER.user_id, SUPPORTER.user_id)
    assert item["id"] == f"{cid}_{report_id}"
    assert (item["status"], item["reason"], item["message_text"]) == (
        "open",
        REASON,
        "rude words",
    )
    assert (item["reporter_id"], item["reporter_name"]) == (MEMBER.user_id, "Xiao Ming")
    assert (item["reported_id"], item["reported_name"]) == (SUPPORTER.user_id, "Li Wei")
    assert item["reported_at"] == "2026-11-24T02:00:10.000Z"
    assert response.json()["next_cursor"] is None


def test_a_report_without_a_reason_has_none(world: World) -> None:
    reported(world, reason=None)
    world.as_(COUNSELLOR)
    (item,) = reports(world).json()["items"]
    assert item["reason"] is None and item["message_text"] == "rude words"


def test_every_read_is_audited_naming_the_reported_and_the_reporter(world: World) -> None:
    reported(world)
    world.as_(COUNSELLOR)
    world.audit.records.clear()
    (item,) = reports(world).json()["items"]
    records = world.audit.records
    assert {r["subject_id"] for r in records} == {SUPPORTER.user_id, MEMBER.user_id}
    assert {(r["actor_id"], r["actor_role"], r["action"]) for r in records} == {
        (COUNSELLOR.user_id, "counsellor", "peer_report.read")
    }
    assert all(r["target_id"] == item["id"] and r["org_id"] == ORG for r in records)
    assert all(REASON not in repr(r) and "rude words" not in repr(r) for r in records)


def test_reports_come_newest_first_a_page_at_a_time(world: World) -> None:
    first = reported(world, text="first")
    world.clock.now = NOW + dt.timedelta(minutes=5)
    second = reported(world, text="second")
    world.as_(COUNSELLOR)
    page = reports(world, limit=1).json()
    assert [i["message_text"] for i in page["items"]] == ["second"]
    assert page["items"][0]["id"].endswith(second)
    after = reports(world, limit=1, cursor=page["next_cursor"]).json()
    assert [i["id"].split("_")[1] for i in after["items"]] == [first]
    # A cursor is the organisation's: another organisation's staff cannot use it
    world.as_(FOREIGN_COUNSELLOR)
    assert reports(world, limit=1, cursor=page["next_cursor"]).status_code == 400


def test_a_resolved_report_leaves_the_list_and_is_audited(world: World) -> None:
    reported(world)
    world.as_(COUNSELLOR)
    (item,) = reports(world).json()["items"]
    world.clock.now = NOW + dt.timedelta(hours=1)
    response = world.http.post(f"/peer/reports/{item['id']}/resolve")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": item["id"],
        "status": "resolved",
        "resolved_at": "2026-11-24T03:00:10.000Z",
        "resolved_by": COUNSELLOR.user_id,
    }
    assert world.audit.records[-1] | {"at": None} == {
        "org_id": ORG,
        "actor_id": COUNSELLOR.user_id,
        "actor_role": "counsellor",
        "action": "peer_report.resolved",
        "target_type": "peer_report",
        "target_id": item["id"],
        "at": None,
    }
    assert reports(world).json()["items"] == []
    (stored,) = [i for i in world.items() if str(i["sk"]).startswith("report#")]
    assert stored["status"] == "resolved" and "need_pk" not in stored
    # Resolving again answers as the first time, and writes nothing more
    count = len(world.audit.records)
    world.as_(ADMIN)
    again = world.http.post(f"/peer/reports/{item['id']}/resolve")
    assert again.status_code == 200 and again.json() == response.json()
    assert len(world.audit.records) == count


@pytest.mark.parametrize("caller", [MEMBER, SUPPORTER], ids=lambda e: e.role)
def test_members_and_supporters_may_not_read_or_resolve_reports(world: World, caller: Any) -> None:
    reported(world)
    world.as_(COUNSELLOR)
    (item,) = reports(world).json()["items"]
    world.audit.records.clear()
    world.as_(caller)
    for response in (
        reports(world),
        reports(world, limit=0, cursor="not-a-cursor"),  # refused before the query is read
        world.http.post(f"/peer/reports/{item['id']}/resolve"),
        world.http.post("/peer/reports/x/resolve"),
    ):
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert world.audit.records == []


def test_staff_the_roster_no_longer_lists_are_refused(world: World) -> None:
    world.roster.put(replace(COUNSELLOR, active=False))
    world.as_(COUNSELLOR)
    assert reports(world).status_code == 403


def test_another_organisations_staff_see_none_and_cannot_resolve(world: World) -> None:
    reported(world)
    world.as_(COUNSELLOR)
    (item,) = reports(world).json()["items"]
    world.audit.records.clear()
    # Given a counsellor of another organisation
    world.as_(FOREIGN_COUNSELLOR)
    # Then their organisation has no reports, and this one's is no such report
    assert reports(world).json()["items"] == []
    assert world.http.post(f"/peer/reports/{item['id']}/resolve").status_code == 404
    assert world.audit.records == []
    world.as_(COUNSELLOR)
    assert [i["status"] for i in reports(world).json()["items"]] == ["open"]


@pytest.mark.parametrize("ref", ["nothing", "_x", "x_", "a_b_c", f"{'a' * 32}_{'b' * 32}"])
def test_an_unknown_report_is_404(world: World, ref: str) -> None:
    world.as_(COUNSELLOR)
    response = world.http.post(f"/peer/reports/{ref}/resolve")
    assert response.status_code == 404, response.text
