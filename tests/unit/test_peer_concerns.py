"""POST /peer/concerns: a supporter of the member's unit raises a concern, stored as a crisis
signal on its own item of the peer table (moto DynamoDB shaped as template.yaml's
PeerTable; KMS in memory); anyone else finds no such member."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.peer import concerns_routes
from functions.peer.concerns import ACKNOWLEDGEMENT, ConcernsRepository
from functions.peer.keys import PURPOSE, PeerKeys
from shared.dynamo import from_item
from shared.http import create_app
from shared.identity import Identity, current_identity
from shared.orgs.roster import RosterEntry
from shared.routing import clock
from shared.vault import Vault
from tests.support.fakes import (
    Caller,
    FakeAudit,
    FakeKms,
    MovableClock,
    fake_keyring,
    fake_signal_sealer,
)
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table
from tests.unit.peer_world import (
    COUNSELLOR,
    MEMBER,
    ORG,
    OTHER_ORG,
    OTHER_SUPPORTER,
    SUPPORTER,
)
from tests.unit.peer_world import ELSEWHERE as CLASSMATE_ELSEWHERE

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
NOTE = "她这周一直一个人坐着，说不想回家"

REMOVED_MEMBER = RosterEntry(ORG, "mem-3", "member", "Gone", False, "c71")
FOREIGN_MEMBER = RosterEntry(OTHER_ORG, "mem-9", "member", "Elsewhere", True, "c71")


class Roster:
    """The roster, as far as the route reads it: entries by (org, user)."""

    def __init__(self, *entries: RosterEntry) -> None:
        self.entries = {(e.org_id, e.user_id): e for e in entries}

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None:
        return self.entries.get((org_id, user_id))

    def forget(self, org_id: str, user_id: str) -> None:
        pass


def identity_of(entry: RosterEntry, org_id: str | None = None) -> Identity:
    return Identity(
        user_id=entry.user_id,
        username=entry.user_id,
        roles=frozenset({entry.role}),
        org_id=org_id or entry.org_id,
    )


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.table = create_table(db, "PeerTable", fresh_name("peer"))
        self.kms = FakeKms()
        self.sealer = fake_signal_sealer(self.kms)
        self.vault = Vault(fake_keyring(PURPOSE, self.kms), PeerKeys(db, self.table))
        self.repo = ConcernsRepository(db, self.table, self.vault, self.sealer)
        self.audit = FakeAudit()
        self.roster = Roster(
            SUPPORTER,
            OTHER_SUPPORTER,
            MEMBER,
            CLASSMATE_ELSEWHERE,
            REMOVED_MEMBER,
            COUNSELLOR,
            FOREIGN_MEMBER,
        )
        self.caller = Caller(identity_of(SUPPORTER))
        monkeypatch.setattr("shared.orgs.access.roster", lambda: self.roster)
        app = create_app("Peer concerns (test)")
        app.include_router(concerns_routes.router)
        app.dependency_overrides[concerns_routes.concerns] = lambda: self.repo
        app.dependency_overrides[concerns_routes.audit_log] = lambda: self.audit
        app.dependency_overrides[concerns_routes.people] = lambda: self.roster
        app.dependency_overrides[current_identity] = self.caller
        app.dependency_overrides[clock] = lambda: MovableClock(NOW)
        self.http = TestClient(app)

    def as_(self, entry: RosterEntry, org_id: str | None = None) -> None:
        self.caller.identity = identity_of(entry, org_id)

    def raise_concern(self, **body: Any) -> Any:
        return self.http.post(
            "/peer/concerns", json={"member_id": MEMBER.user_id, "note": NOTE} | body
        )

    def items(self) -> list[dict[str, Any]]:
        return [from_item(i) for i in self.db.scan(TableName=self.table)["Items"]]

    def concerns(self) -> list[dict[str, Any]]:
        return [i for i in self.items() if str(i["sk"]).startswith("concern#")]


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def test_an_assigned_supporter_is_acknowledged_and_told_nothing_more(world: World) -> None:
    # Given the supporter of the member's class
    # When they raise a concern
    response = world.raise_concern()
    # Then 202 with an acknowledgement only: no case, no severity, no id
    assert response.status_code == 202, response.text
    assert response.json() == {"acknowledged": True, "message": ACKNOWLEDGEMENT}


def test_the_concern_is_a_watch_signal_with_its_reason_and_note_sealed(world: World) -> None:
    # Given / When the supporter of the member's class raises a concern
    assert world.raise_concern().status_code == 202
    # Then one item in the member's partition carries the plain level the intake reads
    (item,) = world.concerns()
    assert item["pk"] == f"member#{MEMBER.user_id}" and item["sk"].startswith("concern#")
    assert (item["user_id"], item["org_id"], item["raised_by"]) == (
        MEMBER.user_id,
        ORG,
        SUPPORTER.user_id,
    )
    assert (item["risk_level"], item["urgent"]) == ("watch", False)
    assert item["created_at"] == "2026-11-24T02:00:00.000Z"
    # and its reason sealed for the crisis feature under the item's id (as the intake names it)
    assert world.sealer.open(MEMBER.user_id, item["sk"], bytes(item["signal_ct"])) == [
        "peer_concern"
    ]
    # and the note sealed under the member's peer key, nowhere in plain
    assert "note" not in item and NOTE not in repr(world.items())
    key = world.vault.key_for_reading(MEMBER.user_id)
    opened = world.vault.open_fields(key, MEMBER.user_id, item["sk"], item, ["note"])
    assert opened == {"note": NOTE}


def test_an_urgent_concern_is_a_high_signal(world: World) -> None:
    assert world.raise_concern(urgent=True).status_code == 202
    (item,) = world.concerns()
    assert (item["risk_level"], item["urgent"]) == ("high", True)
    opened = world.sealer.open(MEMBER.user_id, item["sk"], bytes(item["signal_ct"]))
    assert opened == ["peer_concern_urgent"]


def test_the_concern_is_audited_without_its_note(world: World) -> None:
    world.raise_concern(urgent=True)
    assert world.audit.records == [
        {
            "org_id": ORG,
            "actor_id": SUPPORTER.user_id,
            "actor_role": "peer_supporter",
            "action": "concern.raised",
            "target_type": "member",
            "target_id": MEMBER.user_id,
            "detail": {"urgent": 1},
        }
    ]


@pytest.mark.parametrize(
    ("caller", "member_id"),
    [
        pytest.param(OTHER_SUPPORTER, MEMBER.user_id, id="supporter-of-another-class"),
        pytest.param(SUPPORTER, CLASSMATE_ELSEWHERE.user_id, id="member-of-another-class"),
        pytest.param(SUPPORTER, REMOVED_MEMBER.user_id, id="removed-member"),
        pytest.param(SUPPORTER, COUNSELLOR.user_id, id="staff-not-a-member"),
        pytest.param(SUPPORTER, FOREIGN_MEMBER.user_id, id="member-of-another-org"),
        pytest.param(SUPPORTER, "no-such-user", id="unknown-id"),
        pytest.param(SUPPORTER, SUPPORTER.user_id, id="themselves"),
    ],
)
def test_anyone_but_an_assigned_members_concern_is_404_and_leaves_nothing(
    world: World, caller: RosterEntry, member_id: str
) -> None:
    # Given a supporter and someone who is not a member of a unit they support
    world.as_(caller)
    # When they raise a concern about them
    response = world.raise_concern(member_id=member_id)
    # Then no such member, and nothing is stored or audited
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert world.items() == [] and world.audit.records == []


@pytest.mark.parametrize("caller", [MEMBER, COUNSELLOR], ids=["member", "counsellor"])
def test_only_peer_supporters_may_raise_a_concern(world: World, caller: RosterEntry) -> None:
    world.as_(caller)
    assert world.raise_concern().status_code == 403
    assert world.items() == []


@pytest.mark.parametrize("caller", [MEMBER, COUNSELLOR], ids=["member", "counsellor"])
@pytest.mark.parametrize(
    "body",
    [{}, {"member_id": "", "note": "x" * 501, "urgent": "very", "case_id": "c-1"}, None],
    ids=["empty", "bad", "none"],
)
def test_a_non_supporter_is_refused_before_the_body_is_validated(
    world: World, caller: RosterEntry, body: Any
) -> None:
    # Given someone who is not a peer supporter
    world.as_(caller)
    # When they send a body that is not valid either
    response = world.http.post("/peer/concerns", json=body)
    # Then they learn only that they may not (403), not what the route expects (422)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "errors" not in response.json()
    assert world.items() == [] and world.audit.records == []


def test_a_removed_supporter_is_refused_before_the_body_is_validated(world: World) -> None:
    world.roster.entries[(ORG, SUPPORTER.user_id)] = RosterEntry(
        ORG, SUPPORTER.user_id, "peer_supporter", "Li Wei", False, "c71", None, None, ("c71",)
    )
    assert world.http.post("/peer/concerns", json={}).status_code == 403


def test_a_supporter_the_roster_no_longer_lists_is_refused(world: World) -> None:
    # Given the supporter's token still says supporter, but the roster says removed
    world.roster.entries[(ORG, SUPPORTER.user_id)] = RosterEntry(
        ORG, SUPPORTER.user_id, "peer_supporter", "Li Wei", False, "c71", None, None, ("c71",)
    )
    # When they raise a concern / Then refused, nothing stored
    assert world.raise_concern().status_code == 403
    assert world.items() == []


def test_a_token_of_an_organisation_whose_roster_lacks_the_caller_is_refused(
    world: World,
) -> None:
    # Given a supporter whose token names another organisation, where they are on no roster
    world.as_(SUPPORTER, org_id=OTHER_ORG)
    # When they raise a concern / Then refused as in every staff check, nothing stored
    assert world.raise_concern().status_code == 403
    assert world.items() == []


def test_a_token_without_an_organisation_finds_no_such_member(world: World) -> None:
    world.caller.identity = identity_of(SUPPORTER).model_copy(update={"org_id": None})
    assert world.raise_concern().status_code == 404
    assert world.items() == []


@pytest.mark.parametrize(
    "body",
    [
        {"note": "x" * 501},
        {"note": "   "},
        {"note": "look\u202eout"},
        {"note": None},
        {"member_id": ""},
        {"urgent": "very"},
        {"case_id": "c-1"},
    ],
    ids=[
        "note-too-long",
        "note-blank",
        "note-bidi",
        "note-missing",
        "no-member",
        "urgent-not-bool",
        "unknown-field",
    ],
)
def test_bad_input_is_422_problem_json(world: World, body: dict[str, Any]) -> None:
    response = world.raise_concern(**body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert world.items() == []


def test_a_note_of_500_characters_with_line_breaks_is_accepted(world: World) -> None:
    note = ("a" * 249) + "\n" + ("b" * 250)
    assert world.raise_concern(note=note).status_code == 202


def test_two_concerns_are_two_signals(world: World) -> None:
    world.raise_concern()
    world.raise_concern(urgent=True)
    items = world.concerns()
    assert len({i["sk"] for i in items}) == 2
    assert sorted(i["risk_level"] for i in items) == ["high", "watch"]
