"""The campaigns function's world for its unit tests (a helper module: no tests here).

moto DynamoDB with tables shaped as the template's ScreeningsTable, CampaignsTable and
OrgsTable (its ByUnit index), an organisation's units and roster written as the orgs
feature writes them, KMS in memory, the audit log in a list, and the app's dependencies
pointed at all of it.

School tree: school → g7 → c71, c72; school → g8 → c81. Org "company": unit hq.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.screenings import campaign_routes as routes
from functions.screenings.campaign_keys import CampaignsSettings
from functions.screenings.campaign_repository import CampaignsRepository
from functions.screenings.repository import PURPOSE, ScreeningKeys
from shared.dynamo import from_item, to_item
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import Identity, current_identity
from shared.orgs.keys import org_pk, person_sk, unit_index_pk, unit_index_sk, unit_sk
from shared.orgs.roster import Roster
from shared.orgs.tree import OrgUnits
from shared.routing import clock
from shared.vault import Vault
from tests.support.fakes import (
    Caller,
    FakeAudit,
    FakeKms,
    MovableClock,
    fake_keyring,
    fake_signal_sealer,
)
from tests.support.moto_cloud import fresh_name
from tests.support.tables import table_shape

ORG, OTHER_ORG = "school", "company"
# Tuesday 24 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
PROBLEM_JSON = "application/problem+json"
UNITS = (
    (ORG, "school", "Demo School", "school", None),
    (ORG, "g7", "Grade 7", "grade", "school"),
    (ORG, "c71", "Class 7-1", "class", "g7"),
    (ORG, "c72", "Class 7-2", "class", "g7"),
    (ORG, "g8", "Grade 8", "grade", "school"),
    (ORG, "c81", "Class 8-1", "class", "g8"),
    (OTHER_ORG, "hq", "Head Office", "company", None),
)
PEOPLE = (
    ("admin", "org_admin", "school"),
    ("counsellor", "counsellor", "school"),
    ("supporter", "peer_supporter", "c71"),
    ("mei", "member", "c71"),
    ("lei", "member", "c71"),
    ("fang", "member", "c72"),
    ("gang", "member", "c81"),
)
OTHER_PEOPLE = (("other_admin", "org_admin", "hq"), ("other_member", "member", "hq"))
MINIMAL_PHQ9 = [0, 0, 0, 0, 0, 0, 0, 0, 0]
MODERATE_PHQ9 = [2, 2, 1, 1, 1, 1, 1, 2, 0]  # 11: moderate, item 9 = 0
ITEM9_PHQ9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]
SEVERE_PHQ9 = [3, 3, 3, 3, 3, 2, 2, 2, 0]  # 21: severe
MINIMAL_GAD7 = [0, 0, 0, 0, 0, 0, 0]


def create(db: Any, logical_id: str, prefix: str) -> str:
    name = fresh_name(prefix)
    db.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **table_shape(logical_id))
    return name


def identity_of(user_id: str, role: str, org_id: str = ORG, locale: str = "en") -> Identity:
    return Identity(
        user_id=user_id,
        username=user_id,
        roles=frozenset({role}),
        org_id=org_id,
        locale=locale,
    )


def campaign_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": {"zh-CN": "期中心理普查", "en": "Mid-term check"},
        "instruments": ["phq9"],
        "units": ["c71"],
        "opens_at": "2026-11-24T00:00:00Z",
        "closes_at": "2026-12-01T00:00:00Z",
        "consent_text": {"zh-CN": "我同意参加。", "en": "I agree to take part."},
        "kind": "routine",
    }
    return body | changes


class World:
    def __init__(self, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.db = db
        self.campaigns_table = create(db, "CampaignsTable", "campaigns")
        self.screenings_table = create(db, "ScreeningsTable", "screenings")
        self.orgs_table = create(db, "OrgsTable", "orgs")
        self.kms = FakeKms()
        self.vault = Vault(
            fake_keyring(PURPOSE, self.kms), ScreeningKeys(db, self.screenings_table)
        )
        self.repo = CampaignsRepository(
            db,
            self.campaigns_table,
            self.screenings_table,
            self.vault,
            fake_signal_sealer(self.kms),
        )
        self.roster = Roster(db, self.orgs_table, 0.0)
        self.units = OrgUnits(db, self.orgs_table, 0.0)
        self.audit = FakeAudit()
        self.clock = MovableClock(NOW)
        self.caller = Caller(identity_of("admin", "org_admin"))
        self.config = CampaignsSettings(
            campaigns_table=self.campaigns_table, screenings_table=self.screenings_table
        )
        for org_id, unit_id, name, kind, parent in UNITS:
            self.put_org_item(
                org_id,
                unit_sk(unit_id),
                {"unit_id": unit_id, "name": name, "kind": kind, "parent_id": parent},
            )
        for key, role, unit_id in PEOPLE:
            self.enrol(key, role, unit_id)
        for key, role, unit_id in OTHER_PEOPLE:
            self.enrol(key, role, unit_id, org_id=OTHER_ORG)
        monkeypatch.setattr("shared.orgs.access.roster", lambda: self.roster)
        app = routes.app
        app.dependency_overrides.clear()
        app.dependency_overrides.update(
            {
                routes.repository: lambda: self.repo,
                routes.audit_log: lambda: self.audit,
                routes.org_units: lambda: self.units,
                routes.people: lambda: self.roster,
                routes.config: lambda: self.config,
                routes.crisis_lines: lambda: self.lines,
                current_identity: self.caller,
                clock: lambda: self.clock,
            }
        )
        self.http = TestClient(app)

    @staticmethod
    def lines(identity: Identity, at: Any) -> dict[str, Any]:
        return {"message": "You are not alone.", "lang": "en", "resources": [{"phone": "12356"}]}

    # seeding
    def put_org_item(self, org_id: str, sk: str, fields: dict[str, Any]) -> None:
        item = {"pk": org_pk(org_id), "sk": sk, "org_id": org_id} | fields
        self.db.put_item(TableName=self.orgs_table, Item=to_item(item))

    def enrol(
        self,
        user_id: str,
        role: str,
        unit_id: str | None,
        *,
        org_id: str = ORG,
        status: str = "active",
    ) -> None:
        fields: dict[str, Any] = {
            "user_id": user_id,
            "role": role,
            "unit_id": unit_id,
            "status": status,
            "display_name": user_id.title(),
        }
        if status == "active" and unit_id:
            fields["unit_pk"] = unit_index_pk(org_id, unit_id)
            fields["unit_sk"] = unit_index_sk(role, user_id)
        self.put_org_item(org_id, person_sk(user_id), fields)

    # calls
    def as_(
        self, user_id: str, role: str = "member", org_id: str = ORG, locale: str = "en"
    ) -> None:
        self.caller.identity = identity_of(user_id, role, org_id, locale)

    def create_campaign(self, **changes: Any) -> dict[str, Any]:
        self.as_("admin", "org_admin")
        answer = self.http.post(f"/orgs/{ORG}/campaigns", json=campaign_body(**changes))
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def consent(
        self, campaign: dict[str, Any], who: str, decision: str = "accept", **extra: Any
    ) -> httpx.Response:
        self.as_(who)
        body = {"decision": decision, "consent_version": campaign["consent_version"]} | extra
        return self.http.post(f"/me/campaigns/{campaign['campaign_id']}/consent", json=body)

    def respond(
        self, campaign: dict[str, Any], who: str, answers: dict[str, Any], **extra: Any
    ) -> httpx.Response:
        self.as_(who)
        body = {"answers": answers} | extra
        return self.http.post(f"/me/campaigns/{campaign['campaign_id']}/responses", json=body)

    def take_part(self, campaign: dict[str, Any], who: str, answers: dict[str, Any]) -> Any:
        assert self.consent(campaign, who).status_code == 201
        answer = self.respond(campaign, who, answers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    # looking inside
    def screenings_items(self, user_id: str) -> list[dict[str, Any]]:
        response = self.db.query(
            TableName=self.screenings_table,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": user_id}},
        )
        return [from_item(i) for i in response["Items"]]

    def campaign_items(self, campaign_id: str) -> list[dict[str, Any]]:
        response = self.db.query(
            TableName=self.campaigns_table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": f"campaign#{campaign_id}"}},
        )
        return [from_item(i) for i in response["Items"]]


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    if slug is not None:
        assert body["type"] == PROBLEM_TYPE_BASE + slug
    return body
