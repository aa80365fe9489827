"""A member's records on moto's DynamoDB (the template's CasesTable): the member's own
safety plan with its ETag (304, 412, 428), the counsellor's versioned care plan, and
guardian contacts with consent per field (PIPL: guardian consent under 14). Everything
written is sealed by the crisis vault; the staff routes answer 404 to anyone but the
counsellors of the member's organisation, and every staff read is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from functions.crisis import deps
from functions.crisis import member_records_routes as records_routes
from functions.crisis.cases import CaseWrites
from functions.crisis.member_records import MemberRecords, care_plan_sk
from functions.crisis.members_app import app
from shared.dynamo import from_item, to_item
from shared.identity import Identity, current_identity
from shared.routing import clock
from shared.vault import Vault
from tests.support.fakes import (
    Caller,
    FakeAudit,
    MovableClock,
    RosterLikeTheToken,
    fake_keyring,
    member,
)
from tests.support.moto_cloud import moto_clients
from tests.unit.test_crisis_cases import make_cases_table

NOW = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)
ORG = "school"
MEMBER = "member-1"


def person(user_id: str, role: str, org_id: str | None = ORG) -> Identity:
    return member(user_id, org_id=org_id, roles=(role,))  # type: ignore[arg-type]


COUNSELLOR = person("counsellor-1", "counsellor")
ADMIN = person("admin-1", "org_admin")
SUPPORTER = person("supporter-1", "peer_supporter")
THE_MEMBER = person(MEMBER, "member")
ANOTHER_MEMBER = person("member-2", "member")
OTHER_COUNSELLOR = person("counsellor-9", "counsellor", org_id="company")
OUTSIDERS = [SUPPORTER, ANOTHER_MEMBER, OTHER_COUNSELLOR]

PLAN = {
    "warning_signs": ["I stop answering messages", "I can't sleep"],
    "coping_steps": ["walk around the sports field"],
    "distractions": {"people": ["my cousin Lin"], "places": ["the library café"]},
    "people_to_ask": [{"name": "Aunt Mei", "phone": "13800138000"}, {"name": "Wang Fang"}],
    "professionals": [{"name": "Ms Zhao, school counsellor", "phone": "010-62751234"}],
    "safe_environment": ["give the pills to my roommate"],
}
# As read back: a contact without a phone answers `"phone": null`.
PLAN_READ = PLAN | {
    "people_to_ask": [
        {"name": "Aunt Mei", "phone": "13800138000"},
        {"name": "Wang Fang", "phone": None},
    ]
}
CARE = {
    "goals": ["sleep seven hours on school nights"],
    "supports": ["weekly session with the counsellor"],
    "people_involved": [{"name": "Teacher Liu", "role": "class teacher"}],
    "review_on": "2026-12-08",
}


def guardian(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Chen Hua",
        "relationship": "mother",
        "phone": "+8613912345678",
        "email": "chen.hua@example.cn",
        "consent": {"phone": True, "email": True, "share_case_summary": False},
        "consent_recorded_at": "2026-11-20T09:30:00+08:00",
        "consent_by": "guardian",
    } | changes


class FakeMemberships:
    """The orgs table's membership items: the two members are in the school."""

    orgs: ClassVar[dict[str, str | None]] = {MEMBER: ORG, "member-2": ORG, "lonely-1": None}

    def org_of(self, user_id: str) -> str | None:
        return self.orgs.get(user_id)


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.table = make_cases_table(db)
        self.records = MemberRecords(db, self.table)
        self.vault = Vault(fake_keyring("crisis"), CaseWrites(db, self.table))
        self.audit = FakeAudit()
        self.caller = Caller(THE_MEMBER)
        self.roster = RosterLikeTheToken.installed(self.caller, monkeypatch)
        self.clock = MovableClock(NOW)
        overrides = app.dependency_overrides
        overrides[current_identity] = self.caller
        overrides[clock] = lambda: self.clock
        overrides[deps.crisis_vault] = lambda: self.vault
        overrides[deps.audit_log] = lambda: self.audit
        overrides[records_routes.member_records] = lambda: self.records
        overrides[records_routes.member_orgs] = FakeMemberships
        self.http = TestClient(app)

    def as_(self, identity: Identity) -> World:
        self.caller.identity = identity
        return self

    def item(self, sk: str, user_id: str = MEMBER) -> dict[str, Any] | None:
        found = self.db.get_item(
            TableName=self.table, Key=to_item({"pk": f"member#{user_id}", "sk": sk})
        )
        return from_item(found["Item"]) if "Item" in found else None

    def partition(self, user_id: str = MEMBER) -> list[dict[str, Any]]:
        found = self.db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues=to_item({":p": f"member#{user_id}"}),
        )
        return [from_item(i) for i in found["Items"]]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield World(db, monkeypatch)
    app.dependency_overrides.clear()


