"""The request guard (shared/http.py): text that is not clean UTF-8 never reaches a route.

NUL characters, unpaired UTF-16 surrogates and bytes that are not UTF-8, in a JSON body
(raw or escaped, in values or keys), a query string or a path, are a 400
malformed-request problem. The size (413) and media type (415) checks still come first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from functions.checkins.routes import app as checkins_app
from functions.checkins.routes import repository as checkins_repository
from shared.errors import PROBLEM_TYPE_BASE
from shared.http import create_app
from shared.identity import current_identity
from shared.routing import clock as checkins_clock
from tests.support.fakes import FakeCheckinsRepository, MovableClock, member

PROBLEM_JSON = "application/problem+json"
JSON = {"content-type": "application/json"}
SECRET = "told nobody about the bus"


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = ""
    tags: list[str] = []


guarded = create_app("Guarded test app")
received: list[Note] = []


@guarded.post("/notes")
def post_note(note: Note) -> dict[str, Any]:
    received.append(note)
    return note.model_dump()


@guarded.get("/notes")
def list_notes(q: str | None = None) -> dict[str, Any]:
    return {"q": q}


@guarded.get("/notes/{note_id}")
def get_note(note_id: str) -> dict[str, Any]:
    return {"id": note_id}


@pytest.fixture
def api() -> Iterator[TestClient]:
    received.clear()
    yield TestClient(guarded)
    received.clear()


def post_raw(api: TestClient, raw: bytes) -> httpx.Response:
    return api.post("/notes", content=raw, headers=JSON)


def assert_malformed(response: httpx.Response, where: str | None = "body") -> None:
    """A 400 malformed-request problem that names where, not what, and reached no route."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + "malformed-request"
    if where is not None:
        assert [e["location"] for e in body["errors"]] == [[where]]
    assert SECRET not in response.text
    assert received == []


# --- body: NUL and lone surrogates ---------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"text": "' + SECRET.encode() + b'\\u0000"}', id="escaped-nul-in-value"),
        pytest.param(b'{"text": "' + SECRET.encode() + b'\x00"}', id="raw-nul-byte"),
        pytest.param(b'{"te\\u0000xt": "' + SECRET.encode() + b'"}', id="escaped-nul-in-key"),
        pytest.param(b'{"tags": ["a", "b\\u0000"]}', id="escaped-nul-in-list"),
        pytest.param(b'{"text": "' + SECRET.encode() + b'\\ud800"}', id="lone-high-surrogate"),
        pytest.param(b'{"text": "\\udc00' + SECRET.encode() + b'"}', id="lone-low-surrogate"),
        pytest.param(b'{"text": "\\udc00\\ud800"}', id="surrogates-in-the-wrong-order"),
        pytest.param(b'{"text": "\\ud800x\\udc00"}', id="pair-split-by-a-character"),
        pytest.param(b'{"\\ud800": "x"}', id="lone-surrogate-in-key"),
        pytest.param(b'{"tags": [["\\uDBFF"]]}', id="nested-uppercase-escape"),
    ],
)
def test_nul_or_lone_surrogate_in_a_json_body_is_400(api: TestClient, raw: bytes) -> None:
    # Given a JSON body with a NUL or an unpaired surrogate, raw or escaped, anywhere in it
    # When posted
    response = post_raw(api, raw)
    # Then it is refused as a malformed request, the route never runs and nothing is echoed
    assert_malformed(response)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"text": "\xff\xfe"}', id="bytes-that-are-never-utf-8"),
        pytest.param(b'{"text": "\xed\xa0\x80"}', id="utf-8-encoded-surrogate"),
        pytest.param(b'{"text": "\xc0\xaf"}', id="overlong-encoding"),
        pytest.param(b'{"text": "caf\xe9"}', id="latin-1"),
        pytest.param('{"text": "x"}'.encode("utf-16"), id="utf-16"),
        pytest.param('{"text": "x"}'.encode("utf-32-le"), id="utf-32"),
    ],
)
def test_body_that_is_not_utf_8_is_400(api: TestClient, raw: bytes) -> None:
    # Given a JSON body that is not UTF-8 (RFC 8259 allows nothing else)
    # When posted
    response = post_raw(api, raw)
    # Then it is refused as a malformed request
    assert_malformed(response)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        pytest.param('{"text": "心情不好"}'.encode(), "心情不好", id="chinese"),
        pytest.param(b'{"text": "\\u5fc3\\u60c5"}', "心情", id="escaped-chinese"),
        pytest.param(b'{"text": "\\ud83d\\ude00"}', "\U0001f600", id="escaped-surrogate-pair"),
        pytest.param('{"text": "😀"}'.encode(), "\U0001f600", id="emoji"),
        pytest.param(b'{"text": "\\\\u0000"}', "\\u0000", id="escaped-backslash-then-u0000"),
        pytest.param(b'{"text": "tab\\tnewline\\n"}', "tab\tnewline\n", id="other-escapes"),
    ],
)
def test_clean_text_reaches_the_route_unchanged(api: TestClient, raw: bytes, text: str) -> None:
    # Given a JSON body with ordinary text, escaped or not (a valid pair is one character)
    # When posted
    response = post_raw(api, raw)
    # Then the route receives exactly that text
    assert response.status_code == 200, response.text
    assert response.json()["text"] == text


