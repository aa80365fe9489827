"""The orgs feature's part of data rights: a person's export (roster entry and trainings,
allowlisted fields only) and erasure (everything keyed to them, and their place among a
unit's supporters), over moto DynamoDB."""

from __future__ import annotations

from functions.orgs.data_rights import OrgsData
from tests.support.orgs import (
    SUPPORTER_TRAINED_UNTIL,
    TODAY,
    Person,
    World,
)

STAMP = "2026-11-24T02:00:00.000Z"


def assign(world: World, unit_id: str, *supporters: Person) -> None:
    world.repo.set_supporters(world.org, unit_id, [p.user_id for p in supporters], [], STAMP)


def test_export_holds_the_roster_entry_and_trainings_in_allowlisted_fields_only(
    world: World,
) -> None:
    # Given the seeded supporter: trained, supervised, supporting Class 7-1
    sam = world.people["supporter"]
    assign(world, "c71", sam)
    # When their data is exported
    exported = OrgsData(world.repo).export(sam.user_id)
    # Then it names their organisation and holds their entry and training, nothing internal
    assert exported["organisation"] == world.org
    assert exported["roster"] == {
        "user_id": sam.user_id,
        "username": sam.username,
        "display_name": sam.display_name,
        "email": sam.username,
        "role": "peer_supporter",
        "status": "active",
        "unit_id": "g7",
        "supervisor_id": world.people["counsellor"].user_id,
        "training_valid_until": SUPPORTER_TRAINED_UNTIL.isoformat(),
        "created_at": "2026-09-01T00:00:00.000Z",
        "updated_at": world.stored_person(sam)["updated_at"],
        "units_supported": ["c71"],
    }
    (training,) = exported["trainings"]
    assert set(training) == {"course", "completed_on", "valid_until", "trainer", "recorded_at"}
    assert training["valid_until"] == SUPPORTER_TRAINED_UNTIL.isoformat()


def test_export_of_someone_not_on_any_roster_is_empty(world: World) -> None:
    # Given a user id no organisation knows
    # When it is exported
    exported = OrgsData(world.repo).export("0b6e2f4a-no-such-person")
    # Then there is nothing to give
    assert exported == {"organisation": None, "roster": None, "trainings": [], "access_log": []}


def test_erase_removes_every_item_of_the_person_and_their_place_as_supporter(
    world: World,
) -> None:
    # Given the seeded supporter, alone in Class 7-2's supporters and beside another in 7-1
    sam = world.people["supporter"]
    other = world.enrol("other_supporter_a", "peer_supporter", "g7")
    world.train(other, SUPPORTER_TRAINED_UNTIL)
    assign(world, "c71", sam, other)
    assign(world, "c72", sam)
    # When their data is erased
    erased = OrgsData(world.repo).erase(sam.user_id)
    # Then the entry, its training, its expiry item and its pointer are gone (four items)
    assert erased == 4
    assert world.repo.person(world.org, sam.user_id) is None
    assert world.repo.trainings(world.org, sam.user_id) == []
    assert world.repo.membership(sam.user_id) is None
    expiring = world.repo.expiring(world.org, TODAY.replace(year=TODAY.year + 5))
    assert [i["user_id"] for i in expiring] == [other.user_id]
    # And no unit lists them as a supporter any more; the other supporter stays
    c71, c72 = world.repo.unit(world.org, "c71"), world.repo.unit(world.org, "c72")
    assert c71 is not None and c71["supporters"] == [other.user_id]
    assert c72 is not None and "supporters" not in c72
    assert world.stored_person(other)["units_supported"] == {"c71"}


def test_second_erase_finds_nothing_and_returns_0(world: World) -> None:
    # Given a member whose data was erased
    member = world.people["member"]
    data = OrgsData(world.repo)
    assert data.erase(member.user_id) == 2  # the entry and its pointer
    # When erasure runs again (a retried workflow step)
    again = data.erase(member.user_id)
    # Then there is nothing left to erase
    assert again == 0
    assert data.export(member.user_id)["roster"] is None