def is_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if slug is not None:
        assert body["type"].endswith("/" + slug)
    return body


def sealed_everywhere(items: list[dict[str, Any]], words: list[str]) -> None:
    """None of `words` appears in any stored item, as text or as bytes."""
    dumped = repr(items)
    for word in words:
        assert word not in dumped
        assert word.encode() not in dumped.encode()


def a_plan(world: World) -> str:
    """The member writes their first plan; its ETag."""
    created = world.as_(THE_MEMBER).http.put("/me/safety-plan", json=PLAN)
    assert created.status_code == 201, created.text
    return str(created.headers["ETag"])


# --- the member's safety plan: the ETag flow -----------------------------------------------


def test_no_safety_plan_yet_is_a_clear_404(world: World) -> None:
    body = is_problem(world.http.get("/me/safety-plan"), 404, "not-found")
    assert "No safety plan yet" in body["detail"]


def test_the_first_plan_is_created_as_version_1_with_a_strong_etag(world: World) -> None:
    created = world.http.put("/me/safety-plan", json=PLAN)

    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    body = created.json()
    assert {k: body[k] for k in PLAN} == PLAN_READ
    assert body["version"] == 1
    assert body["updated_at"] == "2026-11-24T13:00:00.000Z"
    read = world.http.get("/me/safety-plan")
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert {k: read.json()[k] for k in PLAN} == PLAN_READ


def test_the_plan_read_carries_the_crisis_lines(world: World) -> None:
    a_plan(world)
    lines = world.http.get("/me/safety-plan").json()["crisis_lines"]
    assert lines["resources"]


def test_a_read_with_the_current_etag_is_304_without_a_body(world: World) -> None:
    etag = a_plan(world)
    for header in (etag, f"W/{etag}", f'"7", {etag}', "*"):
        response = world.http.get("/me/safety-plan", headers={"If-None-Match": header})
        assert response.status_code == 304, header
        assert response.content == b""
        assert response.headers["ETag"] == etag


def test_a_read_with_an_older_etag_gets_the_plan(world: World) -> None:
    a_plan(world)
    response = world.http.get("/me/safety-plan", headers={"If-None-Match": '"0"'})
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_a_change_with_the_current_etag_makes_the_next_version(world: World) -> None:
    etag = a_plan(world)
    changed = PLAN | {"coping_steps": ["call my cousin", "listen to music"]}

    response = world.http.put("/me/safety-plan", json=changed, headers={"If-Match": etag})

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    assert world.http.get("/me/safety-plan").json()["coping_steps"] == changed["coping_steps"]
    stored = world.item("safety-plan")
    assert stored is not None and stored["version"] == 2


def test_a_change_with_a_stale_etag_is_412_and_changes_nothing(world: World) -> None:
    etag = a_plan(world)
    world.http.put("/me/safety-plan", json=PLAN, headers={"If-Match": etag})  # now "2"

    stale = world.http.put(
        "/me/safety-plan", json=PLAN | {"warning_signs": []}, headers={"If-Match": etag}
    )

    body = is_problem(stale, 412, "precondition-failed")
    assert "version 2" in body["detail"]
    assert world.http.get("/me/safety-plan").json()["warning_signs"] == PLAN["warning_signs"]


def test_a_weak_etag_never_matches_a_write(world: World) -> None:
    etag = a_plan(world)
    is_problem(world.http.put("/me/safety-plan", json=PLAN, headers={"If-Match": f"W/{etag}"}), 412)


def test_a_change_without_if_match_over_a_plan_is_428(world: World) -> None:
    a_plan(world)
    body = is_problem(world.http.put("/me/safety-plan", json=PLAN), 428, "precondition-required")
    assert "If-Match" in body["detail"]
    stored = world.item("safety-plan")
    assert stored is not None and stored["version"] == 1


