"""Export and erasure of the screenings feature: answers opened for the member, every item
of theirs (the data key too) erased, other members untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from functions.screenings.data_rights import ScreeningsData
from functions.screenings.logic import build_screening
from functions.screenings.repository import ScreeningKeys, ScreeningsRepository
from shared.cssrs import CssrsAnswers
from shared.vault import Vault
from tests.support.fakes import fake_keyring, fake_signal_sealer
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

MAY_1 = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
LOW = {"q1": True, "q2": False, "q6": False}
HIGH = {"q1": False, "q2": False, "q6": True, "q6_within_3_months": True}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "ScreeningsTable", fresh_name("screenings"))


@pytest.fixture
def repo(db: Any, table: str) -> ScreeningsRepository:
    vault = Vault(fake_keyring("screenings"), ScreeningKeys(db, table))
    return ScreeningsRepository(db, table, vault, fake_signal_sealer())


@pytest.fixture
def data(db: Any, table: str, repo: ScreeningsRepository) -> ScreeningsData:
    return ScreeningsData(db, table, repo)


def take(repo: ScreeningsRepository, user_id: str, answers: dict[str, Any], at: dt.datetime) -> str:
    screening = build_screening(CssrsAnswers(**answers), f"{user_id}-{at:%d}", at)
    repo.save(user_id, "org-1", screening.model_dump(mode="json"))
    return screening.id


def test_export_opens_the_members_screenings_newest_first_with_only_allowed_fields(
    repo: ScreeningsRepository, data: ScreeningsData
) -> None:
    # Given two screenings of one member and one of another
    take(repo, "user-a", LOW, MAY_1)
    take(repo, "user-a", HIGH, MAY_1 + dt.timedelta(days=1))
    take(repo, "user-b", HIGH, MAY_1)
    # When the first member's data is exported
    exported = data.export("user-a")
    # Then both of theirs come back newest first, answers and reasons opened, nothing else
    assert exported == {
        "screenings": [
            {
                "id": "user-a-02",
                "instrument": "cssrs",
                "tier": "high",
                "answers": HIGH | {"q3": None, "q4": None, "q5": None},
                "risk": {
                    "level": "imminent",
                    "reasons": ["cssrs:q6_behavior_within_3_months", "cssrs_high"],
                },
                "created_at": "2026-05-02T08:00:00.000Z",
            },
            {
                "id": "user-a-01",
                "instrument": "cssrs",
                "tier": "low",
                "answers": LOW | {"q3": None, "q4": None, "q5": None, "q6_within_3_months": None},
                "risk": {"level": "watch", "reasons": ["cssrs:q1_wish_to_be_dead", "cssrs_low"]},
                "created_at": "2026-05-01T08:00:00.000Z",
            },
        ]
    }


def test_export_of_a_member_without_screenings_is_empty(data: ScreeningsData) -> None:
    # Given / When a member who never took the screener exports / Then the list is empty
    assert data.export("user-nobody") == {"screenings": []}


def test_erase_deletes_every_item_of_the_member_and_the_key_once(
    db: Any, table: str, repo: ScreeningsRepository, data: ScreeningsData
) -> None:
    # Given two screenings of one member (and their key item) and one of another
    take(repo, "user-a", LOW, MAY_1)
    take(repo, "user-a", HIGH, MAY_1 + dt.timedelta(days=1))
    take(repo, "user-b", HIGH, MAY_1)
    # When the first member is erased, twice (the workflow may retry)
    erased, again = data.erase("user-a"), data.erase("user-a")
    # Then their three items went the first time, none the second; the other member keeps all
    assert (erased, again) == (3, 0)
    assert data.export("user-a") == {"screenings": []}
    left = db.query(
        TableName=table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": "user-b"}},
    )["Items"]
    assert sorted(i["sk"]["S"] for i in left) == [
        "#key",
        "screening#2026-05-01T08:00:00.000Z#user-b-01",
    ]
