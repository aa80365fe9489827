"""The crisis feature's export and erasure (functions/crisis/data_rights.py) on moto's
DynamoDB (the template's CasesTable), the member's data made through the crisis HTTP app
as a member and their counsellor make it: the export opens the member's words and the
records about them, never a counsellor's note or any ciphertext; the erasure deletes the
member's own words at once and keeps the safety records (cases, care plan, watch entry
and the key they are sealed under) until `expires_at`, or everything when there are
none; a second erasure changes nothing, and no other member is touched."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.crisis import data_rights
from functions.crisis import member_records_routes as records_routes
from functions.crisis.cases import case_pk, member_pk, watch_pk
from functions.crisis.data_rights import DAY, CrisisData
from functions.crisis.member_records import care_plan_sk
from functions.crisis.members_app import app as members_app
from functions.crisis.moods import MoodHistory
from functions.crisis.routes import app
from shared.dynamo import from_item
from shared.identity import Identity
from tests.support.events import lambda_context
from tests.support.moto_cloud import moto_clients
from tests.unit.test_crisis_api import (
    COUNSELLOR,
    MEMBER,
    NOW,
    ORG,
    THE_MEMBER,
    FakeMemberships,
    World,
    person,
)
from tests.unit.test_crisis_member_records import CARE, PLAN, PLAN_READ, guardian

OTHER = "member-2"
ANOTHER_MEMBER = person(OTHER, "member")
RETENTION_DAYS = 30
ERASED_AT = NOW + dt.timedelta(days=10)  # the erasure's clock
HELP_WORDS = "I cannot go on tonight"
NOTE_WORDS = "spoke with her mother about the weekend"
CONTACT_WORDS = "agreed to meet on Friday"
REFERRAL_WORDS = "mother will come along"
CARE_V2 = CARE | {"goals": ["back to full classes"], "review_on": "2027-01-10"}
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class DataWorld(World):
    """The crisis API's world with the member-records routes wired to the same table."""

    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__(db, monkeypatch)
        records = records_routes.MemberRecords(db, self.table)
        app.dependency_overrides[records_routes.member_records] = lambda: records
        app.dependency_overrides[records_routes.member_orgs] = FakeMemberships
        # The member records are their own function's app: the same overrides serve both.
        members_app.dependency_overrides = app.dependency_overrides
        self.members = TestClient(members_app)

    def as_(self, identity: Identity) -> DataWorld:
        super().as_(identity)
        return self

    def data(self, at: dt.datetime = ERASED_AT) -> CrisisData:
        return CrisisData(
            self.db, self.table, self.vault, retention_days=RETENTION_DAYS, clock=at.timestamp
        )

    def items(self) -> list[dict[str, Any]]:
        pages = self.db.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True)
        return [from_item(i) for page in pages for i in page["Items"]]

    def partition(self, pk: str) -> dict[str, dict[str, Any]]:
        return {str(i["sk"]): i for i in self.items() if i["pk"] == pk}

    def mood(self, user_id: str, day: dt.date, mood: int) -> None:
        """The mood item as the risk intake keeps it for each check-in."""
        revision = f"{day.isoformat()}T12:00:00.000Z"
        assert MoodHistory(self.db, self.table).keep(user_id, day, mood, revision, NOW)

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response

    def at(self, minutes: int) -> DataWorld:
        self.clock.now = NOW + minutes * MINUTE
        return self


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataWorld]:
    yield DataWorld(db, monkeypatch)
    app.dependency_overrides.clear()
    members_app.dependency_overrides = {}