def test_if_none_match_star_creates_once_only(world: World) -> None:
    create_only = {"If-None-Match": "*"}
    assert world.http.put("/me/safety-plan", json=PLAN, headers=create_only).status_code == 201
    is_problem(world.http.put("/me/safety-plan", json=PLAN, headers=create_only), 412)


def test_if_match_when_there_is_no_plan_is_412(world: World) -> None:
    is_problem(world.http.put("/me/safety-plan", json=PLAN, headers={"If-Match": '"1"'}), 412)
    assert world.item("safety-plan") is None


@pytest.mark.parametrize(
    "headers",
    [{"If-Match": "1"}, {"If-Match": '"1" junk'}, {"If-None-Match": '"1"'}],
)
def test_a_malformed_precondition_is_422(world: World, headers: dict[str, str]) -> None:
    is_problem(world.http.put("/me/safety-plan", json=PLAN, headers=headers), 422)


def test_a_write_that_loses_the_race_is_refused(world: World) -> None:
    assert world.records.put_safety_plan(MEMBER, 1, b"\x01a", "t1", expected=None)
    assert not world.records.put_safety_plan(MEMBER, 1, b"\x01b", "t2", expected=None)
    assert world.records.put_safety_plan(MEMBER, 2, b"\x01c", "t3", expected=1)
    assert not world.records.put_safety_plan(MEMBER, 2, b"\x01d", "t4", expected=1)
    stored = world.item("safety-plan")
    assert stored is not None and bytes(stored["plan_ct"]) == b"\x01c"


def test_the_stored_plan_is_one_sealed_field(world: World) -> None:
    a_plan(world)
    stored = world.item("safety-plan")
    assert stored is not None
    assert set(stored) == {"pk", "sk", "user_id", "version", "updated_at", "plan_ct"}
    sealed_everywhere(
        world.partition(),
        ["stop answering", "Aunt Mei", "13800138000", "library", "pills", "Ms Zhao"],
    )


@pytest.mark.parametrize(
    "change",
    [
        {"warning_signs": ["x"] * 21},
        {"coping_steps": ["x" * 301]},
        {"coping_steps": [""]},
        {"distractions": {"people": [], "places": [], "pets": ["cat"]}},
        {"professionals": [{"name": "Dr Wu"}]},
        {"people_to_ask": [{"name": "Lin", "phone": "call me"}]},
        {"warning_signs": ["line\u202eflipped"]},
        {"secret_section": []},
    ],
)
def test_a_plan_out_of_bounds_is_422(world: World, change: dict[str, Any]) -> None:
    is_problem(world.http.put("/me/safety-plan", json=PLAN | change), 422)
    assert world.item("safety-plan") is None


def test_an_empty_plan_is_allowed(world: World) -> None:
    response = world.http.put("/me/safety-plan", json={})
    assert response.status_code == 201
    assert response.json()["distractions"] == {"people": [], "places": []}


def test_a_member_of_no_organisation_keeps_a_plan_too(world: World) -> None:
    world.as_(person("lonely-1", "member", org_id=None))
    assert world.http.put("/me/safety-plan", json=PLAN).status_code == 201
    assert world.http.get("/me/safety-plan").status_code == 200


@pytest.mark.parametrize("who", [COUNSELLOR, SUPPORTER])
def test_only_members_keep_a_safety_plan(world: World, who: Identity) -> None:
    world.as_(who)
    is_problem(world.http.get("/me/safety-plan"), 403)
    is_problem(world.http.put("/me/safety-plan", json=PLAN), 403)


def test_each_member_reads_only_their_own_plan(world: World) -> None:
    a_plan(world)
    world.as_(ANOTHER_MEMBER)
    is_problem(world.http.get("/me/safety-plan"), 404)


# --- the counsellor reads the safety plan ---------------------------------------------------


def test_a_counsellor_reads_the_members_plan_and_it_is_audited(world: World) -> None:
    a_plan(world)
    world.as_(COUNSELLOR)

    response = world.http.get(f"/members/{MEMBER}/safety-plan")

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    body = response.json()
    assert body["user_id"] == MEMBER
    assert body["people_to_ask"] == PLAN_READ["people_to_ask"]
    assert world.audit.records == [
        {
            "org_id": ORG,
            "actor_id": "counsellor-1",
            "actor_role": "counsellor",
            "action": "safety_plan.read",
            "target_type": "member",
            "target_id": MEMBER,
            "detail": {"version": 1},
            "subject_id": MEMBER,
        }
    ]


