"""Who may call which route of the organisations API: every route × every role × own or
another organisation, and the roster (not the token) having the last word.

The route list comes from the app itself, so a route added without an entry in ROUTES
fails here. Calls that are refused, and reads, run against one seeded world shared by
the module (a refused call must leave it as it was: no audit record appears); calls that
are allowed to write get a freshly seeded world each.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.errors import PROBLEM_TYPE_BASE
from tests.support.orgs import (
    NOW,
    ROLES,
    TODAY,
    Cloud,
    World,
    app,
    orgs_cloud,
    orgs_world,
    wired,
)

ADMIN = frozenset({"org_admin"})
STAFF = frozenset({"org_admin", "counsellor"})
EVERYONE = frozenset(ROLES)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
IMPORT_ID = "6f1d7e9a-2b7c-4c1e-9a57-0d6b1f0e4a21"
OVERRIDE_DAY = (TODAY + dt.timedelta(days=3)).isoformat()
CSV = (
    "display_name,email,phone,role,unit_path\n"
    "New Pupil,new.pupil@school.example,,member,Grade 7/Class 7-1\n"
)


@dataclass(frozen=True)
class Call:
    path: str  # after /orgs/{org_id}, or absolute when it starts with "//"
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    allowed: frozenset[str]
    success: int
    call: Callable[[World], Call]
    setup: Callable[[World], None] | None = None  # state the allowed call needs


def _import_record(world: World) -> None:
    world.repo.create_import(
        world.org,
        {
            "import_id": IMPORT_ID,
            "total": 1,
            "done": 0,
            "enrolled": 0,
            "already_enrolled": 0,
            "rejected": [],
            "chunks_total": 1,
            "created_by": world.people["admin"].user_id,
            "created_at": "2026-11-24T01:00:00.000Z",
            "updated_at": "2026-11-24T01:00:00.000Z",
        },
    )


def _override(world: World) -> None:
    day = dt.date.fromisoformat(OVERRIDE_DAY)
    world.repo.save_override(world.org, day, {"date": OVERRIDE_DAY, "slots": [], "note": "Trip"})


def _slot(world: World) -> dict[str, str]:
    return {
        "start": "08:00",
        "end": "20:00",
        "primary": world.people["counsellor"].user_id,
        "duty_officer": world.people["admin"].user_id,
    }


def _uid(key: str) -> Callable[[World], str]:
    return lambda world: world.people[key].user_id


member, supporter, counsellor = _uid("member"), _uid("supporter"), _uid("counsellor")

# (method, OpenAPI path) → who may call it and a call that succeeds for them.
ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/orgs/me"): Route(EVERYONE, 200, lambda w: Call("//orgs/me")),
    ("GET", "/orgs/{org_id}"): Route(STAFF, 200, lambda w: Call("")),
    ("PATCH", "/orgs/{org_id}"): Route(
        ADMIN, 200, lambda w: Call("", json={"name": "Demo School North"})
    ),
    ("POST", "/orgs/{org_id}/units"): Route(
        ADMIN,
        201,
        lambda w: Call("/units", json={"name": "7-3", "kind": "class", "parent_id": "g7"}),
    ),
    ("GET", "/orgs/{org_id}/units"): Route(STAFF, 200, lambda w: Call("/units")),
    ("PATCH", "/orgs/{org_id}/units/{unit_id}"): Route(
        ADMIN, 200, lambda w: Call("/units/c72", json={"name": "Class 7-2 North"})
    ),
    ("DELETE", "/orgs/{org_id}/units/{unit_id}"): Route(ADMIN, 204, lambda w: Call("/units/c72")),
    ("PUT", "/orgs/{org_id}/units/{unit_id}/supporters"): Route(
        ADMIN, 200, lambda w: Call("/units/c71/supporters", json={"supporters": [supporter(w)]})
    ),
    ("POST", "/orgs/{org_id}/invitations"): Route(
        ADMIN,
        201,
        lambda w: Call(
            "/invitations",
            json={
                "display_name": "New Pupil",
                "email": "new.pupil@school.example",
                "role": "member",
                "unit_id": "c71",
            },
        ),
    ),
    ("GET", "/orgs/{org_id}/people"): Route(ADMIN, 200, lambda w: Call("/people")),
    ("GET", "/orgs/{org_id}/people/{user_id}"): Route(
        ADMIN, 200, lambda w: Call(f"/people/{member(w)}")
    ),
    ("PATCH", "/orgs/{org_id}/people/{user_id}"): Route(
        ADMIN, 200, lambda w: Call(f"/people/{member(w)}", json={"unit_id": "c72"})
    ),
    ("DELETE", "/orgs/{org_id}/people/{user_id}"): Route(
        ADMIN, 204, lambda w: Call(f"/people/{member(w)}")
    ),
    ("POST", "/orgs/{org_id}/people/{user_id}/training"): Route(
        ADMIN,
        201,
        lambda w: Call(
            f"/people/{supporter(w)}/training",
            json={
                "course": "Peer support basics",
                "completed_on": "2026-11-20",
                "valid_until": "2027-11-20",
                "trainer": "Red Cross",
            },
        ),
    ),
    ("PUT", "/orgs/{org_id}/people/{user_id}/supervisor"): Route(
        ADMIN,
        200,
        lambda w: Call(f"/people/{supporter(w)}/supervisor", json={"supervisor_id": counsellor(w)}),
    ),
    ("GET", "/orgs/{org_id}/supporters"): Route(ADMIN, 200, lambda w: Call("/supporters")),
    ("POST", "/orgs/{org_id}/imports"): Route(
        ADMIN,
        202,
        lambda w: Call("/imports", content=CSV.encode(), headers={"Content-Type": "text/csv"}),
    ),
    ("GET", "/orgs/{org_id}/imports/{id}"): Route(
        ADMIN, 200, lambda w: Call(f"/imports/{IMPORT_ID}"), setup=_import_record
    ),
    ("PUT", "/orgs/{org_id}/rota"): Route(
        ADMIN,
        200,
        lambda w: Call(
            "/rota",
            json={
                "slots": [{"day": "tue", **_slot(w)}],
                "fallback_duty_officer": w.people["admin"].user_id,
            },
        ),
    ),
    ("GET", "/orgs/{org_id}/rota"): Route(STAFF, 200, lambda w: Call("/rota")),
    ("PUT", "/orgs/{org_id}/rota/overrides/{date}"): Route(
        ADMIN,
        200,
        lambda w: Call(f"/rota/overrides/{OVERRIDE_DAY}", json={"slots": [_slot(w)]}),
    ),
    ("DELETE", "/orgs/{org_id}/rota/overrides/{date}"): Route(
        ADMIN, 204, lambda w: Call(f"/rota/overrides/{OVERRIDE_DAY}"), setup=_override
    ),
    ("GET", "/orgs/{org_id}/rota/now"): Route(
        STAFF, 200, lambda w: Call("/rota/now", params={"at": NOW.isoformat()})
    ),
    ("GET", "/orgs/{org_id}/audit"): Route(ADMIN, 200, lambda w: Call("/audit")),
    # Everyone's own access log; it names no organisation and shows no one else's.
    ("GET", "/me/access-log"): Route(EVERYONE, 200, lambda w: Call("//me/access-log")),
}
NO_ORG_IN_PATH = ("/orgs/me", "/me/access-log")

OPERATIONS = sorted(
    (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
)
CASES = [
    pytest.param(method, path, role, whose, id=f"{method} {path} {role} {whose}")
    for method, path in OPERATIONS
    for role in ROLES
    for whose in ("own", "other")
    if not (path in NO_ORG_IN_PATH and whose == "other")
]


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    with orgs_cloud() as made:
        yield made


@pytest.fixture(scope="module")
def shared_world(cloud: Cloud) -> Iterator[World]:
    world = World(cloud)
    _import_record(world)
    _override(world)
    yield world
    world.close()


def send(world: World, method: str, call: Call) -> httpx.Response:
    url = call.path[1:] if call.path.startswith("//") else world.url(call.path)
    return world.api.request(
        method,
        url,
        json=call.json,
        content=call.content,
        headers=call.headers,
        params=call.params,
    )


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == PROBLEM_TYPE_BASE + slug


@pytest.mark.parametrize(("method", "path", "role", "whose"), CASES)
def test_route_answers_by_role_and_organisation(
    method: str,
    path: str,
    role: str,
    whose: str,
    cloud: Cloud,
    shared_world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    route = ROUTES.get((method, path))
    assert route is not None, f"{method} {path} has no entry in ROUTES: say who may call it"
    allowed = whose == "own" and role in route.allowed
    fresh = allowed and method != "GET"
    with orgs_world(cloud, monkeypatch) if fresh else wired(shared_world, monkeypatch) as world:
        if fresh and route.setup is not None:
            route.setup(world)
        # Given a caller of that role, in the path's organisation or in another one
        world.as_(world.seeded(role, other_org=whose == "other"))
        cognito_calls = len(world.cognito.calls)
        # When they call the route with a request that is valid for an allowed caller
        with world.count_calls() as dynamodb:
            response = send(world, method, route.call(world))
        # Then another organisation's caller is told it does not exist, a role that is not
        # allowed is refused (and nothing is written, not even an audit record), and an
        # allowed one succeeds
        if whose == "other":
            assert_problem(response, 404, "not-found")
        elif not allowed:
            assert_problem(response, 403, "forbidden")
        else:
            assert response.status_code == route.success, response.text
        if not allowed:
            assert not WRITES & set(dynamodb.names), dynamodb.names
            assert world.cognito.calls[cognito_calls:] == []


def test_every_entry_of_routes_is_a_route_of_the_app() -> None:
    # Given the app's operations
    # When the authorisation table is compared with them
    # Then it names no route that is gone
    assert set(ROUTES) <= set(OPERATIONS)


def _promotion_not_in_token_yet(world: World) -> None:
    world.as_(world.people["admin"], roles=("member",))


def _role_changed(world: World) -> None:
    world.repo.update_person(world.org, world.people["admin"].user_id, {"role": "member"})


def _removed(world: World) -> None:
    world.repo.update_person(world.org, world.people["admin"].user_id, {"status": "removed"})


def _not_on_roster(world: World) -> None:
    stranger = world.people["admin"]
    world.caller.identity = world.identity(stranger).model_copy(
        update={"user_id": str(uuid.uuid4()), "username": "stranger@school.example"}
    )


def _token_of_another_org(world: World) -> None:
    world.as_(world.people["admin"], org_id=world.other_org)


@pytest.mark.parametrize(
    ("change", "status", "slug"),
    [
        pytest.param(_role_changed, 403, "forbidden", id="token-admin-roster-member"),
        pytest.param(_promotion_not_in_token_yet, 403, "forbidden", id="token-member-roster-admin"),
        pytest.param(_removed, 403, "forbidden", id="token-admin-roster-removed"),
        pytest.param(_not_on_roster, 403, "forbidden", id="token-admin-not-on-roster"),
        pytest.param(_token_of_another_org, 404, "not-found", id="token-org-differs-from-path"),
    ],
)
def test_caller_needs_the_role_in_both_token_and_roster_and_the_token_org(
    change: Callable[[World], None],
    status: int,
    slug: str,
    cloud: Cloud,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with orgs_world(cloud, monkeypatch) as world:
        # Given a caller whose token and roster entry disagree on their role or organisation
        change(world)
        # When they read the roster
        response = world.api.get(world.url("/people"))
        # Then they are refused, or told the organisation does not exist
        assert_problem(response, status, slug)
        assert world.audit_actions() == []


@pytest.mark.parametrize(
    ("caller", "status", "slug"),
    [("member", 403, "forbidden"), ("other_org_admin", 404, "not-found")],
)
def test_caller_is_checked_before_the_body_is_read(
    caller: str, status: int, slug: str, shared_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wired(shared_world, monkeypatch) as world:
        # Given a caller who may not add units here
        world.as_(world.people[caller])
        # When they send a body that is not valid either
        response = world.api.post(world.url("/units"), json={"name": "", "colour": "red"})
        # Then they learn only that they may not: not what the body lacks
        assert_problem(response, status, slug)
