"""Demo organisations: the school's tree, roster, training, supervision, supporters and rota.

Demo School (Asia/Shanghai): school → Grade 7 → Class 7-1 and Class 7-2; mei and lei
in Class 7-1, jun in Class 7-2; peer-zhang trained, supervised by counsellor-wang and
assigned to Class 7-1; counsellors wang and liu take days and nights in turn,
officer-zhao is the duty officer; the rota covers every hour. Demo Works
(Europe/London, a zone with summer time) has one admin, so a client can see another
organisation's ids answer 404.
Safe to repeat: items are written with fixed ids and overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from functions.orgs.repository import OrgsRepository
from local.deploy import aws_client
from local.seed import DEMO_ORG, SECOND_ORG, ZONES, make_user
from shared.audit import AuditLog
from shared.dynamo import to_item
from shared.orgs.keys import ROTA_WEEKLY, SETTINGS, org_pk
from shared.orgs.rota import DAYS

SCHOOL_UNITS = (
    ("school", "Demo School", "school", None),
    ("grade-7", "Grade 7", "grade", "school"),
    ("class-7-1", "Class 7-1", "class", "grade-7"),
    ("class-7-2", "Class 7-2", "class", "grade-7"),
)
WORKS_UNITS = (("works", "Demo Works", "company", None),)
UNIT_OF = {"mei": "class-7-1", "lei": "class-7-1", "jun": "class-7-2", "peer-zhang": "class-7-1"}
DISPLAY = {
    "mei": "Mei 美",
    "lei": "Lei 蕾",
    "jun": "Jun 君",
    "peer-zhang": "Zhang 张",
    "counsellor-wang": "Counsellor Wang 王老师",
    "counsellor-liu": "Counsellor Liu 刘老师",
    "officer-zhao": "Duty officer Zhao 赵主任",
    "admin-li": "Admin Li 李老师",
    "admin-zhou": "Admin Zhou",
    "counsellor-chen": "Counsellor Chen",
}
SETTINGS_OF = {
    DEMO_ORG: {"name": "Demo School 示范中学", "kind": "school", "region_code": "CN-SC"},
    SECOND_ORG: {"name": "Demo Works", "kind": "workplace", "region_code": "GB"},
}
CONTACT = {"name": "Duty officer Zhao", "phone": "+8613800000000"}
# Organisation ids: no "#", which the orgs table's keys use as a separator.
ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def _put(db: Any, table: str, org_id: str, sk: str, values: dict[str, Any]) -> None:
    db.put_item(TableName=table, Item=to_item({"pk": org_pk(org_id), "sk": sk, **values}))


def seed_orgs(
    endpoint: str, region: str, tables: dict[str, str], users: list[dict[str, str]]
) -> dict[str, Any]:
    """Write the demo organisations; what stack.json records about them."""
    db = aws_client("dynamodb", endpoint, region)
    repo = OrgsRepository(db, tables["orgs"])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    ids = {u["username"]: u["user_id"] for u in users}
    described: dict[str, Any] = {}
    for org_id, units in ((DEMO_ORG, SCHOOL_UNITS), (SECOND_ORG, WORKS_UNITS)):
        zone, locale = ZONES[org_id]
        settings: dict[str, Any] = {**SETTINGS_OF[org_id], "time_zone": zone, "locale": locale}
        if org_id == DEMO_ORG:
            settings["escalation_contact"] = CONTACT
        _put(
            db,
            tables["orgs"],
            org_id,
            SETTINGS,
            {"org_id": org_id, **settings, "updated_at": stamp},
        )
        for unit_id, name, kind, parent in units:
            values = {"unit_id": unit_id, "name": name, "kind": kind, "parent_id": parent}
            _put(
                db,
                tables["orgs"],
                org_id,
                f"unit#{unit_id}",
                {**values, "created_at": stamp, "updated_at": stamp},
            )
        people = [u for u in users if u["org_id"] == org_id]
        # Only people not on the roster yet: a second run keeps training and supervision.
        known = repo.people(org_id, [u["user_id"] for u in people])
        repo.enrol(
            [
                {
                    "org_id": org_id,
                    "user_id": u["user_id"],
                    "username": u["username"],
                    "display_name": DISPLAY[u["username"]],
                    "role": u["role"],
                    "unit_id": UNIT_OF.get(u["username"], units[0][0]),
                    "status": "active",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
                for u in people
                if u["user_id"] not in known
            ]
        )
        described[org_id] = {
            "name": settings["name"],
            "time_zone": zone,
            "units": {name: unit_id for unit_id, name, _, _ in units},
            "people": {
                u["username"]: {
                    "user_id": u["user_id"],
                    "role": u["role"],
                    "unit_id": UNIT_OF.get(u["username"], units[0][0]),
                }
                for u in people
            },
        }
    _school_staffing(repo, db, tables, ids, stamp)
    described[DEMO_ORG]["rota"] = demo_rota()
    return described


# The demo school's rota, every day of the week, in its zone (Asia/Shanghai); stack.json
# records it (`demo_orgs.demo-school.rota`) for clients and tests.
DEMO_ROTA: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "08:00",
        "20:00",
        {"primary": "counsellor-wang", "backup": "counsellor-liu", "duty_officer": "officer-zhao"},
    ),
    (
        "20:00",
        "08:00",
        {"primary": "counsellor-liu", "backup": "counsellor-wang", "duty_officer": "officer-zhao"},
    ),
)
DEMO_FALLBACK = "officer-zhao"


def demo_rota() -> dict[str, Any]:
    """The rota as stack.json records it: usernames, every day, the school's zone."""
    return {
        "days": "every day",
        "slots": [{"start": s, "end": e} | staff for s, e, staff in DEMO_ROTA],
        "fallback_duty_officer": DEMO_FALLBACK,
    }


