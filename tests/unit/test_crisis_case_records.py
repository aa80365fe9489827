"""The counsellor's case records on moto's DynamoDB (the template's CasesTable): notes,
contacts and referrals sealed under the member's crisis key, the case's timeline and
follow-ups, the watch list (overdue first, the family contact due at level 3), and
nobody but the organisation's counsellors learning anything of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from functions.crisis import steps
from functions.crisis.case_records import CaseRecords
from functions.crisis.case_records_routes import follow_up_view, watch_order, watch_view
from functions.crisis.cases import case_pk, watch_pk
from functions.crisis.routes import app
from shared.dynamo import from_item
from shared.identity import Identity
from tests.support.moto_cloud import moto_clients
from tests.unit.test_crisis_api import (
    COUNSELLOR,
    MEMBER,
    NOW,
    ORG,
    OTHER_COUNSELLOR,
    SUPPORTER,
    THE_MEMBER,
    World,
    is_problem,
    waiting_for_ack,
    waiting_for_closure,
)

DAY = dt.timedelta(days=1)
CONTACT = {"who": "member", "channel": "phone", "outcome": "reached"}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(db, monkeypatch)
    app.dependency_overrides.clear()


def records(world: World) -> CaseRecords:
    return CaseRecords(world.db, world.table)


def partition(world: World, pk: str, prefix: str = "") -> list[dict[str, Any]]:
    return [
        item
        for item in (from_item(i) for i in world.db.scan(TableName=world.table)["Items"])
        if item["pk"] == pk and str(item["sk"]).startswith(prefix)
    ]


def close(world: World, case_id: str, outcome: Any) -> None:
    world.repo.keep_token(case_id, "closure", f"tok-close-{case_id}")
    response = world.http.post(f"/cases/{case_id}/close", json={"outcome": outcome})
    assert response.status_code == 200, response.text


def closed_at_level(world: World, level: int, *, user_id: str = MEMBER, review: str) -> str:
    case_id = world.signal("high", f"checkins#{user_id}", user_id=user_id)
    world.repo.keep_token(case_id, "ack", f"tok-ack-{case_id}")
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200
    close(world, case_id, {"watch_level": level, "review_on": review})
    return case_id


# --- notes ----------------------------------------------------------------------------------


def test_a_note_is_sealed_and_shown_to_the_counsellor_newest_last(world: World) -> None:
    # Given a case
    case_id = waiting_for_ack(world)
    # When the counsellor writes two notes, an hour apart
    first = world.http.post(f"/cases/{case_id}/notes", json={"text": "打过电话，情绪平稳"})
    world.clock.now = NOW + dt.timedelta(hours=1)
    second = world.http.post(f"/cases/{case_id}/notes", json={"text": "second note"})
    # Then each is stored sealed under the member's key, never in plain
    assert first.status_code == second.status_code == 201, first.text
    stored = partition(world, case_pk(case_id), "note#")
    assert len(stored) == 2 and all("text_ct" in n and "text" not in n for n in stored)
    scanned = str(world.db.scan(TableName=world.table)["Items"])
    assert "情绪平稳" not in scanned and "second note" not in scanned
    # And the case shows them opened, oldest first, with author and time
    body = world.http.get(f"/cases/{case_id}").json()
    assert [(n["text"], n["author_id"], n["created_at"]) for n in body["notes"]] == [
        ("打过电话，情绪平稳", "counsellor-1", "2026-11-24T13:00:00.000Z"),
        ("second note", "counsellor-1", "2026-11-24T14:00:00.000Z"),
    ]
    assert body["notes"][0]["note_id"] == first.json()["note_id"]
    assert world.audit.actions() == ["case.note_added", "case.note_added", "case.read"]


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "   "}, {"text": "x" * 4001}, {}])
def test_a_bad_note_is_422(world: World, body: dict[str, Any]) -> None:
    case_id = waiting_for_ack(world)
    is_problem(world.http.post(f"/cases/{case_id}/notes", json=body), 422)
    assert partition(world, case_pk(case_id), "note#") == []


def test_a_note_of_4000_characters_is_taken(world: World) -> None:
    case_id = waiting_for_ack(world)
    assert world.http.post(f"/cases/{case_id}/notes", json={"text": "字" * 4000}).status_code == 201


# --- who may see them -------------------------------------------------------------------------


@pytest.mark.parametrize("who", [SUPPORTER, THE_MEMBER, OTHER_COUNSELLOR])
def test_anyone_but_the_organisations_counsellors_gets_404_on_every_record_route(
    world: World, who: Identity
) -> None:
    # Given a case with a note
    case_id = waiting_for_ack(world)
    world.http.post(f"/cases/{case_id}/notes", json={"text": "kept"})
    before = partition(world, case_pk(case_id))
    world.audit.records.clear()
    # When someone else calls each route on it
    world.as_(who)
    calls = [
        world.http.post(f"/cases/{case_id}/notes", json={"text": "mine"}),
        world.http.post(f"/cases/{case_id}/contacts", json=CONTACT),
        world.http.post(
            f"/cases/{case_id}/referral",
            json={"to": "Mental Health Centre", "kind": "hospital", "on": "2026-11-25"},
        ),
        world.http.get(f"/cases/{case_id}"),
    ]
    # Then each is told there is no such case, and nothing is written or audited
    for call in calls:
        assert is_problem(call, 404)["detail"] == "No such case."
    assert partition(world, case_pk(case_id)) == before
    assert world.audit.records == []


@pytest.mark.parametrize("who", [SUPPORTER, THE_MEMBER])
def test_the_watch_list_is_404_to_anyone_but_counsellors(world: World, who: Identity) -> None:
    closed_at_level(world, 3, review="2026-12-01")
    world.audit.records.clear()
    world.as_(who)
    is_problem(world.http.get("/watchlist"), 404)
    assert world.audit.records == []


def test_another_organisations_counsellor_sees_only_their_own_watch_list(world: World) -> None:
    closed_at_level(world, 3, review="2026-12-01")
    world.as_(OTHER_COUNSELLOR)
    assert world.http.get("/watchlist").json() == {"items": [], "next_cursor": None}


# --- contacts ---------------------------------------------------------------------------------


def test_a_contact_with_the_member_is_logged_with_its_note_sealed(world: World) -> None:
    case_id = waiting_for_ack(world)
    at = (NOW - dt.timedelta(hours=2)).isoformat()
    body = CONTACT | {"channel": "video", "note": "agreed to meet Friday", "at": at}
    response = world.http.post(f"/cases/{case_id}/contacts", json=body)
    assert response.status_code == 201, response.text
    assert response.json() | {"contact_id": "x"} == {
        "contact_id": "x",
        "who": "member",
        "channel": "video",
        "outcome": "reached",
        "at": "2026-11-24T11:00:00.000Z",
        "logged_by": "counsellor-1",
        "logged_at": "2026-11-24T13:00:00.000Z",
        "note": "agreed to meet Friday",
    }
    (stored,) = partition(world, case_pk(case_id), "contact#")
    assert "note_ct" in stored and "agreed" not in str(stored)
    assert world.case_item(case_id)["last_contact"] == "2026-11-24T11:00:00.000Z"
    assert "last_family_contact" not in world.case_item(case_id)
    shown = world.http.get(f"/cases/{case_id}").json()["contacts"]
    assert [(c["who"], c["note"]) for c in shown] == [("member", "agreed to meet Friday")]
    assert world.audit.records[0]["action"] == "case.contact_logged"
    assert world.audit.records[0]["detail"] == {
        "who": "member",
        "channel": "video",
        "outcome": "reached",
    }


@pytest.mark.parametrize("who", ["guardian", "family"])
def test_a_family_contact_below_the_highest_level_is_422(world: World, who: str) -> None:
    # Given a high case (not imminent, no watch level)
    case_id = waiting_for_ack(world)
    # When the counsellor logs a contact with the family
    response = world.http.post(f"/cases/{case_id}/contacts", json=CONTACT | {"who": who})
    # Then it is refused with a clear reason, and nothing is stored
    body = is_problem(response, 422)
    assert "highest watch level (3)" in body["detail"]
    assert partition(world, case_pk(case_id), "contact#") == []


def test_a_family_contact_on_an_imminent_case_is_logged(world: World) -> None:
    case_id = world.signal("imminent", "checkins#1")
    response = world.http.post(f"/cases/{case_id}/contacts", json=CONTACT | {"who": "guardian"})
    assert response.status_code == 201, response.text
    assert world.case_item(case_id)["last_family_contact"] == "2026-11-24T13:00:00.000Z"


def test_a_family_contact_at_level_3_moves_the_watch_entry_forward(world: World) -> None:
    # Given a case closed at watch level 3
    case_id = closed_at_level(world, 3, review="2026-12-10")
    # When the counsellor logs a family contact on it a week later, then an older one
    world.clock.now = NOW + 7 * DAY
    logged = world.http.post(f"/cases/{case_id}/contacts", json=CONTACT | {"who": "family"})
    older = CONTACT | {"who": "family", "at": (NOW + DAY).isoformat()}
    assert logged.status_code == 201, logged.text
    assert world.http.post(f"/cases/{case_id}/contacts", json=older).status_code == 201
    # Then the watch entry keeps the latest contact
    entry = world.item(watch_pk(ORG), MEMBER)
    assert entry is not None
    assert entry["last_contact"] == entry["last_family_contact"] == "2026-12-01T13:00:00.000Z"


@pytest.mark.parametrize(
    "body",
    [
        CONTACT | {"at": (NOW + dt.timedelta(minutes=5)).isoformat()},
        CONTACT | {"at": "2026-11-24T12:00:00"},  # no zone
        CONTACT | {"channel": "carrier_pigeon"},
        CONTACT | {"outcome": "fine"},
        CONTACT | {"who": "neighbour"},
        CONTACT | {"note": "x" * 4001},
        {"who": "member", "channel": "phone"},
    ],
)
def test_a_bad_contact_is_422(world: World, body: dict[str, Any]) -> None:
    case_id = waiting_for_ack(world)
    is_problem(world.http.post(f"/cases/{case_id}/contacts", json=body), 422)
    assert partition(world, case_pk(case_id), "contact#") == []


# --- referrals --------------------------------------------------------------------------------


def test_a_referral_is_recorded_with_its_note_sealed(world: World) -> None:
    case_id = waiting_for_ack(world)
    body = {"to": "市精神卫生中心", "kind": "hospital", "on": "2026-11-26", "note": "家长陪同"}
    response = world.http.post(f"/cases/{case_id}/referral", json=body)
    assert response.status_code == 201, response.text
    (stored,) = partition(world, case_pk(case_id), "referral#")
    assert "note_ct" in stored and "家长陪同" not in str(stored)
    (shown,) = world.http.get(f"/cases/{case_id}").json()["referrals"]
    assert (shown["to"], shown["kind"], shown["on"], shown["note"]) == (
        "市精神卫生中心",
        "hospital",
        "2026-11-26",
        "家长陪同",
    )
    assert shown["referred_by"] == "counsellor-1"
    assert world.audit.records[0]["detail"] == {"kind": "hospital"}


@pytest.mark.parametrize(
    "body",
    [
        {"to": "x" * 201, "kind": "hospital", "on": "2026-11-26"},
        {"to": "", "kind": "hospital", "on": "2026-11-26"},
        {"to": "A clinic", "kind": "friend", "on": "2026-11-26"},
        {"to": "A clinic", "kind": "service", "on": "soon"},
        {"to": "A clinic", "kind": "service"},
    ],
)
def test_a_bad_referral_is_422(world: World, body: dict[str, Any]) -> None:
    case_id = waiting_for_ack(world)
    is_problem(world.http.post(f"/cases/{case_id}/referral", json=body), 422)
    assert partition(world, case_pk(case_id), "referral#") == []


# --- the timeline and follow-ups --------------------------------------------------------------


def run_step(world: World, action: str, case_id: str, minutes: int, **fields: Any) -> Any:
    world.clock.now = NOW + dt.timedelta(minutes=minutes)
    deps = steps.Dependencies(
        tokens=world.repo,
        audit=world.audit,
        duty=NoDuty(),
        notify=lambda *_, **__: None,
        clock=world.clock,
        follow_up_days=(1, 3, 7, 14),
        day_seconds=60,
        events=records(world),
    )
    event = {"action": action, "case_id": case_id, "org_id": ORG, "user_id": MEMBER} | fields
    return steps.step(event, deps)


class NoDuty:
    def at(self, org_id: str, at: dt.datetime) -> None:
        return None


def test_the_timeline_tells_the_case_in_order_without_sealed_text(world: World) -> None:
    # Given a watch signal, the tiers of the workflow, a raise to high and an ack
    case_id = world.signal("watch", "checkins#1")
    run_step(world, "notify", case_id, 1, tier=1, severity="watch")
    run_step(world, "notify", case_id, 2, tier=2, severity="watch")
    world.signal("high", "checkins#2", at=NOW + dt.timedelta(minutes=3))
    run_step(world, "unacknowledged", case_id, 4, severity="high")
    world.repo.keep_token(case_id, "ack", "tok-ack-1")
    world.clock.now = NOW + dt.timedelta(minutes=5)
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200
    # And the follow-up, a worse answer, the counsellor's records and the closure
    planned = run_step(world, "plan_follow_up", case_id, 6, follow_up={"index": 0})
    run_step(world, "send_follow_up", case_id, 7, follow_up=planned)
    run_step(world, "evaluate_answer", case_id, 8, severity="high", answer={"level": "imminent"})
    run_step(world, "notify", case_id, 9, tier=1, severity="imminent")
    world.clock.now = NOW + dt.timedelta(minutes=10)
    world.http.post(f"/cases/{case_id}/notes", json={"text": "secret words"})
    world.clock.now = NOW + dt.timedelta(minutes=11)
    world.http.post(f"/cases/{case_id}/contacts", json=CONTACT | {"note": "more secrets"})
    world.clock.now = NOW + dt.timedelta(minutes=12)
    referral = {"to": "Clinic", "kind": "service", "on": "2026-11-25", "note": "hidden"}
    world.http.post(f"/cases/{case_id}/referral", json=referral)
    world.clock.now = NOW + dt.timedelta(minutes=13)
    close(world, case_id, "referred")

    # When the counsellor reads the case
    body = world.http.get(f"/cases/{case_id}").json()

    # Then the timeline lists every step in time order, with its actor
    assert [(e["kind"], e["actor_id"]) for e in body["timeline"]] == [
        ("opened", "crisis-intake"),
        ("notified", "crisis-workflow"),
        ("escalated", "crisis-workflow"),
        ("raised", "crisis-intake"),
        ("unacknowledged", "crisis-workflow"),
        ("acknowledged", "counsellor-1"),
        ("follow_up_sent", "crisis-workflow"),
        ("answered", "crisis-workflow"),
        ("re_escalated", "crisis-workflow"),
        ("notified", "crisis-workflow"),
        ("note_added", "counsellor-1"),
        ("contact_logged", "counsellor-1"),
        ("referral", "counsellor-1"),
        ("closed", "counsellor-1"),
    ]
    times = [e["at"] for e in body["timeline"]]
    assert times == sorted(times)
    assert body["timeline"][2]["detail"] == {"tier": 2, "severity": "watch", "people": 0}
    assert body["timeline"][3]["detail"] == {"severity": "high", "source": "checkins"}
    assert body["timeline"][7]["detail"] == {"worse": 1}
    timeline = str(body["timeline"])
    assert "secret" not in timeline and "hidden" not in timeline and "Clinic" not in timeline
    # And the follow-up shows as answered, worse
    assert body["follow_ups"] == [
        {
            "number": 1,
            "day": 1,
            "status": "answered",
            "due_at": "2026-11-24T13:07:00.000Z",
            "sent_at": "2026-11-24T13:07:00.000Z",
            "answered_at": "2026-11-24T13:08:00.000Z",
            "worse": True,
        }
    ]


def test_follow_ups_show_planned_sent_and_answered_counting_retries_once() -> None:
    def event(sk: str, kind: str, **detail: Any) -> dict[str, Any]:
        return {"sk": f"event#{sk}#a", "at": sk, "kind": kind, "detail": detail}

    events = [
        event("1", "follow_up_planned", number=1, day=1, due_at="d1"),
        event("2", "follow_up_sent", number=1, day=1),
        event("3", "follow_up_sent", number=1, day=1),  # a retried step
        event("4", "answered", worse=0),
        event("5", "follow_up_planned", number=2, day=3, due_at="d3"),
        event("6", "follow_up_sent", number=2, day=3),
        event("7", "follow_up_planned", number=3, day=7, due_at="d7"),
    ]
    shown = [(f.number, f.day, f.status, f.sent_at, f.worse) for f in follow_up_view(events)]
    assert shown == [
        (1, 1, "answered", "2", False),
        (2, 3, "sent", "6", None),
        (3, 7, "planned", None, None),
    ]


def test_a_timeline_event_that_cannot_be_written_does_not_fail_the_step(world: World) -> None:
    class Broken:
        def add_event(self, *args: Any, **kwargs: Any) -> None:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "InternalServerError"}}, "UpdateItem")

    deps = steps.Dependencies(
        tokens=world.repo,
        audit=world.audit,
        duty=NoDuty(),
        notify=lambda *_, **__: None,
        clock=world.clock,
        follow_up_days=(1,),
        day_seconds=60,
        events=Broken(),
    )
    result = steps.step({"action": "unacknowledged", "case_id": "c1", "org_id": ORG}, deps)
    assert result == {"alarm": True}
    assert world.audit.actions() == ["case.unacknowledged"]


# --- the watch list ---------------------------------------------------------------------------


def test_closing_at_a_watch_level_puts_the_member_on_the_watch_list(world: World) -> None:
    # Given a case with a member contact before it closes at level 2
    case_id = waiting_for_closure(world)
    world.http.post(f"/cases/{case_id}/contacts", json=CONTACT)
    close_body = {"outcome": {"watch_level": 2, "review_on": "2026-12-08"}}
    assert world.http.post(f"/cases/{case_id}/close", json=close_body).status_code == 200
    # When the counsellor reads the watch list
    response = world.http.get("/watchlist")
    # Then the member is on it with the last contact carried over
    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [
            {
                "user_id": MEMBER,
                "level": 2,
                "case_id": case_id,
                "since": "2026-11-24T13:00:00.000Z",
                "last_contact": "2026-11-24T13:00:00.000Z",
                "last_family_contact": None,
                "next_review": "2026-12-08",
                "overdue": False,
                "family_contact_due": None,
                "family_contact_due_on": None,
            }
        ],
        "next_cursor": None,
    }
    assert world.audit.records[-1]["action"] == "watchlist.read"
    assert world.audit.records[-1]["target_type"] == "watchlist"
    assert world.audit.records[-1]["detail"] == {"count": 1, "overdue": 0}


def test_a_later_case_closed_resolved_takes_the_member_off_the_list(world: World) -> None:
    closed_at_level(world, 1, review="2026-12-08")
    assert world.item(watch_pk(ORG), MEMBER) is not None
    case_id = world.signal("watch", "checkins#later")
    world.repo.keep_token(case_id, "ack", "tok-ack-later")
    assert world.http.post(f"/cases/{case_id}/ack").status_code == 200
    close(world, case_id, "resolved")
    assert world.item(watch_pk(ORG), MEMBER) is None
    assert world.http.get("/watchlist").json()["items"] == []


def test_a_closure_the_run_refuses_puts_the_old_watch_entry_back(world: World) -> None:
    # Given a member on the list at level 3, with a new case waiting for closure
    first = closed_at_level(world, 3, review="2026-12-08")
    entry = world.item(watch_pk(ORG), MEMBER)
    case_id = world.signal("watch", "checkins#later")
    world.repo.keep_token(case_id, "ack", "tok-ack-later")
    world.http.post(f"/cases/{case_id}/ack")
    world.repo.keep_token(case_id, "closure", "tok-close-later")
    # When the closure is refused by the run
    world.sfn.refuse["tok-close-later"] = "InvalidToken"
    response = world.http.post(f"/cases/{case_id}/close", json={"outcome": "resolved"})
    # Then the earlier entry is back as it was
    is_problem(response, 409)
    assert world.item(watch_pk(ORG), MEMBER) == entry
    assert entry is not None and entry["case_id"] == first


def test_the_watch_list_puts_overdue_first_then_the_next_review(world: World) -> None:
    # Given four members on the list (today is 2026-11-24)
    for user_id, level, review in [
        ("m-later", 1, "2026-12-20"),
        ("m-soon", 2, "2026-11-30"),
        ("m-overdue", 3, "2026-11-20"),
        ("m-overdue-older", 1, "2026-11-10"),
    ]:
        closed_at_level(world, level, user_id=user_id, review=review)
    # When the list is read a page of two at a time
    first = world.http.get("/watchlist", params={"limit": 2}).json()
    second = world.http.get("/watchlist", params={"limit": 2, "cursor": first["next_cursor"]})
    # Then overdue reviews come first, then the soonest
    rows = first["items"] + second.json()["items"]
    assert [(r["user_id"], r["overdue"]) for r in rows] == [
        ("m-overdue-older", True),
        ("m-overdue", True),
        ("m-soon", False),
        ("m-later", False),
    ]
    assert second.json()["next_cursor"] is None
    # And level 3 says its family contact is due (none since the case closed)
    assert (rows[1]["family_contact_due"], rows[1]["family_contact_due_on"]) == (
        True,
        "2026-11-24",
    )
    assert rows[0]["family_contact_due"] is None
    is_problem(world.http.get("/watchlist", params={"cursor": "forged.cursor.value"}), 400)


@pytest.mark.parametrize(
    ("last_family", "due", "due_on"),
    [
        (None, True, "2026-11-01"),
        ("2026-11-20T09:00:00.000Z", False, "2026-12-04"),
        ("2026-11-10T09:00:00.000Z", True, "2026-11-24"),
        ("2026-11-01T09:00:00.000Z", True, "2026-11-15"),
    ],
)
def test_a_family_contact_is_due_two_weeks_after_the_last(
    last_family: str | None, due: bool, due_on: str
) -> None:
    entry = {
        "user_id": "m",
        "level": 3,
        "case_id": "c",
        "since": "2026-11-01T08:00:00.000Z",
        "review_on": "2026-12-01",
        "last_family_contact": last_family,
    }
    row = watch_view(entry, dt.date(2026, 11, 24))
    assert (row.family_contact_due, str(row.family_contact_due_on)) == (due, due_on)
    assert watch_order(row) == (1, "2026-12-01", "m")


def test_levels_below_3_show_no_family_contact_due() -> None:
    entry = {
        "user_id": "m",
        "level": 2,
        "case_id": "c",
        "since": "2026-11-01T08:00:00.000Z",
        "review_on": "2026-11-23",
    }
    row = watch_view(entry, dt.date(2026, 11, 24))
    assert (row.overdue, row.family_contact_due, row.family_contact_due_on) == (True, None, None)


def test_the_counsellor_of_the_case_sees_it_as_before(world: World) -> None:
    world.as_(COUNSELLOR)
    case_id = waiting_for_ack(world)
    body = world.http.get(f"/cases/{case_id}").json()
    assert body["timeline"][0]["kind"] == "opened"
    assert (body["notes"], body["contacts"], body["referrals"], body["follow_ups"]) == (
        [],
        [],
        [],
        [],
    )
