"""GET /me/access-log: a member sees who (display name, role) read what kind of their data,
and when; never another member's entries, never the details (tests/support/orgs.py's world:
moto DynamoDB with the template's OrgsTable and AuditTable)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from functions.crisis.deps import audit as crisis_audit
from functions.orgs.access_log import UNNAMED, kind_and_action
from shared.audit import AuditLog
from shared.orgs.roster import RosterEntry
from tests.support.orgs import Person, World

ENTRY_FIELDS = {"at", "actor_display_name", "actor_role", "kind", "action"}


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def staff_entry(person: Person) -> RosterEntry:
    return RosterEntry(person.org_id, person.user_id, person.role, person.display_name, True)


def case_read(world: World, reader: Person, member: Person) -> None:
    """What GET /cases/{id} writes when `reader` opens `member`'s case (functions/crisis)."""
    crisis_audit(
        AuditLog(world.db, world.audit_table),
        staff_entry(reader),
        "case.read",
        f"case-of-{member.user_id}",
        {"signals": 3},
        subject_id=member.user_id,
    )


def access_log(world: World, member: Person, **params: Any) -> dict[str, Any]:
    world.as_(member)
    body: dict[str, Any] = ok(world.api.get("/me/access-log", params=params))
    return body


def test_the_member_sees_a_counsellors_case_read_with_their_name_and_role(world: World) -> None:
    # Given the counsellor opened the member's case
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    case_read(world, counsellor, member)
    # When the member reads their access log
    body = access_log(world, member)
    # Then it says who (name and role), what kind of data and what was done, and nothing more
    (entry,) = body["items"]
    assert set(entry) == ENTRY_FIELDS
    assert entry["actor_display_name"] == counsellor.display_name == "Counsellor"
    assert (entry["actor_role"], entry["kind"], entry["action"]) == ("counsellor", "case", "read")
    assert entry["at"].endswith("Z")
    assert body["next_cursor"] is None
    for hidden in ("case-of-", counsellor.user_id, "signals", world.org):
        assert hidden not in str(body)


def test_an_admins_read_of_the_roster_entry_shows_as_roster_entry(world: World) -> None:
    # Given the admin opened the member's roster entry through the roster API
    member = world.seeded("member")
    world.as_(world.seeded("org_admin"))
    ok(world.api.get(world.url(f"/people/{member.user_id}")))
    # When the member reads their access log / Then the admin's read is there
    (entry,) = access_log(world, member)["items"]
    assert (entry["actor_display_name"], entry["actor_role"]) == ("Admin", "org_admin")
    assert (entry["kind"], entry["action"]) == ("roster_entry", "read")


def test_reads_of_another_members_data_never_show(world: World) -> None:
    # Given reads of a classmate's case and of the supporter's roster entry, and of the member's
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    classmate = world.enrol("classmate", "member", "c71")
    case_read(world, counsellor, classmate)
    world.as_(world.seeded("org_admin"))
    ok(world.api.get(world.url(f"/people/{world.seeded('peer_supporter').user_id}")))
    case_read(world, counsellor, member)
    # When each member reads their log
    mine = access_log(world, member)["items"]
    theirs = access_log(world, classmate)["items"]
    # Then each sees one read, their own
    assert len(mine) == len(theirs) == 1
    assert classmate.user_id not in str(mine) and member.user_id not in str(theirs)


def test_the_log_is_newest_first_and_pages_with_a_signed_cursor(world: World) -> None:
    # Given three reads of the member's data, one after the other: the admin's first
    member = world.seeded("member")
    for who in ("org_admin", "counsellor", "counsellor"):
        case_read(world, world.seeded(who), member)
    # When read two at a time
    first = access_log(world, member, limit=2)
    second = access_log(world, member, limit=2, cursor=first["next_cursor"])
    # Then the newest come first and the second page holds the oldest
    times = [e["at"] for e in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True) and len(times) == 3
    assert [e["actor_role"] for e in first["items"] + second["items"]] == [
        "counsellor",
        "counsellor",
        "org_admin",
    ]
    assert second["next_cursor"] is None


def test_another_members_cursor_is_refused(world: World) -> None:
    # Given a page cursor made for the member
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    classmate = world.enrol("classmate", "member", "c71")
    case_read(world, counsellor, member)
    case_read(world, counsellor, member)
    cursor = access_log(world, member, limit=1)["next_cursor"]
    assert cursor
    # When the classmate sends it
    world.as_(classmate)
    response = world.api.get("/me/access-log", params={"cursor": cursor})
    # Then 400, and nothing of the member's
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Counsellor" not in response.text


def test_a_removed_staff_member_still_shows_by_name_and_an_erased_one_as_a_staff_member(
    world: World,
) -> None:
    # Given two counsellors read the member's data; one was removed, the other's entry is gone
    member = world.seeded("member")
    removed = world.enrol("ms_wu", "counsellor", "school")
    erased = world.enrol("mr_li", "counsellor", "school")
    case_read(world, removed, member)
    case_read(world, erased, member)
    world.repo.update_person(world.org, removed.user_id, {"status": "removed"})
    world.db.delete_item(
        TableName=world.orgs_table,
        Key={"pk": {"S": f"org#{world.org}"}, "sk": {"S": f"person#{erased.user_id}"}},
    )
    # When the member reads their log
    names = [e["actor_display_name"] for e in access_log(world, member)["items"]]
    # Then the removed one keeps their name; the erased one is "a staff member"
    assert names == [UNNAMED, "Ms Wu"]


def test_each_actor_is_looked_up_once_per_request(world: World) -> None:
    # Given the counsellor read the member's data three times
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    for _ in range(3):
        case_read(world, counsellor, member)
    world.as_(member)
    # When the log is read (the roster's own cache cleared)
    from shared.orgs.roster import roster

    roster().forget(world.org, counsellor.user_id)
    with world.count_calls() as calls:
        ok(world.api.get("/me/access-log"))
    # Then one Query of the index and one roster read for the one actor
    assert calls.count("Query") == 1
    assert calls.count("GetItem") <= 2  # the counsellor, and at most the revocation check


def test_a_member_with_no_reads_has_an_empty_log(world: World) -> None:
    assert access_log(world, world.seeded("member")) == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("action", "shown"),
    [
        ("case.read", ("case", "read")),
        ("safety_plan.read", ("safety_plan", "read")),
        ("care_plan.versions_read", ("care_plan", "versions_read")),
        ("guardians.read", ("guardians", "read")),
        ("people.read", ("roster_entry", "read")),
        ("peer_inbox.read", ("checkin_shared", "read")),
        ("peer_inbox.reply", ("checkin_shared", "reply")),
        ("peer_report.read", ("reported_message", "read")),
        ("mystery.peek", ("other", "peek")),
    ],
)
def test_actions_show_as_a_kind_of_data_and_a_verb(action: str, shown: tuple[str, str]) -> None:
    assert kind_and_action(action) == shown
