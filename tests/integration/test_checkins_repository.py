"""CheckinsRepository against the deployed check-ins table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import boto3
import pytest

from functions.checkins.logic import build_checkin
from functions.checkins.models import CheckinIn
from functions.checkins.repository import PURPOSE, CheckinKeys, CheckinsRepository
from shared.crisis.signal_seal import signal_sealer
from shared.vault import vault_for

NOW = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


@pytest.fixture
def repo(function_env: dict[str, Any]) -> CheckinsRepository:
    table = function_env["tables"]["checkins"]
    keys = CheckinKeys(boto3.client("dynamodb"), table)
    vault = vault_for(PURPOSE, keys)
    return CheckinsRepository(boto3.client("dynamodb"), table, vault, signal_sealer())


def checkin(**fields: Any) -> Any:
    return build_checkin(CheckinIn.model_validate({"mood": 3, **fields}), "Asia/Shanghai", NOW)


def test_first_save_of_a_day_creates_and_second_replaces_keeping_created_at(
    repo: CheckinsRepository,
) -> None:
    # Given a member's check-in for today with a note
    user = str(uuid.uuid4())
    first, created = repo.save(user, "org-1", checkin(note="morning", energy=2))
    later = checkin(mood=5).model_copy(update={"created_at": "2026-11-23T09:00:00.000Z"})

    # When the same day is saved again without note or energy
    second, created_again = repo.save(user, "org-1", later)

    # Then the first save created, the second updated, created_at stayed, and absent fields went
    assert (created, created_again) == (True, False)
    assert second.created_at == first.created_at
    stored = repo.get(user, NOW.date())
    assert stored is not None
    assert (stored.mood, stored.note, stored.energy) == (5, None, None)


def test_risk_level_is_stored_with_the_checkin_for_the_crisis_workflow(
    repo: CheckinsRepository, dynamodb: Any, function_env: dict[str, Any]
) -> None:
    # Given a check-in whose PHQ-9 item 9 is positive
    user = str(uuid.uuid4())
    repo.save(user, "org-1", checkin(instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]}))

    # When the raw item is read from the table
    item = dynamodb.get_item(
        TableName=function_env["tables"]["checkins"],
        Key={"user_id": {"S": user}, "date": {"S": "2026-11-23"}},
    )["Item"]

    # Then the risk level sits on the item in plain, its reasons only sealed
    assert item["risk_level"] == {"S": "high"}
    assert "reasons" not in item["risk"]["M"]
    assert item["reasons_ct"]["B"][:1] == b"\x01"  # the ciphertext format version
    stored = repo.get(user, NOW.date())
    assert stored is not None
    assert stored.risk.reasons == ["phq9_item9_positive"]


def test_note_and_tags_reach_the_table_only_sealed(
    repo: CheckinsRepository, dynamodb: Any, function_env: dict[str, Any]
) -> None:
    # Given a check-in with a note and tags
    user = str(uuid.uuid4())
    repo.save(user, "org-1", checkin(note="a private note", tags=["exam-week"]))

    # When the member's partition is read raw
    items = dynamodb.query(
        TableName=function_env["tables"]["checkins"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user}},
    )["Items"]

    # Then neither text is in any attribute, and the repository opens them again
    raw = repr(items)
    assert "private note" not in raw and "exam-week" not in raw
    assert {i["date"]["S"] for i in items} == {"#key", "2026-11-23"}
    stored = repo.get(user, NOW.date())
    assert stored is not None
    assert (stored.note, stored.tags) == ("a private note", ["exam-week"])


def test_page_reads_newest_first_within_the_range_and_resumes_from_the_last_key(
    repo: CheckinsRepository,
) -> None:
    # Given five daily check-ins
    user = str(uuid.uuid4())
    days = [NOW.date() - dt.timedelta(days=i) for i in range(5)]
    for day in days:
        repo.save(user, None, checkin(date=day.isoformat()))

    # When the four newest are read two at a time
    first_page, key = repo.page(user, days[3], days[0], 2, None)
    second_page, _ = repo.page(user, days[3], days[0], 2, key)

    # Then the pages hold days 0-1 and 2-3 in that order
    assert [c.date for c in first_page + second_page] == days[:4]


def test_newest_first_pages_lazily_through_long_history(repo: CheckinsRepository) -> None:
    # Given twelve check-ins and a page size of five
    user = str(uuid.uuid4())
    days = [NOW.date() - dt.timedelta(days=i) for i in range(12)]
    for day in days:
        repo.save(user, None, checkin(date=day.isoformat()))

    # When every item is read
    dates = [item["date"] for item in repo.newest_first(user, NOW.date(), page_size=5)]

    # Then all twelve arrive newest first with only the projected fields
    assert dates == [d.isoformat() for d in days]
