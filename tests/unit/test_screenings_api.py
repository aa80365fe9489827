"""The screenings HTTP contract, driven in-process over moto DynamoDB with sealing keys
from an in-memory KMS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.screenings.repository import ScreeningKeys, ScreeningsRepository
from functions.screenings.routes import app, repository
from shared.crisis.signal_seal import SignalSealer
from shared.dynamo import from_item
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity
from shared.routing import clock
from shared.vault import Vault
from tests.support.fakes import KmsRefused, MovableClock, fake_keyring, fake_signal_sealer, member
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# 02:00 on 2 May in Shanghai, still 1 May in UTC.
START = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
PROBLEM_JSON = "application/problem+json"
USER = "user-a"
NO_RISK = {"q1": False, "q2": False, "q6": False}
LOW = {"q1": True, "q2": False, "q6": False}
MODERATE = {"q1": True, "q2": True, "q3": True, "q4": False, "q5": False, "q6": False}
HIGH = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}
BEHAVIOUR_LATELY = {"q1": False, "q2": False, "q6": True, "q6_within_3_months": True}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "ScreeningsTable", fresh_name("screenings"))


@pytest.fixture
def vault(db: Any, table: str) -> Vault:
    return Vault(fake_keyring("screenings"), ScreeningKeys(db, table))


@pytest.fixture
def signals() -> SignalSealer:
    return fake_signal_sealer()


@pytest.fixture
def api(db: Any, table: str, vault: Vault, signals: SignalSealer) -> Iterator[TestClient]:
    repo = ScreeningsRepository(db, table, vault, signals)
    app.dependency_overrides[current_identity] = lambda: member(USER, zoneinfo="Asia/Shanghai")
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[clock] = lambda: MovableClock(START)
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def items(db: Any, table: str, user_id: str = USER) -> list[dict[str, Any]]:
    response = db.query(
        TableName=table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user_id}},
    )
    return [from_item(i) for i in response["Items"]]


def screenings(db: Any, table: str) -> list[dict[str, Any]]:
    return [i for i in items(db, table) if i["sk"] != "#key"]


def post(api: TestClient, answers: dict[str, Any]) -> httpx.Response:
    return api.post("/screenings/cssrs", json=answers)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """An RFC 9457 problem whose field issues say where and why, never what was sent."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_TYPE_BASE + slug
    assert body["status"] == status
    for issue in body.get("errors", []):
        assert set(issue) == {"location", "message", "code"}
    assert "true" not in response.text
    assert "false" not in response.text
    return body


# --- Tiers, levels and what the member is told -------------------------------------------


@pytest.mark.parametrize(
    ("answers", "tier", "level", "lines"),
    [
        (HIGH, "high", "imminent", True),
        (BEHAVIOUR_LATELY, "high", "imminent", True),
        (MODERATE, "moderate", "high", True),
        (LOW, "low", "watch", False),
    ],
)
def test_a_risky_screening_returns_its_tier_and_level_and_asks_for_support(
    api: TestClient, answers: dict[str, Any], tier: str, level: str, lines: bool
) -> None:
    # Given a member's answers / When they submit the screener
    response = post(api, answers)
    # Then they get the tier, the level of the signals table, and support is requested;
    # crisis lines come with high and imminent only
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["instrument"], body["tier"], body["risk"]) == ("cssrs", tier, {"level": level})
    assert body["support_requested"] is True
    assert (body["crisis_resources"] is not None) == lines
    if lines:
        assert body["crisis_resources"]["resources"]


def test_a_screening_without_risk_asks_for_nothing(api: TestClient) -> None:
    # Given a member who answers no to everything / When they submit
    body = post(api, NO_RISK).json()
    # Then the tier is none, no support is requested and no crisis block comes back
    assert (body["tier"], body["risk"]) == ("none", {"level": "none"})
    assert body["support_requested"] is False
    assert body["crisis_resources"] is None


def test_the_response_never_carries_reasons_or_answers(api: TestClient) -> None:
    # Given a high-risk screening / When submitted
    body = post(api, HIGH).json()
    # Then the response holds exactly its contract: no reasons, no answers
    assert set(body) == {
        "id",
        "instrument",
        "tier",
        "risk",
        "support_requested",
        "crisis_resources",
    }
    assert set(body["risk"]) == {"level"}
    assert "q4_intent" not in str(body)


# --- What is stored ------------------------------------------------------------------------


def test_a_screening_is_stored_with_plain_level_and_sealed_answers_and_reasons(
    api: TestClient, db: Any, table: str, vault: Vault
) -> None:
    # Given a high-risk screening / When submitted
    body = post(api, HIGH).json()
    # Then one item holds it under screening#<utc time>#<id>, level and tier in plain
    [item] = screenings(db, table)
    assert item["sk"] == f"screening#2026-05-01T18:00:00.000Z#{body['id']}"
    assert {k: item[k] for k in ("id", "instrument", "tier", "risk", "risk_level", "org_id")} == {
        "id": body["id"],
        "instrument": "cssrs",
        "tier": "high",
        "risk": {"level": "imminent"},
        "risk_level": "imminent",
        "org_id": "org-1",
    }
    assert item["created_at"] == "2026-05-01T18:00:00.000Z"
    # And the answers and reasons are only ciphertext, which opens with the member's key
    assert not {"answers", "reasons", "q1"} & set(item)
    assert "reasons" not in item["risk"]
    key = vault.key_for_reading(USER)
    opened = vault.open_fields(key, USER, body["id"], item, ("answers", "reasons"))
    assert opened["answers"] == HIGH | {"q6_within_3_months": None}
    assert opened["reasons"] == [  # sorted, as every risk's reasons are
        "cssrs:q1_wish_to_be_dead",
        "cssrs:q2_suicidal_thoughts",
        "cssrs:q3_thoughts_with_method",
        "cssrs:q4_intent",
        "cssrs_high",
    ]


