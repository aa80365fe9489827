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


def test_bad_crisis_input_is_a_problem_and_changes_nothing(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Callable[..., dict[str, str]],
    login: Callable[..., dict[str, str]],
) -> None:
    from tests.support.crisis_stack import case_of, enrol_on_roster, until

    # Given a member with a case and a counsellor of their organisation
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    counsellor = login("counsellor-wang")
    assert api.post("help", headers=member, json={}).status_code == 202
    case_id = until(lambda: case_of(api, counsellor, user_id), "the case is listed")["case_id"]
    bad = [
        (member, "POST", "help", {"text": "x" * 2001}, 422),
        (member, "POST", "help", '{"text": ', 400),
        (member, "POST", "screenings/cssrs", {"q1": True, "q2": True, "q6": False}, 422),
        (member, "POST", "screenings/cssrs", {"q1": "yes", "q2": False, "q6": False}, 422),
        (member, "PUT", "me/safety-plan", {"coping_steps": ["x"] * 21}, 422),
        (member, "PUT", "me/safety-plan", {"unknown": []}, 422),
        (counsellor, "POST", f"cases/{case_id}/notes", {"text": "   "}, 422),
        (counsellor, "POST", f"cases/{case_id}/notes", {"text": "n" * 4001}, 422),
        (counsellor, "POST", f"cases/{case_id}/contacts", {"who": "family"}, 422),
        (counsellor, "POST", f"cases/{case_id}/referral", {"to": "", "kind": "x"}, 422),
        (counsellor, "POST", f"cases/{case_id}/close", {"outcome": {"watch_level": 4}}, 422),
        (counsellor, "GET", "cases?status=lost", None, 422),
        (counsellor, "GET", "cases?cursor=forged", None, 400),
    ]
    for who, method, path, body, status in bad:
        # When each bad request is sent
        if isinstance(body, str):
            headers = who | {"Content-Type": "application/json"}
            answer = api.request(method, path, headers=headers, content=body)
        else:
            answer = api.request(method, path, headers=who, json=body)
        # Then it is a problem with a clear status, never a 5xx
        assert answer.status_code == status, (method, path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["title"] and answer.json()["status"] == status
    # And nothing was stored: no note, contact or referral, no safety plan
    case = api.get(f"cases/{case_id}", headers=counsellor).json()
    assert (case["notes"], case["contacts"], case["referrals"]) == ([], [], [])
    assert api.get("me/safety-plan", headers=member).status_code == 404