def test_a_counsellors_read_of_a_missing_plan_is_404_and_audited(world: World) -> None:
    world.as_(COUNSELLOR)
    is_problem(world.http.get(f"/members/{MEMBER}/safety-plan"), 404)
    assert world.audit.actions() == ["safety_plan.read"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_told_no_such_member_for_the_safety_plan(world: World, who: Identity) -> None:
    a_plan(world)
    world.as_(who)
    body = is_problem(world.http.get(f"/members/{MEMBER}/safety-plan"), 404)
    assert body["detail"] == "No such member."
    assert world.audit.records == []


def test_a_member_of_no_organisation_is_no_counsellors_member(world: World) -> None:
    world.as_(person("lonely-1", "member", org_id=None))
    a_plan_created = world.http.put("/me/safety-plan", json=PLAN)
    assert a_plan_created.status_code == 201
    world.as_(COUNSELLOR)
    is_problem(world.http.get("/members/lonely-1/safety-plan"), 404)
    is_problem(world.http.get("/members/nobody/safety-plan"), 404)
    assert world.audit.records == []


def test_a_counsellor_removed_from_the_roster_is_told_no_such_member(world: World) -> None:
    a_plan(world)
    world.as_(COUNSELLOR)
    world.roster.overrides[(ORG, "counsellor-1")] = None
    is_problem(world.http.get(f"/members/{MEMBER}/safety-plan"), 404)


# --- the care plan ------------------------------------------------------------------------------


def a_care_plan(world: World) -> str:
    created = world.as_(COUNSELLOR).http.put(f"/members/{MEMBER}/plan", json=CARE)
    assert created.status_code == 201, created.text
    return str(created.headers["ETag"])


def test_the_first_care_plan_is_version_1_and_audited(world: World) -> None:
    etag = a_care_plan(world)

    assert etag == '"1"'
    read = world.http.get(f"/members/{MEMBER}/plan")
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert read.json() == CARE | {
        "user_id": MEMBER,
        "version": 1,
        "updated_by": "counsellor-1",
        "updated_at": "2026-11-24T13:00:00.000Z",
    }
    assert world.audit.actions() == ["care_plan.written", "care_plan.read"]
    assert {r["target_type"] for r in world.audit.records} == {"member"}
    # the read names the member for their access log; the write is not a read
    assert [r["subject_id"] for r in world.audit.records] == [None, MEMBER]


def test_a_new_care_plan_version_keeps_the_old_one(world: World) -> None:
    etag = a_care_plan(world)
    world.clock.now = NOW + dt.timedelta(days=14)
    world.as_(ADMIN)
    changed = CARE | {"goals": ["back to full classes"], "review_on": "2027-01-10"}

    response = world.http.put(f"/members/{MEMBER}/plan", json=changed, headers={"If-Match": etag})

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"2"'
    body = world.http.get(f"/members/{MEMBER}/plan").json()
    assert body["goals"] == ["back to full classes"]
    assert (body["version"], body["updated_by"]) == (2, "admin-1")
    head = world.item("plan")
    assert head is not None and head["version"] == 2
    first = world.item(care_plan_sk(1))
    assert first is not None
    assert (first["version"], first["review_on"], first["updated_by"]) == (
        1,
        "2026-12-08",
        "counsellor-1",
    )


def test_a_stale_care_plan_write_is_412(world: World) -> None:
    etag = a_care_plan(world)
    assert (
        world.http.put(f"/members/{MEMBER}/plan", json=CARE, headers={"If-Match": etag}).status_code
        == 200
    )

    stale = world.http.put(f"/members/{MEMBER}/plan", json=CARE, headers={"If-Match": etag})

    is_problem(stale, 412, "precondition-failed")
    assert world.item(care_plan_sk(3)) is None
    head = world.item("plan")
    assert head is not None and head["version"] == 2


def test_a_care_plan_write_without_if_match_over_a_plan_is_428(world: World) -> None:
    a_care_plan(world)
    is_problem(world.http.put(f"/members/{MEMBER}/plan", json=CARE), 428, "precondition-required")
    assert world.item(care_plan_sk(2)) is None


def test_two_care_plan_writers_from_one_version_one_wins(world: World) -> None:
    a_care_plan(world)
    first = {"version": 2, "updated_by": "a", "updated_at": "t", "review_on": "2026-12-09"}
    second = first | {"updated_by": "b"}
    assert world.records.put_care_plan(MEMBER, first, expected=1)
    assert not world.records.put_care_plan(MEMBER, second, expected=1)
    kept = world.item(care_plan_sk(2))
    assert kept is not None and kept["updated_by"] == "a"


def test_care_plan_versions_are_listed_newest_first_without_their_texts(world: World) -> None:
    etag = a_care_plan(world)
    for _ in range(2):
        etag = world.http.put(
            f"/members/{MEMBER}/plan", json=CARE, headers={"If-Match": etag}
        ).headers["ETag"]

    page = world.http.get(f"/members/{MEMBER}/plan/versions", params={"limit": 2}).json()

    assert [v["version"] for v in page["items"]] == [3, 2]
    assert set(page["items"][0]) == {"version", "updated_by", "updated_at", "review_on"}
    assert page["next_before"] == 2
    rest = world.http.get(
        f"/members/{MEMBER}/plan/versions", params={"limit": 2, "before": 2}
    ).json()
    assert rest == {
        "items": [
            {
                "version": 1,
                "updated_by": "counsellor-1",
                "updated_at": "2026-11-24T13:00:00.000Z",
                "review_on": "2026-12-08",
            }
        ],
        "next_before": None,
    }
    assert world.audit.actions()[-2:] == ["care_plan.versions_read", "care_plan.versions_read"]
    assert {r["subject_id"] for r in world.audit.records[-2:]} == {MEMBER}


def test_the_care_plan_texts_are_sealed(world: World) -> None:
    a_care_plan(world)
    version = world.item(care_plan_sk(1))
    assert version is not None
    assert {"goals_ct", "supports_ct", "people_involved_ct"} <= set(version)
    sealed_everywhere(world.partition(), ["seven hours", "weekly session", "Teacher Liu"])


def test_no_care_plan_yet_is_404_for_the_counsellor(world: World) -> None:
    world.as_(COUNSELLOR)
    body = is_problem(world.http.get(f"/members/{MEMBER}/plan"), 404)
    assert "no care plan" in body["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"review_on": "next week"},
        {"goals": ["x" * 1001]},
        {"people_involved": [{"name": "Liu"}]},
        {"goals": ["g"] * 21},
    ],
)
def test_a_care_plan_out_of_bounds_is_422(world: World, change: dict[str, Any]) -> None:
    world.as_(COUNSELLOR)
    is_problem(world.http.put(f"/members/{MEMBER}/plan", json=CARE | change), 422)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_told_no_such_member_for_the_care_plan(world: World, who: Identity) -> None:
    a_care_plan(world)
    world.audit.records.clear()
    world.as_(who)
    for call in (
        world.http.get(f"/members/{MEMBER}/plan"),
        world.http.put(f"/members/{MEMBER}/plan", json=CARE, headers={"If-Match": '"1"'}),
        world.http.get(f"/members/{MEMBER}/plan/versions"),
    ):
        assert is_problem(call, 404)["detail"] == "No such member."
    assert world.audit.records == []
    assert world.item(care_plan_sk(2)) is None


