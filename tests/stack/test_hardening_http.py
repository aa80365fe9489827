"""The hardening baseline over HTTP: gateway problems, hostile text, extreme dates, headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert {"type", "title", "detail"} <= body.keys()
    assert body.get("status", status) == status  # API Gateway's catch-all 4xx names none
    return dict(body)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "me"), ("POST", "checkins"), ("GET", "journal/entries")],
)
def test_gateway_refusal_without_a_token_is_401_problem_json(
    api: httpx.Client, method: str, path: str
) -> None:
    # Given no token / When a protected route is called
    response = api.request(method, path)

    # Then API Gateway itself answers in the problem+json shape
    body = assert_problem(response, 401)
    assert str(body["type"]).endswith("/unauthorized")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "no-such-route"),
        ("PATCH", "checkins"),  # a route that exists, a method it does not have
        ("GET", "journal/entries/a%2Fb"),  # an id with an encoded slash
    ],
)
def test_unknown_routes_and_methods_are_404_problem_json(
    api: httpx.Client, new_member: Callable[..., dict[str, str]], method: str, path: str
) -> None:
    # Given a signed-in member
    auth = new_member()

    # When they call something the API does not have
    response = api.request(method, path, headers=auth)

    # Then the answer is a 404 problem, never "Missing Authentication Token"
    assert response.status_code in (404, 405), response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "Missing Authentication Token" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"mood": 3, "note": "a\\u0000b"}',  # NUL
        b'{"mood": 3, "note": "\\ud800"}',  # a lone surrogate
        b'{"mood": 3, "note": "\xff\xfe"}',  # not UTF-8
    ],
)
def test_unreadable_text_is_400_and_stores_nothing(
    api: httpx.Client, new_member: Callable[..., dict[str, str]], body: bytes
) -> None:
    # Given a member
    auth = new_member() | {"Content-Type": "application/json"}

    # When a check-in carries text no one can read back faithfully
    response = api.post("checkins", headers=auth, content=body)

    # Then it is refused and nothing was saved
    assert_problem(response, 400)
    assert api.get("checkins", headers=auth).json()["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "journal/entries?from=0001-01-01",
        "journal/entries?to=9999-12-31",
        "checkins?from=0001-01-01&to=9999-12-31",
    ],
)
def test_extreme_dates_never_answer_500(
    api: httpx.Client, new_member: Callable[..., dict[str, str]], query: str
) -> None:
    # Given a member / When they list with dates at the ends of the calendar
    response = api.get(query, headers=new_member())

    # Then the answer is a page or a 4xx problem, never a server error
    assert response.status_code < 500, response.text


def test_a_member_posting_to_the_admin_route_gets_403_before_any_validation(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member (not an org admin)
    # When they post an empty body to the directory's admin route
    response = api.post("resources", headers=new_member(), json={})

    # Then they are told they may not, without seeing the admin schema
    body = assert_problem(response, 403)
    assert "errors" not in body


def test_personal_responses_are_not_stored_by_caches_or_sniffed(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member
    auth = new_member()

    # When they read their profile and write a check-in
    responses = [api.get("me", headers=auth), api.post("checkins", headers=auth, json={"mood": 3})]

    # Then neither may be kept by a cache, nor its type guessed
    for response in responses:
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_display_name_with_a_bidi_override_is_refused(
    api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> None:
    # Given a member
    auth = new_member()

    # When they choose a name that would render reversed
    response = api.put("me", headers=auth, json={"display_name": "Mei\u202egnp.exe"})

    # Then it is refused, and the problem does not echo the name
    body = assert_problem(response, 422)
    assert "gnp" not in str(body)
