"""Problems never echo what was sent, and every response keeps personal data out of caches.

`errors` says where (known fields only) and why; an unknown field is reported at
["body"], a made-up dict key as "[key]", a message quoting the input is replaced.
Every response carries `X-Content-Type-Options: nosniff` and, unless the route set
its own caching, `Cache-Control: no-store`: successes, problems, 404s, 500s alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import httpx
import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from functions.checkins import routes as checkins
from functions.resources import routes as resources
from functions.resources.cache import DirectoryCache
from shared.errors import PROBLEM_TYPE_BASE, InvalidInput
from shared.http import create_app
from shared.identity import current_identity
from tests.support.fakes import FakeCheckinsRepository, member
from tests.support.resources import FakeResourcesRepository

SECRET = "secret-words-of-the-member"


def _plain(value: str) -> str:
    if value.startswith("bad"):
        raise ValueError(f"{value!r} is not allowed here")  # a validator that quotes the input
    return value


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, Field(max_length=10)] = ""
    label: Annotated[str, AfterValidator(_plain)] = ""
    scores: dict[Literal["phq9", "gad7"], int] = {}
    ref: uuid.UUID | None = None
    contact: Contact | None = None


app = create_app("Problem details test app")


@app.post("/entries")
def post_entry(entry: Entry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


@app.get("/entries/cached")
def cached(response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "private, max-age=60"
    return {"public": True}


@app.get("/entries/refused")
def refused() -> dict[str, Any]:
    raise InvalidInput("Refused.")


@app.get("/entries/broken")
def broken() -> dict[str, Any]:
    raise RuntimeError(SECRET)


@pytest.fixture
def api() -> Iterator[TestClient]:
    yield TestClient(app, raise_server_exceptions=False)


def issues(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + "invalid-input"
    assert SECRET not in response.text
    return list(body["errors"])


# --- no echo -------------------------------------------------------------------------------


def test_unknown_field_is_reported_at_the_body_without_its_name(api: TestClient) -> None:
    # Given a body with a field the model does not know, named with the member's words
    # When posted
    found = issues(api.post("/entries", json={SECRET: 1}))
    # Then the problem says an unknown field was sent, at the body, and never names it
    assert found == [{"location": ["body"], "message": "Unknown field", "code": "extra_forbidden"}]


def test_several_unknown_fields_make_one_issue(api: TestClient) -> None:
    # Given two unknown fields, one nested in a known object
    body = {f"{SECRET}-1": 1, "contact": {"phone": "1", f"{SECRET}-2": 2}}
    # When posted / Then one generic issue stands for both
    assert issues(api.post("/entries", json=body)) == [
        {"location": ["body"], "message": "Unknown field", "code": "extra_forbidden"}
    ]


def test_made_up_dict_key_is_reported_as_key(api: TestClient) -> None:
    # Given a dict whose key is not one of the allowed ones (with a bad value too)
    # When posted
    found = issues(api.post("/entries", json={"scores": {SECRET: "x"}}))
    # Then the key's place is "[key]": the location never holds the key itself
    assert {tuple(i["location"]) for i in found} == {("body", "scores", "[key]")}


def test_known_field_locations_are_kept(api: TestClient) -> None:
    # Given a title too long, and a nested field of the wrong type
    found = issues(api.post("/entries", json={"title": SECRET, "contact": {"phone": 5}}))
    # Then each issue names its field
    assert sorted(tuple(i["location"]) for i in found) == [
        ("body", "contact", "phone"),
        ("body", "title"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"label": "bad-" + SECRET}, "The value is not valid.", id="quoting-validator"),
        pytest.param({"ref": SECRET}, "Input should be a valid UUID", id="uuid"),
    ],
)
def test_message_that_would_quote_the_input_is_replaced(
    api: TestClient, body: dict[str, Any], message: str
) -> None:
    # Given a value whose error message would repeat (part of) it
    # When posted
    found = issues(api.post("/entries", json=body))
    # Then the message is a fixed one
    assert [i["message"] for i in found] == [message]


def test_messages_that_quote_nothing_are_kept(api: TestClient) -> None:
    # Given a title that is too long / When posted / Then pydantic's message stays
    found = issues(api.post("/entries", json={"title": SECRET}))
    assert found[0]["message"] == "String should have at most 10 characters"


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        pytest.param("POST", "/entries", {"json": {"title": "ok"}}, 200, id="success"),
        pytest.param("POST", "/entries", {"json": {"title": SECRET}}, 422, id="validation"),
        pytest.param("GET", "/entries/refused", {}, 422, id="domain-error"),
        pytest.param("GET", "/entries/broken", {}, 500, id="unexpected-error"),
        pytest.param("GET", "/nowhere", {}, 404, id="no-such-route"),
        pytest.param("DELETE", "/entries", {}, 405, id="method-not-allowed"),
        pytest.param(
            "POST",
            "/entries",
            {"content": b"x" * 20_000, "headers": {"content-type": "x"}},
            413,
            id="too-large",
        ),
        pytest.param(
            "POST",
            "/entries",
            {"content": b"x", "headers": {"content-type": "text/plain"}},
            415,
            id="not-json",
        ),
        pytest.param("GET", "/entries?q=%00", {}, 400, id="guard"),
        pytest.param(
            "POST",
            "/entries",
            {"content": b"{", "headers": {"content-type": "application/json"}},
            400,
            id="malformed-json",
        ),
    ],
)
def test_every_response_is_no_store_and_nosniff(
    api: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    # Given any request: a success, any kind of problem, a crash
    # When answered
    response = api.request(method, path, **kwargs)
    # Then the response may not be stored nor sniffed
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert SECRET not in response.text


def test_a_route_that_sets_its_own_caching_keeps_it_and_is_still_nosniff(api: TestClient) -> None:
    # Given a route that chose its caching (the public directory lookups do)
    # When answered
    response = api.get("/entries/cached")
    # Then its Cache-Control stays, once, and nosniff is added
    assert response.headers.get_list("cache-control") == ["private, max-age=60"]
    assert response.headers["x-content-type-options"] == "nosniff"


# --- the functions' own apps ---------------------------------------------------------------


def test_a_members_check_ins_are_no_store_and_nosniff(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the check-ins app with a member's (empty) history
    monkeypatch.setattr(checkins, "cursor_secret", lambda: b"k" * 32)
    checkins.app.dependency_overrides[current_identity] = lambda: member("user-a")
    checkins.app.dependency_overrides[checkins.repository] = FakeCheckinsRepository
    try:
        # When the member lists their check-ins, and asks for a day without one
        listed = TestClient(checkins.app).get("/checkins")
        missing = TestClient(checkins.app).get("/checkins/2026-01-01")
    finally:
        checkins.app.dependency_overrides.clear()
    # Then neither answer may be stored or sniffed
    for response in (listed, missing):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_directory_lookups_keep_their_own_caching() -> None:
    # Given the resources app over an empty directory
    cache = DirectoryCache(FakeResourcesRepository(), ttl=60)
    resources.app.dependency_overrides[current_identity] = lambda: member("user-a")
    resources.app.dependency_overrides[resources.directory] = lambda: cache
    try:
        # When the directory is searched, and the crisis list is asked for
        lookup = TestClient(resources.app).get("/resources", params={"region": "CN"})
        crisis = TestClient(resources.app).get("/resources/crisis", params={"region": "CN"})
    finally:
        resources.app.dependency_overrides.clear()
    # Then the lookup keeps its short private caching (it has an ETag), the rest is no-store
    assert lookup.headers["cache-control"] == "private, max-age=60"
    assert crisis.headers["cache-control"] == "no-store"
    assert lookup.headers["x-content-type-options"] == crisis.headers["x-content-type-options"]
    assert crisis.headers["x-content-type-options"] == "nosniff"
