"""Dates at the ends of the calendar (0001-01-01, 9999-12-31) on every route: never a 500.

A day or instant that is valid ISO 8601 but lies beyond what a datetime can hold once
converted to UTC (year 1 east of UTC, year 9999 west of it, the day after 9999-12-31)
is clamped to an open bound, or refused as a 422 where the route has a rule (a
check-in's date). Malformed dates are 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.checkins.routes import app as checkins_app
from functions.checkins.routes import repository as checkins_repository
from functions.journal import routes as journal
from functions.journal.logic import EARLIEST, LATEST, day_bounds
from functions.resources.cache import DirectoryCache
from functions.resources.routes import app as resources_app
from functions.resources.routes import directory
from functions.resources.routes import repository as resources_repository
from shared.clock import EARLIEST_UTC_ISO, LATEST_UTC_ISO
from shared.errors import PROBLEM_TYPE_BASE, InvalidInput
from shared.identity import current_identity
from shared.resources.model import Resource
from shared.resources.repository import PUBLIC
from shared.routing import clock as checkins_clock
from shared.routing import clock as resources_clock
from tests.support.fakes import FakeCheckinsRepository, MovableClock, member
from tests.support.resources import FakeResourcesRepository, raw_entry

NOW = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"
ZONES = ["Asia/Shanghai", "Pacific/Kiritimati", "America/Los_Angeles", "Pacific/Pago_Pago"]


def assert_invalid_input(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEM_TYPE_BASE + "invalid-input"


# --- journal: day_bounds -------------------------------------------------------------------


@pytest.mark.parametrize("time_zone", ZONES)
@pytest.mark.parametrize(
    ("first", "last"),
    [
        pytest.param(dt.date.min, None, id="from-first-day"),
        pytest.param(None, dt.date.max, id="to-last-day"),
        pytest.param(dt.date.min, dt.date.max, id="whole-calendar"),
        pytest.param(dt.date.max, None, id="from-last-day"),
        pytest.param(dt.date.max, dt.date.max, id="only-the-last-day"),
        pytest.param(None, dt.date.min, id="to-first-day"),
        pytest.param(dt.date.min, dt.date.min, id="only-the-first-day"),
        pytest.param(dt.date(9999, 12, 30), dt.date(9999, 12, 30), id="the-day-before-the-last"),
    ],
)
def test_day_bounds_at_the_ends_of_the_calendar_are_ordered_instants(
    first: dt.date | None, last: dt.date | None, time_zone: str
) -> None:
    # Given local days at the ends of the calendar, in zones on both sides of UTC
    # When turned into UTC bounds
    lower, upper = day_bounds(first, last, time_zone)
    # Then nothing overflows, the lower bound is not after the upper (a valid BETWEEN)
    # and both lie within what the journal can store
    assert EARLIEST <= lower <= upper <= LATEST


def test_day_bounds_clamp_to_open_ends() -> None:
    # Given the first day in a zone east of UTC and the last day in one west of it
    # When turned into UTC bounds
    lower, upper = day_bounds(dt.date.min, dt.date.max, "Asia/Shanghai")
    west_lower, west_upper = day_bounds(dt.date.min, dt.date.max, "America/Los_Angeles")
    # Then a bound beyond a datetime's range is open
    assert (lower, upper) == (EARLIEST_UTC_ISO, LATEST)
    assert (west_lower, west_upper) == ("0001-01-01T07:52:58.000Z", LATEST)


def test_day_bounds_of_ordinary_days_are_unchanged() -> None:
    # Given 1 to 2 May in Shanghai / When turned into bounds / Then local midnights in UTC
    assert day_bounds(dt.date(2026, 5, 1), dt.date(2026, 5, 2), "Asia/Shanghai") == (
        "2026-04-30T16:00:00.000Z",
        "2026-05-02T16:00:00.000Z",
    )
    assert day_bounds(None, None, "Asia/Shanghai") == (EARLIEST, LATEST)


def test_day_bounds_still_refuse_from_after_to() -> None:
    # Given from after to, at the ends of the calendar / When turned into bounds / Then 422
    with pytest.raises(InvalidInput):
        day_bounds(dt.date.max, dt.date.min, "Asia/Shanghai")


# --- journal: GET /journal/entries --------------------------------------------------------


class RecordingJournal:
    """Answers every page with nothing and keeps the bounds it was asked for."""

    def __init__(self) -> None:
        self.bounds: list[tuple[str, str]] = []

    def page(self, user_id: str, first: str, last: str, *_: Any) -> tuple[list[Any], None]:
        self.bounds.append((first, last))
        return [], None


@pytest.fixture
def journal_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, RecordingJournal]]:
    repo = RecordingJournal()
    journal.app.dependency_overrides[current_identity] = lambda: member("user-a")
    journal.app.dependency_overrides[journal.repository] = lambda: repo
    journal.app.dependency_overrides[journal.vault] = lambda: object()
    monkeypatch.setattr(journal, "cursor_secret", lambda: b"k" * 32)
    try:
        yield TestClient(journal.app, raise_server_exceptions=False), repo
    finally:
        journal.app.dependency_overrides.clear()


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"from": FIRST_DAY}, id="from-first-day"),
        pytest.param({"to": LAST_DAY}, id="to-last-day"),
        pytest.param({"from": FIRST_DAY, "to": LAST_DAY}, id="whole-calendar"),
        pytest.param({"from": LAST_DAY}, id="from-last-day"),
        pytest.param({"to": FIRST_DAY}, id="to-first-day"),
    ],
)
def test_journal_list_with_extreme_days_is_200(
    journal_api: tuple[TestClient, RecordingJournal], params: dict[str, str]
) -> None:
    # Given a member in Shanghai
    api, repo = journal_api
    # When entries are listed from or to a day at the end of the calendar
    response = api.get("/journal/entries", params=params)
    # Then it is an ordinary (empty) page, queried with ordered bounds
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}
    [(lower, upper)] = repo.bounds
    assert lower <= upper


@pytest.mark.parametrize(
    "params",
    [
        {"from": "0000-01-01"},
        {"to": "10000-01-01"},
        {"from": "9999-12-32"},
        {"from": LAST_DAY, "to": FIRST_DAY},
    ],
    ids=["year-0", "year-10000", "day-32", "from-after-to"],
)
def test_journal_list_with_impossible_days_is_422(
    journal_api: tuple[TestClient, RecordingJournal], params: dict[str, str]
) -> None:
    # Given days no calendar has, or from after to / When listed / Then 422, nothing queried
    api, repo = journal_api
    assert_invalid_input(api.get("/journal/entries", params=params))
    assert repo.bounds == []


# --- check-ins -----------------------------------------------------------------------------


@pytest.fixture
def checkins_api() -> Iterator[TestClient]:
    repo = FakeCheckinsRepository()
    checkins_app.dependency_overrides[current_identity] = lambda: member("user-a")
    checkins_app.dependency_overrides[checkins_repository] = lambda: repo
    checkins_app.dependency_overrides[checkins_clock] = lambda: MovableClock(NOW)
    try:
        yield TestClient(checkins_app, raise_server_exceptions=False)
    finally:
        checkins_app.dependency_overrides.clear()


@pytest.fixture
def no_cursor_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.checkins import routes

    monkeypatch.setattr(routes, "cursor_secret", lambda: b"k" * 32)


@pytest.mark.usefixtures("no_cursor_secret")
@pytest.mark.parametrize(
    "params",
    [{"from": FIRST_DAY}, {"to": LAST_DAY}, {"from": FIRST_DAY, "to": LAST_DAY}],
    ids=["from-first-day", "to-last-day", "whole-calendar"],
)
def test_checkins_list_with_extreme_days_is_200(
    checkins_api: TestClient, params: dict[str, str]
) -> None:
    # Given a member with one check-in
    assert checkins_api.post("/checkins", json={"mood": 3}).status_code == 201
    # When listed from or to a day at the end of the calendar
    response = checkins_api.get("/checkins", params=params)
    # Then the check-in is found
    assert response.status_code == 200, response.text
    assert [i["date"] for i in response.json()["items"]] == ["2026-05-02"]


@pytest.mark.usefixtures("no_cursor_secret")
def test_checkins_list_from_the_last_day_is_422_as_it_is_after_today(
    checkins_api: TestClient,
) -> None:
    # Given no `to` (it defaults to today) / When listed from 9999-12-31 / Then from is after to
    assert_invalid_input(checkins_api.get("/checkins", params={"from": LAST_DAY}))


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
def test_checkin_of_an_extreme_day_is_404(checkins_api: TestClient, day: str) -> None:
    # Given no check-in on that day / When asked for / Then not found, not a crash
    response = checkins_api.get(f"/checkins/{day}")
    assert (response.status_code, response.json()["type"]) == (404, PROBLEM_TYPE_BASE + "not-found")


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY, "0000-01-01", "10000-01-01", "2026-02-30"])
def test_checkin_body_with_an_extreme_or_impossible_date_is_422(
    checkins_api: TestClient, day: str
) -> None:
    # Given a check-in dated at the ends of the calendar or on no real day
    # When posted / Then it is refused (too old, in the future, or not a date)
    assert_invalid_input(checkins_api.post("/checkins", json={"mood": 3, "date": day}))


# --- resources: updated_since --------------------------------------------------------------


@pytest.fixture
def resources_api() -> Iterator[TestClient]:
    repo = FakeResourcesRepository()
    fresh = raw_entry("fresh-line") | {"updated_at": "2026-11-20T00:00:00.000Z"}
    repo.put(PUBLIC, Resource.model_validate(fresh))
    cache = DirectoryCache(repo, ttl=60)
    resources_app.dependency_overrides[current_identity] = lambda: member("user-a")
    resources_app.dependency_overrides[resources_repository] = lambda: repo
    resources_app.dependency_overrides[directory] = lambda: cache
    resources_app.dependency_overrides[resources_clock] = lambda: lambda: NOW
    try:
        yield TestClient(resources_app, raise_server_exceptions=False)
    finally:
        resources_app.dependency_overrides.clear()


@pytest.mark.parametrize(
    ("since", "ids"),
    [
        pytest.param("0001-01-01T00:00:00+14:00", ["fresh-line"], id="before-year-1-in-utc"),
        pytest.param("0001-01-01T00:00:00Z", ["fresh-line"], id="first-instant"),
        pytest.param("9999-12-31T23:59:59-12:00", [], id="after-year-9999-in-utc"),
        pytest.param("9999-12-31T23:59:59.999999Z", [], id="last-instant"),
    ],
)
def test_updated_since_at_the_ends_of_time_is_200(
    resources_api: TestClient, since: str, ids: list[str]
) -> None:
    # Given an entry updated in November 2026
    # When the app asks for changes since an instant at the ends of the calendar
    response = resources_api.get("/resources", params={"region": "CN", "updated_since": since})
    # Then everything is newer than the first instant and nothing than the last
    assert response.status_code == 200, response.text
    assert [i["id"] for i in response.json()["items"]] == ids


@pytest.mark.parametrize("since", ["0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "9" * 30])
def test_updated_since_that_is_no_instant_is_422(resources_api: TestClient, since: str) -> None:
    # Given a value that is no datetime / When sent / Then 422
    assert_invalid_input(resources_api.get("/resources", params={"updated_since": since}))


# --- the clamp itself ----------------------------------------------------------------------


def test_clamped_ends_sort_around_every_stamp() -> None:
    # Given the clamped ends and a stamp of today
    # When compared as strings (as DynamoDB and the routes compare them)
    # Then every stamp lies between them
    assert EARLIEST_UTC_ISO < "2026-05-01T18:00:00.000Z" < LATEST_UTC_ISO
