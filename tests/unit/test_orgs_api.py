"""The organisations API's behaviour, in-process over moto DynamoDB and an in-memory Cognito
(tests/support/orgs.py): units, invitations, the roster, training and supporters, the
rota, settings, the audit log and CSV imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from functions.orgs.enrolment import Enroller
from functions.orgs.import_worker import enrol_chunk
from shared.audit import AuditLog
from shared.errors import PROBLEM_TYPE_BASE
from tests.support.orgs import (
    CONTACT,
    HEADER,
    POOL_ID,
    SUPPORTER_TRAINED_UNTIL,
    TODAY,
    ZONE,
    Cloud,
    Person,
    World,
    wired,
)


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    return body


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


Outline = list[tuple[str, "Outline"]]


def outline(units: list[dict[str, Any]]) -> Outline:
    """The tree as (name, children) pairs, in the order the API gives them."""
    return [(u["name"], outline(u["children"])) for u in units]


def tree(world: World) -> Outline:
    return outline(ok(world.api.get(world.url("/units")))["units"])


SEEDED_TREE: Outline = [
    ("Demo School", [("Grade 7", [("Class 7-1", []), ("Class 7-2", [])])]),
]


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {i["user_id"] for i in items}


def supporter(
    world: World,
    key: str,
    *,
    trained_until: dt.date | None = SUPPORTER_TRAINED_UNTIL,
    supervised: bool = True,
) -> Person:
    person = world.enrol(key, "peer_supporter", "g7")
    if trained_until is not None:
        world.train(person, trained_until)
    if supervised:
        world.supervise(person, world.people["counsellor"])
    return person


def csv_body(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def pupil_line(n: int, unit: str = "Grade 7/Class 7-1") -> str:
    return f"Pupil {n},pupil{n}@school.example,,member,{unit}"


def post_csv(world: World, body: bytes) -> httpx.Response:
    return world.api.post(world.url("/imports"), content=body, headers={"Content-Type": "text/csv"})


def run_worker(world: World, message: dict[str, Any]) -> bool:
    enroller = Enroller(world.cognito, POOL_ID, world.repo, send_invitations=False)
    return enrol_chunk(message, world.repo, enroller, AuditLog(world.db, world.audit_table))


# --- units -----------------------------------------------------------------------------------


def test_units_added_under_their_parents_come_back_as_a_tree(world: World) -> None:
    # Given the seeded school
    # When an annex, a grade under it and a class under that are added
    annex = ok(world.api.post(world.url("/units"), json={"name": "Annex", "kind": "school"}), 201)
    grade = ok(
        world.api.post(
            world.url("/units"),
            json={"name": "Grade 8", "kind": "grade", "parent_id": annex["unit_id"]},
        ),
        201,
    )
    ok(
        world.api.post(
            world.url("/units"),
            json={"name": "Class 8-1", "kind": "class", "parent_id": grade["unit_id"]},
        ),
        201,
    )
    # Then the tree nests them under each other, beside the school's own
    assert tree(world) == [("Annex", [("Grade 8", [("Class 8-1", [])])]), *SEEDED_TREE]


def test_moving_a_unit_puts_it_under_its_new_parent(world: World) -> None:
    # Given Class 7-2 under Grade 7
    # When it moves directly under the school
    moved = ok(world.api.patch(world.url("/units/c72"), json={"parent_id": "school"}))
    # Then it answers with its new parent and the tree shows it there
    assert moved["parent_id"] == "school"
    assert tree(world) == [
        ("Demo School", [("Class 7-2", []), ("Grade 7", [("Class 7-1", [])])]),
    ]


@pytest.mark.parametrize("new_parent", ["g7", "c71"], ids=["itself", "its-own-class"])
def test_moving_a_unit_under_itself_or_its_descendant_is_409(world: World, new_parent: str) -> None:
    # Given Grade 7 with Class 7-1 inside
    # When Grade 7 is moved under itself or under Class 7-1
    response = world.api.patch(world.url("/units/g7"), json={"parent_id": new_parent})
    # Then it is refused and the tree is unchanged
    problem(response, 409, "conflict")
    assert tree(world) == SEEDED_TREE


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_unit_with_a_parent_not_in_the_organisation_is_422(world: World, method: str) -> None:
    # Given a parent id that is only a unit of the other organisation
    body: dict[str, Any] = {"parent_id": "hq"}
    # When a unit is added under it, or moved under it
    if method == "POST":
        response = world.api.post(world.url("/units"), json={"name": "X", "kind": "team", **body})
    else:
        response = world.api.patch(world.url("/units/c72"), json=body)
    # Then it is refused as invalid and nothing changes
    problem(response, 422, "invalid-input")
    assert tree(world) == SEEDED_TREE


def _assign_supporter_to_c72(world: World) -> str:
    ok(
        world.api.put(
            world.url("/units/c72/supporters"),
            json={"supporters": [world.people["supporter"].user_id]},
        )
    )
    return "c72"


@pytest.mark.parametrize(
    "prepare",
    [
        pytest.param(lambda world: "g7", id="has-a-unit-inside"),
        pytest.param(lambda world: "c71", id="has-a-person-inside"),
        pytest.param(_assign_supporter_to_c72, id="has-supporters"),
    ],
)
def test_deleting_a_unit_that_is_not_empty_is_409(world: World, prepare: Any) -> None:
    # Given a unit with a unit, a person or a supporter in it
    unit_id = prepare(world)
    # When it is deleted
    response = world.api.delete(world.url(f"/units/{unit_id}"))
    # Then it is refused and the unit is still there
    problem(response, 409, "conflict")
    assert world.repo.unit(world.org, unit_id) is not None


def test_deleting_an_empty_unit_is_204_and_it_leaves_the_tree(world: World) -> None:
    # Given the empty Class 7-2
    # When it is deleted
    response = world.api.delete(world.url("/units/c72"))
    # Then it is gone
    assert response.status_code == 204
    assert tree(world) == [("Demo School", [("Grade 7", [("Class 7-1", [])])])]


# --- invitations ---------------------------------------------------------------------------------


def invite(world: World, email: str = "new.pupil@school.example", role: str = "member") -> Any:
    return world.api.post(
        world.url("/invitations"),
        json={"display_name": "New Pupil", "email": email, "role": role, "unit_id": "c71"},
    )


def test_invitation_creates_the_cognito_user_in_the_role_group_and_returns_the_password(
    world: World,
) -> None:
    # Given temporary passwords are returned (the local cloud)
    # When a counsellor is invited
    answer = ok(invite(world, "Ms.Li@School.example", role="counsellor"), 201)
    # Then Cognito has the user in the counsellor group of this organisation, silently
    user = world.cognito.users["ms.li@school.example"]
    assert user.groups == {"counsellor"}
    assert user.attributes["custom:org_id"] == world.org
    assert user.attributes["email"] == "ms.li@school.example"
    assert (user.delivery, user.temporary_password) == ([], answer["temporary_password"])
    assert answer["temporary_password"]
    # And the roster has them, active, under the user's sub
    person = answer["person"]
    assert person["user_id"] == user.attributes["sub"]
    assert (person["role"], person["status"], person["unit_id"]) == ("counsellor", "active", "c71")
    assert world.stored_person_by_id(person["user_id"])["role"] == "counsellor"


def test_invitation_on_aws_has_cognito_send_the_password(world: World) -> None:
    # Given temporary passwords are not returned (AWS)
    world.configure(return_temporary_passwords=False)
    # When a member is invited
    answer = ok(invite(world), 201)
    # Then no password comes back and Cognito mails the invitation
    assert answer["temporary_password"] is None
    user = world.cognito.users["new.pupil@school.example"]
    assert (user.delivery, user.temporary_password) == (["EMAIL"], None)


def test_second_invitation_of_the_same_email_is_409(world: World) -> None:
    # Given an invited member
    ok(invite(world), 201)
    accounts = dict(world.cognito.users)
    # When the same address is invited again (in other case)
    response = invite(world, "New.Pupil@School.example")
    # Then it is refused and there is still one account and one roster entry
    problem(response, 409, "conflict")
    assert world.cognito.users == accounts
    listed = ok(world.api.get(world.url("/people"), params={"unit": "c71"}))["items"]
    assert [p["display_name"] for p in listed].count("New Pupil") == 1


def test_second_invitation_with_another_role_leaves_the_account_groups_alone(
    world: World,
) -> None:
    # Given an invited member
    ok(invite(world), 201)
    # When the same address is invited again as an org admin
    response = invite(world, role="org_admin")
    # Then it is refused and the account did not gain the org_admin group
    problem(response, 409, "conflict")
    assert world.cognito.groups_of("new.pupil@school.example") == {"member"}


def test_invitation_of_someone_of_another_organisation_is_409(world: World) -> None:
    # Given a member of the other organisation
    theirs = world.people["other_member"]
    # When this organisation invites their address
    response = invite(world, theirs.username, role="org_admin")
    # Then it is refused and their account is untouched
    problem(response, 409, "conflict")
    user = world.cognito.users[theirs.username]
    assert (user.attributes["custom:org_id"], user.groups) == (world.other_org, {"member"})
    assert world.repo.membership(theirs.user_id) == world.other_org


# --- the roster ----------------------------------------------------------------------------------


def people(world: World, **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /people with `params`, following the cursor."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        more: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = ok(world.api.get(world.url("/people"), params={**params, **more}))
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor never ended")


def test_people_list_filters_by_unit(world: World) -> None:
    # Given a second pupil in Class 7-1 and someone in Class 7-2
    pupil = world.enrol("pupil", "member", "c71")
    world.enrol("elsewhere", "member", "c72")
    # When Class 7-1's people are listed
    listed = people(world, unit="c71")
    # Then exactly its people come back
    assert ids(listed) == {world.people["member"].user_id, pupil.user_id}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"role": "counsellor"}, {"counsellor"}, id="role"),
        pytest.param({"role": "member"}, {"member", "pupil"}, id="role-members"),
        pytest.param({"unit": "g7", "role": "peer_supporter"}, {"supporter"}, id="unit-and-role"),
        pytest.param({"unit": "c71", "role": "counsellor"}, set(), id="unit-and-role-none"),
    ],
)
def test_people_list_filters_by_role(
    world: World, params: dict[str, str], expected: set[str]
) -> None:
    # Given a second member
    world.enrol("pupil", "member", "c72")
    # When the roster is listed by role (and unit)
    listed = people(world, **params)
    # Then only people of that role (in that unit) come back
    assert ids(listed) == {world.people[k].user_id for k in expected}


@pytest.mark.parametrize("params", [{"unit": "c71"}, {"role": "member"}, {}], ids=str)
def test_people_pages_follow_the_cursor_without_repeats(
    world: World, params: dict[str, str]
) -> None:
    # Given seven more pupils in Class 7-1
    pupils = world.enrol_many([(world.org, f"pupil{n}", "member", "c71") for n in range(7)])
    expected = {p.user_id for p in pupils} | {world.people["member"].user_id}
    if not params:
        expected |= {world.seeded(r).user_id for r in ("peer_supporter", "counsellor", "org_admin")}
    # When the roster is read two at a time
    listed = people(world, limit=2, **params)
    # Then every page together is the whole list, once each
    assert len(listed) == len(expected)
    assert ids(listed) == expected


def test_cursor_of_another_filter_is_400(world: World) -> None:
    # Given a cursor from Class 7-1's first page
    world.enrol_many([(world.org, f"pupil{n}", "member", "c71") for n in range(3)])
    first = ok(world.api.get(world.url("/people"), params={"unit": "c71", "limit": 1}))
    assert first["next_cursor"]
    # When it is used for Class 7-2
    response = world.api.get(
        world.url("/people"), params={"unit": "c72", "cursor": first["next_cursor"]}
    )
    # Then it is refused
    problem(response, 400, "invalid-cursor")


def test_reading_the_people_list_writes_an_audit_record(world: World) -> None:
    # Given the admin
    # When they list Class 7-1
    ok(world.api.get(world.url("/people"), params={"unit": "c71"}))
    # Then the audit log says who read which list and how many people it held
    (record,) = world.audit_records()
    assert (record["action"], record["target_type"], record["target_id"]) == (
        "people.list",
        "people",
        "c71",
    )
    assert (record["actor_id"], record["detail"]) == (
        world.people["admin"].user_id,
        {"count": 1},
    )


def test_role_change_moves_the_cognito_group_and_the_roster_entry(world: World) -> None:
    # Given a member of Class 7-1
    member = world.people["member"]
    # When the admin makes them a peer supporter
    changed = ok(
        world.api.patch(world.url(f"/people/{member.user_id}"), json={"role": "peer_supporter"})
    )
    # Then Cognito, the roster and the unit's role index all say peer supporter
    assert changed["role"] == "peer_supporter"
    assert world.cognito.groups_of(member.username) == {"peer_supporter"}
    assert world.stored_person(member)["role"] == "peer_supporter"
    assert ids(people(world, unit="c71", role="peer_supporter")) == {member.user_id}
    assert people(world, unit="c71", role="member") == []
    (update,) = [r for r in world.audit_records() if r["action"] == "roster.update"]
    assert update["detail"] == {"from": "member", "to": "peer_supporter"}


def test_removed_person_is_disabled_in_cognito_and_marked_removed(world: World) -> None:
    # Given a member of Class 7-1
    member = world.people["member"]
    # When the admin removes them
    response = world.api.delete(world.url(f"/people/{member.user_id}"))
    # Then their account is disabled and signed out, and the roster says removed
    assert response.status_code == 204
    user = world.cognito.users[member.username]
    assert (user.enabled, user.global_sign_outs) == (False, 1)
    assert world.stored_person(member)["status"] == "removed"
    assert people(world, unit="c71") == []
    # And their token no longer opens their organisation
    world.as_(member)
    problem(world.api.get("/orgs/me"), 403, "forbidden")


def test_inviting_a_removed_person_again_is_409_and_keeps_their_account_disabled(
    world: World,
) -> None:
    # Given an invited member the admin then removed
    invited = ok(invite(world), 201)["person"]
    ok(world.api.delete(world.url(f"/people/{invited['user_id']}")), 204)
    # When the same address is invited again
    response = invite(world, role="counsellor")
    # Then it is refused: the account stays disabled and gains no group
    body = problem(response, 409, "conflict")
    assert "removed" in body["detail"]
    user = world.cognito.users["new.pupil@school.example"]
    assert user.enabled is False
    assert world.cognito.groups_of("new.pupil@school.example") == {"member"}


@pytest.mark.parametrize(("role", "sees"), [("member", False), ("counsellor", True)])
def test_my_membership_shows_the_escalation_contact_to_staff_only(
    world: World, role: str, sees: bool
) -> None:
    # Given a member and a counsellor of the school
    world.as_(world.seeded(role))
    # When they ask for their membership
    me = ok(world.api.get("/orgs/me"))
    # Then both see their organisation and role; only the counsellor the escalation contact
    assert (me["org_id"], me["org_name"], me["roles"]) == (world.org, "Demo School", [role])
    assert me["escalation_contact"] == (CONTACT if sees else None)


# --- training and supporters -----------------------------------------------------------------


def test_trained_and_supervised_supporter_is_assigned_to_a_unit(world: World) -> None:
    # Given the seeded supporter: trained until next year and supervised by the counsellor
    sam = world.people["supporter"]
    # When the admin makes them Class 7-1's supporter
    unit = ok(world.api.put(world.url("/units/c71/supporters"), json={"supporters": [sam.user_id]}))
    # Then the unit and the supporter both say so, and the unit's member sees them
    assert unit["supporters"] == [sam.user_id]
    assert world.stored_person(sam)["units_supported"] == {"c71"}
    world.as_(world.people["member"])
    me = ok(world.api.get("/orgs/me"))
    assert me["supporters"] == [{"user_id": sam.user_id, "display_name": sam.display_name}]


def _untrained(world: World) -> tuple[Person, str]:
    return supporter(world, "new", trained_until=None), "has no training record"


def _lapsed(world: World) -> tuple[Person, str]:
    lapsed_on = TODAY - dt.timedelta(days=1)
    return supporter(world, "old", trained_until=lapsed_on), f"training lapsed on {lapsed_on}"


def _unsupervised(world: World) -> tuple[Person, str]:
    return supporter(world, "alone", supervised=False), "has no supervising counsellor"


def _supervisor_left(world: World) -> tuple[Person, str]:
    person = supporter(world, "orphan", supervised=False)
    departed = world.enrol("departed", "counsellor", "school")
    world.supervise(person, departed)
    world.repo.update_person(world.org, departed.user_id, {"status": "removed"})
    return person, "their supervisor is no longer an active counsellor"


def _not_a_supporter(world: World) -> tuple[Person, str]:
    return world.people["member"], "not a peer supporter"


def _other_org(world: World) -> tuple[Person, str]:
    return world.people["other_peer_supporter"], "not on this organisation's roster"


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(_untrained, id="untrained"),
        pytest.param(_lapsed, id="lapsed"),
        pytest.param(_unsupervised, id="no-supervisor"),
        pytest.param(_supervisor_left, id="supervisor-not-a-counsellor-any-more"),
        pytest.param(_not_a_supporter, id="a-member"),
        pytest.param(_other_org, id="another-organisation"),
    ],
)
def test_supporter_who_is_not_ready_is_refused_with_the_reason(world: World, given: Any) -> None:
    # Given someone who cannot support a unit, and the seeded supporter who can
    person, reason = given(world)
    ready = world.people["supporter"].user_id
    # When both are made Class 7-1's supporters
    response = world.api.put(
        world.url("/units/c71/supporters"), json={"supporters": [ready, person.user_id]}
    )
    # Then it is refused naming that person (by position if not ours) and why; nobody is assigned
    body = problem(response, 409, "conflict")
    name = "supporters[1]" if person.org_id != world.org else person.user_id
    assert [e["message"] for e in body["errors"]] == [f"{name}: {reason}"]
    unit = world.repo.unit(world.org, "c71")
    assert unit is not None and "supporters" not in unit
    assert "units_supported" not in world.stored_person(world.people["supporter"])


@pytest.mark.parametrize(
    "who", ["member", "other_counsellor", "supporter"], ids=["member", "other-org", "supporter"]
)
def test_supervisor_who_is_not_an_active_counsellor_is_409(world: World, who: str) -> None:
    # Given a new supporter and someone who is not a counsellor of this organisation
    person = supporter(world, "new", supervised=False)
    # When they are made the supporter's supervisor
    response = world.api.put(
        world.url(f"/people/{person.user_id}/supervisor"),
        json={"supervisor_id": world.people[who].user_id},
    )
    # Then it is refused and the supporter still has no supervisor
    problem(response, 409, "conflict")
    assert "supervisor_id" not in world.stored_person(person)


def test_expiring_within_lists_supporters_lapsing_soon_and_flags_lapsed_ones(
    world: World,
) -> None:
    # Given supporters whose training lapses in 10 days, lapsed 5 days ago, lapses in 100
    # days, and the seeded one (180 days); and a member
    soon = supporter(world, "soon", trained_until=TODAY + dt.timedelta(days=10))
    lapsed = supporter(world, "lapsed", trained_until=TODAY - dt.timedelta(days=5))
    supporter(world, "later", trained_until=TODAY + dt.timedelta(days=100))
    # When the admin asks for those lapsing within 30 days
    listed = ok(world.api.get(world.url("/supporters"), params={"expiring_within": 30}))
    # Then the one lapsing soon and the lapsed one come back, the latter flagged
    assert {i["user_id"]: i["lapsed"] for i in listed["items"]} == {
        soon.user_id: False,
        lapsed.user_id: True,
    }


def test_renewed_training_takes_the_supporter_off_the_expiring_list(world: World) -> None:
    # Given a supporter whose training lapses in 10 days
    soon = supporter(world, "soon", trained_until=TODAY + dt.timedelta(days=10))
    # When a new training valid for a year is recorded
    ok(
        world.api.post(
            world.url(f"/people/{soon.user_id}/training"),
            json={
                "course": "Peer support refresher",
                "completed_on": "2026-11-20",
                "valid_until": "2027-11-20",
                "trainer": "Red Cross",
            },
        ),
        201,
    )
    # Then they are no longer listed as lapsing within 30 days, and both trainings show
    listed = ok(world.api.get(world.url("/supporters"), params={"expiring_within": 30}))
    assert listed["items"] == []
    detail = ok(world.api.get(world.url(f"/people/{soon.user_id}")))
    assert detail["person"]["training_valid_until"] == "2027-11-20"
    assert len(detail["trainings"]) == 2


# --- the rota ----------------------------------------------------------------------------------


def slot(world: World, day: str | None, start: str, end: str, primary: str, **more: str) -> Any:
    found = {"start": start, "end": end, "primary": world.people[primary].user_id}
    found["duty_officer"] = world.people[more.pop("duty_officer", "admin")].user_id
    found |= {k: world.people[v].user_id for k, v in more.items()}
    return found | ({"day": day} if day else {})


def test_rota_with_gaps_is_saved_with_a_warning_for_each_gap(world: World) -> None:
    # Given a rota that covers Tuesday 08:00-20:00 only
    body = {
        "slots": [slot(world, "tue", "08:00", "20:00", "counsellor")],
        "fallback_duty_officer": world.people["admin"].user_id,
    }
    # When it is saved
    saved = ok(world.api.put(world.url("/rota"), json=body))
    # Then it is kept, with every uncovered span of the week as a warning
    assert len(saved["slots"]) == 1
    assert saved["warnings"][:3] == [
        "No one is on duty Mon 00:00–24:00; alerts then go to the duty officer.",
        "No one is on duty Tue 00:00–08:00; alerts then go to the duty officer.",
        "No one is on duty Tue 20:00–24:00; alerts then go to the duty officer.",
    ]
    assert len(saved["warnings"]) == 8
    assert ok(world.api.get(world.url("/rota")))["warnings"] == saved["warnings"]


@pytest.mark.parametrize(
    ("field", "who"),
    [
        ("primary", "member"),
        ("primary", "supporter"),
        ("primary", "other_counsellor"),
        ("backup", "other_org_admin"),
        ("fallback", "member"),
    ],
)
def test_rota_naming_someone_who_cannot_be_on_duty_is_422(
    world: World, field: str, who: str
) -> None:
    # Given a rota naming a member, a supporter or another organisation's staff
    rota = {
        "slots": [slot(world, "tue", "08:00", "20:00", "counsellor")],
        "fallback_duty_officer": world.people["admin"].user_id,
    }
    if field == "fallback":
        rota["fallback_duty_officer"] = world.people[who].user_id
    else:
        rota["slots"][0][field] = world.people[who].user_id
    # When it is saved
    response = world.api.put(world.url("/rota"), json=rota)
    # Then it is refused naming that person (counted, not echoed, if not ours); no rota is kept
    body = problem(response, 422, "invalid-input")
    named = world.people[who]
    unknown = "1 of the ids named are not on this organisation's roster"
    expected = named.user_id if named.org_id == world.org else unknown
    assert [e["message"].split(":")[0] for e in body["errors"]] == [expected]
    assert world.repo.rota(world.org) is None


def given_rota(world: World) -> World:
    """Tuesday 08:00-20:00 and an overnight Tuesday 20:00-08:00, a Thursday override of
    09:00-17:00, and the admin as fallback duty officer (Asia/Shanghai), as the API stores
    them."""
    world.enrol("night", "counsellor", "school")
    stamp = "2026-11-20T00:00:00.000Z"
    world.repo.save_rota(
        world.org,
        {
            "slots": [
                slot(world, "tue", "08:00", "20:00", "counsellor", backup="night"),
                slot(world, "tue", "20:00", "08:00", "night", duty_officer="counsellor"),
            ],
            "fallback_duty_officer": world.people["admin"].user_id,
            "updated_at": stamp,
        },
    )
    thursday = dt.date(2026, 11, 26)
    world.repo.save_override(
        world.org,
        thursday,
        {
            "date": thursday.isoformat(),
            "slots": [slot(world, None, "09:00", "17:00", "admin", duty_officer="night")],
            "updated_at": stamp,
        },
    )
    return world


@pytest.fixture(scope="module")
def rota_world(cloud: Cloud) -> Iterator[World]:
    """One world with the rota for the read-only rota/now questions (they write nothing)."""
    world = given_rota(World(cloud))
    yield world
    world.close()


@pytest.fixture
def rota(rota_world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with wired(rota_world, monkeypatch) as world:
        yield world


@pytest.mark.parametrize(
    ("local_time", "primary", "officer", "source", "slot_date"),
    [
        pytest.param("2026-11-24T10:00", "counsellor", "admin", "weekly", "2026-11-24", id="day"),
        pytest.param("2026-11-24T23:30", "night", "counsellor", "weekly", "2026-11-24", id="night"),
        pytest.param(
            "2026-11-25T03:00", "night", "counsellor", "weekly", "2026-11-24", id="past-midnight"
        ),
        pytest.param("2026-11-26T12:00", "admin", "night", "override", "2026-11-26", id="override"),
        pytest.param("2026-11-26T20:00", None, "admin", None, None, id="gap-after-override"),
        pytest.param("2026-11-23T10:00", None, "admin", None, None, id="gap-monday"),
    ],
)
def test_rota_now_says_who_is_on_duty_at_an_instant(
    rota: World,
    local_time: str,
    primary: str | None,
    officer: str,
    source: str | None,
    slot_date: str | None,
) -> None:
    world = rota
    # Given the rota above
    at = dt.datetime.fromisoformat(local_time).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    # When a counsellor asks who is on duty at that local time
    world.as_(world.people["counsellor"])
    duty = ok(world.api.get(world.url("/rota/now"), params={"at": at.isoformat()}))
    # Then the slot's people (or the fallback duty officer alone, in a gap) answer
    assert (duty["time_zone"], duty["local_time"]) == (ZONE, f"{local_time}+08:00")
    assert (duty["primary"] or {}).get("user_id") == (
        world.people[primary].user_id if primary else None
    )
    assert duty["duty_officer"]["user_id"] == world.people[officer].user_id
    assert duty["fallback"] is (source is None)
    assert (duty["slot"] or {}).get("source") == source
    assert (duty["slot"] or {}).get("date") == slot_date
    assert duty["escalation_contact"] == CONTACT


def test_rota_now_leaves_out_a_primary_who_left_with_a_warning(world: World) -> None:
    # Given the rota above, and Tuesday's day counsellor removed from the roster
    given_rota(world)
    world.repo.update_person(world.org, world.people["counsellor"].user_id, {"status": "removed"})
    # When the admin asks who is on duty on Tuesday at 10:00
    duty = ok(world.api.get(world.url("/rota/now"), params={"at": "2026-11-24T02:00:00Z"}))
    # Then the backup is still named, the primary is left out, and a warning says why
    assert duty["primary"] is None
    assert duty["backup"]["user_id"] == world.people["night"].user_id
    assert duty["warnings"] == ["The rota's primary is no longer active staff; left out."]


# --- settings --------------------------------------------------------------------------------


def test_org_patch_with_an_unknown_time_zone_is_422(world: World) -> None:
    # Given the school in Asia/Shanghai
    # When its zone is set to one that does not exist
    response = world.api.patch(world.url(""), json={"time_zone": "Mars/Olympus_Mons"})
    # Then it is refused and the zone is unchanged
    problem(response, 422, "invalid-input")
    assert (world.repo.settings(world.org) or {}).get("time_zone") == ZONE


def test_org_patch_changes_only_the_fields_given(world: World) -> None:
    # Given the school
    # When its zone and journal retention are set
    changed = ok(
        world.api.patch(
            world.url(""), json={"time_zone": "Europe/London", "journal_retention_days": 90}
        )
    )
    # Then those change and the rest stay
    assert (changed["time_zone"], changed["journal_retention_days"]) == ("Europe/London", 90)
    assert (changed["name"], changed["escalation_contact"]) == ("Demo School", CONTACT)


def test_org_patch_with_null_clears_the_escalation_contact(world: World) -> None:
    # Given the school with an escalation contact
    # When the admin sends it as null
    changed = ok(world.api.patch(world.url(""), json={"escalation_contact": None}))
    # Then it is gone, and the name (left out) stays
    assert (changed["escalation_contact"], changed["name"]) == (None, "Demo School")
    assert ok(world.api.get(world.url("")))["escalation_contact"] is None


# --- the audit log -----------------------------------------------------------------------------


def test_every_write_appends_an_audit_record_and_the_chain_verifies(world: World) -> None:
    # Given the admin
    admin, member, sam = (world.people[k] for k in ("admin", "member", "supporter"))
    # When they make one of every kind of change
    api, url = world.api, world.url
    writes = [
        api.patch(url(""), json={"name": "Demo School North"}),
        api.post(url("/units"), json={"name": "Class 7-3", "kind": "class", "parent_id": "g7"}),
        api.patch(url("/units/c72"), json={"name": "Class 7-2 North"}),
        api.put(url("/units/c71/supporters"), json={"supporters": [sam.user_id]}),
        invite(world),
        api.patch(url(f"/people/{member.user_id}"), json={"unit_id": "c72"}),
        api.post(
            url(f"/people/{sam.user_id}/training"),
            json={
                "course": "Refresher",
                "completed_on": "2026-11-01",
                "valid_until": "2027-11-01",
                "trainer": "Red Cross",
            },
        ),
        api.put(
            url(f"/people/{sam.user_id}/supervisor"),
            json={"supervisor_id": world.people["counsellor"].user_id},
        ),
        api.put(
            url("/rota"),
            json={
                "slots": [slot(world, "tue", "08:00", "20:00", "counsellor")],
                "fallback_duty_officer": admin.user_id,
            },
        ),
        api.put(url("/rota/overrides/2026-12-25"), json={"slots": []}),
        api.delete(url("/rota/overrides/2026-12-25")),
        post_csv(world, csv_body(pupil_line(1))),
        api.delete(url(f"/people/{member.user_id}")),
        api.delete(url("/units/c72")),  # empty once its one member was removed
    ]
    # Then each succeeded and left its record, in order, by the admin, on an intact chain
    assert [w.status_code for w in writes] == [
        *(200, 201, 200, 200, 201, 200, 201, 200, 200, 200),
        *(204, 202, 204, 204),
    ]
    assert world.audit_actions() == [
        "org.update",
        "unit.create",
        "unit.update",
        "unit.supporters",
        "roster.invite",
        "roster.update",
        "training.add",
        "training.supervisor",
        "rota.update",
        "rota.override",
        "rota.override_delete",
        "roster.import",
        "roster.remove",
        "unit.delete",
    ]
    assert {r["actor_id"] for r in world.audit_records()} == {admin.user_id}
    report = world.verify_audit()
    assert (report.ok, report.checked) == (True, 14)


def test_audit_log_filters_by_actor_and_pages_newest_first(world: World) -> None:
    # Given two admins who each add units in turn
    second = world.enrol("second", "org_admin", "school")
    for n, who in enumerate(["admin", "second", "admin", "second", "admin", "second"]):
        world.as_(world.people[who])
        ok(world.api.post(world.url("/units"), json={"name": f"Club {n}", "kind": "team"}), 201)
    # When the second admin's records are read one a page
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        more: dict[str, str] = {"cursor": cursor} if cursor else {}
        page = ok(
            world.api.get(world.url("/audit"), params={"actor": second.user_id, "limit": 1, **more})
        )
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then their three records come back, newest first, and no one else's
    records = [r for p in pages for r in p]
    assert [r["seq"] for r in records] == [6, 4, 2]
    assert {r["actor_id"] for r in records} == {second.user_id}
    assert len(pages) <= 4


def test_audit_cursor_for_another_actor_is_400(world: World) -> None:
    # Given a cursor from the admin's records
    for n in range(2):
        ok(world.api.post(world.url("/units"), json={"name": f"Club {n}", "kind": "team"}), 201)
    admin = world.people["admin"].user_id
    first = ok(world.api.get(world.url("/audit"), params={"actor": admin, "limit": 1}))
    # When it is used to page through everyone's records
    response = world.api.get(world.url("/audit"), params={"cursor": first["next_cursor"]})
    # Then it is refused
    problem(response, 400, "invalid-cursor")


# --- CSV imports ---------------------------------------------------------------------------------


def test_csv_import_is_accepted_at_once_and_queued_in_chunks(world: World) -> None:
    # Given a file of 120 good rows and two bad ones (an unknown role, an unknown unit)
    lines = [pupil_line(n) for n in range(120)]
    lines.insert(10, "Bad Role,bad.role@school.example,,janitor,Grade 7/Class 7-1")
    lines.append("Lost,lost@school.example,,member,Grade 9/Class 9-9")
    # When it is uploaded
    started = ok(post_csv(world, csv_body(*lines)), 202)
    # Then the answer counts the rows and the rejections found so far
    assert (started["status"], started["total"], started["rejected_so_far"]) == ("running", 122, 2)
    # And the good rows wait in the queue, fifty a message
    messages = world.queue.messages
    assert [(m["chunk"], len(m["rows"])) for m in messages] == [(0, 50), (1, 50), (2, 20)]
    assert {(m["org_id"], m["import_id"]) for m in messages} == {(world.org, started["id"])}
    assert messages[0]["rows"][0]["username"] == "pupil0@school.example"


def test_import_whose_chunks_cannot_be_queued_says_it_failed_and_was_audited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a queue that refuses the chunks
    def refuse(bodies: list[dict[str, Any]]) -> None:
        raise RuntimeError("the import queue refused some chunks")

    monkeypatch.setattr(world.queue, "send", refuse)
    # When a file is uploaded
    with pytest.raises(RuntimeError):
        post_csv(world, csv_body(pupil_line(1)))
    # Then its record says failed (send the file again), and the upload was audited
    (record,) = world.repo._query_prefix(world.org, "import#")
    assert record["failed"] is True
    assert "roster.import" in world.audit_actions()


def test_removing_again_after_a_cognito_failure_disables_the_account_and_audits(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a member, and Cognito failing the first time the account is disabled
    member = world.people["member"]
    real = world.cognito.admin_disable_user
    failures = iter([True])

    def flaky(**kwargs: Any) -> None:
        if next(failures, False):
            raise RuntimeError("TooManyRequestsException")
        real(**kwargs)

    monkeypatch.setattr(world.cognito, "admin_disable_user", flaky)
    with pytest.raises(RuntimeError):
        world.api.delete(world.url(f"/people/{member.user_id}"))
    # When the admin tries again
    response = world.api.delete(world.url(f"/people/{member.user_id}"))
    # Then the account is disabled, the roster says removed, and the removal is audited once
    assert response.status_code == 204
    assert world.cognito.users[member.username].enabled is False
    assert world.stored_person(member)["status"] == "removed"
    assert world.audit_actions().count("roster.remove") == 1


def test_csv_that_is_not_utf8_is_400(world: World) -> None:
    # Given a file saved in Latin-1
    body = (HEADER + "\nJosé,jose@school.example,,member,Grade 7/Class 7-1\n").encode("latin-1")
    # When it is uploaded
    response = post_csv(world, body)
    # Then it is refused as unreadable and nothing is queued
    problem(response, 400, "malformed-request")
    assert world.queue.messages == []


def test_import_sent_as_json_is_415(world: World) -> None:
    # Given rows sent as JSON
    # When they are uploaded to the import route
    response = world.api.post(world.url("/imports"), json={"rows": [pupil_line(1)]})
    # Then the media type is refused
    problem(response, 415, "unsupported-media-type")
    assert world.queue.messages == []


def test_csv_with_an_unknown_column_is_400(world: World) -> None:
    # Given a header with a column the import does not know
    body = csv_body(pupil_line(1) + ",Tiger", header=HEADER + ",nickname")
    # When it is uploaded
    response = post_csv(world, body)
    # Then it is refused saying which column
    detail = problem(response, 400, "malformed-request")["detail"]
    assert 'unknown columns: "nickname"' in detail
    assert world.queue.messages == []


def test_import_status_shows_progress_until_done(world: World) -> None:
    # Given an upload of 60 good rows and one bad one, queued in two chunks
    lines = [pupil_line(n) for n in range(60)] + ["No Contact,,,member,Grade 7/Class 7-1"]
    started = ok(post_csv(world, csv_body(*lines)), 202)
    status_url = world.url(f"/imports/{started['id']}")
    # When the status is read before, between and after the worker's chunks
    before = ok(world.api.get(status_url))
    run_worker(world, world.queue.messages[0])
    between = ok(world.api.get(status_url))
    run_worker(world, world.queue.messages[1])
    after = ok(world.api.get(status_url))
    # Then it counts up to the total and ends done, with the bad row's line
    assert [(s["status"], s["done"], s["enrolled"]) for s in (before, between, after)] == [
        ("running", 1, 0),
        ("running", 51, 50),
        ("done", 61, 60),
    ]
    assert after["rejected"] == [{"line": 62, "reason": "neither email nor phone"}]
    assert after["finished_at"] is not None
