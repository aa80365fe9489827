"""The appointments function's world for its unit tests (a helper module: no tests here).

moto DynamoDB shaped as the template's AppointmentsTable, KMS in memory, the roster and
the organisations' zones in dicts, the app with its dependencies pointed at them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from functions.appointments import routes
from functions.appointments.keys import PURPOSE, AppointmentKeys
from functions.appointments.repository import AppointmentsRepository
from shared.dynamo import from_item
from shared.identity import Identity, current_identity
from shared.orgs.roster import RosterEntry
from shared.routing import clock
from shared.vault import Vault
from tests.support.fakes import Caller, FakeAudit, FakeKms, MovableClock, fake_keyring
from tests.support.moto_cloud import fresh_name
from tests.support.tables import create_table

ORG, OTHER_ORG = "school", "company"
SHANGHAI = "Asia/Shanghai"
# Monday 23 November 2026, 10:00:10 in Shanghai.
NOW = dt.datetime(2026, 11, 23, 2, 0, 10, tzinfo=dt.UTC)
COUNSELLOR = RosterEntry(ORG, "cou-1", "counsellor", "Ms Wang", True, "centre")
OTHER_COUNSELLOR = RosterEntry(ORG, "cou-2", "counsellor", "Mr Liu", True, "centre")
FOREIGN_COUNSELLOR = RosterEntry(OTHER_ORG, "cou-9", "counsellor", "Ms Chen", True, "eap")
MEMBER = RosterEntry(ORG, "mem-1", "member", "Xiao Ming", True, "c71")
OTHER_MEMBER = RosterEntry(ORG, "mem-2", "member", "Xiao Hong", True, "c72")
SUPPORTER = RosterEntry(ORG, "sup-1", "peer_supporter", "Li Wei", True, "c71")
ADMIN = RosterEntry(ORG, "adm-1", "org_admin", "Mr Zhou", True, "centre")
RACERS = tuple(
    RosterEntry(ORG, f"racer-{n:02d}", "member", f"Racer Name {n:02d}", True, "c73")
    for n in range(20)
)
EVERYONE = (
    COUNSELLOR,
    OTHER_COUNSELLOR,
    FOREIGN_COUNSELLOR,
    MEMBER,
    OTHER_MEMBER,
    SUPPORTER,
    ADMIN,
    *RACERS,
)
OFFICE_HOURS = {
    "weekly": {
        day: [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "17:00"}]
        for day in ("mon", "tue", "wed", "thu", "fri")
    }
}
# Wednesday 25 November 2026, 14:00 and 15:00 in Shanghai.
WED_14 = "2026-11-25T06:00:00.000Z"
WED_15 = "2026-11-25T07:00:00.000Z"


class Roster:
    def __init__(self, *entries: RosterEntry) -> None:
        self.entries = {(e.org_id, e.user_id): e for e in entries}

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None:
        return self.entries.get((org_id, user_id))

    def forget(self, org_id: str, user_id: str) -> None:
        pass

    def put(self, entry: RosterEntry) -> None:
        self.entries[(entry.org_id, entry.user_id)] = entry


class Zones:
    def __init__(self) -> None:
        self.zones = {ORG: SHANGHAI, OTHER_ORG: SHANGHAI}

    def zone(self, org_id: str) -> str:
        return self.zones[org_id]


def identity_of(entry: RosterEntry, locale: str = "en") -> Identity:
    return Identity(
        user_id=entry.user_id,
        username=entry.user_id,
        roles=frozenset({entry.role}),
        org_id=entry.org_id,
        locale=locale,
    )


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.table = create_table(db, "AppointmentsTable", fresh_name("appointments"))
        self.kms = FakeKms()
        self.vault = Vault(fake_keyring(PURPOSE, self.kms), AppointmentKeys(db, self.table))
        self.repo = AppointmentsRepository(db, self.table, self.vault)
        self.roster = Roster(*EVERYONE)
        self.zones = Zones()
        self.audit = FakeAudit()
        self.clock = MovableClock(NOW)
        self.caller = Caller(identity_of(COUNSELLOR))
        self.rules = routes.Rules(dt.timedelta(hours=24), 3)
        monkeypatch.setattr("shared.orgs.access.roster", lambda: self.roster)
        app = routes.app
        app.dependency_overrides.clear()
        app.dependency_overrides.update(
            {
                routes.repository: lambda: self.repo,
                routes.audit_log: lambda: self.audit,
                routes.people: lambda: self.roster,
                routes.org_zones: lambda: self.zones,
                routes.rules: lambda: self.rules,
                current_identity: self.caller,
                clock: lambda: self.clock,
            }
        )
        self.http = TestClient(app)

    def as_(self, entry: RosterEntry, locale: str = "en") -> None:
        self.caller.identity = identity_of(entry, locale)

    def publish(self, body: dict[str, Any] | None = None, who: RosterEntry = COUNSELLOR) -> Any:
        self.as_(who)
        answer = self.http.put("/counsellors/me/availability", json=body or OFFICE_HOURS)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def book(
        self,
        who: RosterEntry = MEMBER,
        starts_at: str = WED_14,
        counsellor: RosterEntry = COUNSELLOR,
        **extra: Any,
    ) -> Any:
        self.as_(who)
        body = {"counsellor_id": counsellor.user_id, "starts_at": starts_at, "mode": "video"}
        return self.http.post("/appointments", json=body | extra)

    def items(self) -> list[dict[str, Any]]:
        return [from_item(i) for i in self.db.scan(TableName=self.table)["Items"]]

    def keys_starting(self, prefix: str) -> list[str]:
        return sorted(str(i["sk"]) for i in self.items() if str(i["pk"]).startswith(prefix))
