"""Organisations over HTTP with Cognito tokens: tree, invitations, imports, supporters, rota,
roles that end within a minute, and an audit chain that shows tampering."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.deploy import aws_client
from local.seed_orgs import create_org
from local.stack import write
from tests.support.passwords import policy_password

Login = Callable[..., dict[str, str]]
IMPORT_DEADLINE = 60.0
ROLE_DEADLINE = 60.0


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def org(local_cloud: dict[str, Any], login: Login) -> Callable[..., dict[str, Any]]:
    """A fresh organisation with its own admin, so each test owns its roster and audit chain."""

    def _make(time_zone: str = "Asia/Shanghai") -> dict[str, Any]:
        org_id = f"st-{uuid.uuid4().hex[:10]}"
        username, password = f"admin-{org_id}", policy_password("Stack-Admin")
        admin_id = create_org(
            local_cloud,
            org_id,
            name=f"Org {org_id}",
            kind="school",
            time_zone=time_zone,
            locale="zh-CN",
            admin_username=username,
            admin_password=password,
        )
        return {"org_id": org_id, "admin_id": admin_id, "admin": login(username, password)}

    return _make


def _sign_in_first_time(
    local_cloud: dict[str, Any], username: str, temporary: str
) -> dict[str, str]:
    """The app's first sign-in: the temporary password, then a new one (NEW_PASSWORD_REQUIRED)."""
    cognito = aws_client("cognito-idp", local_cloud["aws_endpoint_url"], local_cloud["region"])
    client_id = local_cloud["user_pool_client_id"]
    first = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": temporary},
    )
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": username,
            "NEW_PASSWORD": "Chosen-" + uuid.uuid4().hex[:10],
        },
    )
    return {"Authorization": done["AuthenticationResult"]["IdToken"]}


def _unit(api: httpx.Client, o: dict[str, Any], name: str, kind: str, parent: str | None) -> str:
    created = api.post(
        f"orgs/{o['org_id']}/units",
        headers=o["admin"],
        json={"name": name, "kind": kind, "parent_id": parent},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["unit_id"])


