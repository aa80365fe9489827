"""The aggregator on moto: counters from stream records, replays counted once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from functions.stats.aggregator import Aggregator, handle_record
from functions.stats.repository import StatsStore
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.stats import case_record, checkin_record, create_stats_table

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 24)  # a Tuesday of ISO week 2026-W48


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class Units:
    def __init__(self) -> None:
        self.of: dict[str, str] = {}

    def __call__(self, org_id: str, user_id: str) -> str:
        return self.of.get(user_id, "-")


@pytest.fixture
def world(db: Any) -> tuple[Aggregator, StatsStore, Units]:
    store = StatsStore(db, create_stats_table(db, fresh_name("stats")))
    units = Units()
    return Aggregator(store, units, lambda org: "Asia/Shanghai", lambda: NOW), store, units


def feed(counter: Aggregator, *records: dict[str, Any]) -> None:
    for record in records:
        handle_record(DynamoDBRecord(record), counter)


def counters(
    store: StatsStore, period: str | None, first: dt.date = DAY
) -> dict[tuple[str, str], Any]:
    return {(p, u): c for p, u, c in store.rows("org-a", first, first, period)}


def test_a_replayed_record_counts_once(world: tuple[Aggregator, StatsStore, Units]) -> None:
    counter, store, units = world
    units.of["u1"] = "c71"
    record = checkin_record("u1", DAY, mood=2, tier="watch")
    feed(counter, record, record, record)
    day = counters(store, None)[("d#2026-11-24", "c71")]
    assert day == {"members": 1, "checkins": 1, "mood_2": 1, "tier_watch": 1}


def test_an_older_record_after_a_newer_one_changes_nothing(
    world: tuple[Aggregator, StatsStore, Units],
) -> None:
    counter, store, units = world
    units.of["u1"] = "c71"
    first = checkin_record("u1", DAY, mood=2)
    second = checkin_record("u1", DAY, mood=5, event="MODIFY")
    feed(counter, first, second, first)
    day = counters(store, None)[("d#2026-11-24", "c71")]
    assert day == {"members": 1, "checkins": 1, "mood_5": 1, "tier_none": 1}


def test_a_week_counts_a_member_once_however_many_days(
    world: tuple[Aggregator, StatsStore, Units],
) -> None:
    counter, store, units = world
    units.of |= {"u1": "c71", "u2": "c71"}
    feed(
        counter,
        *(checkin_record("u1", DAY + dt.timedelta(days=n)) for n in range(3)),
        checkin_record("u2", DAY),
    )
    week = counters(store, "w#2026-W48")[("w#2026-W48", "c71")]
    assert week["members"] == 2 and week["checkins"] == 4
    month = counters(store, "m#2026-11")[("m#2026-11", "c71")]
    assert month["members"] == 2


def test_a_removed_checkin_is_taken_away(world: tuple[Aggregator, StatsStore, Units]) -> None:
    counter, store, units = world
    units.of["u1"] = "c71"
    feed(counter, checkin_record("u1", DAY), checkin_record("u1", DAY, event="REMOVE"))
    week = counters(store, "w#2026-W48")[("w#2026-W48", "c71")]
    assert week == {}  # every counter back at zero


def test_an_edit_after_a_move_takes_the_day_to_the_new_unit(
    world: tuple[Aggregator, StatsStore, Units],
) -> None:
    counter, store, units = world
    units.of["u1"] = "c71"
    feed(counter, checkin_record("u1", DAY, mood=1))
    units.of["u1"] = "c72"
    feed(counter, checkin_record("u1", DAY, mood=4, event="MODIFY"))
    week = counters(store, "w#2026-W48")
    assert week[("w#2026-W48", "c72")]["members"] == 1
    assert week[("w#2026-W48", "c71")] == {}


def test_a_member_of_no_organisation_leaves_no_trace(
    world: tuple[Aggregator, StatsStore, Units], db: Any
) -> None:
    counter, store, _ = world
    feed(counter, checkin_record("solo", DAY, org_id=None))
    assert store.get_many("member#solo", ["d#2026-11-24"]) == {}


def test_a_case_counts_opened_and_acknowledged_once_each(
    world: tuple[Aggregator, StatsStore, Units],
) -> None:
    counter, store, units = world
    units.of["u1"] = "c71"
    # Opened 23:30 UTC on the 23rd: the 24th in Shanghai, the organisation's zone
    opened = case_record("k1", "u1", "2026-11-23T23:30:00.000Z")
    acknowledged = case_record(
        "k1",
        "u1",
        "2026-11-23T23:30:00.000Z",
        acknowledged_at="2026-11-23T23:50:00.000Z",
        status="acknowledged",
        event="MODIFY",
    )
    reopened = case_record("k1", "u1", "2026-11-23T23:30:00.000Z", event="MODIFY")
    again = case_record(
        "k1", "u1", "2026-11-23T23:30:00.000Z", acknowledged_at="2026-11-25T00:00:00.000Z"
    )
    feed(counter, opened, opened, acknowledged, acknowledged, reopened, again)
    day = counters(store, None)[("d#2026-11-24", "c71")]
    assert day == {"cases_opened": 1, "cases_acknowledged": 1, "ack_2": 1}


def test_a_case_without_an_organisation_is_not_counted(
    world: tuple[Aggregator, StatsStore, Units],
) -> None:
    counter, store, _ = world
    feed(counter, case_record("k2", "u9", "2026-11-24T01:00:00.000Z", org_id="none"))
    assert counters(store, None) == {}
