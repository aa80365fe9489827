"""Hostile input to every organisations route, as an org admin of the organisation: always
an answer below 500, and every refusal a problem+json (never a stack trace or a 5xx).

Each route's valid call (from the authorisation table) is bent one way at a time: the
body replaced or one of its fields given a wrong value, a path id made absurd, a query
parameter given nonsense.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.orgs import Cloud, World, wired
from tests.unit.test_orgs_authorisation import ROUTES, Call, _import_record, _override, send

WRONG_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    12345,
    -1,
    True,
    [],
    {},
    "\u202egnp.exe",
    "2026-13-45",
    "../../etc/passwd",
    "' OR 1=1 --",
]
WRONG_BODIES: list[Any] = [[], "text", 7, None, {}, {"surprise": 1}, [[[[[[[]]]]]]]]
WRONG_IDS = [
    "x" * 300,
    "..",
    "a b",
    "ünï",
    "1;DROP TABLE",
    "%2e%2e",
    "-",
    "0001-01-01",
    "9999-12-31",
]
WRONG_QUERIES = {
    "limit": ["0", "-1", "abc", "100000"],
    "cursor": ["garbage", "a.b.c", "x" * 3000],
    "at": [
        "yesterday",
        "2026-11-24T25:00:00Z",
        "2026-11-24T10:00:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:00Z",
        "0001-01-01T00:00:00+14:00",
    ],
    "expiring_within": ["-5", "x", "99999"],
    "unit": ["x" * 100, "??"],
    "role": ["king", ""],
    "from": ["2026", "x"],
    "to": ["2026-01-01", "soon"],
    "actor": ["x" * 200],
}


def _bent_calls(world: World, call: Call) -> Iterator[tuple[str, Call]]:
    if isinstance(call.json, dict):
        for body in WRONG_BODIES:
            yield f"body={body!r:.20}", dataclasses.replace(call, json=body)
        for name in call.json:
            for value in WRONG_VALUES:
                bent = {**call.json, name: value}
                yield f"{name}={value!r:.20}", dataclasses.replace(call, json=bent)
    segments = call.path.split("/")
    if len(segments) > 2 and not call.path.startswith("//"):
        for wrong in WRONG_IDS:
            path = "/".join([*segments[:-1], wrong]) if segments[-1] else call.path
            yield f"id={wrong:.20}", dataclasses.replace(call, path=path)
    for name, values in WRONG_QUERIES.items():
        for value in values:
            yield (
                f"{name}={value:.20}",
                dataclasses.replace(call, params={**call.params, name: value}),
            )


CASES = [
    pytest.param(method, path, id=f"{method} {path}")
    for (method, path), route in sorted(ROUTES.items())
    if "org_admin" in route.allowed
]


@pytest.fixture(scope="module")
def hostile_world(cloud: Cloud) -> Iterator[World]:
    world = World(cloud)
    _import_record(world)
    _override(world)
    yield world
    world.close()


@pytest.mark.parametrize(("method", "path"), CASES)
def test_hostile_input_gets_a_4xx_problem_never_a_5xx(
    method: str, path: str, hostile_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wired(hostile_world, monkeypatch) as world:
        # Given the organisation's admin and the route's valid call
        world.as_(world.seeded("org_admin"))
        valid = ROUTES[(method, path)].call(world)
        failures = []
        # When each bent variant of it is sent
        for label, call in _bent_calls(world, valid):
            response = send(world, method, call)
            # Then the answer is below 500, and a refusal is problem+json
            content_type = response.headers.get("content-type", "")
            if response.status_code >= 500 or (
                response.status_code >= 400 and not content_type.startswith("application/problem")
            ):
                failures.append(f"{label}: {response.status_code} {response.text[:120]}")
        assert failures == []