def _invite(
    api: httpx.Client, o: dict[str, Any], role: str, unit: str | None = None
) -> dict[str, Any]:
    answer = api.post(
        f"orgs/{o['org_id']}/invitations",
        headers=o["admin"],
        json={
            "display_name": f"{role} {uuid.uuid4().hex[:4]}",
            "email": f"{uuid.uuid4().hex[:12]}@example.com",
            "role": role,
            "unit_id": unit,
        },
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_admin_builds_a_tree_and_cannot_make_a_cycle(
    api: httpx.Client, org: Callable[..., Any]
) -> None:
    # Given a fresh organisation
    o = org()
    # When the admin builds school → Grade 7 → Class 7-1 and Class 7-2
    school = _unit(api, o, "Demo", "school", None)
    grade = _unit(api, o, "Grade 7", "grade", school)
    c1 = _unit(api, o, "Class 7-1", "class", grade)
    _unit(api, o, "Class 7-2", "class", grade)
    # Then the tree nests them
    tree = api.get(f"orgs/{o['org_id']}/units", headers=o["admin"]).json()["units"]
    assert [u["name"] for u in tree] == ["Demo"]
    assert [c["name"] for c in tree[0]["children"][0]["children"]] == ["Class 7-1", "Class 7-2"]
    # And moving Grade 7 under its own class is refused, as is deleting a unit with units inside
    _problem(
        api.patch(f"orgs/{o['org_id']}/units/{grade}", headers=o["admin"], json={"parent_id": c1}),
        409,
    )
    _problem(api.delete(f"orgs/{o['org_id']}/units/{grade}", headers=o["admin"]), 409)
    # And an unknown parent is a 422
    _problem(
        api.post(
            f"orgs/{o['org_id']}/units",
            headers=o["admin"],
            json={"name": "X", "kind": "class", "parent_id": "nope"},
        ),
        422,
    )


def test_invited_counsellor_signs_in_and_sees_the_rota(
    api: httpx.Client, org: Callable[..., Any], local_cloud: dict[str, Any]
) -> None:
    # Given an admin who invites a counsellor (the local cloud hands back the temporary password)
    o = org()
    invited = _invite(api, o, "counsellor")
    assert invited["temporary_password"]
    # When the counsellor signs in for the first time and sets their own password
    auth = _sign_in_first_time(
        local_cloud, invited["person"]["username"], invited["temporary_password"]
    )
    # Then their token works, and the roster says who they are
    me = api.get("orgs/me", headers=auth)
    assert me.status_code == 200, me.text
    assert me.json()["roles"] == ["counsellor"] and me.json()["org_id"] == o["org_id"]
    assert api.get(f"orgs/{o['org_id']}/rota/now", headers=auth).status_code == 200


def test_import_of_1000_rows_enrols_the_good_and_names_the_10_bad_lines(
    api: httpx.Client, org: Callable[..., Any]
) -> None:
    # Given a unit tree and a CSV of 1,000 rows, 10 of them bad in different ways
    o = org()
    school = _unit(api, o, "School", "school", None)
    grade = _unit(api, o, "Grade 7", "grade", school)
    _unit(api, o, "Class 7-2", "class", grade)
    tag = uuid.uuid4().hex[:8]
    bad = {
        37: f"Bad role,b37-{tag}@example.com,,headmaster,Grade 7/Class 7-2",
        101: f"Bad unit,b101-{tag}@example.com,,member,Grade 9/Class 9-9",
        202: "Bad email,not-an-email,,member,Grade 7/Class 7-2",
        303: "Bad phone,,12345,member,Grade 7/Class 7-2",
        404: f",b404-{tag}@example.com,,member,Grade 7/Class 7-2",
        505: f"Duplicate,r3-{tag}@example.com,,member,Grade 7/Class 7-2",
        606: "No contact,,,member,Grade 7/Class 7-2",
        707: f"Too,many,fields,b707-{tag}@example.com,,member,Grade 7/Class 7-2",
        808: f"Bad role 2,b808-{tag}@example.com,,admin,Grade 7/Class 7-2",
        909: f"Bad unit 2,b909-{tag}@example.com,,member,Grade 7/Class 7-3",
    }
    lines = ["\ufeffdisplay_name,email,phone,role,unit_path"]
    for line in range(2, 1002):
        lines.append(
            bad.get(line, f"Student {line},r{line}-{tag}@example.com,,member,Grade 7/Class 7-2")
        )
    body = ("\n".join(lines) + "\n").encode()
    # When the admin imports it
    started = time.monotonic()
    answer = api.post(
        f"orgs/{o['org_id']}/imports",
        headers={**o["admin"], "Content-Type": "text/csv"},
        content=body,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["total"] == 1000
    status: dict[str, Any] = {}
    while time.monotonic() - started < IMPORT_DEADLINE:
        status = api.get(
            f"orgs/{o['org_id']}/imports/{answer.json()['id']}", headers=o["admin"]
        ).json()
        if status["status"] == "done":
            break
        time.sleep(0.5)
    # Then it finishes within a minute, with exactly the 10 bad lines rejected
    assert status.get("status") == "done", status
    assert [r["line"] for r in status["rejected"]] == sorted(bad)
    assert status["enrolled"] == 990 and status["done"] == 1000
    people = api.get(
        f"orgs/{o['org_id']}/people", headers=o["admin"], params={"role": "member", "limit": 100}
    )
    assert people.status_code == 200 and len(people.json()["items"]) == 100
    # And sending the same file again enrols nobody twice
    again = api.post(
        f"orgs/{o['org_id']}/imports",
        headers={**o["admin"], "Content-Type": "text/csv"},
        content=body,
    )
    assert again.status_code == 202
    started = time.monotonic()
    while time.monotonic() - started < IMPORT_DEADLINE:
        status = api.get(
            f"orgs/{o['org_id']}/imports/{again.json()['id']}", headers=o["admin"]
        ).json()
        if status["status"] == "done":
            break
        time.sleep(0.5)
    assert status["enrolled"] == 0 and status["already_enrolled"] == 990


def test_bad_csv_answers_4xx_problems(api: httpx.Client, org: Callable[..., Any]) -> None:
    o = org()
    url = f"orgs/{o['org_id']}/imports"
    csv = {**o["admin"], "Content-Type": "text/csv"}
    _problem(
        api.post(
            url, headers=csv, content=b"display_name,email,phone,role,unit_path\n\xff\xfe,x\n"
        ),
        400,
    )
    _problem(api.post(url, headers=csv, content=b"name,mail\nA,a@example.com\n"), 400)
    _problem(api.post(url, headers=o["admin"], json={"rows": []}), 415)


def test_only_a_trained_supervised_supporter_can_be_assigned(
    api: httpx.Client, org: Callable[..., Any], local_cloud: dict[str, Any]
) -> None:
    # Given a class, a counsellor, a member in the class and an untrained supporter
    o = org()
    school = _unit(api, o, "School", "school", None)
    klass = _unit(api, o, "Class 7-1", "class", school)
    counsellor = _invite(api, o, "counsellor")["person"]["user_id"]
    member = _invite(api, o, "member", klass)
    supporter = _invite(api, o, "peer_supporter", klass)["person"]
    url = f"orgs/{o['org_id']}/units/{klass}/supporters"
    # When the admin assigns the untrained supporter, then it is refused with the reason
    refused = _problem(
        api.put(url, headers=o["admin"], json={"supporters": [supporter["user_id"]]}), 409
    )
    assert "training" in refused["detail"]
    # When the supporter is trained and supervised
    today = dt.date.today()
    trained = api.post(
        f"orgs/{o['org_id']}/people/{supporter['user_id']}/training",
        headers=o["admin"],
        json={
            "course": "Peer support basics",
            "completed_on": (today - dt.timedelta(days=3)).isoformat(),
            "valid_until": (today + dt.timedelta(days=20)).isoformat(),
            "trainer": "Counsellor",
        },
    )
    assert trained.status_code == 201, trained.text
    supervised = api.put(
        f"orgs/{o['org_id']}/people/{supporter['user_id']}/supervisor",
        headers=o["admin"],
        json={"supervisor_id": counsellor},
    )
    assert supervised.status_code == 200, supervised.text
    # Then it is accepted, the member sees their supporter, and the expiry list names them
    assigned = api.put(url, headers=o["admin"], json={"supporters": [supporter["user_id"]]})
    assert assigned.status_code == 200, assigned.text
    member_auth = _sign_in_first_time(
        local_cloud, member["person"]["username"], member["temporary_password"]
    )
    me = api.get("orgs/me", headers=member_auth).json()
    assert [s["display_name"] for s in me["supporters"]] == [supporter["display_name"]]
    assert me["escalation_contact"] is None
    expiring = api.get(
        f"orgs/{o['org_id']}/supporters", headers=o["admin"], params={"expiring_within": 30}
    )
    assert [s["user_id"] for s in expiring.json()["items"]] == [supporter["user_id"]]
    # And the unit cannot be deleted while it has a supporter
    _problem(api.delete(f"orgs/{o['org_id']}/units/{klass}", headers=o["admin"]), 409)


def _rota_now(api: httpx.Client, o: dict[str, Any], at: str) -> dict[str, Any]:
    answer = api.get(f"orgs/{o['org_id']}/rota/now", headers=o["admin"], params={"at": at})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_rota_now_across_midnight_overrides_and_a_dst_zone(
    api: httpx.Client, org: Callable[..., Any]
) -> None:
    # Given an organisation in London (summer time ends 2026-10-25 at 02:00 local) with a
    # day counsellor, a night counsellor (22:00-08:00) and a duty officer, and a gap on Sundays
    o = org("Europe/London")
    day, night, officer = (_invite(api, o, "counsellor")["person"]["user_id"] for _ in range(3))
    weekdays = ["mon", "tue", "wed", "thu", "fri", "sat"]
    slots = [
        {
            "day": d,
            "start": "08:00",
            "end": "22:00",
            "primary": day,
            "backup": night,
            "duty_officer": officer,
        }
        for d in weekdays
    ] + [
        {
            "day": d,
            "start": "22:00",
            "end": "08:00",
            "primary": night,
            "backup": day,
            "duty_officer": officer,
        }
        for d in weekdays
    ]
    saved = api.put(
        f"orgs/{o['org_id']}/rota",
        headers=o["admin"],
        json={"slots": slots, "fallback_duty_officer": officer},
    )
    assert saved.status_code == 200, saved.text
    # Then the admin is warned about the Sunday gap
    assert any("Sun" in w for w in saved.json()["warnings"])
    # And Saturday night's slot covers Sunday across midnight, before and after the clocks change
    before = _rota_now(api, o, "2026-10-24T23:30:00Z")  # Sun 00:30 BST (UTC+1)
    assert before["primary"]["user_id"] == night and before["slot"]["day"] == "sat"
    after = _rota_now(
        api, o, "2026-10-25T06:30:00Z"
    )  # Sun 06:30 GMT: still the Saturday night slot
    assert after["primary"]["user_id"] == night and after["local_time"].endswith("+00:00")
    # And Sunday noon is a gap: the duty officer alone
    gap = _rota_now(api, o, "2026-10-25T12:00:00Z")
    assert gap["fallback"] is True and gap["primary"] is None
    assert gap["duty_officer"]["user_id"] == officer
    # And a summer weekday at 08:30 BST (07:30 UTC) is the day slot
    assert _rota_now(api, o, "2026-07-01T07:30:00Z")["primary"]["user_id"] == day
    # When an override swaps Wednesday's day slot to the night counsellor
    override = api.put(
        f"orgs/{o['org_id']}/rota/overrides/2026-07-01",
        headers=o["admin"],
        json={
            "slots": [{"start": "08:00", "end": "22:00", "primary": night, "duty_officer": officer}]
        },
    )
    assert override.status_code == 200, override.text
    # Then that day follows it, and the previous night's tail still covers its early hours
    swapped = _rota_now(api, o, "2026-07-01T07:30:00Z")
    assert swapped["primary"]["user_id"] == night and swapped["slot"]["source"] == "override"
    early = _rota_now(api, o, "2026-07-01T05:00:00Z")  # 06:00 BST, Tuesday night's slot
    assert early["slot"]["source"] == "weekly" and early["slot"]["day"] == "tue"
    # And a rota naming a member is refused
    member = _invite(api, o, "member")["person"]["user_id"]
    bad = [{**slots[0], "primary": member}]
    _problem(
        api.put(
            f"orgs/{o['org_id']}/rota",
            headers=o["admin"],
            json={"slots": bad, "fallback_duty_officer": officer},
        ),
        422,
    )


def test_rota_now_in_shanghai_crosses_utc_midnight(
    api: httpx.Client, org: Callable[..., Any]
) -> None:
    # Given a Shanghai organisation (UTC+8) whose Tuesday night slot runs 20:00-08:00
    o = org("Asia/Shanghai")
    night, officer = (_invite(api, o, "counsellor")["person"]["user_id"] for _ in range(2))
    api.put(
        f"orgs/{o['org_id']}/rota",
        headers=o["admin"],
        json={
            "slots": [
                {
                    "day": "tue",
                    "start": "20:00",
                    "end": "08:00",
                    "primary": night,
                    "duty_officer": officer,
                }
            ],
            "fallback_duty_officer": officer,
        },
    )
    # When asked at 2026-11-24T16:30Z (Wednesday 00:30 in Shanghai)
    answer = _rota_now(api, o, "2026-11-24T16:30:00Z")
    # Then the Tuesday slot, which started the local day before, answers
    assert answer["primary"]["user_id"] == night
    assert answer["slot"]["date"] == "2026-11-24" and answer["local_time"].startswith(
        "2026-11-25T00:30"
    )


def test_removing_a_counsellors_role_ends_their_staff_access_within_a_minute(
    api: httpx.Client, org: Callable[..., Any], local_cloud: dict[str, Any]
) -> None:
    # Given a counsellor who can read the rota
    o = org()
    invited = _invite(api, o, "counsellor")
    auth = _sign_in_first_time(
        local_cloud, invited["person"]["username"], invited["temporary_password"]
    )
    url = f"orgs/{o['org_id']}/rota/now"
    assert api.get(url, headers=auth).status_code == 200
    # When the admin makes them a member (their token still says counsellor)
    changed = api.patch(
        f"orgs/{o['org_id']}/people/{invited['person']['user_id']}",
        headers=o["admin"],
        json={"role": "member"},
    )
    assert changed.status_code == 200, changed.text
    # Then their next staff calls are refused within 60 s
    started = time.monotonic()
    status = 200
    while time.monotonic() - started < ROLE_DEADLINE:
        status = api.get(url, headers=auth).status_code
        if status == 403:
            break
        time.sleep(0.5)
    assert status == 403
    # And another organisation's ids answer 404 to its admin
    other = org()
    _problem(api.get(f"orgs/{o['org_id']}/rota/now", headers=other["admin"]), 404)


def test_an_edited_audit_record_makes_audit_verify_fail_and_name_it(
    api: httpx.Client, org: Callable[..., Any], local_cloud: dict[str, Any], tmp_path: Path
) -> None:
    # Given an organisation with a few audited changes and reads
    o = org()
    _unit(api, o, "School", "school", None)
    _invite(api, o, "counsellor")
    api.get(f"orgs/{o['org_id']}/people", headers=o["admin"])
    stack_file = write(local_cloud, tmp_path / "stack.json")

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "-s", "audit-verify", f"ORG={o['org_id']}", f"STACK={stack_file}"],
            capture_output=True,
            text=True,
            check=False,
        )

    intact = verify()
    assert intact.returncode == 0, intact.stderr
    records = api.get(f"orgs/{o['org_id']}/audit", headers=o["admin"]).json()["items"]
    assert [r["action"] for r in records][:3] == ["people.list", "roster.invite", "unit.create"]
    # When someone edits record 2 in the table
    db = aws_client("dynamodb", local_cloud["aws_endpoint_url"], local_cloud["region"])
    db.update_item(
        TableName=local_cloud["tables"]["audit"],
        Key={"org_id": {"S": o["org_id"]}, "seq": {"N": "2"}},
        UpdateExpression="SET actor_id = :a",
        ExpressionAttributeValues={":a": {"S": "someone-else"}},
    )
    # Then audit-verify fails and names record 2
    broken = verify()
    assert broken.returncode != 0
    assert "record 2" in broken.stderr
