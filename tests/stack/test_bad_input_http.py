"""Bad input over HTTP: a 4xx problem+json, never a 5xx, and nothing stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

FUTURE = (dt.date.today() + dt.timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"mood": 6}, 422),
        ({"mood": "3"}, 422),
        ({"mood": 3, "sleep_hours": 25}, 422),
        ({"mood": 3, "tags": ["x"] * 11}, 422),
        ({"mood": 3, "note": "n" * 1001}, 422),
        ({"mood": 3, "unknown": True}, 422),
        ({"mood": 3, "instruments": {"phq9": [0, 1]}}, 422),
        ({"mood": 3, "date": FUTURE}, 422),
        ({"mood": 3, "date": "2026-02-30"}, 422),
        ('{"mood": 3', 400),
        ({"mood": 3, "note": "n" * 20_000}, 413),
    ],
)
def test_bad_checkins_get_a_problem_and_store_nothing(
    api: httpx.Client, new_member: Callable[..., dict[str, str]], body: Any, status: int
) -> None:
    # Given a fresh member
    auth = new_member() | {"Content-Type": "application/json"}
    content = body if isinstance(body, str) else httpx.Request("POST", "/", json=body).content

    # When they send a bad check-in
    response = api.post("checkins", headers=auth, content=content)

    # Then it is a 4xx problem and nothing was stored
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert api.get("checkins", headers=auth).json()["items"] == []


def test_unknown_time_zone_in_profile_is_refused(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a fresh member
    auth = new_member()

    # When they set a zone that does not exist
    response = api.put("me", headers=auth, json={"time_zone": "Mars/Olympus"})

    # Then it is a 422 problem
    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-input")


def test_malformed_date_in_path_is_a_problem_not_a_crash(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a fresh member
    auth = new_member()

    # When the path holds no date
    response = api.get("checkins/yesterday", headers=auth)

    # Then it is a 422 problem
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
