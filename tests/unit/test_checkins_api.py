"""The check-ins HTTP contract, driven in-process with an in-memory repository."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.checkins import routes
from functions.checkins.routes import app, repository
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity
from shared.routing import clock
from tests.support.fakes import FakeCheckinsRepository, MovableClock, member

# 02:00 on 2 May in Shanghai, still 1 May in UTC.
START = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 2)
PROBLEM_JSON = "application/problem+json"
# A journal line that must never come back in an error response.
NOTE = "I told nobody about the panic attack on the bus"


@pytest.fixture
def repo() -> FakeCheckinsRepository:
    return FakeCheckinsRepository()


@pytest.fixture
def now() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def api(
    repo: FakeCheckinsRepository, now: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = lambda: member("user-a", zoneinfo="Asia/Shanghai")
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: now
    monkeypatch.setattr(routes, "cursor_secret", lambda: b"k" * 32)
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(
    response: httpx.Response, status: int, slug: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with the given status that does not echo the member's note."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM_TYPE_BASE)
    assert body["title"] and body["detail"]
    if slug is not None:
        assert body["type"] == PROBLEM_TYPE_BASE + slug
    assert NOTE not in response.text
    return body


def post(api: TestClient, **body: Any) -> httpx.Response:
    return api.post("/checkins", json={"mood": 3, "note": NOTE} | body)


# --- POST /checkins ----------------------------------------------------------------------


def test_first_checkin_of_the_day_is_201_and_second_is_200_keeping_created_at(
    api: TestClient, repo: FakeCheckinsRepository, now: MovableClock
) -> None:
    # Given a first check-in at 02:00 local time
    first = post(api, mood=2)
    # When the member checks in again at 09:00 the same local day
    now.now = START + dt.timedelta(hours=7)
    second = post(api, mood=4)
    # Then the first is created, the second updates it, and created_at is kept
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["date"] == second.json()["date"] == "2026-05-02"
    assert second.json()["mood"] == 4
    assert second.json()["created_at"] == first.json()["created_at"] == "2026-05-01T18:00:00.000Z"
    assert second.json()["updated_at"] == "2026-05-02T01:00:00.000Z"
    assert list(repo.items) == [("user-a", "2026-05-02")]


def test_checkin_response_carries_scores_and_risk(api: TestClient) -> None:
    # Given a PHQ-9 with item 9 answered 1
    # When posted
    response = post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    # Then the response has the score and the high risk with its reason
    assert response.status_code == 201
    body = response.json()
    assert body["scores"]["phq9"]["total"] == 1
    assert body["risk"] == {
        "level": "high",
        "reasons": ["phq9_item9_positive"],
        "recommended_screener": "cssrs",
    }


def test_an_item9_positive_checkin_answers_with_next_step_cssrs(api: TestClient) -> None:
    # Given a PHQ-9 with item 9 answered 1 (total 1)
    # When posted
    body = post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}).json()
    # Then the app is told to offer the C-SSRS screener next, with the crisis lines
    assert body["next_step"] == "cssrs"
    assert body["crisis_resources"]["resources"]


def test_a_severe_phq9_with_item9_at_0_has_no_next_step(api: TestClient) -> None:
    # Given a severe PHQ-9 (20) whose item 9 is 0
    # When posted
    body = post(api, instruments={"phq9": [3, 3, 3, 3, 3, 3, 2, 0, 0]}).json()
    # Then the risk is high but no screener is offered
    assert body["risk"]["level"] == "high"
    assert body["next_step"] is None


def test_next_step_is_in_the_answer_only_never_stored(
    api: TestClient, repo: FakeCheckinsRepository
) -> None:
    # Given an item-9-positive check-in was posted
    post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    # When the day is read back
    body = api.get("/checkins/2026-05-02").json()
    # Then the stored check-in holds no next step (the answer to the write did)
    assert body["next_step"] is None
    assert repo.items[("user-a", "2026-05-02")]["next_step"] is None


def test_checkin_is_stored_for_the_caller_and_read_back_by_date(api: TestClient) -> None:
    # Given a check-in for yesterday with a note
    post(api, date="2026-05-01", emotions=["calm"], tags=["walk"])
    # When that day is read back
    response = api.get("/checkins/2026-05-01")
    # Then the same check-in comes back, note included, to its owner
    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["note"], body["emotions"], body["tags"]) == (
        "2026-05-01",
        NOTE,
        ["calm"],
        ["walk"],
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"mood": 0}, id="mood-0"),
        pytest.param({"mood": 6}, id="mood-6"),
        pytest.param({"mood": "3"}, id="mood-string"),
        pytest.param({"mood": True}, id="mood-true"),
        pytest.param({"mood": 3.5}, id="mood-float"),
        pytest.param({"energy": 6}, id="energy-6"),
        pytest.param({"sleep_hours": 25}, id="sleep-25"),
        pytest.param({"sleep_hours": -1}, id="sleep-negative"),
        pytest.param({"emotions": ["calm", "euphoric"]}, id="unknown-emotion"),
        pytest.param({"tags": [f"tag{i}" for i in range(11)]}, id="11-tags"),
        pytest.param({"tags": ["same"] * 11}, id="11-tags-repeated"),
        pytest.param({"tags": ["t" * 33]}, id="33-char-tag"),
        pytest.param({"note": NOTE + "x" * (1001 - len(NOTE))}, id="1001-char-note"),
        pytest.param({"colour": "blue"}, id="unknown-field"),
        pytest.param({"instruments": {"phq9": [0] * 8}}, id="phq9-8-items"),
        pytest.param({"instruments": {"gad7": [0, 0, 0, 0, 0, 0, 4]}}, id="item-value-4"),
        pytest.param({"instruments": {"phq9": [0] * 8 + [True]}}, id="item-value-true"),
        pytest.param({"instruments": {"bdi2": [0] * 21}}, id="unknown-instrument"),
        pytest.param({"date": "2026-05-03"}, id="future-date"),
        pytest.param({"date": "2026-13-40"}, id="malformed-date"),
        pytest.param({"share_with_supporter": "yes"}, id="share-not-bool"),
    ],
)
def test_bad_checkin_is_422_problem_without_echoing_the_note(
    api: TestClient, repo: FakeCheckinsRepository, body: dict[str, Any]
) -> None:
    # Given a check-in with one bad field next to a private note
    # When posted
    response = post(api, **body)
    # Then it is a 422 invalid-input problem, nothing is stored, and the note is not echoed
    assert_problem(response, 422, "invalid-input")
    assert repo.items == {}


def test_invalid_json_is_400_malformed_request(api: TestClient) -> None:
    # Given a body cut off in the middle of the note
    raw = ('{"mood": 3, "note": "' + NOTE).encode()
    # When posted
    response = api.post("/checkins", content=raw, headers={"content-type": "application/json"})
    # Then it is a 400 whose type ends with malformed-request
    body = assert_problem(response, 400)
    assert body["type"].endswith("/malformed-request")


def test_body_over_16_kib_is_413_before_parsing(api: TestClient) -> None:
    # Given a body of more than 16 KiB
    # When posted
    response = post(api, note=NOTE + "x" * (16 * 1024))
    # Then it is refused as too large
    assert_problem(response, 413, "payload-too-large")


def test_post_checkin_uses_the_injected_repository(
    repo: FakeCheckinsRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given only the FastAPI dependency overridden (as for every other route)
    def no_aws(service: str) -> Any:
        raise RuntimeError(f"the production repository asked for a {service} client")

    monkeypatch.setattr(routes.aws, "client", no_aws)
    app.dependency_overrides[current_identity] = lambda: member("user-a")
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: MovableClock(START)
    try:
        # When a check-in is posted
        response = TestClient(app, raise_server_exceptions=False).post(
            "/checkins", json={"mood": 3}
        )
    finally:
        app.dependency_overrides.clear()
    # Then it is saved through the injected repository
    assert response.status_code == 201
    assert list(repo.items) == [("user-a", "2026-05-02")]


# --- GET /checkins/{date} ----------------------------------------------------------------


def test_get_checkin_with_a_malformed_date_is_422(api: TestClient) -> None:
    # Given / When a day that is not YYYY-MM-DD is asked for / Then it is an invalid-input problem
    assert_problem(api.get("/checkins/not-a-date"), 422, "invalid-input")


def test_get_checkin_for_a_day_without_one_is_404(api: TestClient) -> None:
    # Given no check-in on 1 April / When it is asked for / Then it is a not-found problem
    assert_problem(api.get("/checkins/2026-04-01"), 404, "not-found")


def test_get_checkin_of_another_member_is_404(
    api: TestClient, repo: FakeCheckinsRepository
) -> None:
    # Given another member's check-in on 1 May
    post(api, date="2026-05-01")
    repo.items = {("user-b", d): v | {"user_id": "user-b"} for (_, d), v in repo.items.items()}
    # When the caller asks for 1 May
    # Then there is nothing for them
    assert_problem(api.get("/checkins/2026-05-01"), 404, "not-found")


# --- GET /checkins -----------------------------------------------------------------------


def test_listing_pages_newest_first_without_duplicates(api: TestClient) -> None:
    # Given 7 check-ins on 7 consecutive local days
    days = [(TODAY - dt.timedelta(days=n)).isoformat() for n in range(7)]
    for day in reversed(days):
        assert post(api, date=day).status_code == 201
    # When listed 3 at a time, following next_cursor
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(4):
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        response = api.get("/checkins", params=params)
        assert response.status_code == 200
        pages.append([item["date"] for item in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    # Then 3 pages of 3, 3 and 1 cover every day once, newest first, and the last has no cursor
    assert pages == [days[0:3], days[3:6], days[6:7]]
    assert cursor is None


def test_listing_respects_from_and_to(api: TestClient) -> None:
    # Given check-ins on 28 April to 2 May
    for n in range(5):
        post(api, date=(TODAY - dt.timedelta(days=n)).isoformat())
    # When listed from 29 April to 1 May
    response = api.get("/checkins", params={"from": "2026-04-29", "to": "2026-05-01"})
    # Then only those days come back, newest first
    assert [i["date"] for i in response.json()["items"]] == [
        "2026-05-01",
        "2026-04-30",
        "2026-04-29",
    ]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"limit": 0}, id="limit-0"),
        pytest.param({"limit": 101}, id="limit-101"),
        pytest.param({"limit": "ten"}, id="limit-not-a-number"),
        pytest.param({"from": "2026-05-02", "to": "2026-05-01"}, id="from-after-to"),
        pytest.param({"from": "yesterday"}, id="from-not-a-date"),
        pytest.param({"cursor": "c" * 2049}, id="cursor-too-long"),
    ],
)
def test_bad_listing_query_is_422(api: TestClient, params: dict[str, Any]) -> None:
    # Given / When the list is asked for with a bad query / Then it is an invalid-input problem
    assert_problem(api.get("/checkins", params=params), 422, "invalid-input")


def first_page_cursor(api: TestClient, repo: FakeCheckinsRepository) -> str:
    for n in range(3):
        post(api, date=(TODAY - dt.timedelta(days=n)).isoformat())
    cursor = api.get("/checkins", params={"limit": 1}).json()["next_cursor"]
    assert isinstance(cursor, str)
    return cursor


def test_tampered_cursor_is_400_invalid_cursor(
    api: TestClient, repo: FakeCheckinsRepository
) -> None:
    # Given a genuine cursor with its first character changed
    cursor = first_page_cursor(api, repo)
    tampered = ("A" if cursor[0] != "A" else "B") + cursor[1:]
    # When used
    response = api.get("/checkins", params={"limit": 1, "cursor": tampered})
    # Then it is refused as an invalid cursor
    assert_problem(response, 400, "invalid-cursor")


def test_cursor_from_another_query_is_400_invalid_cursor(
    api: TestClient, repo: FakeCheckinsRepository
) -> None:
    # Given a genuine cursor from the unfiltered listing
    cursor = first_page_cursor(api, repo)
    # When used with other filters
    response = api.get("/checkins", params={"limit": 1, "cursor": cursor, "from": "2026-01-01"})
    # Then it is refused
    assert_problem(response, 400, "invalid-cursor")


def test_non_ascii_cursor_is_400_invalid_cursor(api: TestClient) -> None:
    # Given a cursor with a non-ASCII character
    client = TestClient(app, raise_server_exceptions=False)
    # When used
    response = client.get("/checkins", params={"cursor": "abc.\u00e9"})
    # Then it is refused as an invalid cursor, not a server error
    assert_problem(response, 400, "invalid-cursor")


# --- GET /checkins/summary ---------------------------------------------------------------


def test_summary_counts_the_streak_on_the_members_local_days(api: TestClient) -> None:
    # Given check-ins on 30 April, 1 May and (Shanghai) 2 May, while UTC is still on 1 May
    for day in ("2026-04-30", "2026-05-01"):
        post(api, date=day, mood=2)
    post(api, mood=5)
    # When the summary is asked for
    response = api.get("/checkins/summary")
    # Then today is Shanghai's 2 May and the streak is 3
    assert response.status_code == 200
    body = response.json()
    assert (body["today"], body["checked_in_today"], body["streak_days"]) == (
        "2026-05-02",
        True,
        3,
    )
    assert (body["checkins_7d"], body["mood_avg_7d"]) == (3, 3.0)


# --- Unexpected errors -------------------------------------------------------------------


class BrokenRepository(FakeCheckinsRepository):
    def get(self, user_id: str, day: dt.date) -> Any:
        raise RuntimeError(f"table checkins-prod unreachable for {user_id}")


def test_unexpected_error_is_a_bare_500_problem_without_a_stack_trace(api: TestClient) -> None:
    # Given a repository that fails unexpectedly
    app.dependency_overrides[repository] = BrokenRepository
    client = TestClient(app, raise_server_exceptions=False)
    # When a check-in is read
    response = client.get("/checkins/2026-05-01")
    # Then the client sees a generic 500 problem and nothing about the failure
    body = assert_problem(response, 500, "internal-error")
    assert body == {
        "type": PROBLEM_TYPE_BASE + "internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "Something went wrong on our side; nothing was lost. Try again.",
    }
    for leak in ("Traceback", "RuntimeError", "checkins-prod", "user-a"):
        assert leak not in response.text


def test_a_risky_checkin_tells_the_member_a_counsellor_will_reach_out(api: TestClient) -> None:
    # Given a member of an organisation / When their check-in raises a signal (item 9)
    risky = post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}).json()
    # Then the answer says a counsellor will reach out, in plain words, with no case detail
    assert risky["support_requested"] is True
    assert "counsellor" in risky["support_message"]
    assert "case" not in risky["support_message"].lower()


def test_an_ordinary_checkin_requests_no_support_and_none_is_stored(
    api: TestClient, repo: FakeCheckinsRepository
) -> None:
    # Given a risky check-in was posted, then the day rewritten at an ordinary mood
    post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    calm = post(api, mood=4).json()
    # Then the second answer requests nothing, and reading the day back carries neither
    assert (calm["support_requested"], calm["support_message"]) == (False, None)
    read = api.get("/checkins/2026-05-02").json()
    assert (read["support_requested"], read["support_message"]) == (False, None)


def test_a_member_of_no_organisation_gets_crisis_lines_but_no_promise_of_a_counsellor(
    api: TestClient,
) -> None:
    # Given a member with no organisation (no counsellor to tell)
    app.dependency_overrides[current_identity] = lambda: member("user-a", org_id="")
    # When their check-in is high risk
    body = post(api, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}).json()
    # Then they get the crisis lines and are not promised a counsellor
    assert body["crisis_resources"]["resources"]
    assert body["support_requested"] is False and body["support_message"] is None