def test_deeply_nested_body_is_400_malformed_request(api: TestClient) -> None:
    # Given a body nested far deeper than any request of ours
    raw = b'{"tags": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    # When posted
    response = post_raw(api, raw)
    # Then it is refused as malformed, not a server error
    assert_malformed(response, where=None)


def test_body_that_is_not_json_still_gets_the_routes_malformed_request(api: TestClient) -> None:
    # Given clean UTF-8 that is not JSON (cut off in the middle)
    # When posted
    response = post_raw(api, b'{"text": "' + SECRET.encode())
    # Then the route's JSON parser answers, as before: 400 malformed-request
    assert_malformed(response, where=None)


def test_size_and_media_type_are_checked_before_the_text(api: TestClient) -> None:
    # Given a body too large, and a body that is not JSON, both holding a NUL
    too_large = post_raw(api, b'{"text": "\\u0000' + b"x" * (16 * 1024) + b'"}')
    not_json = api.post("/notes", content=b"\x00", headers={"content-type": "text/plain"})
    # When posted / Then they get 413 and 415 as before
    assert (too_large.status_code, not_json.status_code) == (413, 415)


# --- query string and path ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(b"q=%00", id="nul-value"),
        pytest.param(b"q=ab%00cd", id="nul-inside-value"),
        pytest.param(b"%00=x", id="nul-name"),
        pytest.param(b"q=%FF", id="not-utf-8"),
        pytest.param(b"q=%ED%A0%80", id="utf-8-encoded-surrogate"),
        pytest.param(b"q=%C0%AF", id="overlong"),
        pytest.param(b"other=1&q=caf%E9", id="latin-1-in-second-pair"),
    ],
)
def test_query_with_nul_or_bytes_that_are_not_utf_8_is_400(api: TestClient, query: bytes) -> None:
    # Given a query string whose percent-decoded text is not clean UTF-8
    # When sent
    response = api.get("/notes?" + query.decode("ascii"))
    # Then it is refused as a malformed request naming the query
    assert_malformed(response, where="query")


@pytest.mark.parametrize(
    ("query", "q"),
    [
        pytest.param("q=%E5%BF%83%E6%83%85", "心情", id="percent-encoded-chinese"),
        pytest.param("q=a+b", "a b", id="plus-is-space"),
        pytest.param("q=", "", id="empty-value"),
        pytest.param("q=50%25", "50%", id="escaped-percent"),
    ],
)
def test_clean_query_reaches_the_route(api: TestClient, query: str, q: str) -> None:
    # Given a query string of clean UTF-8 text / When sent / Then the route gets it
    response = api.get("/notes?" + query)
    assert (response.status_code, response.json()) == (200, {"q": q})


def test_nul_in_the_path_is_400(api: TestClient) -> None:
    # Given a path parameter holding a NUL / When requested
    response = api.get("/notes/ab%00cd")
    # Then it is refused as a malformed request naming the path
    assert_malformed(response, where="path")


# --- a real function ---------------------------------------------------------------------


@pytest.fixture
def checkins() -> Iterator[tuple[TestClient, FakeCheckinsRepository]]:
    repo = FakeCheckinsRepository()
    now = MovableClock(dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC))
    checkins_app.dependency_overrides[current_identity] = lambda: member("user-a")
    checkins_app.dependency_overrides[checkins_repository] = lambda: repo
    checkins_app.dependency_overrides[checkins_clock] = lambda: now
    try:
        yield TestClient(checkins_app), repo
    finally:
        checkins_app.dependency_overrides.clear()


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
def test_a_check_in_note_with_nul_or_a_lone_surrogate_is_400_and_not_stored(
    checkins: tuple[TestClient, FakeCheckinsRepository], escape: str
) -> None:
    # Given a check-in whose note ends in an escaped NUL or lone surrogate
    api, repo = checkins
    raw = ('{"mood": 3, "note": "' + SECRET + escape + '"}').encode()
    # When posted
    response = api.post("/checkins", content=raw, headers=JSON)
    # Then it is a malformed request, nothing is stored and the note is not echoed
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM_TYPE_BASE + "malformed-request"
    assert SECRET not in response.text
    assert repo.items == {}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"text": "bad \ufffd byte"}'.encode(), id="raw-replacement-character"),
        pytest.param(b'{"text": "bad \\ufffd byte"}', id="escaped-replacement-character"),
    ],
)
def test_text_already_broken_on_the_way_in_is_400(api: TestClient, raw: bytes) -> None:
    # Given a body whose bytes were not UTF-8 before API Gateway replaced them with U+FFFD
    # When it is posted
    response = post_raw(api, raw)

    # Then it is refused rather than stored damaged
    assert_malformed(response)
