"""The accounts HTTP contract (health and the caller's profile), in-process with fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.accounts import routes
from functions.accounts.routes import app, repository, workflows
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity, verified_identity
from shared.routing import clock
from shared.settings import AccountsSettings
from tests.support.fakes import (
    Caller,
    FakeAccountsRepository,
    FakeWorkflows,
    MovableClock,
    member,
)

FIRST_USE = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def repo() -> FakeAccountsRepository:
    return FakeAccountsRepository()


@pytest.fixture
def caller() -> Caller:
    return Caller(member("user-a", zoneinfo="Europe/London", locale=None))


@pytest.fixture
def now() -> MovableClock:
    return MovableClock(FIRST_USE)


@pytest.fixture
def flows() -> FakeWorkflows:
    return FakeWorkflows()


@pytest.fixture
def api(
    repo: FakeAccountsRepository,
    flows: FakeWorkflows,
    caller: Caller,
    now: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[verified_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: now
    app.dependency_overrides[workflows] = lambda: flows
    monkeypatch.setattr(
        routes,
        "settings",
        lambda _model: AccountsSettings(accounts_table="accounts", user_pool_id="pool"),
    )
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert (body["type"], body["status"]) == (PROBLEM_TYPE_BASE + slug, status)


# --- GET /health -------------------------------------------------------------------------


def test_health_is_ok_without_any_token_or_dependency() -> None:
    # Given no identity, repository or clock overrides (and no AWS at all)
    client = TestClient(app)
    # When health is asked for
    response = client.get("/health")
    # Then it is ok
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_me_without_verified_claims_is_401_problem() -> None:
    # Given a request that no authorizer vouched for
    client = TestClient(app)
    # When the profile is asked for
    # Then it is an unauthorized problem
    assert_problem(client.get("/me"), 401, "unauthorized")


# --- GET /me -----------------------------------------------------------------------------


def test_first_get_me_creates_the_profile_from_the_token(
    api: TestClient, repo: FakeAccountsRepository
) -> None:
    # Given a member whose token carries zoneinfo Europe/London and no locale, and no profile
    # When the profile is asked for the first time
    response = api.get("/me")
    # Then it is created from the token, with the default locale zh-CN
    assert response.status_code == 200
    assert response.json() == {
        "user_id": "user-a",
        "username": "user-a",
        "role": "member",
        "roles": ["member"],
        "org_id": "org-1",
        "display_name": None,
        "time_zone": "Europe/London",
        "locale": "zh-CN",
        "region_code": None,
        "journal_retention_days": None,
        "created_at": "2026-05-01T18:00:00.000Z",
        "updated_at": "2026-05-01T18:00:00.000Z",
    }
    assert list(repo.profiles) == ["user-a"]


def test_first_get_me_without_zoneinfo_uses_the_deployment_default_zone(
    api: TestClient, caller: Caller
) -> None:
    # Given a token without zoneinfo but with a locale
    caller.identity = member("user-a", zoneinfo=None, locale="en-GB")
    # When the profile is created
    body = api.get("/me").json()
    # Then the zone is the default (Asia/Shanghai) and the locale is the token's
    assert (body["time_zone"], body["locale"]) == ("Asia/Shanghai", "en-GB")


def test_later_get_me_returns_the_same_profile(
    api: TestClient, repo: FakeAccountsRepository, now: MovableClock
) -> None:
    # Given a profile created on first use
    first = api.get("/me").json()
    # When asked for again a day later
    now.now = FIRST_USE + dt.timedelta(days=1)
    again = api.get("/me").json()
    # Then it is the same profile, not a new one
    assert again == first
    assert len(repo.profiles) == 1


def test_role_org_and_username_come_from_the_token_not_the_stored_profile(
    api: TestClient, repo: FakeAccountsRepository
) -> None:
    # Given a stored profile that claims another role, organisation and username
    repo.profiles["user-a"] = {
        "user_id": "user-a",
        "username": "someone-else",
        "role": "org_admin",
        "roles": ["org_admin"],
        "org_id": "org-evil",
        "time_zone": "Europe/London",
        "locale": "zh-CN",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    }
    # When the member reads and then updates the profile
    read = api.get("/me").json()
    written = api.put("/me", json={"display_name": "Mei"}).json()
    # Then both responses carry the token's role, organisation and username
    for body in (read, written):
        assert (body["role"], body["roles"], body["org_id"], body["username"]) == (
            "member",
            ["member"],
            "org-1",
            "user-a",
        )


def test_primary_role_is_the_most_privileged_of_the_tokens_groups(
    api: TestClient, caller: Caller
) -> None:
    # Given a counsellor who is also a member
    caller.identity = member("user-a", roles=("member", "counsellor"))
    # When the profile is read
    body = api.get("/me").json()
    # Then the role is counsellor and both roles are listed, sorted
    assert (body["role"], body["roles"]) == ("counsellor", ["counsellor", "member"])


# --- PUT /me -----------------------------------------------------------------------------


def test_put_me_sets_every_field(api: TestClient, repo: FakeAccountsRepository) -> None:
    # Given an existing profile
    api.get("/me")
    # When all four fields are set
    update = {
        "display_name": "Mei",
        "time_zone": "Asia/Shanghai",
        "locale": "zh-Hans-CN",
        "region_code": "CN-SC",
    }
    response = api.put("/me", json=update)
    # Then the response and the stored profile have the new values
    assert response.status_code == 200
    assert update.items() <= response.json().items()
    assert update.items() <= repo.profiles["user-a"].items()


def test_put_me_keeps_fields_it_does_not_mention(api: TestClient, now: MovableClock) -> None:
    # Given a profile with a display name and a region
    api.put("/me", json={"display_name": "Mei", "region_code": "CN-SC"})
    # When only the locale is changed, later
    now.now = FIRST_USE + dt.timedelta(hours=1)
    body = api.put("/me", json={"locale": "en-GB"}).json()
    # Then the other fields keep their values and updated_at moves
    assert (body["display_name"], body["region_code"], body["locale"]) == ("Mei", "CN-SC", "en-GB")
    assert (body["time_zone"], body["created_at"], body["updated_at"]) == (
        "Europe/London",
        "2026-05-01T18:00:00.000Z",
        "2026-05-01T19:00:00.000Z",
    )


def test_put_me_before_any_get_creates_the_profile_with_token_defaults(api: TestClient) -> None:
    # Given no stored profile yet
    # When the display name is set
    body = api.put("/me", json={"display_name": "  Mei  "}).json()
    # Then the rest comes from the token and the name is trimmed
    assert (body["display_name"], body["time_zone"], body["locale"]) == (
        "Mei",
        "Europe/London",
        "zh-CN",
    )


@pytest.mark.parametrize(
    ("update", "mirrored"),
    [
        pytest.param({"time_zone": "Asia/Tokyo"}, {"zoneinfo": "Asia/Tokyo"}, id="time-zone"),
        pytest.param({"locale": "en-GB"}, {"locale": "en-GB"}, id="locale"),
        pytest.param(
            {"time_zone": "Asia/Tokyo", "locale": "en-GB"},
            {"zoneinfo": "Asia/Tokyo", "locale": "en-GB"},
            id="both",
        ),
        pytest.param({"region_code": "GB-ENG"}, {"custom:region": "GB-ENG"}, id="region"),
    ],
)
def test_changed_zone_locale_or_region_is_mirrored_to_the_token(
    api: TestClient,
    caller: Caller,
    repo: FakeAccountsRepository,
    update: dict[str, str],
    mirrored: dict[str, str],
) -> None:
    # Given a token that carries the stored zone and locale
    caller.identity = member("user-a", zoneinfo="Europe/London", locale="zh-CN")
    api.get("/me")
    # When the zone or locale changes
    api.put("/me", json=update)
    # Then exactly the changed claims are written to the Cognito user
    assert repo.mirrored == [("user-a", mirrored)]


@pytest.mark.parametrize(
    "update",
    [
        pytest.param({"display_name": "Mei"}, id="display-name"),
        pytest.param({"time_zone": "Europe/London", "locale": "zh-CN"}, id="same-values"),
    ],
)
def test_nothing_is_mirrored_when_token_claims_are_unchanged(
    api: TestClient, caller: Caller, repo: FakeAccountsRepository, update: dict[str, str]
) -> None:
    # Given a token that carries the stored zone and locale
    caller.identity = member("user-a", zoneinfo="Europe/London", locale="zh-CN")
    api.get("/me")
    # When other fields change, or zone and locale are sent unchanged
    api.put("/me", json=update)
    # Then nothing is written to Cognito
    assert repo.mirrored == []


@pytest.mark.parametrize(
    "update",
    [
        pytest.param({"time_zone": "Mars/Olympus"}, id="unknown-zone"),
        pytest.param({"time_zone": "../etc/passwd"}, id="path-zone"),
        pytest.param({"time_zone": ""}, id="empty-zone"),
        pytest.param({"locale": "english"}, id="locale-english"),
        pytest.param({"locale": "zh_CN"}, id="locale-underscore"),
        pytest.param({"region_code": "cn-sc"}, id="region-lowercase"),
        pytest.param({"display_name": "x" * 65}, id="display-name-65"),
        pytest.param({"display_name": "   "}, id="display-name-blank"),
        pytest.param({"role": "org_admin"}, id="unknown-field-role"),
        pytest.param({"nickname": "Mei"}, id="unknown-field"),
    ],
)
def test_bad_profile_update_is_422_and_changes_nothing(
    api: TestClient, repo: FakeAccountsRepository, update: dict[str, Any]
) -> None:
    # Given an existing profile
    before = api.get("/me").json()
    # When a bad update is sent
    response = api.put("/me", json=update)
    # Then it is an invalid-input problem, and neither the profile nor the token changes
    assert_problem(response, 422, "invalid-input")
    assert api.get("/me").json() == before
    assert repo.mirrored == []


def test_region_name_as_time_zone_is_422(api: TestClient) -> None:
    # Given a region name rather than a zone
    client = TestClient(app, raise_server_exceptions=False)
    # When set as the time zone
    response = client.put("/me", json={"time_zone": "Asia"})
    # Then it is refused as invalid input, not a server error
    assert_problem(response, 422, "invalid-input")


# --- data rights ---------------------------------------------------------------------------


def test_retention_choice_is_kept_on_the_profile(
    api: TestClient, repo: FakeAccountsRepository
) -> None:
    # Given a member
    # When they keep journal entries for 30 days, then for ever
    kept = api.put("/me", json={"journal_retention_days": 30}).json()
    api.put("/me", json={"journal_retention_days": None})

    # Then the profile showed it, and now holds no retention (the journal reads the stream)
    assert kept["journal_retention_days"] == 30
    assert "journal_retention_days" not in repo.profiles["user-a"]


@pytest.mark.parametrize("days", [0, 3651, -1, "30", 1.5])
def test_bad_retention_is_422(api: TestClient, days: Any) -> None:
    # Given a retention outside 1-3650 whole days
    # When it is sent
    response = api.put("/me", json={"journal_retention_days": days})

    # Then it is refused
    assert_problem(response, 422, "invalid-input")


def test_delete_me_starts_the_erasure_workflow_and_answers_202(
    api: TestClient, flows: FakeWorkflows
) -> None:
    # Given a member
    # When they ask to be erased
    response = api.delete("/me")

    # Then the erasure workflow runs for them and the answer says so at once
    assert response.status_code == 202
    assert response.json()["status"] == "erasing"
    assert flows.erasures == [(response.json()["id"], "user-a", "user-a")]


def test_delete_me_twice_runs_the_erasure_twice(api: TestClient, flows: FakeWorkflows) -> None:
    # Given a member who asked to be erased
    first = api.delete("/me").json()["id"]

    # When they ask again
    second = api.delete("/me").json()["id"]

    # Then a second run starts: a retry is never a silent no-op
    assert first != second
    assert [run[0] for run in flows.erasures] == [first, second]


def test_export_starts_a_workflow_and_answers_202_with_its_id(
    api: TestClient, flows: FakeWorkflows
) -> None:
    # Given a member
    # When they ask for an export
    response = api.post("/me/exports")

    # Then it runs in the background and the answer tells where to look
    assert response.status_code == 202
    export_id = response.json()["id"]
    assert response.headers["location"] == f"me/exports/{export_id}"
    assert flows.exports[export_id] == ("user-a", "running")
    assert api.get(f"/me/exports/{export_id}").json()["status"] == "running"


def test_a_ready_export_gives_a_link_that_expires_in_15_minutes(
    api: TestClient, flows: FakeWorkflows, now: MovableClock
) -> None:
    # Given a member's finished export
    flows.exports["0b5c3d8e-0000-4000-8000-000000000001"] = ("user-a", "ready")

    # When they ask for it
    body = api.get("/me/exports/0b5c3d8e-0000-4000-8000-000000000001").json()

    # Then it is ready with a link, valid 15 minutes from now
    assert body["status"] == "ready"
    assert body["url"].endswith(".zip")
    assert body["url_expires_at"] == "2026-05-01T18:15:00.000Z"


def test_another_members_export_is_404(api: TestClient, flows: FakeWorkflows) -> None:
    # Given an export that belongs to someone else
    flows.exports["0b5c3d8e-0000-4000-8000-000000000002"] = ("user-b", "ready")

    # When this member asks for it
    response = api.get("/me/exports/0b5c3d8e-0000-4000-8000-000000000002")

    # Then it looks exactly like no export at all
    assert_problem(response, 404, "not-found")
