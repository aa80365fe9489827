"""The statistics feature's export and erasure (functions/stats/data_rights.py) on moto's
DynamoDB (the template's StatsTable), filled by the aggregator from stream records: the
export lists the days the member was counted; the erasure leaves no item naming them and
the organisation's counters as they were; a second erasure changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from functions.stats.aggregator import Aggregator, handle_record
from functions.stats.data_rights import StatsData
from functions.stats.repository import StatsStore
from shared.dynamo import from_item
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.stats import case_record, checkin_record, create_stats_table

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 24)
LEAVING, STAYING = "7a0c3f9e-leaving-member", "c1d2e3f4-staying-member"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class World:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.table = create_stats_table(db, fresh_name("stats"))
        self.store = StatsStore(db, self.table)
        units = {LEAVING: "c71", STAYING: "c71"}
        self.counter = Aggregator(
            self.store, lambda org, user: units[user], lambda org: "Asia/Shanghai", lambda: NOW
        )
        self.data = StatsData(db, self.table)

    def feed(self, *records: dict[str, Any]) -> None:
        for record in records:
            handle_record(DynamoDBRecord(record), self.counter)

    def items(self) -> list[dict[str, Any]]:
        pages = self.db.get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True)
        return [from_item(i) for page in pages for i in page["Items"]]

    def counters(self) -> list[dict[str, Any]]:
        return [i for i in self.items() if str(i["pk"]).startswith("stats#")]


@pytest.fixture
def world(db: Any) -> World:
    w = World(db)
    # Two members of Class 7-1 check in; the leaving one on two days, the second day
    # edited, and a case of theirs is counted
    w.feed(
        checkin_record(LEAVING, DAY, mood=2, tier="watch"),
        checkin_record(LEAVING, DAY + dt.timedelta(days=1), mood=3),
        checkin_record(LEAVING, DAY + dt.timedelta(days=1), mood=4, event="MODIFY"),
        checkin_record(STAYING, DAY, mood=5),
        case_record("case-1", LEAVING, "2026-11-24T03:00:00Z"),
    )
    return w


def test_the_export_lists_the_days_the_member_was_counted(world: World) -> None:
    # When the leaving member's data is exported
    exported = world.data.export(LEAVING)
    # Then it holds each counted day as the counters saw it, and says what it is
    assert exported["counted_days"] == [
        {"date": "2026-11-24", "unit": "c71", "mood": 2, "tier": "watch"},
        {"date": "2026-11-25", "unit": "c71", "mood": 4, "tier": "none"},
    ]
    assert "statistics" in exported["what"]
    text = json.dumps(exported)
    for internal in ("org_id", "org-a", "seq", "expires_at", "version", STAYING):
        assert internal not in text


def test_a_removed_days_replay_marker_is_not_exported(world: World) -> None:
    # Given the second day's check-in was removed (its item keeps only the replay marker)
    world.feed(checkin_record(LEAVING, DAY + dt.timedelta(days=1), event="REMOVE"))
    # When exported / Then only the day still counted is listed
    assert [d["date"] for d in world.data.export(LEAVING)["counted_days"]] == ["2026-11-24"]


def test_erasure_leaves_no_item_naming_the_member_and_the_counters_as_they_were(
    world: World,
) -> None:
    # Given the counters and everything stored
    counters = world.counters()
    assert LEAVING in json.dumps(world.items())
    # When the member is erased
    erased = world.data.erase(LEAVING)
    # Then their days and periods are gone (two days, a week, a month) and no item names them
    assert erased == 4
    assert LEAVING not in json.dumps(world.items(), default=str)
    # And the counters, which name no one, are untouched, as is the other member
    assert world.counters() == counters
    assert world.data.export(STAYING)["counted_days"] == [
        {"date": "2026-11-24", "unit": "c71", "mood": 5, "tier": "none"}
    ]
    # And a second erasure finds nothing, and a late removal record stores nothing of them
    assert world.data.erase(LEAVING) == 0
    world.feed(checkin_record(LEAVING, DAY, event="REMOVE"))
    assert LEAVING not in json.dumps(world.items(), default=str)
    assert world.data.export(LEAVING)["counted_days"] == []