def test_a_screening_without_risk_seals_its_answers_but_has_no_reasons(
    api: TestClient, db: Any, table: str
) -> None:
    # Given / When a screening without risk is submitted
    post(api, NO_RISK)
    # Then its answers are sealed and there are no reasons to seal
    [item] = screenings(db, table)
    assert "answers_ct" in item
    assert "reasons_ct" not in item
    assert item["risk_level"] == "none"


def test_a_risky_screening_carries_its_reasons_sealed_for_the_crisis_feature(
    api: TestClient, db: Any, table: str, signals: SignalSealer
) -> None:
    # Given / When a high-risk screening is submitted
    post(api, HIGH)
    [item] = screenings(db, table)
    # Then `signal_ct` opens, for this member and this screening's key only, to its reasons
    reasons = signals.open(USER, item["sk"], bytes(item["signal_ct"]))
    assert "cssrs_high" in reasons and "cssrs:q4_intent" in reasons
    with pytest.raises(KmsRefused):
        signals.open("user-b", item["sk"], bytes(item["signal_ct"]))
    # and no reason is on the item in plain
    assert not any(r in repr(item) for r in reasons)


def test_a_screening_without_risk_carries_no_signal_reasons(
    api: TestClient, db: Any, table: str
) -> None:
    post(api, NO_RISK)
    [item] = screenings(db, table)
    assert "signal_ct" not in item


def test_each_screening_is_its_own_item_under_one_data_key(
    api: TestClient, db: Any, table: str
) -> None:
    # Given / When a member takes the screener twice in the same millisecond
    first, second = post(api, LOW).json(), post(api, LOW).json()
    # Then there are two screenings with their own ids, and one key item
    stored = items(db, table)
    assert sorted(i["id"] for i in stored if i["sk"] != "#key") == sorted(
        [first["id"], second["id"]]
    )
    assert first["id"] != second["id"]
    assert [i["sk"] for i in stored].count("#key") == 1


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"q1": True, "q2": True, "q6": False}, "q3"),  # Q3-Q5 missing after a yes to Q2
        ({"q1": True, "q2": False, "q3": True, "q6": False}, "q3"),  # Q3 asked after a no
        ({"q1": False, "q2": False, "q6": True}, "q6_within_3_months"),  # timing missing
        (
            {"q1": False, "q2": False, "q6": False, "q6_within_3_months": True},
            "q6_within_3_months",
        ),  # timing after a no
    ],
)
def test_answers_that_break_the_skip_logic_are_422_naming_the_field(
    api: TestClient, db: Any, table: str, answers: dict[str, Any], named: str
) -> None:
    # Given answers the screener's branching would never produce / When submitted
    response = post(api, answers)
    # Then it is a 422 problem naming the field, without the values, and nothing is stored
    body = assert_problem(response, 422, "invalid-input")
    assert any(named in issue["message"] for issue in body["errors"])
    assert items(db, table) == []


@pytest.mark.parametrize(
    ("answers", "location"),
    [
        (NO_RISK | {"q1": "yes"}, ["body", "q1"]),
        (NO_RISK | {"q1": 1}, ["body", "q1"]),
        ({"q1": False, "q2": False}, ["body", "q6"]),
    ],
)
def test_answers_that_are_not_yes_or_no_are_422_at_their_field(
    api: TestClient, answers: dict[str, Any], location: list[str]
) -> None:
    # Given a field that is not a JSON boolean, or missing / When submitted
    body = assert_problem(post(api, answers), 422, "invalid-input")
    # Then the problem points at that field
    assert location in [issue["location"] for issue in body["errors"]]
    assert "yes" not in str(body["errors"])


def test_an_unknown_field_is_refused_without_naming_it(api: TestClient) -> None:
    # Given an answer to a question the screener does not ask / When submitted
    response = post(api, NO_RISK | {"q7_secret_note": False})
    # Then it is a 422 that does not repeat the made-up name
    assert_problem(response, 422, "invalid-input")
    assert "q7_secret_note" not in response.text


def test_a_caller_without_verified_claims_is_401_and_nothing_is_stored(
    db: Any, table: str, vault: Vault
) -> None:
    # Given the app with no signed-in member (no authorizer claims on the request)
    app.dependency_overrides[repository] = lambda: ScreeningsRepository(db, table, vault)
    try:
        response = TestClient(app).post("/screenings/cssrs", json=HIGH)
    finally:
        app.dependency_overrides.clear()
    # When / Then it is a 401 problem and no screening exists
    assert_problem(response, 401, "unauthorized")
    assert items(db, table) == []
