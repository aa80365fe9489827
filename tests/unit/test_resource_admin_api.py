"""The resource-admin function checks the role before the body: 403 comes before any 422.

A member must not learn the admin schema from validation errors, and a problem to an
admin never quotes what they sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.resource_admin.routes import app, repository
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import Identity, Role, current_identity
from shared.orgs.roster import RosterEntry
from shared.resources.repository import org_scope
from shared.routing import clock
from tests.support.fakes import Caller, RosterLikeTheToken
from tests.support.resources import FakeResourcesRepository, raw_entry

NOW = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)


def person(role: Role = "member", org: str | None = "school-a") -> Identity:
    return Identity(user_id=f"{role}-1", username=role, roles=frozenset({role}), org_id=org)


@pytest.fixture(autouse=True)
def roster(caller: Caller, monkeypatch: pytest.MonkeyPatch) -> RosterLikeTheToken:
    """The organisation's roster agrees with the caller's token unless a test says otherwise."""
    return RosterLikeTheToken.installed(caller, monkeypatch)


@pytest.fixture
def caller() -> Caller:
    return Caller(person())


@pytest.fixture
def repo() -> FakeResourcesRepository:
    return FakeResourcesRepository()


@pytest.fixture
def admin(repo: FakeResourcesRepository, caller: Caller) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: lambda: NOW
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    return body


WRITES = [
    pytest.param("POST", "/resources", id="create"),
    pytest.param("PUT", "/resources/campus-centre", id="replace"),
    pytest.param("PUT", "/resources/" + "x" * 65, id="replace-with-a-bad-path-id"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize(
    "body", [{}, {"id": "UPPER"}, raw_entry("campus-centre")], ids=["empty", "bad", "valid"]
)
@pytest.mark.parametrize(
    "who",
    [
        pytest.param(person("member"), id="member"),
        pytest.param(person("counsellor"), id="counsellor"),
        pytest.param(person("org_admin", org=None), id="admin-without-organisation"),
    ],
)
def test_anyone_but_an_org_admin_gets_403_whatever_the_body(
    admin: TestClient,
    caller: Caller,
    repo: FakeResourcesRepository,
    who: Identity,
    method: str,
    path: str,
    body: dict[str, Any],
) -> None:
    # Given a caller who is not an organisation's admin
    caller.identity = who
    # When they write, with an empty, a bad or a valid body
    response = admin.request(method, path, json=body)
    # Then it is forbidden, with nothing about the schema, and nothing is written
    problem = assert_problem(response, 403, "forbidden")
    assert "errors" not in problem
    assert repo.items == {}


@pytest.mark.parametrize("path", ["/resources/campus-centre", "/resources/" + "x" * 65])
def test_member_delete_is_403(admin: TestClient, path: str) -> None:
    # Given a member / When they delete any id / Then it is forbidden
    assert_problem(admin.delete(path), 403, "forbidden")


def test_org_admin_gets_the_schema_errors(admin: TestClient, caller: Caller) -> None:
    # Given an organisation's admin
    caller.identity = person("org_admin")
    # When they send an empty body / Then the fields are validated
    body = assert_problem(admin.post("/resources", json={}), 422, "invalid-input")
    assert ["body", "id"] in [e["location"] for e in body["errors"]]


def test_org_admin_can_still_write(
    admin: TestClient, caller: Caller, repo: FakeResourcesRepository
) -> None:
    # Given an organisation's admin / When they add a valid entry / Then it is stored
    caller.identity = person("org_admin")
    response = admin.post("/resources", json=raw_entry("campus-centre"))
    assert response.status_code == 201, response.text
    assert list(repo.items) == [(org_scope("school-a"), "campus-centre")]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"languages": ["zh", "Secret-Tag"]}, id="language-tag"),
        pytest.param({"regions": ["Secret Region"]}, id="region"),
        pytest.param({"hours": {"mode": "weekly", "time_zone": "Secret/Zone"}}, id="time-zone"),
        pytest.param({"secret_field": 1}, id="unknown-field"),
    ],
)
def test_admin_problems_do_not_quote_the_body(
    admin: TestClient, caller: Caller, overrides: dict[str, Any]
) -> None:
    # Given an organisation's admin sending one bad value
    caller.identity = person("org_admin")
    # When posted
    response = admin.post("/resources", json=raw_entry("campus-centre", **overrides))
    # Then the problem says where, never what
    assert_problem(response, 422, "invalid-input")
    assert "Secret" not in response.text
    assert "secret" not in response.text


@pytest.mark.parametrize(
    "on_roster",
    [
        pytest.param(None, id="not-on-the-roster"),
        pytest.param("member", id="a-member-on-the-roster"),
        pytest.param("removed", id="removed-from-the-roster"),
    ],
)
def test_an_admin_token_without_the_roster_behind_it_gets_403(
    admin: TestClient,
    repo: FakeResourcesRepository,
    caller: Caller,
    roster: RosterLikeTheToken,
    on_roster: str | None,
) -> None:
    # Given a token that still says org_admin, and a roster that no longer does
    caller.identity = person("org_admin")
    key = ("school-a", caller.identity.user_id)
    if on_roster is None:
        roster.overrides[key] = None
    else:
        role = "org_admin" if on_roster == "removed" else on_roster
        roster.overrides[key] = RosterEntry(*key, role, "x", active=on_roster != "removed")
    # When they write an entry, then the roster decides: 403, and nothing is written
    answer = admin.post("/resources", json=raw_entry("campus-centre"))
    assert_problem(answer, 403, "forbidden")
    assert repo.items == {}