# --- guardians -----------------------------------------------------------------------------------


def test_guardians_are_recorded_sealed_and_read_back_audited(world: World) -> None:
    world.as_(COUNSELLOR)
    body = {"member_under_14": True, "guardians": [guardian()]}

    created = world.http.put(f"/members/{MEMBER}/guardians", json=body)

    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    read = world.http.get(f"/members/{MEMBER}/guardians")
    assert read.status_code == 200
    got = read.json()
    assert got["member_under_14"] is True
    assert got["guardians"] == [guardian() | {"consent_recorded_at": "2026-11-20T01:30:00Z"}]
    assert (got["version"], got["updated_by"]) == (1, "counsellor-1")
    assert world.audit.actions() == ["guardians.written", "guardians.read"]
    assert world.audit.records[-1]["detail"] == {"version": 1, "guardians": 1}
    assert world.audit.records[-1]["subject_id"] == MEMBER
    stored = world.item("guardians")
    assert stored is not None and "guardians_ct" in stored
    sealed_everywhere(world.partition(), ["Chen Hua", "13912345678", "chen.hua", "mother"])


def test_under_14_needs_the_guardians_own_consent(world: World) -> None:
    world.as_(COUNSELLOR)
    body = {"member_under_14": True, "guardians": [guardian(), guardian(consent_by="member")]}

    problem = is_problem(world.http.put(f"/members/{MEMBER}/guardians", json=body), 422)

    assert "under 14" in problem["detail"]
    assert problem["errors"] == [
        {
            "location": ["body", "guardians", "1", "consent_by"],
            "message": 'must be "guardian" for a member under 14',
            "code": "guardian_consent",
        }
    ]
    assert world.item("guardians") is None


