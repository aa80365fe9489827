"""The resources app in-process: scoping, roles, caching headers, bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.resource_admin.routes import app as admin_app
from functions.resource_admin.routes import repository as admin_repository
from functions.resources.cache import DirectoryCache
from functions.resources.routes import app, directory, repository
from shared.identity import Identity, current_identity
from shared.resources.model import Resource
from shared.resources.repository import PUBLIC
from shared.routing import clock
from tests.support.fakes import Caller, RosterLikeTheToken
from tests.support.resources import FakeResourcesRepository, raw_entry

NOW = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)  # Monday 12:00 in Shanghai


def entry(
    resource_id: str, *, crisis: bool = False, regions: list[str] | None = None
) -> dict[str, Any]:
    return raw_entry(
        resource_id,
        name={"zh-CN": f"{resource_id} 中文", "en": f"{resource_id} English"},
        regions=regions or ["CN"],
        crisis=crisis,
    )


def person(org: str = "school-a", role: str = "member") -> Identity:
    return Identity(
        user_id=f"{role}-{org}", username=role, roles=frozenset({role}), org_id=org, locale="zh-CN"
    )


@pytest.fixture
def repo() -> FakeResourcesRepository:
    fake = FakeResourcesRepository()
    fake.put(PUBLIC, Resource.model_validate(entry("national-line", crisis=True)))
    fake.put(PUBLIC, Resource.model_validate(entry("info-line")))
    return fake


@pytest.fixture(autouse=True)
def roster(caller: Caller, monkeypatch: pytest.MonkeyPatch) -> RosterLikeTheToken:
    """The organisation's roster agrees with the caller's token unless a test says otherwise."""
    return RosterLikeTheToken.installed(caller, monkeypatch)


@pytest.fixture
def caller() -> Caller:
    return Caller(person())


@pytest.fixture
def api(repo: FakeResourcesRepository, caller: Caller) -> Iterator[TestClient]:
    cache = DirectoryCache(repo, ttl=60)
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[directory] = lambda: cache
    app.dependency_overrides[clock] = lambda: lambda: NOW
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


@pytest.fixture
def admin(repo: FakeResourcesRepository, caller: Caller) -> Iterator[TestClient]:
    """The resource-admin function's app, writing to the same table as the lookups read."""
    admin_app.dependency_overrides[current_identity] = caller
    admin_app.dependency_overrides[admin_repository] = lambda: repo
    admin_app.dependency_overrides[clock] = lambda: lambda: NOW
    try:
        yield TestClient(admin_app)
    finally:
        admin_app.dependency_overrides.clear()


def test_list_ranks_crisis_lines_first(api: TestClient) -> None:
    # Given a crisis line and an information line for China
    # When a member lists China's resources
    items = api.get("/resources", params={"region": "CN"}).json()["items"]

    # Then the crisis line leads
    assert [i["id"] for i in items] == ["national-line", "info-line"]


def test_names_follow_the_language_asked(api: TestClient) -> None:
    # Given Accept-Language English
    # When the list is read
    body = api.get("/resources", params={"region": "CN"}, headers={"Accept-Language": "en"}).json()

    # Then the names are English
    assert body["lang"] == "en"
    assert body["items"][0]["name"] == "national-line English"


def test_warm_lookups_read_the_table_once(api: TestClient, repo: FakeResourcesRepository) -> None:
    # Given a member in an organisation
    # When they look up three times
    for _ in range(3):
        api.get("/resources", params={"region": "CN"})

    # Then the public and organisation partitions were read once each
    assert repo.reads == 2


def test_same_list_answers_304_to_its_etag(api: TestClient) -> None:
    # Given a list and its ETag
    first = api.get("/resources", params={"region": "CN"})

    # When the app asks again with If-None-Match
    again = api.get(
        "/resources", params={"region": "CN"}, headers={"If-None-Match": first.headers["etag"]}
    )

    # Then it gets 304 and no body
    assert (first.status_code, again.status_code) == (200, 304)
    assert again.content == b""


