"""A member's campaign consents, responses and guardian records join the screenings
feature's export and erasure; the campaigns' counters stay (they name no one)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions.screenings.data_rights import ScreeningsData
from functions.screenings.repository import ScreeningsRepository
from tests.support.moto_cloud import moto_clients
from tests.unit.test_campaign_world import (
    ITEM9_PHQ9,
    MODERATE_PHQ9,
    ORG,
    World,
)


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    made = World(db, monkeypatch)
    yield made
    made.http.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def feature(world: World) -> ScreeningsData:
    table = world.screenings_table
    return ScreeningsData(
        world.db, table, ScreeningsRepository(world.db, table, world.vault), world.repo
    )


def test_export_holds_the_members_consent_response_with_answers_and_guardian_record(
    world: World,
) -> None:
    # Given lei under 14 with a guardian's consent, who answered in the moderate band
    campaign = world.create_campaign()
    world.as_("counsellor", "counsellor")
    world.http.put(
        f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/guardian-consents/lei",
        json={"obtained_on": "2026-11-20", "method": "in_person"},
    )
    assert world.consent(campaign, "lei", under_14=True).status_code == 201
    assert world.respond(campaign, "lei", {"phq9": MODERATE_PHQ9}).status_code == 201
    # When her data is exported
    exported = feature(world).export("lei")
    # Then the three records are there, the answers opened, no storage details
    records = {r["record"]: r for r in exported["campaigns"]}
    assert set(records) == {"consent", "response", "guardian"}
    assert records["response"]["answers"] == {"phq9": MODERATE_PHQ9}
    assert records["response"]["bands"] == {"phq9": "moderate"}
    assert records["consent"]["decision"] == "accept"
    assert records["guardian"]["method"] == "in_person"
    assert "recorded_by" not in records["guardian"]
    for record in records.values():
        assert not {"user_id", "sk", "org_id", "signal_ct", "answers_ct"} & set(record)
    assert exported["screenings"] == []


def test_erase_deletes_the_members_items_in_both_tables_and_keeps_the_counters(
    world: World,
) -> None:
    # Given mei (high) and lei (borderline) answered, lei with a guardian record too
    campaign = world.create_campaign()
    world.take_part(campaign, "mei", {"phq9": ITEM9_PHQ9})
    world.as_("counsellor", "counsellor")
    world.http.put(
        f"/orgs/{ORG}/campaigns/{campaign['campaign_id']}/guardian-consents/lei",
        json={"obtained_on": "2026-11-20", "method": "paper"},
    )
    world.take_part(campaign, "lei", {"phq9": MODERATE_PHQ9})
    # When lei's data is erased (twice: the workflow may repeat it)
    data = feature(world)
    assert data.erase("lei") > 0
    data.erase("lei")
    # Then nothing of hers is left in either table; mei's items and the counters stay
    assert world.screenings_items("lei") == []
    left = {i["sk"] for i in world.campaign_items(campaign["campaign_id"])}
    assert not {s for s in left if s.endswith("#lei")}
    assert {"member#mei", "count#c71"} <= left
    counts = {i["sk"]: i for i in world.campaign_items(campaign["campaign_id"])}["count#c71"]
    assert counts["responded"] == 2
    assert world.screenings_items("mei")