def test_the_member_may_consent_from_14(world: World) -> None:
    world.as_(COUNSELLOR)
    body = {"member_under_14": False, "guardians": [guardian(consent_by="member")]}
    assert world.http.put(f"/members/{MEMBER}/guardians", json=body).status_code == 201


def test_under_14_left_out_keeps_what_was_recorded(world: World) -> None:
    world.as_(COUNSELLOR)
    first = {"member_under_14": True, "guardians": [guardian()]}
    assert world.http.put(f"/members/{MEMBER}/guardians", json=first).status_code == 201

    later = {"guardians": [guardian(consent_by="member")]}
    is_problem(world.http.put(f"/members/{MEMBER}/guardians", json=later), 422)
    assert world.http.get(f"/members/{MEMBER}/guardians").json()["member_under_14"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consent": {"phone": False, "email": True, "share_case_summary": True}}, "phone"),
        ({"consent": {"phone": True, "email": False, "share_case_summary": True}}, "email"),
    ],
)
def test_a_contact_field_without_consent_is_refused(
    world: World, changes: dict[str, Any], field: str
) -> None:
    world.as_(COUNSELLOR)
    body = {"guardians": [guardian(**changes)]}

    problem = is_problem(world.http.put(f"/members/{MEMBER}/guardians", json=body), 422)

    assert "only with consent" in problem["detail"]
    assert [e["location"] for e in problem["errors"]] == [["body", "guardians", "0", field]]
    assert world.item("guardians") is None


def test_a_field_left_out_needs_no_consent(world: World) -> None:
    world.as_(COUNSELLOR)
    no_phone = guardian(consent={"phone": False, "email": True, "share_case_summary": False})
    del no_phone["phone"]
    response = world.http.put(f"/members/{MEMBER}/guardians", json={"guardians": [no_phone]})
    assert response.status_code == 201, response.text
    assert response.json()["guardians"][0]["phone"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"consent_recorded_at": "2026-12-01T09:00:00+08:00"},  # in the future
        {"consent_recorded_at": "2026-11-20T09:30:00"},  # no zone
        {"consent": {"phone": "yes", "email": True, "share_case_summary": False}},
        {"consent_by": "teacher"},
        {"email": "not an address"},
        {"relationship": ""},
    ],
)
def test_bad_guardian_input_is_422(world: World, changes: dict[str, Any]) -> None:
    world.as_(COUNSELLOR)
    body = {"guardians": [guardian(**changes)]}
    is_problem(world.http.put(f"/members/{MEMBER}/guardians", json=body), 422)
    assert world.item("guardians") is None


def test_a_stale_guardian_write_is_412_when_if_match_is_sent(world: World) -> None:
    world.as_(COUNSELLOR)
    url = f"/members/{MEMBER}/guardians"
    assert world.http.put(url, json={"guardians": [guardian()]}).status_code == 201
    assert world.http.put(url, json={"guardians": []}).status_code == 200  # optional here

    stale = world.http.put(url, json={"guardians": [guardian()]}, headers={"If-Match": '"1"'})

    is_problem(stale, 412)
    assert world.http.get(url).json()["guardians"] == []


def test_no_guardians_recorded_is_404_and_audited(world: World) -> None:
    world.as_(COUNSELLOR)
    is_problem(world.http.get(f"/members/{MEMBER}/guardians"), 404)
    assert world.audit.actions() == ["guardians.read"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_told_no_such_member_for_guardians(world: World, who: Identity) -> None:
    world.as_(COUNSELLOR)
    assert (
        world.http.put(f"/members/{MEMBER}/guardians", json={"guardians": [guardian()]}).status_code
        == 201
    )
    world.audit.records.clear()
    world.as_(who)
    for call in (
        world.http.get(f"/members/{MEMBER}/guardians"),
        world.http.put(f"/members/{MEMBER}/guardians", json={"guardians": []}),
    ):
        assert is_problem(call, 404)["detail"] == "No such member."
    assert world.audit.records == []
    stored = world.item("guardians")
    assert stored is not None and stored["version"] == 1
