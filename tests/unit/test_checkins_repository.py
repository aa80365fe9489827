"""The check-ins repository on moto's DynamoDB (the template's CheckinsTable) with the
in-memory KMS: a risky check-in also carries its reasons sealed for the crisis feature."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.checkins.logic import build_checkin
from functions.checkins.models import CheckinIn
from functions.checkins.repository import PURPOSE, CheckinKeys, CheckinsRepository
from shared.crisis.signal_seal import SignalSealer
from shared.dynamo import from_item
from shared.vault import Vault
from tests.support.fakes import FakeKms, KmsRefused, fake_keyring, fake_signal_sealer
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

NOW = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
DAY = "2026-11-24"
USER = "member-1"
# PHQ-9 with item 9 at 1 (total 21, severe): high, reasons phq9_item9_positive, phq9_severe.
RISKY = {"mood": 1, "instruments": {"phq9": [3, 3, 3, 3, 3, 3, 1, 1, 1]}}
CALM = {"mood": 4}


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


class World:
    def __init__(self, db: Any) -> None:
        self.db = db
        self.table = create_table(db, "CheckinsTable", fresh_name("checkins"))
        self.kms = FakeKms()
        self.signals: SignalSealer = fake_signal_sealer(self.kms)
        vault = Vault(fake_keyring(PURPOSE, self.kms), CheckinKeys(db, self.table))
        self.repo = CheckinsRepository(db, self.table, vault, self.signals)

    def save(self, body: dict[str, Any], at: dt.datetime = NOW) -> Any:
        checkin = build_checkin(CheckinIn.model_validate(body), "Asia/Shanghai", at)
        return self.repo.save(USER, "school", checkin)[0]

    def stored(self) -> dict[str, Any]:
        found = self.db.get_item(
            TableName=self.table, Key={"user_id": {"S": USER}, "date": {"S": DAY}}
        )
        return from_item(found["Item"])


@pytest.fixture
def world(db: Any) -> World:
    return World(db)


def test_a_risky_checkin_carries_its_reasons_sealed_for_the_crisis_feature(world: World) -> None:
    # Given a check-in whose PHQ-9 is severe with item 9 above 0
    saved = world.save(RISKY)
    assert saved.risk.level == "high"
    # When the stored item is read
    item = world.stored()
    # Then `signal_ct` opens, for this member and day only, to the check-in's reason codes
    assert world.signals.open(USER, DAY, bytes(item["signal_ct"])) == saved.risk.reasons
    assert "phq9_item9_positive" in saved.risk.reasons
    # and no reason is on the item in plain
    assert not any(r in json.dumps(item, default=repr) for r in saved.risk.reasons)


def test_the_signal_reasons_open_for_no_other_member_or_day(world: World) -> None:
    world.save(RISKY)
    sealed = bytes(world.stored()["signal_ct"])
    with pytest.raises(KmsRefused):
        world.signals.open("someone-else", DAY, sealed)
    with pytest.raises(KmsRefused):
        world.signals.open(USER, "2026-11-23", sealed)


def test_a_checkin_without_risk_carries_no_signal_reasons(world: World) -> None:
    saved = world.save(CALM)
    assert saved.risk.level == "none"
    assert "signal_ct" not in world.stored()
    assert world.kms.calls.get("encrypt", 0) == 0


def test_a_rewrite_without_risk_removes_the_signal_reasons(world: World) -> None:
    # Given a risky check-in rewritten later the same day without risk
    world.save(RISKY)
    world.save(CALM, at=NOW + dt.timedelta(hours=2))
    # Then its sealed signal reasons are gone with the risk
    item = world.stored()
    assert item["risk_level"] == "none"
    assert "signal_ct" not in item


def test_the_member_still_reads_their_checkin_without_the_signal_blob(world: World) -> None:
    saved = world.save(RISKY)
    read = world.repo.get(USER, dt.date(2026, 11, 24))
    assert read is not None and read.risk.reasons == saved.risk.reasons