def a_member_with_everything(world: DataWorld) -> str:
    """A check-in signal, then help with text; the counsellor acknowledges, writes a note,
    logs a contact, refers and closes at watch level 2; a safety plan, two care-plan
    versions, guardians and a mood day. The case's id."""
    case_id = world.signal("high", "checkins#1", at=NOW)  # its seen# marker too
    world.as_(THE_MEMBER).at(1)
    world.ok(world.help.post("/help", json={"text": HELP_WORDS}), 202)
    world.mood(MEMBER, dt.date(2026, 11, 23), 2)

    world.as_(COUNSELLOR).at(2)
    world.repo.keep_token(case_id, "ack", "tok-ack-1")
    world.ok(world.http.post(f"/cases/{case_id}/ack"))
    world.at(3).ok(world.http.post(f"/cases/{case_id}/notes", json={"text": NOTE_WORDS}), 201)
    contact = {"who": "member", "channel": "phone", "outcome": "reached", "note": CONTACT_WORDS}
    world.at(4).ok(world.http.post(f"/cases/{case_id}/contacts", json=contact), 201)
    referral = {"to": "Clinic", "kind": "service", "on": "2026-11-25", "note": REFERRAL_WORDS}
    world.at(5).ok(world.http.post(f"/cases/{case_id}/referral", json=referral), 201)
    world.repo.keep_token(case_id, "closure", "tok-close-1")
    outcome = {"watch_level": 2, "review_on": "2026-12-08"}
    world.at(6).ok(world.http.post(f"/cases/{case_id}/close", json={"outcome": outcome}))

    world.as_(THE_MEMBER).at(7)
    world.ok(world.members.put("/me/safety-plan", json=PLAN), 201)
    world.as_(COUNSELLOR).at(8)
    plan_url = f"/members/{MEMBER}/plan"
    world.ok(world.members.put(plan_url, json=CARE), 201)
    world.at(9).ok(world.members.put(plan_url, json=CARE_V2, headers={"If-Match": '"1"'}))
    guardians = {"member_under_14": True, "guardians": [guardian()]}
    world.at(10).ok(world.members.put(f"/members/{MEMBER}/guardians", json=guardians), 201)
    return case_id


def another_member(world: DataWorld) -> list[dict[str, Any]]:
    """Another member of the school with help asked, a safety plan and a mood day: every
    item of the table that is theirs."""
    world.as_(ANOTHER_MEMBER).at(11)
    world.ok(world.help.post("/help", json={"text": "their own words"}), 202)
    world.ok(world.members.put("/me/safety-plan", json=PLAN), 201)
    world.mood(OTHER, dt.date(2026, 11, 23), 1)
    return theirs(world, OTHER)


def theirs(world: DataWorld, user_id: str) -> list[dict[str, Any]]:
    """Every item of the member's partition, of their cases' partitions and their watch
    entry, sorted."""
    cases = {
        case_pk(str(i["case_id"]))
        for i in world.items()
        if i["sk"] == "#case" and i.get("user_id") == user_id
    }
    mine = [
        i
        for i in world.items()
        if i["pk"] == member_pk(user_id)
        or i["pk"] in cases
        or (str(i["pk"]).startswith("watch#") and i["sk"] == user_id)
    ]
    return sorted(mine, key=lambda i: (str(i["pk"]), str(i["sk"])))


