"""GET /orgs/{org_id}/stats and its saved views: roster checks, suppression, call counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from fastapi.testclient import TestClient

from functions.stats import routes
from functions.stats.aggregator import Aggregator, handle_record
from functions.stats.repository import StatsStore
from shared import aws
from shared import settings as settings_module
from shared.dynamo import to_item
from shared.identity import Identity, current_identity
from shared.orgs import roster
from tests.support.calls import DynamoCalls
from tests.support.fakes import Caller
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.stats import checkin_record, create_stats_table
from tests.support.tables import create_table

DAY = dt.date(2026, 11, 24)
UNITS = {"school": None, "g7": "school", "c71": "g7", "c72": "g7"}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


def _reset() -> None:
    settings_module.settings.cache_clear()
    roster.roster.cache_clear()
    routes.stats_store.cache_clear()
    routes.orgs_reader.cache_clear()


class World:
    def __init__(self, db: Any, orgs: str, stats: str) -> None:
        self.db, self.orgs, self.stats = db, orgs, stats
        self.caller = Caller(self.identity("admin", "org_admin"))
        self.counter = Aggregator(StatsStore(db, stats), self.unit_of, lambda o: "UTC")
        self.units: dict[str, str] = {}

    @staticmethod
    def identity(user_id: str, role: str, org_id: str = "org-a") -> Identity:
        return Identity(user_id=user_id, username=user_id, roles=frozenset({role}), org_id=org_id)

    def unit_of(self, org_id: str, user_id: str) -> str:
        return self.units.get(user_id, "-")

    def person(self, user_id: str, role: str, unit: str | None = None, org: str = "org-a") -> None:
        item: dict[str, Any] = {"pk": f"org#{org}", "sk": f"person#{user_id}", "org_id": org}
        item |= {"user_id": user_id, "role": role, "status": "active", "unit_id": unit}
        self.db.put_item(TableName=self.orgs, Item=to_item(item))
        if unit:
            self.units[user_id] = unit

    def members(self, unit: str, count: int, prefix: str) -> None:
        for n in range(count):
            user_id = f"{prefix}{n}"
            self.person(user_id, "member", unit)
            handle_record(DynamoDBRecord(checkin_record(user_id, DAY, mood=3)), self.counter)


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    orgs = create_table(db, "OrgsTable", fresh_name("orgs"))
    stats = create_stats_table(db, fresh_name("stats"))
    made = World(db, orgs, stats)
    for unit_id, parent in UNITS.items():
        item: dict[str, Any] = {"pk": "org#org-a", "sk": f"unit#{unit_id}", "unit_id": unit_id}
        item |= {"name": unit_id.upper(), "kind": "class", "parent_id": parent}
        db.put_item(TableName=orgs, Item=to_item(item))
    made.person("admin", "org_admin")
    made.person("counsellor", "counsellor")
    made.person("supporter", "peer_supporter", "g7")
    made.person("other-admin", "org_admin", org="org-b")
    monkeypatch.setenv("ORGS_TABLE", orgs)
    monkeypatch.setenv("STATS_TABLE", stats)
    monkeypatch.setattr(aws, "client", lambda service: db)
    _reset()
    routes.app.dependency_overrides[current_identity] = made.caller
    try:
        yield made
    finally:
        routes.app.dependency_overrides.clear()
        _reset()


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with TestClient(routes.app) as client:
        yield client


def find(tree: dict[str, Any], unit_id: str) -> dict[str, Any]:
    pending = [tree]
    while pending:
        node = pending.pop()
        if node["unit_id"] == unit_id:
            return node
        pending.extend(node["children"])
    raise KeyError(unit_id)


def test_a_unit_of_four_is_suppressed_and_one_of_twelve_is_not(
    world: World, api: TestClient
) -> None:
    # Given 4 members checked in in class 7-1 and 12 in class 7-2, and 9 in the grade itself
    world.members("c71", 4, "a")
    world.members("c72", 12, "b")
    world.members("g7", 9, "c")
    # When the admin asks for the grade's day
    answer = api.get("/orgs/org-a/stats", params={"from": "2026-11-24", "to": "2026-11-24"})
    assert answer.status_code == 200, answer.text
    grade = answer.json()["unit"]
    assert grade["unit_id"] is None  # the organisation, from which we look the units up
    small, large = find(grade, "c71"), find(grade, "c72")
    # Then the class of 4 is suppressed, the class of 12 is not (the grade's own 9 hides the 4)
    assert small["participation"]["members"] == {"value": None, "suppressed": True}
    assert large["participation"]["members"] == {"value": 12, "suppressed": False}
    assert find(grade, "g7")["participation"]["members"]["value"] == 25


def test_the_weekly_view_counts_distinct_members(world: World, api: TestClient) -> None:
    world.members("c72", 6, "b")
    for n in range(6):  # the same six again the next day
        record = checkin_record(f"b{n}", DAY + dt.timedelta(days=1))
        handle_record(DynamoDBRecord(record), world.counter)
    answer = api.get("/orgs/org-a/stats/weekly", params={"week": "2026-W48", "unit": "c72"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == "week" and body["from"] == "2026-11-23"
    assert body["unit"]["participation"]["members"] == {"value": 6, "suppressed": False}
    assert body["unit"]["participation"]["checkins"] == {"value": 12, "suppressed": False}


def test_the_monthly_view_answers(world: World, api: TestClient) -> None:
    answer = api.get("/orgs/org-a/stats/monthly", params={"month": "2026-11"})
    assert answer.status_code == 200
    assert answer.json()["period"] == "month" and answer.json()["to"] == "2026-11-30"


@pytest.mark.parametrize(
    ("user_id", "role", "org_id", "status"),
    [
        ("counsellor", "counsellor", "org-a", 200),
        ("supporter", "peer_supporter", "org-a", 403),
        ("a0", "member", "org-a", 403),
        ("other-admin", "org_admin", "org-b", 404),
        ("admin", "counsellor", "org-a", 403),  # the token's role is not the roster's
    ],
)
def test_only_admins_and_counsellors_of_the_organisation_may_read(
    world: World, api: TestClient, user_id: str, role: str, org_id: str, status: int
) -> None:
    world.person("a0", "member", "c71")
    world.caller.identity = world.identity(user_id, role, org_id)
    for path, params in (
        ("/orgs/org-a/stats", {"from": "2026-11-24", "to": "2026-11-24"}),
        ("/orgs/org-a/stats/weekly", {"week": "2026-W48"}),
        ("/orgs/org-a/stats/monthly", {"month": "2026-11"}),
    ):
        assert api.get(path, params=params).status_code == status, path


def test_bad_input_is_a_problem(world: World, api: TestClient) -> None:
    for path, params in (
        ("/orgs/org-a/stats", {"from": "2026-11-24", "to": "2026-11-01"}),
        ("/orgs/org-a/stats", {"from": "2026-01-01", "to": "2026-12-31"}),
        ("/orgs/org-a/stats", {"from": "yesterday", "to": "2026-11-01"}),
        ("/orgs/org-a/stats/weekly", {"week": "2026-W60"}),
        ("/orgs/org-a/stats/monthly", {"month": "2026-13"}),
    ):
        answer = api.get(path, params=params)
        assert 400 <= answer.status_code < 500, (path, params)
        assert answer.headers["content-type"].startswith("application/problem+json")
    unknown = api.get("/orgs/org-a/stats/monthly", params={"month": "2026-11", "unit": "zz"})
    assert unknown.status_code == 404


def test_the_dynamodb_calls_do_not_grow_with_members(world: World, api: TestClient) -> None:
    def calls() -> int:
        _reset()
        with DynamoCalls(world.db) as seen:
            answer = api.get("/orgs/org-a/stats/weekly", params={"week": "2026-W48"})
        assert answer.status_code == 200
        return len(seen.names)

    world.members("c71", 5, "a")
    few = calls()
    world.members("c72", 60, "b")
    world.members("g7", 40, "c")
    assert calls() == few == 3  # roster entry, unit tree, counters
