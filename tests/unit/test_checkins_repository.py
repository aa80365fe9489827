"""The check-ins repository on moto's DynamoDB (the template's CheckinsTable) with the
in-memory KMS: a risky check-in also carries its reasons sealed for the crisis feature, a
shared one its tags and note sealed for the peer feature."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from functions.checkins.logic import build_checkin
from functions.checkins.models import CheckinIn
from functions.checkins.repository import PURPOSE, CheckinKeys, CheckinsRepository
from shared.crisis.signal_seal import SignalSealer
from shared.dynamo import from_item
from shared.peer_share import ShareSealer
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
        self.shares = ShareSealer(self.kms, "alias/fake-sealing-key")
        vault = Vault(fake_keyring(PURPOSE, self.kms), CheckinKeys(db, self.table))
        self.repo = CheckinsRepository(db, self.table, vault, self.signals, self.shares)

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


# --- tags and note sealed for the peer feature (share_ct, shared/peer_share.py) -----------

SHARED = {"mood": 2, "tags": ["考试", "sleep"], "note": "睡不着", "share_with_supporter": True}


def test_a_shared_checkin_carries_its_tags_and_note_sealed_for_the_peer_feature(
    world: World,
) -> None:
    # Given a check-in shared with the member's supporters, with tags and a note
    world.save(SHARED)
    item = world.stored()
    # Then `share_ct` opens, for this member and day only, to the tags and the note
    opened = world.shares.open(USER, DAY, bytes(item["share_ct"]))
    assert (list(opened.tags), opened.note) == (SHARED["tags"], SHARED["note"])
    with pytest.raises(KmsRefused):
        world.shares.open("someone-else", DAY, bytes(item["share_ct"]))
    with pytest.raises(KmsRefused):
        world.shares.open(USER, "2026-11-23", bytes(item["share_ct"]))
    # and neither is on the item in plain
    text = json.dumps(item, default=lambda v: bytes(v).decode("latin-1"), ensure_ascii=False)
    assert "睡不着" not in text and "考试" not in text


def test_a_shared_checkin_with_nothing_to_share_carries_no_share(world: World) -> None:
    world.save({"mood": 2, "share_with_supporter": True})
    assert "share_ct" not in world.stored()
    assert world.kms.calls.get("encrypt", 0) == 0


def test_a_checkin_not_shared_carries_no_share(world: World) -> None:
    world.save(SHARED | {"share_with_supporter": False})
    assert "share_ct" not in world.stored()


@pytest.mark.parametrize(
    "rewrite",
    [SHARED | {"share_with_supporter": False}, {"mood": 3, "share_with_supporter": True}],
    ids=["sharing-off", "nothing-to-share"],
)
def test_a_rewrite_removes_the_share(world: World, rewrite: dict[str, Any]) -> None:
    # Given a shared check-in with a note, rewritten later the same day
    world.save(SHARED)
    assert "share_ct" in world.stored()
    world.save(rewrite, at=NOW + dt.timedelta(hours=2))
    # Then its sealed share is gone
    assert "share_ct" not in world.stored()


def test_the_member_reads_their_shared_checkin_without_the_share_blob(world: World) -> None:
    world.save(SHARED)
    read = world.repo.get(USER, dt.date(2026, 11, 24))
    assert read is not None and (read.tags, read.note) == (SHARED["tags"], SHARED["note"])
    exported = list(world.repo.every(USER))
    assert exported and "share_ct" not in exported[0]


def test_a_long_note_still_fits_one_kms_encrypt(world: World) -> None:
    # Given a shared note of 1000 four-byte characters and ten long tags (over 4 KB as JSON)
    note = "😢" * 1000
    tags = [f"{n}" + "标" * 31 for n in range(10)]
    world.save({"mood": 1, "tags": tags, "note": note, "share_with_supporter": True})
    # Then it is sealed in one Encrypt (the fake refuses more than 4096 bytes) and opens
    opened = world.shares.open(USER, DAY, bytes(world.stored()["share_ct"]))
    assert (list(opened.tags), opened.note) == (tags, note)


def test_a_note_that_cannot_fit_is_cut_short_and_the_tags_kept(world: World) -> None:
    # Given a note (longer than a check-in takes) that not even compressed fits in 4 KB
    rng = random.Random(11)
    note = "".join(chr(rng.randrange(0x20000, 0x2A6DF)) for _ in range(3000))
    # When it is sealed for the peer feature
    sealed = world.shares.seal(USER, DAY, ["考试"], note)
    # Then one Encrypt still takes it: the tags whole, the note's beginning, marked cut
    opened = world.shares.open(USER, DAY, sealed)
    assert list(opened.tags) == ["考试"]
    assert opened.note is not None and opened.note.endswith("…")
    assert note.startswith(opened.note[:-1]) and len(opened.note) > 1000
