"""Who may call which route: the route table (read from docs/api/*.json) and the POLICY.

The POLICY is the test suite's statement of DESIGN.md §4 for every HTTP route. A unit
test (tests/unit/test_authorization_policy.py) checks it names every documented route and
every Api event of template.yaml exactly once, so a new route fails CI until someone
classifies it here; the stack test (tests/stack/test_authorization_matrix.py) then calls
it as every demo role, on their own and another member's data, in their own and the
other organisation, and checks the answers.

Access kinds (`Rule.access`):

- `public`: anyone, no token (API Gateway's authorizer is off for it).
- `signed_in`: any signed-in user; shared, non-personal data (the resource directory).
- `self`: any signed-in user on their own data. A path id names something of the
  caller's (a journal entry, a device...): another person's id answers 404 as for one
  that does not exist. With `upsert`, the id is the caller's own name for a thing they
  create (a device's installation id), so anyone may use any id and only ever touches
  their own.
- `member`: like `self`, for the `member` role only; others get `refusal`.
- `in_org`: any signed-in user of the target's organisation (an organisation's own
  directory entry; a public entry has no organisation and is seen by everyone).
- `peer_supporter`: a peer supporter of the target's organisation (their own inbox).
- `party`: a member or a peer supporter of their own organisation, the only people a
  conversation can have; anyone else gets `refusal` (403 to start one, 404 for a
  conversation's routes, which say nothing of whether it exists). As with `self`, a
  conversation another member and supporter have answers 404.
- `staff`: a counsellor or admin of the target's organisation (from the path: the org
  id, the case's or the member's organisation), or of their own organisation when the
  route names none (`GET /cases`).
- `admin`: an org admin of the target's organisation (or their own).
- `counsellor`: a counsellor of their own organisation, on their own things (their
  availability, appointments and calendar feed: `/counsellors/me/...`).

Refusals: another organisation's ids always answer 404 (nothing says they exist); a
caller of the same organisation without the role gets `refusal` (403 from the roster
check, or 404 where the route hides whether the thing exists: cases, members' records);
another member's own data is 404. Every refusal is `application/problem+json` and names
nothing of the target.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[2]
DOCS_API = ROOT / "docs" / "api"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

Access = Literal[
    "public",
    "signed_in",
    "self",
    "member",
    "in_org",
    "peer_supporter",
    "party",
    "staff",
    "admin",
    "counsellor",
]
Role = Literal["member", "peer_supporter", "counsellor", "org_admin"]

# The roles each org-scoped access kind admits.
ROLES_OF: dict[str, frozenset[str]] = {
    "peer_supporter": frozenset({"peer_supporter"}),
    "staff": frozenset({"counsellor", "org_admin"}),
    "admin": frozenset({"org_admin"}),
    "counsellor": frozenset({"counsellor"}),
    "member": frozenset({"member"}),
    "party": frozenset({"member", "peer_supporter"}),
}


@dataclass(frozen=True)
class Route:
    function: str  # docs/api/<function>.json
    method: str
    path: str

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    access: Access
    refusal: int = 403  # what a caller of the same organisation without the role gets
    upsert: bool = False  # `self` only: the path id is the caller's own name for a new thing

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def _rules(access: Access, refusal: int, *routes: str, upsert: bool = False) -> list[Rule]:
    rows = []
    for route in routes:
        method, path = route.split(" ", 1)
        rows.append(Rule(method, path, access, refusal, upsert))
    return rows


POLICY: tuple[Rule, ...] = tuple(
    # accounts
    _rules("public", 401, "GET /health")
    + _rules(
        "self",
        404,
        "GET /me",
        "PUT /me",
        "DELETE /me",
        "POST /me/exports",
        "GET /me/exports/{id}",
    )
    # checkins
    + _rules(
        "self",
        404,
        "POST /checkins",
        "GET /checkins",
        "GET /checkins/summary",
        "GET /checkins/{date}",
    )
    # journal
    + _rules(
        "self",
        404,
        "POST /journal/entries",
        "GET /journal/entries",
        "GET /journal/entries/{id}",
        "PATCH /journal/entries/{id}",
        "DELETE /journal/entries/{id}",
        "GET /journal/sync",
    )
    # notifications
    + _rules("self", 404, "PUT /devices/{installation_id}", upsert=True)
    + _rules(
        "self",
        404,
        "GET /devices",
        "DELETE /devices/{installation_id}",
        "GET /me/notification-preferences",
        "PUT /me/notification-preferences",
        "GET /notifications",
        "POST /notifications/read-all",
        "POST /notifications/{id}/read",
    )
    # crisis: anyone may ask for help or screen themselves; the member's own safety plan
    + _rules("self", 404, "POST /help", "POST /screenings/cssrs")
    + _rules("member", 403, "GET /me/safety-plan", "PUT /me/safety-plan")
    # crisis: cases and members' records hide themselves (404) from everyone but staff
    + _rules(
        "staff",
        404,
        "GET /cases",
        "GET /cases/{case_id}",
        "POST /cases/{case_id}/ack",
        "POST /cases/{case_id}/close",
        "POST /cases/{case_id}/contacts",
        "POST /cases/{case_id}/notes",
        "POST /cases/{case_id}/referral",
        "GET /watchlist",
        "GET /members/{member_id}/safety-plan",
        "GET /members/{member_id}/plan",
        "PUT /members/{member_id}/plan",
        "GET /members/{member_id}/plan/versions",
        "GET /members/{member_id}/guardians",
        "PUT /members/{member_id}/guardians",
    )
    # orgs
    + _rules("self", 404, "GET /orgs/me", "GET /me/access-log")
    + _rules(
        "staff",
        403,
        "GET /orgs/{org_id}",
        "GET /orgs/{org_id}/units",
        "GET /orgs/{org_id}/rota",
        "GET /orgs/{org_id}/rota/now",
    )
    + _rules(
        "admin",
        403,
        "PATCH /orgs/{org_id}",
        "GET /orgs/{org_id}/audit",
        "POST /orgs/{org_id}/units",
        "PATCH /orgs/{org_id}/units/{unit_id}",
        "DELETE /orgs/{org_id}/units/{unit_id}",
        "PUT /orgs/{org_id}/units/{unit_id}/supporters",
        # roster
        "POST /orgs/{org_id}/invitations",
        "POST /orgs/{org_id}/imports",
        "GET /orgs/{org_id}/imports/{id}",
        "GET /orgs/{org_id}/people",
        "GET /orgs/{org_id}/people/{user_id}",
        "PATCH /orgs/{org_id}/people/{user_id}",
        "DELETE /orgs/{org_id}/people/{user_id}",
        "POST /orgs/{org_id}/people/{user_id}/training",
        "PUT /orgs/{org_id}/people/{user_id}/supervisor",
        "GET /orgs/{org_id}/supporters",
        # rota
        "PUT /orgs/{org_id}/rota",
        "PUT /orgs/{org_id}/rota/overrides/{date}",
        "DELETE /orgs/{org_id}/rota/overrides/{date}",
    )
    # peer: a supporter's own inbox and their concerns (anyone else in the org: 403)
    + _rules(
        "peer_supporter",
        403,
        "GET /peer/inbox",
        "POST /peer/inbox/{id}/reply",
        "POST /peer/inbox/{id}/handled",
        "POST /peer/concerns",
    )
    # peer: counsellors and admins read and resolve the organisation's reported messages
    + _rules("staff", 403, "GET /peer/reports", "POST /peer/reports/{id}/resolve")
    # peer: a conversation is its member's and supporter's alone. Members and peer
    # supporters may start one (anyone else: 403, before the body is read); its routes
    # answer anyone else 404 (before the body), and anyone not in it 404 too.
    + _rules("party", 403, "POST /conversations")
    + _rules("self", 404, "GET /conversations")
    + _rules(
        "party",
        404,
        "GET /conversations/{id}/messages",
        "POST /conversations/{id}/messages",
        "POST /conversations/{id}/read",
        "POST /conversations/{id}/report",
        "POST /conversations/{id}/block",
        "POST /conversations/{id}/mute",
    )
    # stats: the organisation's staff (roster-checked)
    + _rules(
        "staff",
        403,
        "GET /orgs/{org_id}/stats",
        "GET /orgs/{org_id}/stats/weekly",
        "GET /orgs/{org_id}/stats/monthly",
    )
    # campaigns: admins open them, the organisation's staff read them and follow up
    + _rules(
        "admin", 403, "POST /orgs/{org_id}/campaigns", "GET /orgs/{org_id}/campaigns/{id}/stats"
    )
    + _rules(
        "staff",
        403,
        "GET /orgs/{org_id}/campaigns",
        "GET /orgs/{org_id}/campaigns/{id}",
        "GET /orgs/{org_id}/campaigns/{id}/followups",
        "PUT /orgs/{org_id}/campaigns/{id}/guardian-consents/{member_id}",
    )
    # campaigns: a member takes part in their own audience's campaigns (others: 403)
    + _rules(
        "member",
        403,
        "GET /me/campaigns",
        "POST /me/campaigns/{id}/consent",
        "POST /me/campaigns/{id}/responses",
        "GET /me/campaigns/{id}/result",
    )
    # appointments: members book with their organisation's counsellors (others: 403)
    + _rules(
        "member",
        403,
        "GET /appointments/slots",
        "GET /appointments",
        "POST /appointments",
        "PATCH /appointments/{id}",
        "DELETE /appointments/{id}",
    )
    # appointments: a counsellor's own availability, appointments and calendar feed
    + _rules(
        "counsellor",
        403,
        "GET /counsellors/me/availability",
        "PUT /counsellors/me/availability",
        "GET /counsellors/me/appointments",
        "POST /counsellors/me/appointments/{id}/outcome",
        "PUT /counsellors/me/appointments/{id}/link",
        "POST /counsellors/me/calendar-token",
        "DELETE /counsellors/me/calendar-token",
    )
    # the feed is read by calendar apps with its own revocable token, not a bearer token
    + _rules("public", 404, "GET /counsellors/me/calendar.ics")
    # resources: the directory for everyone, an organisation's own entries for its people
    + _rules("signed_in", 404, "GET /resources", "GET /resources/crisis")
    # the load benchmark's floor: reads nothing, answers any signed-in caller
    + _rules("signed_in", 404, "GET /ping")
    + _rules("in_org", 404, "GET /resources/{id}")
    + _rules("admin", 403, "GET /resources/stale")
    # resource admin: the admin's own organisation's entries (another's: 404)
    + _rules("admin", 403, "POST /resources", "PUT /resources/{id}", "DELETE /resources/{id}")
)


def rule_for(method: str, path: str) -> Rule:
    (rule,) = [r for r in POLICY if r.key == (method, path)]
    return rule


def documented_routes(docs: Path = DOCS_API) -> list[Route]:
    """Every (function, METHOD, path) of docs/api/*.json, in file and path order."""
    routes = []
    for document in sorted(docs.glob("*.json")):
        paths: dict[str, Any] = json.loads(document.read_text(encoding="utf-8"))["paths"]
        for path, operations in paths.items():
            for method in operations:
                if method in HTTP_METHODS:
                    routes.append(Route(document.stem, method.upper(), path))
    return routes


def template_api_events(template: Path = ROOT / "template.yaml") -> Iterator[tuple[str, str, bool]]:
    """(METHOD, path, open) of every Api event in template.yaml; `open`: no authorizer."""
    from cfnlint.decode import decode_str

    decoded, problems = decode_str(template.read_text(encoding="utf-8"))
    assert not problems, problems
    for resource in decoded["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            properties = event["Properties"]
            auth = properties.get("Auth") or {}
            yield (
                str(properties["Method"]).upper(),
                str(properties["Path"]),
                auth.get("Authorizer") == "NONE",
            )


@dataclass(frozen=True)
class Caller:
    name: str
    role: str
    org_id: str


@dataclass(frozen=True)
class Target:
    """What a path's ids name: whose it is and in which organisation.

    `exists` is false for a well-formed id nothing has (no fixture makes one yet):
    then an allowed caller may get 404 too, and only the refusals are checked.
    """

    name: str
    params: dict[str, str]
    owner: str | None = None  # the username whose own data it is
    org_id: str | None = None  # the organisation it belongs to (None: public)
    exists: bool = True


def expected(rule: Rule, caller: Caller, target: Target | None) -> set[int] | None:
    """None when the caller may use the route on the target; else the statuses a refusal
    may have (one, as the POLICY says)."""
    if rule.access in ("public", "signed_in"):
        return None
    if rule.access in ("self", "member", "party"):
        if rule.access in ROLES_OF and caller.role not in ROLES_OF[rule.access]:
            return {rule.refusal}
        if target is not None and target.owner is not None and not rule.upsert:
            return None if target.owner == caller.name else {404}
        return None
    if rule.access == "in_org":
        if target is None or target.org_id is None or target.org_id == caller.org_id:
            return None
        return {404}
    org_id = target.org_id if target is not None and target.org_id else caller.org_id
    has_role = caller.role in ROLES_OF[rule.access]
    if org_id != caller.org_id:
        # A route may check the token's role before it looks for the target: that 403
        # answers any id alike, so it says nothing of the other organisation's.
        return {404} if has_role else {404, rule.refusal}
    return None if has_role else {rule.refusal}