def walk(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every (path, value) of a JSON-like structure, keys included as values at `path#`."""
    yield path, value
    if isinstance(value, dict):
        for name, inner in value.items():
            yield f"{path}#", name
            yield from walk(inner, f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")


def expiry(at: dt.datetime = ERASED_AT) -> int:
    return int(at.timestamp()) + RETENTION_DAYS * DAY


# --- export -------------------------------------------------------------------------------


def test_export_opens_the_members_words_and_records_without_counsellors_notes(
    world: DataWorld,
) -> None:
    # Given a member with a closed case, a safety plan, a care plan and guardians
    case_id = a_member_with_everything(world)
    another_member(world)

    # When their crisis data is exported
    exported = world.data().export(MEMBER)

    # Then the case comes with its plain fields, its signals opened and its timeline
    (case,) = exported["cases"]
    assert {k: case[k] for k in ("case_id", "status", "severity", "outcome")} == {
        "case_id": case_id,
        "status": "closed",
        "severity": "imminent",
        "outcome": {"kind": "watch", "watch_level": 2, "review_on": "2026-12-08"},
    }
    assert (case["created_at"], case["acknowledged_at"], case["closed_at"]) == (
        "2026-11-24T13:00:00.000Z",
        "2026-11-24T13:02:00.000Z",
        "2026-11-24T13:06:00.000Z",
    )
    assert "member_erased_at" not in case
    signals = sorted(case["signals"], key=lambda s: s["received_at"])
    assert signals == [
        # reasons the source sealed, not the crisis vault: closed to this feature
        {
            "source": "checkins",
            "level": "high",
            "received_at": "2026-11-24T13:00:00.000Z",
            "reasons": None,
            "text": None,
        },
        {
            "source": "help",
            "level": "imminent",
            "received_at": "2026-11-24T13:01:00.000Z",
            "reasons": ["help_requested"],
            "text": HELP_WORDS,
        },
    ]
    assert [e["kind"] for e in sorted(case["timeline"], key=lambda e: e["at"])] == [
        "opened",
        "raised",
        "acknowledged",
        "note_added",
        "contact_logged",
        "referral",
        "closed",
    ]
    assert all(set(e) == {"at", "kind"} for e in case["timeline"])
    # And contacts and referrals without their notes, the counsellor's notes only counted
    assert case["contacts"] == [
        {
            "who": "member",
            "channel": "phone",
            "outcome": "reached",
            "at": "2026-11-24T13:04:00.000Z",
        }
    ]
    assert case["referrals"] == [{"to": "Clinic", "kind": "service", "on": "2026-11-25"}]
    assert case["counsellor_notes"] == 1
    dumped = json.dumps(exported, ensure_ascii=False)
    for words in (NOTE_WORDS, CONTACT_WORDS, REFERRAL_WORDS, "their own words"):
        assert words not in dumped
    # And the safety plan, the care plan's current version and the guardians opened
    assert exported["safety_plan"] == PLAN_READ | {"version": 1}
    assert exported["care_plan"] == {
        "version": 2,
        "updated_at": "2026-11-24T13:09:00.000Z",
        "review_on": "2027-01-10",
        "goals": ["back to full classes"],
        "supports": CARE["supports"],
        "people_involved": CARE["people_involved"],
    }
    assert exported["guardians"] == {
        "member_under_14": True,
        "guardians": [guardian() | {"consent_recorded_at": "2026-11-20T01:30:00.000Z"}],
    }
    # And it says what is kept after an erasure, and for how long
    retained = exported["retained_after_erasure"]
    assert retained["retention_days"] == RETENTION_DAYS
    assert f"{RETENTION_DAYS} days" in retained["what"]
    assert "safety plan" in retained["what"] and "care plan" in retained["what"]


def test_the_export_holds_no_ciphertext_or_key_material(world: DataWorld) -> None:
    a_member_with_everything(world)
    exported = world.data().export(MEMBER)

    json.dumps(exported)  # bytes (or a DynamoDB Binary) would not serialise
    for path, value in walk(exported):
        assert not isinstance(value, bytes | bytearray | memoryview), path
        assert type(value).__name__ != "Binary", path
        if path.endswith("#"):
            assert not value.endswith("_ct") and value not in ("edk", "pk", "sk"), path
    dumped = json.dumps(exported)
    assert "edk" not in dumped and "_ct" not in dumped
    assert "tok-" not in dumped and "token" not in dumped  # nor the workflow's tokens


def test_a_member_with_no_crisis_data_exports_empty(world: DataWorld) -> None:
    exported = world.data().export("nobody")
    assert {k: v for k, v in exported.items() if k != "retained_after_erasure"} == {
        "cases": [],
        "safety_plan": None,
        "care_plan": None,
        "guardians": None,
    }


# --- erase: a member with safety records ---------------------------------------------------


def test_erase_deletes_the_members_words_and_keeps_the_safety_records_until_expiry(
    world: DataWorld,
) -> None:
    # Given a member with a closed case (watch level 2), and another member
    case_id = a_member_with_everything(world)
    others = another_member(world)
    before = world.partition(member_pk(MEMBER))
    assert {"safety-plan", "guardians", "mood#2026-11-23", "key"} <= set(before)
    seen = {sk for sk in before if sk.startswith("seen#")}
    assert len(seen) == 2

    # When the member is erased
    erased = world.data().erase(MEMBER)

    # Then the safety plan, guardians and mood day are gone
    assert erased == 3
    after = world.partition(member_pk(MEMBER))
    kept = {"key", f"case#{case_id}", "plan", care_plan_sk(1), care_plan_sk(2)}
    assert set(after) == kept | seen
    # And every kept item of the member expires when the retention ends, the replay
    # markers (kept, so a replay attaches nothing) at their own earlier expiry
    assert {sk: after[sk].get("expires_at") for sk in kept} == dict.fromkeys(kept, expiry())
    assert {sk: after[sk]["expires_at"] for sk in seen} == {
        sk: before[sk]["expires_at"] for sk in seen
    }
    assert bytes(after["key"]["edk"]) == bytes(before["key"]["edk"])
    assert after[care_plan_sk(2)]["goals_ct"] == before[care_plan_sk(2)]["goals_ct"]
    # And the watch entry too
    watch = world.item(watch_pk(ORG), MEMBER)
    assert watch is not None and watch["level"] == 2 and watch["expires_at"] == expiry()
    # And the whole case partition, the case marked as its member's erased
    case_items = world.partition(case_pk(case_id))
    assert {i.get("expires_at") for i in case_items.values()} == {expiry()}
    assert case_items["#case"]["member_erased_at"] == "2026-12-04T13:00:00.000Z"
    assert case_items["#case"]["status"] == "closed"
    # And the help signal lost the member's words but kept its reason codes
    (help_signal,) = [i for sk, i in case_items.items() if sk.startswith("signal#help#")]
    assert "text_ct" not in help_signal and "reasons_ct" in help_signal
    # And the counsellor's note keeps its text
    (note,) = [i for sk, i in case_items.items() if sk.startswith("note#")]
    assert "text_ct" in note
    # And nothing of the other member changed
    assert theirs(world, OTHER) == others


def test_after_erasure_the_counsellor_still_reads_the_case_with_its_notes(
    world: DataWorld,
) -> None:
    # Given an erased member's case
    case_id = a_member_with_everything(world)
    world.data().erase(MEMBER)

    # When their counsellor reads it
    world.as_(COUNSELLOR)
    response = world.ok(world.http.get(f"/cases/{case_id}"))

    # Then the note, the contact and the referral read as written
    body = response.json()
    assert [n["text"] for n in body["notes"]] == [NOTE_WORDS]
    assert [c["note"] for c in body["contacts"]] == [CONTACT_WORDS]
    assert [r["note"] for r in body["referrals"]] == [REFERRAL_WORDS]
    # And the help signal shows its reason, not the member's words
    (help_signal,) = [s for s in body["signal_details"] if s["source"] == "help"]
    assert (help_signal["reasons"], help_signal["text"]) == (["help_requested"], None)
    assert HELP_WORDS not in response.text
    # And the care plan is still the counsellor's to read
    plan = world.ok(world.members.get(f"/members/{MEMBER}/plan")).json()
    assert (plan["version"], plan["goals"]) == (2, CARE_V2["goals"])
    # And the member's export now holds the records only
    exported = world.data().export(MEMBER)
    assert (exported["safety_plan"], exported["guardians"]) == (None, None)
    assert exported["cases"][0]["member_erased_at"] == "2026-12-04T13:00:00.000Z"
    assert HELP_WORDS not in json.dumps(exported, ensure_ascii=False)


def test_a_second_erasure_changes_nothing_even_later(world: DataWorld) -> None:
    # Given an erased member
    case_id = a_member_with_everything(world)
    world.data().erase(MEMBER)
    first = theirs(world, MEMBER)

    # When the workflow erases them again, a month later
    again = world.data(ERASED_AT + dt.timedelta(days=30)).erase(MEMBER)

    # Then nothing more is deleted, and no expiry or erasure time moves
    assert again == 0
    assert theirs(world, MEMBER) == first
    head = world.partition(case_pk(case_id))["#case"]
    assert (head["expires_at"], head["member_erased_at"]) == (
        expiry(),
        "2026-12-04T13:00:00.000Z",
    )


def test_an_open_case_stays_open_with_its_pointer_kept(world: DataWorld) -> None:
    # Given a member who asked for help, their case still open
    world.as_(THE_MEMBER)
    world.ok(world.help.post("/help", json={"text": HELP_WORDS}), 202)
    case = world.repo.open_case_of(MEMBER)
    assert case is not None

    # When they are erased
    assert world.data().erase(MEMBER) == 0  # the replay marker stays, see above

    # Then the case is still open for the counsellor to close, and expires with the rest
    after = world.partition(member_pk(MEMBER))
    assert {sk for sk in after if not sk.startswith("seen#")} == {
        "key",
        "open",
        f"case#{case.case_id}",
    }
    assert after["open"]["expires_at"] == expiry()
    head = world.case_item(case.case_id)
    assert (head["status"], head["expires_at"]) == ("open", expiry())


# --- erase: a member without safety records --------------------------------------------------


def test_a_member_without_safety_records_is_erased_entirely(world: DataWorld) -> None:
    # Given a member with only a safety plan and two mood days (their key seals the plan)
    world.as_(THE_MEMBER)
    world.ok(world.members.put("/me/safety-plan", json=PLAN), 201)
    world.mood(MEMBER, dt.date(2026, 11, 22), 3)
    world.mood(MEMBER, dt.date(2026, 11, 23), 2)
    assert set(world.partition(member_pk(MEMBER))) == {
        "key",
        "safety-plan",
        "mood#2026-11-22",
        "mood#2026-11-23",
    }
    # And another member with a case
    others = another_member(world)

    # When the member is erased, twice
    erased, again = world.data().erase(MEMBER), world.data().erase(MEMBER)

    # Then every item of theirs went, their key too, the first time only
    assert (erased, again) == (4, 0)
    assert world.partition(member_pk(MEMBER)) == {}
    # And the other member keeps everything
    assert theirs(world, OTHER) == others


# --- the handler ----------------------------------------------------------------------------


def test_the_handler_erases_with_the_retention_from_the_environment(
    world: DataWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import aws
    from shared.settings import settings

    # Given a member with a case, and the function's environment
    case_id = a_member_with_everything(world)
    for name, value in {
        "CASES_TABLE": world.table,
        "SEALING_KEY_ID": "alias/sealing",
        "SAFETY_RECORD_RETENTION_DAYS": "7",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")  # metrics left over
    monkeypatch.setattr(aws, "client", lambda service: world.db)
    settings.cache_clear()
    data_rights.feature_data.cache_clear()
    try:
        # When the workflow asks the crisis handler to erase them
        started = int(dt.datetime.now(dt.UTC).timestamp())
        result = data_rights.handler(
            {"action": "erase", "user_id": MEMBER}, lambda_context("crisis-data-rights")
        )
        finished = int(dt.datetime.now(dt.UTC).timestamp())
    finally:
        settings.cache_clear()
        data_rights.feature_data.cache_clear()

    # Then it erased the member's words and kept the case for seven days from now
    assert result == {"feature": "crisis", "erased": 3}
    assert world.item(member_pk(MEMBER), "safety-plan") is None
    expires = world.case_item(case_id)["expires_at"]
    assert started + 7 * DAY <= expires <= finished + 7 * DAY
