"""The authorisation matrix (DESIGN.md §4), generated from the route table.

Every route of tests/support/authorization.py's POLICY (which names every route of
docs/api/) is called as each demo role, on their own and another member's data, in their
own and the other organisation. An allowed caller must not be refused (no 401, 403 or
404 unless the target does not exist); everyone else gets the POLICY's 403 or 404, as
`application/problem+json` that names nothing of the target or of anyone else.

Requests are bounded (about 280 in all): of the seven demo users, a route is called once
for each class of caller it tells apart, not by every user on every target. A class is
what the POLICY expects (let in, or the refusal's statuses), where the caller stands
(the target's owner, its organisation, the other organisation, a public target) and,
when let in on an organisation's thing, the role (counsellor and admin each; member or
not on routes for anyone). Which user of a class is called turns with the route, so
across the matrix every user meets every kind of route. Write routes are sent a
body the route refuses as invalid (422) when the roster check comes before the body (so
nothing changes when the caller is let in), and a minimal valid one when the check is in
the handler after the body is read (crisis records), aimed at records made for this test.

The directory entries made here (one kept, one to delete, per organisation) are deleted
when the module ends. Until then they are for everywhere (`*`) and no crisis line: the
lookups keep an organisation's own entries whatever the region asked (so a region of
their own would not keep them out of another test's list), and cache them for a minute.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from bench.events import sqs_event
from local.seed import make_user
from local.token import id_token
from shared.notifications.notify import build_request
from tests.support.authorization import (
    POLICY,
    ROLES_OF,
    ROOT,
    Caller,
    Rule,
    Target,
    expected,
)
from tests.support.crisis_stack import client
from tests.support.passwords import policy_password
from tests.support.resources import raw_entry

SCHOOL, WORKS = "demo-school", "demo-works"
CALLERS = (
    "mei",
    "lei",
    "peer-zhang",
    "counsellor-wang",
    "admin-li",
    "admin-zhou",
    "counsellor-chen",
)
# Who calls routes on the caller's own data that name no id (writes there are real: the
# other demo users' own data is left to the tests that read it).
ONE_OF_EACH_ROLE = ("mei", "peer-zhang", "counsellor-wang", "admin-li")
# Routes whose allowed call is costly or final: who calls them (DELETE /me: a throwaway).
ONLY_CALLERS = {("POST", "/me/exports"): ("mei",), ("DELETE", "/me"): ("throwaway",)}
AUTH_REFUSALS = {401, 403, 404}


def shanghai_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


CHECKIN_DAY = (shanghai_today() - dt.timedelta(days=300)).isoformat()  # mei's, the target
PROBE_DAY = (shanghai_today() - dt.timedelta(days=301)).isoformat()  # anyone's own probe
OVERRIDE_DAY = (shanghai_today() + dt.timedelta(days=700)).isoformat()


@dataclass
class Secret:
    value: str
    owner: str | None  # username, or None for an organisation's thing
    org_id: str


@dataclass
class World:
    """The signed-in callers and the records the matrix aims at."""

    callers: dict[str, Caller] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    secrets: list[Secret] = field(default_factory=list)

    def secret(self, value: str, owner: str | None, org_id: str) -> str:
        self.secrets.append(Secret(value, owner, org_id))
        return value


def matrix_entry(rid: str) -> dict[str, Any]:
    """A directory entry of this test's: for everywhere and no crisis line, so while it
    exists a member's filtered list (a kind, a region) and crisis lines stay as they were."""
    return raw_entry(rid, regions=["*"], crisis=False)


