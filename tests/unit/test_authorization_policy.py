"""The authorisation POLICY classifies every HTTP route exactly once (DESIGN.md §4).

A new route in docs/api/ or a new Api event in template.yaml fails here until a row in
tests/support/authorization.py says who may call it; the stack matrix then calls it as
every demo role.
"""

from __future__ import annotations

from collections import Counter

from tests.support.authorization import (
    POLICY,
    Caller,
    Target,
    documented_routes,
    expected,
    rule_for,
    template_api_events,
)


def test_the_policy_names_no_route_twice() -> None:
    # Given the POLICY's rows
    counts = Counter(rule.key for rule in POLICY)
    # Then each (method, path) is classified once
    assert [key for key, n in counts.items() if n > 1] == []


def test_every_documented_route_is_in_the_policy_and_nothing_else() -> None:
    # Given the routes docs/api/*.json documents
    documented = Counter(route.key for route in documented_routes())
    # When compared with the POLICY
    classified = {rule.key for rule in POLICY}
    # Then each is documented by one function, and classified; no row names a stale route
    assert [key for key, n in documented.items() if n > 1] == []
    assert sorted(set(documented) - classified) == [], "add a POLICY row for each"
    assert sorted(classified - set(documented)) == [], "a POLICY row names no documented route"


def test_every_api_event_of_the_template_is_in_the_policy() -> None:
    # Given every Api event of template.yaml
    events = Counter((method, path) for method, path, _ in template_api_events())
    # Then each is one event, and classified
    assert [key for key, n in events.items() if n > 1] == []
    classified = {rule.key for rule in POLICY}
    assert sorted(set(events) - classified) == [], "add a POLICY row for each"


def test_only_public_routes_go_without_the_authorizer() -> None:
    # Given the Api events API Gateway sends on without a token
    open_events = {(method, path) for method, path, is_open in template_api_events() if is_open}
    # Then they are exactly the routes the POLICY calls public
    assert open_events == {rule.key for rule in POLICY if rule.access == "public"}


MEI = Caller("mei", "member", "demo-school")
LEI = Caller("lei", "member", "demo-school")
PEER = Caller("peer-zhang", "peer_supporter", "demo-school")
WANG = Caller("counsellor-wang", "counsellor", "demo-school")
LI = Caller("admin-li", "org_admin", "demo-school")
ZHOU = Caller("admin-zhou", "org_admin", "demo-works")


def test_own_data_is_the_owners_alone() -> None:
    entry = Target("entry", {"id": "e1"}, owner="mei", org_id="demo-school")
    rule = rule_for("GET", "/journal/entries/{id}")
    assert expected(rule, MEI, entry) is None
    assert [expected(rule, c, entry) for c in (LEI, PEER, WANG, LI, ZHOU)] == [{404}] * 5


def test_a_device_id_is_the_callers_own_name() -> None:
    device = Target("device", {"installation_id": "d1"}, owner="mei", org_id="demo-school")
    rule = rule_for("PUT", "/devices/{installation_id}")
    assert all(expected(rule, c, device) is None for c in (MEI, LEI, ZHOU))


def test_staff_routes_answer_the_roster_then_the_organisation() -> None:
    school = Target("school", {"org_id": "demo-school"}, org_id="demo-school")
    rule = rule_for("GET", "/orgs/{org_id}")
    assert [expected(rule, c, school) for c in (MEI, PEER, WANG, LI, ZHOU)] == [
        {403},
        {403},
        None,
        None,
        {404},
    ]


def test_cases_hide_themselves_from_everyone_but_their_organisations_staff() -> None:
    case = Target("case", {"case_id": "c1"}, org_id="demo-school")
    rule = rule_for("GET", "/cases/{case_id}")
    assert [expected(rule, c, case) for c in (MEI, PEER, WANG, LI, ZHOU)] == [
        {404},
        {404},
        None,
        None,
        {404},
    ]


def test_only_members_keep_a_safety_plan() -> None:
    rule = rule_for("GET", "/me/safety-plan")
    assert [expected(rule, c, None) for c in (MEI, PEER, WANG)] == [None, {403}, {403}]


def test_an_organisations_directory_entry_is_its_own() -> None:
    rule = rule_for("GET", "/resources/{id}")
    public = Target("public", {"id": "p"})
    works = Target("works", {"id": "w"}, org_id="demo-works")
    assert expected(rule, MEI, public) is None
    assert (expected(rule, MEI, works), expected(rule, ZHOU, works)) == ({404}, None)


def test_conversations_are_for_members_and_peer_supporters_only() -> None:
    start = rule_for("POST", "/conversations")
    messages = rule_for("POST", "/conversations/{id}/messages")
    unknown = Target("unknown", {"id": "x"}, exists=False)
    assert [expected(start, c, None) for c in (MEI, PEER, WANG, LI)] == [None, None, {403}, {403}]
    assert [expected(messages, c, unknown) for c in (MEI, PEER, WANG, ZHOU)] == [
        None,
        None,
        {404},
        {404},
    ]


def test_reports_are_for_their_organisations_staff() -> None:
    rule = rule_for("GET", "/peer/reports")
    assert [expected(rule, c, None) for c in (MEI, PEER, WANG, LI, ZHOU)] == [
        {403},
        {403},
        None,
        None,
        None,
    ]
