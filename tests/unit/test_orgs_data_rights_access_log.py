"""The orgs export's access log (functions/orgs/data_rights.py): every read of the
person's data by staff, as GET /me/access-log shows it, every page, and nothing of another
member (tests/support/orgs.py's world: moto DynamoDB with the template's OrgsTable and
AuditTable)."""

from __future__ import annotations

import json

import pytest

from functions.orgs import data_rights
from functions.orgs.data_rights import OrgsData
from shared.audit import AuditLog
from shared.orgs.roster import roster
from tests.support.orgs import World
from tests.unit.test_orgs_access_log import ENTRY_FIELDS, case_read


def data(world: World) -> OrgsData:
    return OrgsData(world.repo, AuditLog(world.db, world.audit_table), roster())


def test_the_export_holds_the_access_log_as_the_member_sees_it(world: World) -> None:
    # Given the counsellor opened the member's case, and a classmate's
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    classmate = world.enrol("classmate", "member", "c71")
    case_read(world, counsellor, member)
    case_read(world, counsellor, classmate)
    # When the member's data is exported
    exported = data(world).export(member.user_id)
    # Then the access log holds the one read of theirs: who, what kind, what, when
    (entry,) = exported["access_log"]
    assert set(entry) == ENTRY_FIELDS
    assert (entry["actor_display_name"], entry["actor_role"]) == ("Counsellor", "counsellor")
    assert (entry["kind"], entry["action"]) == ("case", "read")
    assert exported["roster"]["user_id"] == member.user_id
    text = json.dumps(exported["access_log"])
    for hidden in (counsellor.user_id, classmate.user_id, "case-of-", "signals", world.org):
        assert hidden not in text


def test_every_page_of_the_access_log_is_exported_newest_first(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given more reads than one page of the index holds (two a page)
    member, counsellor = world.seeded("member"), world.seeded("counsellor")
    for _ in range(3):
        case_read(world, counsellor, member)
    monkeypatch.setattr(data_rights, "ACCESS_LOG_PAGE", 2)
    # When exported
    log = data(world).export(member.user_id)["access_log"]
    # Then all three are there, newest first
    assert len(log) == 3
    assert [e["at"] for e in log] == sorted((e["at"] for e in log), reverse=True)


def test_someone_on_no_roster_still_gets_their_access_log_key(world: World) -> None:
    exported = data(world).export("0b6e2f4a-no-such-person")
    assert exported == {"organisation": None, "roster": None, "trainings": [], "access_log": []}