def _school_staffing(
    repo: OrgsRepository, db: Any, tables: dict[str, str], ids: dict[str, str], stamp: str
) -> None:
    peer, wang = ids["peer-zhang"], ids["counsellor-wang"]
    today = dt.date.today()
    person = repo.person(DEMO_ORG, peer)
    assert person is not None
    repo.update_person(DEMO_ORG, peer, {"supervisor_id": wang, "updated_at": stamp})
    person = repo.person(DEMO_ORG, peer)
    assert person is not None
    if not repo.trainings(DEMO_ORG, peer):
        repo.add_training(
            DEMO_ORG,
            peer,
            {
                "training_id": "demo-training",
                "user_id": peer,
                "course": "Peer supporter basics 心理委员培训",
                "completed_on": (today - dt.timedelta(days=30)).isoformat(),
                "valid_until": (today + dt.timedelta(days=365)).isoformat(),
                "trainer": "Counsellor Wang",
                "recorded_at": stamp,
            },
            person,
            stamp,
        )
    unit = repo.unit(DEMO_ORG, "class-7-1") or {}
    repo.set_supporters(DEMO_ORG, "class-7-1", [peer], list(unit.get("supporters") or ()), stamp)
    days = [
        {"day": d, "start": start, "end": end} | {duty: ids[name] for duty, name in staff.items()}
        for d in DAYS
        for start, end, staff in DEMO_ROTA
    ]
    _put(
        db,
        tables["orgs"],
        DEMO_ORG,
        ROTA_WEEKLY,
        {"slots": days, "fallback_duty_officer": ids[DEMO_FALLBACK], "updated_at": stamp},
    )
    AuditLog(db, tables["audit"]).append(
        DEMO_ORG,
        actor_id="operator",
        actor_role="operator",
        action="org.seed",
        target_type="org",
        target_id=DEMO_ORG,
    )


def create_org(
    stack: dict[str, Any],
    org_id: str,
    *,
    name: str,
    kind: str,
    time_zone: str,
    locale: str,
    admin_username: str,
    admin_password: str,
) -> str:
    """A new organisation with its first admin (tests, and operators on the local cloud).

    The API has no route that creates an organisation: the first admin is made here,
    and invites everyone else. Returns the admin's user id.
    """
    if not ORG_ID.fullmatch(org_id):
        raise ValueError("an organisation id is 1-64 lower-case letters, digits and hyphens")
    endpoint, region = stack["aws_endpoint_url"], stack["region"]
    cognito = aws_client("cognito-idp", endpoint, region)
    admin_id = make_user(
        cognito,
        stack["user_pool_id"],
        admin_username,
        admin_password,
        org_id=org_id,
        group="org_admin",
        zoneinfo=time_zone,
        locale=locale,
    )
    repo = OrgsRepository(aws_client("dynamodb", endpoint, region), stack["tables"]["orgs"])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    repo.create_settings(
        org_id,
        {
            "name": name,
            "kind": kind,
            "time_zone": time_zone,
            "locale": locale,
            "region_code": "CN",
            "updated_at": stamp,
        },
    )
    repo.enrol(
        [
            {
                "org_id": org_id,
                "user_id": admin_id,
                "username": admin_username,
                "display_name": admin_username,
                "role": "org_admin",
                "status": "active",
                "created_at": stamp,
                "updated_at": stamp,
            }
        ]
    )
    return admin_id