def created(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    return dict(response.json()) if response.content else {}


def fresh_member(
    world: World,
    local_cloud: dict[str, Any],
    cognito: Any,
    api: httpx.Client,
    org_id: str,
    alias: str | None = None,
) -> str:
    """A fresh member of `org_id` on its roster (as an invitation writes the membership),
    with a display name only they have; their name in `world` (`alias`, or the username)."""
    username = f"st-authz-{uuid.uuid4().hex[:10]}"
    password = policy_password("Stack-Test")
    user_id = make_user(
        cognito,
        local_cloud["user_pool_id"],
        username,
        password,
        org_id=org_id,
        group="member",
        zoneinfo="Asia/Shanghai",
    )
    client(local_cloud, "dynamodb").put_item(
        TableName=local_cloud["tables"]["orgs"],
        Item={"pk": {"S": f"user#{user_id}"}, "sk": {"S": "org"}, "org_id": {"S": org_id}},
    )
    name = alias or username
    world.headers[name] = {"Authorization": id_token(local_cloud, username, password)}
    world.callers[name] = Caller(name, "member", org_id)
    world.user_ids[name] = world.secret(user_id, name, org_id)
    display = world.secret(f"Matrix Member {uuid.uuid4().hex[:8]}", name, org_id)
    created(api.put("me", headers=world.headers[name], json={"display_name": display}), 200)
    return name


def member_records(world: World, api: httpx.Client, member: str, staff: str, key: str) -> None:
    """The member's open case (POST /help), safety plan, care plan and guardians."""
    local = world.callers[member].org_id
    own = world.headers[member]
    created(api.put("me/safety-plan", headers=own, json={"warning_signs": ["probe"]}), 200, 201)
    member_id = world.user_ids[member]
    review = (shanghai_today() + dt.timedelta(days=30)).isoformat()
    counsellor = world.headers[staff]
    created(
        api.put(f"members/{member_id}/plan", headers=counsellor, json={"review_on": review}), 201
    )
    created(
        api.put(f"members/{member_id}/guardians", headers=counsellor, json={"guardians": []}),
        200,
        201,
    )
    world.ids[f"{key}-member"] = member_id
    world.ids[f"{key}-case"] = world.secret(world.ids.pop(f"{key}-case-id"), member, local)


@pytest.fixture(scope="module")
def world(local_cloud: dict[str, Any], api: httpx.Client, cognito: Any) -> Iterator[World]:
    w = World()
    for user in local_cloud["demo_users"]:
        if user["username"] in CALLERS:
            name = user["username"]
            w.callers[name] = Caller(name, user["role"], user["org_id"])
            w.headers[name] = {"Authorization": id_token(local_cloud, name)}
            w.user_ids[name] = w.secret(user["user_id"], name, user["org_id"])
    # A throwaway member, who erases themselves (DELETE /me).
    fresh_member(w, local_cloud, cognito, api, SCHOOL, alias="throwaway")

    mei = w.headers["mei"]
    # mei's own records: a journal entry (and one to delete), a check-in day, a device
    # (and one to delete), an export, a notification.
    for key in ("entry", "doomed-entry"):
        entry = created(api.post("journal/entries", headers=mei, json={"body": "matrix"}), 201)
        w.ids[key] = w.secret(str(entry["id"]), "mei", SCHOOL)
    created(api.post("checkins", headers=mei, json={"mood": 3, "date": CHECKIN_DAY}), 200, 201)
    for key in ("device", "doomed-device"):
        installation = w.secret(f"authz-{key}-{uuid.uuid4().hex[:12]}", "mei", SCHOOL)
        body = {"platform": "android", "provider": "fcm", "token": uuid.uuid4().hex * 2}
        created(api.put(f"devices/{installation}", headers=mei, json=body), 200, 201)
        w.ids[key] = installation
    plan = api.put("me/safety-plan", headers=mei, json={"warning_signs": ["matrix"]})
    created(plan, 201, 428)  # 428: written before (If-Match needed to change it)
    export = created(api.post("me/exports", headers=mei), 202)
    w.ids["export"] = w.secret(str(export["id"]), "mei", SCHOOL)
    request = build_request(w.user_ids["mei"], "announcement")
    answer = client(local_cloud, "lambda").invoke(
        FunctionName=local_cloud["functions"]["notification_sender"],
        Payload=json.dumps(sqs_event([request], region=local_cloud["region"])).encode(),
    )
    assert "FunctionError" not in answer
    inbox = created(api.get("notifications", headers=mei, params={"limit": 1}), 200)
    w.ids["notification"] = w.secret(str(inbox["items"][0]["id"]), "mei", SCHOOL)

    # A member of each organisation with a case and records; staff of their organisation.
    dynamodb = client(local_cloud, "dynamodb")
    for key, org_id, staff in (
        ("school", SCHOOL, "counsellor-wang"),
        ("works", WORKS, "counsellor-chen"),
    ):
        member = fresh_member(w, local_cloud, cognito, api, org_id)
        created(api.post("help", headers=w.headers[member], json={}), 202)
        pointer = dynamodb.get_item(
            TableName=local_cloud["tables"]["cases"],
            Key={"pk": {"S": f"member#{w.user_ids[member]}"}, "sk": {"S": "open"}},
            ConsistentRead=True,
        )["Item"]
        w.ids[f"{key}-case-id"] = pointer["case_id"]["S"]
        member_records(w, api, member, staff, key)

    # Each organisation's own things: a person to off-board, an import, a rota override,
    # directory entries (one to delete).
    for key, org_id, admin in (("school", SCHOOL, "admin-li"), ("works", WORKS, "admin-zhou")):
        headers = w.headers[admin]
        person = created(
            api.post(
                f"orgs/{org_id}/invitations",
                headers=headers,
                json={
                    "display_name": "Matrix Leaver",
                    "email": f"leaver-{uuid.uuid4().hex[:10]}@example.com",
                    "role": "member",
                },
            ),
            201,
        )["person"]
        w.ids[f"{key}-leaver"] = w.secret(str(person["user_id"]), None, org_id)
        started = api.post(
            f"orgs/{org_id}/imports",
            headers=headers | {"Content-Type": "text/csv"},
            content=b"display_name,email,phone,role,unit_path\n",
        )
        w.ids[f"{key}-import"] = str(created(started, 202)["id"])
        created(
            api.put(
                f"orgs/{org_id}/rota/overrides/{OVERRIDE_DAY}", headers=headers, json={"slots": []}
            ),
            200,
            201,
        )
        for kind in ("resource", "doomed-resource"):
            rid = w.secret(f"authz-{key}-{kind}-{uuid.uuid4().hex[:8]}", None, org_id)
            created(api.post("resources", headers=headers, json=matrix_entry(rid)), 201)
            w.ids[f"{key}-{kind}"] = rid
    public = json.loads((ROOT / "data/resources/international.json").read_text(encoding="utf-8"))
    w.ids["public-resource"] = str(public["resources"][0]["id"])
    yield w
    # The directory entries go (the doomed ones may be gone already): other tests list
    # the organisations' directories.
    for key, admin in (("school", "admin-li"), ("works", "admin-zhou")):
        for kind in ("resource", "doomed-resource"):
            gone = api.delete(f"resources/{w.ids[f'{key}-{kind}']}", headers=w.headers[admin])
            assert gone.status_code in (204, 404), (gone.status_code, gone.text[:300])


def targets(rule: Rule, w: World) -> Sequence[Target | None]:
    """What the route's path ids name, for the matrix: the caller's own, another member's,
    this organisation's and the other's. None: the route names no id."""
    method, path = rule.key
    doomed = "doomed-" if method == "DELETE" else ""
    if "{org_id}" in path:
        found = []
        for key, org_id, person, unit in (
            ("school", SCHOOL, w.user_ids["mei"], "class-7-1"),
            ("works", WORKS, w.user_ids["counsellor-chen"], "works"),
        ):
            params = {"org_id": org_id, "unit_id": unit, "date": OVERRIDE_DAY}
            params["user_id"] = w.ids[f"{key}-leaver"] if method == "DELETE" else person
            params["id"] = w.ids[f"{key}-import"]
            params["member_id"] = w.user_ids["mei"] if key == "school" else person
            # No fixture makes a campaign: its id is an import's, which no campaign has.
            exists = _known(path, params) and "/campaigns/{id}" not in path
            found.append(Target(key, params, org_id=org_id, exists=exists))
        return found
    if "{case_id}" in path:
        return [Target(k, {"case_id": w.ids[f"{k}-case"]}, org_id=o) for k, o in _ORGS]
    if "{member_id}" in path:
        return [Target(k, {"member_id": w.ids[f"{k}-member"]}, org_id=o) for k, o in _ORGS]
    if path.startswith("/resources/{id}"):
        found = [Target(k, {"id": w.ids[f"{k}-{doomed}resource"]}, org_id=o) for k, o in _ORGS]
        if method == "GET":
            found.insert(0, Target("public", {"id": w.ids["public-resource"]}))
        return found
    mine = {
        "/me/exports/{id}": ("id", w.ids["export"]),
        "/checkins/{date}": ("date", CHECKIN_DAY),
        "/journal/entries/{id}": ("id", w.ids[f"{doomed}entry"]),
        "/devices/{installation_id}": ("installation_id", w.ids[f"{doomed}device"]),
        "/notifications/{id}/read": ("id", w.ids["notification"]),
    }
    if path in mine:
        name, value = mine[path]
        return [Target("mei's", {name: value}, owner="mei", org_id=SCHOOL)]
    if "{" in path:  # an id no fixture makes yet: a well-formed one nothing has
        names = [part.strip("{}") for part in path.split("/") if part.startswith("{")]
        return [
            Target(
                "unknown", {n: f"authz-unknown-{uuid.uuid4().hex[:8]}" for n in names}, exists=False
            )
        ]
    return [None]


_ORGS = (("school", SCHOOL), ("works", WORKS))
_KNOWN_ORG_PARAMS = {"org_id", "unit_id", "user_id", "id", "date"}


def _known(path: str, params: dict[str, str]) -> bool:
    names = {part.strip("{}") for part in path.split("/") if part.startswith("{")}
    return names <= _KNOWN_ORG_PARAMS


def probe(rule: Rule, target: Target | None) -> dict[str, Any]:
    """The request's body: invalid where the roster check comes first (nothing changes
    when let in), minimal and valid where the check is in the handler (crisis records)."""
    today = shanghai_today().isoformat()
    bodies: dict[tuple[str, str], Any] = {
        ("PUT", "/me"): {},
        ("POST", "/checkins"): {"mood": 4, "date": PROBE_DAY},
        ("POST", "/journal/entries"): {"body": 5},
        ("PATCH", "/journal/entries/{id}"): {"title": "matrix", "version": 999999},  # stale: 409
        ("PUT", "/devices/{installation_id}"): {"platform": "nokia"},
        ("PUT", "/me/notification-preferences"): {"reminder_time": "25:99"},
        ("POST", "/help"): {"text": "x" * 2001},
        ("POST", "/screenings/cssrs"): {},
        ("PUT", "/me/safety-plan"): {"warning_signs": 5},
        ("POST", "/cases/{case_id}/close"): {"outcome": "resolved"},
        ("POST", "/cases/{case_id}/contacts"): {
            "who": "member",
            "channel": "phone",
            "outcome": "no_answer",
        },
        ("POST", "/cases/{case_id}/notes"): {"text": "matrix"},
        ("POST", "/cases/{case_id}/referral"): {"to": "Matrix", "kind": "other", "on": today},
        ("PUT", "/members/{member_id}/plan"): {"review_on": today},
        ("PUT", "/members/{member_id}/guardians"): {"guardians": []},
        ("PATCH", "/orgs/{org_id}"): {"time_zone": 5},
        ("PATCH", "/orgs/{org_id}/units/{unit_id}"): {"name": 5},
        ("PATCH", "/orgs/{org_id}/people/{user_id}"): {"role": "emperor"},
        ("POST", "/resources"): {},
        ("PUT", "/counsellors/me/availability"): {"slot_minutes": "fifty"},
        ("POST", "/counsellors/me/appointments/{id}/outcome"): {"outcome": "maybe"},
        ("PUT", "/counsellors/me/appointments/{id}/link"): {"case_id": 5},
        ("PATCH", "/appointments/{id}"): {"starts_at": "soon"},
    }
    if rule.key == ("POST", "/orgs/{org_id}/imports"):
        return {"content": b"not,a,roster\n", "headers": {"Content-Type": "text/csv"}}
    if rule.key == ("PUT", "/resources/{id}") and target is not None:
        return {"json": matrix_entry(target.params["id"])}
    if rule.key in bodies:
        return {"json": bodies[rule.key]}
    if rule.method in ("POST", "PUT", "PATCH") and rule.key not in NO_BODY:
        return {"json": {}}  # the body models require fields: {} is invalid
    return {}


NO_BODY = {
    ("POST", "/me/exports"),
    ("POST", "/notifications/read-all"),
    ("POST", "/notifications/{id}/read"),
    ("POST", "/cases/{case_id}/ack"),
    ("POST", "/peer/reports/{id}/resolve"),
    ("POST", "/counsellors/me/calendar-token"),
}


def url(rule: Rule, target: Target | None) -> str:
    path = rule.path
    for name, value in (target.params if target else {}).items():
        path = path.replace("{" + name + "}", value)
    return path.lstrip("/")


def leaks(w: World, caller: Caller, body: str, refused: bool, own_only: bool) -> list[str]:
    """Secrets the caller may not see that the body holds: anything of the other
    organisation; in a refusal anything not their own; on own-data routes another
    member's."""
    found = []
    for secret in w.secrets:
        if secret.value not in body or secret.owner == caller.name:
            continue
        owner = w.callers.get(secret.owner or "")
        # Staff of one's own organisation are no secret (a member's GET /orgs/me names
        # their unit's supporters): on own-data routes only members' things count.
        members_thing = owner is None or owner.role == "member"
        if secret.org_id != caller.org_id or refused or (own_only and members_thing):
            found.append(secret.value)
    return found


OWN_DATA = ("self", "member", "party")


def caller_class(rule: Rule, caller: Caller, target: Target | None) -> tuple[Any, ...]:
    """What the call tests: callers of one class on a route exercise the same rule, so one
    of them is enough. The POLICY's answer (let in, or the refusal's statuses); where the
    caller stands to the target; who they are where that matters (a role let in on an
    organisation's thing; on a member's own thing, whether a member or staff is refused)."""
    refusal = expected(rule, caller, target)
    if target is not None and target.owner is not None:
        relation = "owner" if target.owner == caller.name else "not-owner"
        same_org = target.org_id == caller.org_id
    elif target is not None and target.exists and target.org_id is None:
        relation, same_org = "public", True
    else:
        org_id = target.org_id if target is not None and target.org_id else caller.org_id
        relation, same_org = "org", org_id == caller.org_id
    if refusal is None:
        who: Any = caller.role if rule.access in ROLES_OF else caller.role == "member"
        return ("allowed", relation, same_org, who)
    if relation == "not-owner":
        return ("refused", relation, same_org, tuple(sorted(refusal)), caller.role == "member")
    return ("refused", relation, same_org, tuple(sorted(refusal)))


def cases(rule: Rule, w: World) -> Iterator[tuple[Caller, Target | None]]:
    """(caller, target) pairs, one of each class of caller (`caller_class`), refusals
    first: an allowed DELETE comes after them. Which of a class is called turns with the
    route's place in the POLICY."""
    turn = POLICY.index(rule)
    classes: dict[tuple[Any, ...], list[tuple[Caller, Target | None]]] = {}
    for target in targets(rule, w):
        own_no_id = target is None and rule.access in OWN_DATA
        for name in ONLY_CALLERS.get(rule.key) or (ONE_OF_EACH_ROLE if own_no_id else CALLERS):
            caller = w.callers[name]
            classes.setdefault(caller_class(rule, caller, target), []).append((caller, target))
    pairs = [members[turn % len(members)] for members in classes.values()]
    yield from sorted(pairs, key=lambda p: expected(rule, p[0], p[1]) is None)


@pytest.mark.parametrize("rule", [r for r in POLICY if r.access != "public"], ids=lambda r: r.id)
def test_only_the_policys_callers_get_in_and_refusals_leak_nothing(
    rule: Rule, world: World, api: httpx.Client
) -> None:
    failures = []
    for caller, target in cases(rule, world):
        refusal = expected(rule, caller, target)
        request = _merge(probe(rule, target), world.headers[caller.name])
        answer = api.request(rule.method, url(rule, target), **request)
        where = (
            f"{caller.name} ({caller.role}, {caller.org_id}) on {target.name if target else '-'}"
        )
        status = answer.status_code
        if refusal is None:
            refused = status in (401, 403) or (status == 404 and (target is None or target.exists))
            if refused or status >= 500:
                failures.append(f"{where}: allowed but got {status} {answer.text[:200]}")
        else:
            if status not in refusal:
                failures.append(
                    f"{where}: should be {sorted(refusal)}, got {status} {answer.text[:200]}"
                )
            elif not answer.headers.get("content-type", "").startswith("application/problem+json"):
                failures.append(f"{where}: refusal is not problem+json")
        leaked = leaks(world, caller, answer.text, refusal is not None, rule.access in OWN_DATA)
        if leaked:
            failures.append(f"{where}: {status} body holds {leaked}")
    assert not failures, f"{rule.id}\n" + "\n".join(failures)


def _merge(request: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    return request | {"headers": auth | request.get("headers", {})}


def test_a_refused_put_leaves_the_target_unchanged(world: World, api: httpx.Client) -> None:
    # Given the school member's care plan as their counsellor reads it
    member_id = world.ids["school-member"]
    before = api.get(f"members/{member_id}/plan", headers=world.headers["counsellor-wang"])
    assert before.status_code == 200
    # When another organisation's counsellor writes a new version with its ETag
    body = {"review_on": "2030-01-01", "goals": ["overwritten"]}
    etag = {"If-Match": before.headers["ETag"]}
    refused = api.put(
        f"members/{member_id}/plan", headers=world.headers["counsellor-chen"] | etag, json=body
    )
    # Then it is refused as for no such member, and the plan is as it was
    assert refused.status_code == 404
    after = api.get(f"members/{member_id}/plan", headers=world.headers["counsellor-wang"])
    assert (after.headers["ETag"], after.json()) == (before.headers["ETag"], before.json())