def test_admin_entry_is_visible_to_own_organisation_only(
    api: TestClient, admin: TestClient, caller: Caller
) -> None:
    # Given an admin of school-a adds an entry
    caller.identity = person("school-a", "org_admin")
    created = admin.post("/resources", json=entry("campus-centre", regions=["CN-SC"]))

    # When members of school-a and school-b look it up
    caller.identity = person("school-a")
    own = api.get("/resources/campus-centre")
    caller.identity = person("school-b")
    other = api.get("/resources/campus-centre")

    # Then only school-a sees it, stamped with the organisation from the token
    assert created.status_code == 201
    assert created.json()["org_id"] == "school-a"
    assert (own.status_code, other.status_code) == (200, 404)


def test_org_id_in_the_body_is_ignored(api: TestClient, admin: TestClient, caller: Caller) -> None:
    # Given an admin of school-a who claims another organisation in the body
    caller.identity = person("school-a", "org_admin")

    # When they create an entry
    created = admin.post("/resources", json=entry("sneaky") | {"org_id": "school-b"})

    # Then the entry belongs to their own organisation
    assert created.json()["org_id"] == "school-a"


def test_members_cannot_write(api: TestClient, admin: TestClient) -> None:
    # Given a member
    # When they try to add an entry
    response = admin.post("/resources", json=entry("mine"))

    # Then it is forbidden
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_public_id_cannot_be_shadowed(api: TestClient, admin: TestClient, caller: Caller) -> None:
    # Given an admin
    caller.identity = person("school-a", "org_admin")

    # When they reuse a public entry's id
    response = admin.post("/resources", json=entry("national-line"))

    # Then it is a conflict
    assert response.status_code == 409


def test_path_and_body_ids_must_match(api: TestClient, admin: TestClient, caller: Caller) -> None:
    # Given an admin with an entry
    caller.identity = person("school-a", "org_admin")
    admin.post("/resources", json=entry("campus-centre"))

    # When they PUT a body with another id
    response = admin.put("/resources/campus-centre", json=entry("other-id"))

    # Then it is refused
    assert response.status_code == 422


@pytest.mark.parametrize(
    "params",
    [
        {"region": "China!"},
        {"kind": "oracle"},
        {"open_now": "perhaps"},
        {"q": "x" * 65},
        {"updated_since": "yesterday"},
        {"updated_since": "2026-11-01T00:00:00"},
    ],
)
def test_bad_query_is_a_problem(api: TestClient, params: dict[str, str]) -> None:
    # Given a malformed query
    # When the list is asked for
    response = api.get("/resources", params=params)

    # Then it is a 422 problem
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_updated_since_keeps_newer_entries_only(
    api: TestClient, repo: FakeResourcesRepository
) -> None:
    # Given one entry updated after the app's last sync
    newer = Resource.model_validate(entry("fresh") | {"updated_at": "2026-11-20T00:00:00.000Z"})
    repo.put(PUBLIC, newer)

    # When the app asks for what changed since 2026-11-10
    items = api.get(
        "/resources", params={"region": "CN", "updated_since": "2026-11-10T00:00:00Z"}
    ).json()["items"]

    # Then only that entry comes back
    assert [i["id"] for i in items] == ["fresh"]


def test_stale_is_for_org_admins(api: TestClient, admin: TestClient, caller: Caller) -> None:
    # Given a member and then an admin
    as_member = api.get("/resources/stale")
    caller.identity = person("school-a", "org_admin")
    as_admin = api.get("/resources/stale")

    # Then only the admin gets the list
    assert (as_member.status_code, as_admin.status_code) == (403, 200)


def test_own_organisation_entry_shows_outside_the_requested_region(
    api: TestClient, admin: TestClient, caller: Caller
) -> None:
    # Given school-a's centre registered for Sichuan only
    caller.identity = person("school-a", "org_admin")
    admin.post("/resources", json=entry("campus-centre", regions=["CN-SC"]))

    # When a member of school-a (and one of school-b) lists resources for the whole country
    caller.identity = person("school-a")
    own = api.get("/resources", params={"region": "CN"}).json()["items"]
    caller.identity = person("school-b")
    other = api.get("/resources", params={"region": "CN"}).json()["items"]

    # Then school-a's member sees the centre; school-b's member still does not
    assert "campus-centre" in {i["id"] for i in own}
    assert "campus-centre" not in {i["id"] for i in other}
