"""The peer function's world for its unit tests: moto DynamoDB shaped as the template's
PeerTable, KMS in memory, a roster and the units' supporters in dicts, the app with its
dependencies pointed at them. (A helper module, not a test module: no tests here.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient

from functions.peer import reports_routes, routes
from functions.peer.keys import PURPOSE, PeerKeys
from functions.peer.projector import Projector
from functions.peer.repository import PeerRepository
from shared.dynamo import from_item
from shared.identity import Identity, current_identity
from shared.orgs.roster import RosterEntry
from shared.peer_share import ShareSealer
from shared.routing import clock
from shared.signing_keys import SigningKeys
from shared.vault import Vault
from tests.support.fakes import (
    Caller,
    FakeAudit,
    FakeKms,
    KmsRefused,
    MovableClock,
    fake_keyring,
    fake_signal_sealer,
)
from tests.support.moto_cloud import fresh_name
from tests.support.tables import create_table

ORG, OTHER_ORG = "school", "company"
NOW = dt.datetime(2026, 11, 24, 2, 0, 10, tzinfo=dt.UTC)
SUPPORTER = RosterEntry(ORG, "sup-1", "peer_supporter", "Li Wei", True, "c71", None, None, ("c71",))
OTHER_SUPPORTER = RosterEntry(
    ORG, "sup-2", "peer_supporter", "Zhao", True, "c72", None, None, ("c72",)
)
MEMBER = RosterEntry(ORG, "mem-1", "member", "Xiao Ming", True, "c71")
CLASSMATE = RosterEntry(ORG, "mem-4", "member", "Xiao Fang", True, "c71")
THIRD = RosterEntry(ORG, "mem-5", "member", "Xiao Gang", True, "c71")
ELSEWHERE = RosterEntry(ORG, "mem-2", "member", "Xiao Hong", True, "c72")
COUNSELLOR = RosterEntry(ORG, "cou-1", "counsellor", "Ms Wang", True, "school")
ADMIN = RosterEntry(ORG, "adm-1", "org_admin", "Mr Zhou", True, "school")
FOREIGN_COUNSELLOR = RosterEntry(OTHER_ORG, "cou-9", "counsellor", "Ms Chen", True, "company")
EVERYONE = (
    SUPPORTER,
    OTHER_SUPPORTER,
    MEMBER,
    CLASSMATE,
    THIRD,
    ELSEWHERE,
    COUNSELLOR,
    ADMIN,
    FOREIGN_COUNSELLOR,
)
CRISIS_LINES = {"message": "Call now", "lang": "en", "resources": [{"phone": "12356"}]}


class KmsAsBotocore:
    """The in-memory KMS refusing as botocore does (a ClientError with KMS's code), for the
    code that tells a refusal from any other failure (the projector opening `share_ct`)."""

    def __init__(self, kms: FakeKms) -> None:
        self._kms = kms

    def encrypt(self, **kw: Any) -> dict[str, Any]:
        return self._kms.encrypt(**kw)

    def decrypt(self, **kw: Any) -> dict[str, Any]:
        try:
            return self._kms.decrypt(**kw)
        except KmsRefused as refused:
            error = {"Error": {"Code": str(refused), "Message": "refused"}}
            raise ClientError(error, "Decrypt") from refused


def peer_table(db: Any) -> str:
    return create_table(db, "PeerTable", fresh_name("peer"))


class Roster:
    def __init__(self, *entries: RosterEntry) -> None:
        self.entries = {(e.org_id, e.user_id): e for e in entries}

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None:
        return self.entries.get((org_id, user_id))

    def forget(self, org_id: str, user_id: str) -> None:
        pass

    def put(self, entry: RosterEntry) -> None:
        self.entries[(entry.org_id, entry.user_id)] = entry


class Units:
    def __init__(self) -> None:
        self.by_unit: dict[tuple[str, str], tuple[str, ...]] = {
            (ORG, "c71"): (SUPPORTER.user_id,),
            (ORG, "c72"): (OTHER_SUPPORTER.user_id,),
        }

    def supporters(self, org_id: str, unit_id: str) -> tuple[str, ...]:
        return self.by_unit.get((org_id, unit_id), ())


def identity_of(entry: RosterEntry) -> Identity:
    return Identity(
        user_id=entry.user_id,
        username=entry.user_id,
        roles=frozenset({entry.role}),
        org_id=entry.org_id,
        locale="en",
    )


def checkin_image(
    member: RosterEntry = MEMBER,
    day: str = "2026-11-24",
    mood: int = 2,
    share: bool = True,
    created_at: str = "2026-11-24T01:00:00.000Z",
    share_ct: bytes | None = None,
) -> dict[str, Any]:
    """A check-ins stream image as the table holds it: scores, risk and sealed fields too
    (with `share_ct`, the tags and note sealed for the peer feature, when given)."""
    return ({"share_ct": share_ct} if share_ct is not None else {}) | {
        "user_id": member.user_id,
        "date": day,
        "org_id": member.org_id,
        "mood": mood,
        "energy": 2,
        "emotions": ["anxious", "tired"],
        "share_with_supporter": share,
        "instruments": {"phq9": [3, 3, 3, 3, 3, 3, 3, 3, 2]},
        "scores": {"phq9": {"total": 26, "band": "severe", "positive": True}},
        "risk": {"level": "high", "recommended_screener": "cssrs"},
        "risk_level": "high",
        "note_ct": b"sealed-note",
        "tags_ct": b"sealed-tags",
        "reasons_ct": b"sealed-reasons",
        "signal_ct": b"sealed-signal",
        "time_zone": "Asia/Shanghai",
        "created_at": created_at,
        "updated_at": created_at,
    }


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.table = peer_table(db)
        self.kms = FakeKms()
        self.sealer = fake_signal_sealer(self.kms)
        self.vault = Vault(fake_keyring(PURPOSE, self.kms), PeerKeys(db, self.table))
        self.repo = PeerRepository(db, self.table, self.vault)
        self.roster = Roster(*EVERYONE)
        self.units = Units()
        # The check-ins feature's sealer for the peer feature, on the same in-memory KMS.
        self.shares = ShareSealer(KmsAsBotocore(self.kms), "alias/fake-sealing-key")
        self.projector = Projector(self.repo, self.roster, self.units, self.shares)
        self.audit = FakeAudit()
        self.notified: list[tuple[Any, ...]] = []
        self.clock = MovableClock(NOW)
        self.caller = Caller(identity_of(SUPPORTER))
        monkeypatch.setattr("shared.orgs.access.roster", lambda: self.roster)
        app = routes.app
        keys = SigningKeys(current=b"peer-cursor-key-for-unit-tests!!")
        overrides: dict[Any, Any] = {
            routes.repository: lambda: self.repo,
            routes.audit_log: lambda: self.audit,
            routes.people: lambda: self.roster,
            routes.cursor_keys: lambda: keys,
            reports_routes.repository: lambda: self.repo,
            reports_routes.audit_log: lambda: self.audit,
            reports_routes.cursor_keys: lambda: keys,
            routes.signal_sealer: lambda: self.sealer,
            routes.notifier: lambda: self.notify,
            routes.crisis_lines: lambda: lambda identity, at: CRISIS_LINES,
            current_identity: self.caller,
            clock: lambda: self.clock,
        }
        app.dependency_overrides.clear()
        app.dependency_overrides.update(overrides)
        self.http = TestClient(app)

    def notify(self, recipient: str, category: str, params: Any = None, **kw: Any) -> str:
        self.notified.append((recipient, category, params))
        return "request"

    def as_(self, entry: RosterEntry) -> None:
        self.caller.identity = identity_of(entry)

    def sealed_share(
        self,
        tags: list[str],
        note: str | None,
        member: RosterEntry = MEMBER,
        day: str = "2026-11-24",
    ) -> bytes:
        """`share_ct` as the check-ins feature seals it for this member and day."""
        return self.shares.seal(member.user_id, day, tags, note)

    def share(self, image: dict[str, Any], event: str = "INSERT") -> str:
        return self.projector.apply(event, image, None, NOW)

    def items(self) -> list[dict[str, Any]]:
        return [from_item(i) for i in self.db.scan(TableName=self.table)["Items"]]

    def inbox_items(self) -> list[dict[str, Any]]:
        return [i for i in self.items() if str(i["pk"]).startswith("inbox#")]
