"""The roster import worker: one queued chunk of CSV rows enrolled in Cognito and on the roster,
counted once however often it is delivered (moto DynamoDB, in-memory Cognito).

Chunks are made the way production makes them: by uploading a CSV to the API and taking
what it queued."""

from __future__ import annotations

from typing import Any

from functions.orgs.enrolment import Enroller
from functions.orgs.import_worker import enrol_chunk
from shared.audit import AuditLog
from tests.support.orgs import HEADER, POOL_ID, World


def upload(world: World, *lines: str) -> tuple[str, list[dict[str, Any]]]:
    """The import's id and the chunks the API queued for `lines` under the header."""
    body = ("\n".join([HEADER, *lines]) + "\n").encode()
    response = world.api.post(
        world.url("/imports"), content=body, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 202, response.text
    return response.json()["id"], list(world.queue.messages)


def pupils(count: int, unit: str = "Grade 7/Class 7-1") -> list[str]:
    return [f"Pupil {n},pupil{n}@school.example,,member,{unit}" for n in range(count)]


def work(world: World, message: dict[str, Any]) -> bool:
    enroller = Enroller(world.cognito, POOL_ID, world.repo, send_invitations=True)
    return enrol_chunk(message, world.repo, enroller, AuditLog(world.db, world.audit_table))


def status(world: World, import_id: str) -> dict[str, Any]:
    response = world.api.get(world.url(f"/imports/{import_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_chunk_enrols_each_row_in_cognito_and_on_the_roster(world: World) -> None:
    # Given an uploaded file with a member, a peer supporter and a counsellor
    import_id, (chunk,) = upload(
        world,
        "Mei,mei@school.example,,member,Grade 7/Class 7-1",
        "Jun,,+8613800138001,peer_supporter,Grade 7",
        "Dr Wang,wang@school.example,,counsellor,Demo School",
    )
    # When the worker takes the chunk
    counted = work(world, chunk)
    # Then each person has an account of this organisation in their role's group
    assert counted is True
    expected = {
        "mei@school.example": ("member", "c71"),
        "+8613800138001": ("peer_supporter", "g7"),
        "wang@school.example": ("counsellor", "school"),
    }
    for username, (role, unit_id) in expected.items():
        user = world.cognito.users[username]
        assert (user.attributes["custom:org_id"], user.groups) == (world.org, {role})
        # And is on the roster, active, under their account's sub, in their unit
        stored = world.stored_person_by_id(user.attributes["sub"])
        assert (stored["role"], stored["unit_id"], stored["status"]) == (role, unit_id, "active")
        assert world.repo.membership(user.attributes["sub"]) == world.org
    # And the import counts them
    assert (status(world, import_id)["enrolled"], status(world, import_id)["status"]) == (3, "done")


def test_chunk_delivered_twice_is_counted_once_and_enrols_nobody_twice(world: World) -> None:
    # Given a chunk the worker already handled
    import_id, (chunk,) = upload(world, *pupils(3))
    assert work(world, chunk) is True
    first = status(world, import_id)
    accounts = set(world.cognito.users)
    # When the queue delivers it again
    again = work(world, chunk)
    # Then it is not counted again and no account is added; each delivery is audited (the
    # record is written before the count, so a delivery whose append failed is not lost)
    assert again is False
    assert status(world, import_id) == first
    assert (first["done"], first["enrolled"], first["already_enrolled"]) == (3, 3, 0)
    assert set(world.cognito.users) == accounts
    assert world.audit_actions().count("roster.import_chunk") == 2


def test_row_of_someone_in_another_organisation_is_rejected_with_its_line(world: World) -> None:
    # Given a file whose second row is the address of the other organisation's member
    theirs = world.people["other_member"]
    import_id, (chunk,) = upload(
        world,
        "Mei,mei@school.example,,member,Grade 7/Class 7-1",
        f"Someone,{theirs.username},,org_admin,Demo School",
    )
    # When the worker takes the chunk
    work(world, chunk)
    # Then that row is rejected with its line, and their account is left as it was
    done = status(world, import_id)
    assert (done["enrolled"], done["rejected"]) == (
        1,
        [{"line": 3, "reason": "this email or phone cannot be invited"}],
    )
    user = world.cognito.users[theirs.username]
    assert (user.attributes["custom:org_id"], user.groups) == (world.other_org, {"member"})


def test_row_of_someone_already_on_the_roster_counts_as_already_enrolled(world: World) -> None:
    # Given a file naming the school's seeded member again, as an org admin
    member = world.people["member"]
    import_id, (chunk,) = upload(world, f"Again,{member.username},,org_admin,Demo School")
    # When the worker takes the chunk
    work(world, chunk)
    # Then they count as already enrolled, keeping their role and their account's groups
    done = status(world, import_id)
    assert (done["enrolled"], done["already_enrolled"]) == (0, 1)
    assert world.stored_person(member)["role"] == "member"
    assert world.cognito.groups_of(member.username) == {"member"}


def test_import_is_done_only_when_every_chunk_is_counted(world: World) -> None:
    # Given 120 rows queued in three chunks
    import_id, chunks = upload(world, *pupils(120))
    assert len(chunks) == 3
    # When the worker takes them out of order
    seen = []
    for chunk in (chunks[2], chunks[0], chunks[1]):
        work(world, chunk)
        now = status(world, import_id)
        seen.append((now["status"], now["done"], now["finished_at"] is not None))
    # Then the import runs until the last one and is done after it
    assert seen == [("running", 20, False), ("running", 70, False), ("done", 120, True)]


def test_roster_writes_of_a_chunk_are_batched(world: World) -> None:
    # Given a chunk of 50 rows
    _, (chunk,) = upload(world, *pupils(50))
    assert len(chunk["rows"]) == 50
    # When the worker takes it
    with world.count_calls() as calls:
        work(world, chunk)
    # Then the roster items and pointers go in batches of 25, never one PutItem a person
    assert calls.count("PutItem") == 0
    assert 1 <= calls.count("BatchWriteItem") <= 4
    assert len(world.repo.people(world.org, [u.attributes["sub"] for u in _pupils(world)])) == 50


def _pupils(world: World) -> list[Any]:
    return [u for name, u in world.cognito.users.items() if name.startswith("pupil")]
