"""Screening campaigns over HTTP (issue 12's acceptance, on the deployed template).

The demo school's admin opens a campaign for Class 7-1; the announcer tells its
members; `mei` consents and answers with PHQ-9 item 9 above 0 and a case opens (the
screenings stream to the risk intake); `lei` answers in the moderate band and is on the
counsellors' follow-up list (audited: lei sees it in her access log); the statistics
hide small cells; a member of Class 7-2 sees no campaign and cannot answer it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.crisis_stack import client, until
from tests.support.peer_stack import Org, Person, invite

ORG, AUDIENCE, OTHER_CLASS = "demo-school", "class-7-1", "class-7-2"
ITEM9 = [0, 0, 0, 0, 0, 0, 0, 0, 1]  # total 1 (minimal), item 9 above 0
MODERATE = [2, 2, 2, 2, 1, 1, 0, 0, 0]  # total 10: moderate, item 9 at 0
CALM = [0, 0, 1, 0, 0, 0, 0]
CONSENT = {
    "zh-CN": "我同意参加本次心理健康问卷。",
    "en": "I agree to take part in this questionnaire.",
}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(answer: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert answer.status_code in statuses, answer.text
    body: dict[str, Any] = answer.json()
    return body


@pytest.fixture(scope="module")
def world(
    local_cloud: dict[str, Any], login: Callable[..., dict[str, str]], api: httpx.Client
) -> dict[str, Any]:
    ids = {u["username"]: u["user_id"] for u in local_cloud["demo_users"]}
    people = {name: login(name) for name in ("admin-li", "counsellor-wang", "mei", "lei")}
    opened = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    campaign = ok(
        api.post(
            f"orgs/{ORG}/campaigns",
            headers=people["admin-li"],
            json={
                "title": {"zh-CN": "期中心理健康问卷", "en": "Mid-term wellbeing questionnaire"},
                "instruments": ["phq9", "gad7"],
                "units": [AUDIENCE],
                "opens_at": stamp(opened),
                "closes_at": stamp(opened + dt.timedelta(days=3)),
                "consent_text": CONSENT,
                "kind": "exam",
            },
        ),
        201,
    )
    outsider = invite(
        local_cloud, api, Org(ORG, people["admin-li"], "school"), "member", OTHER_CLASS
    )
    return {
        "ids": ids,
        "people": people,
        "campaign": campaign,
        "outsider": outsider,
        "opened": opened,
    }


def announce(local_cloud: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    answer = client(local_cloud, "lambda").invoke(
        FunctionName=local_cloud["functions"]["campaign_announcer"],
        Payload=json.dumps({"scheduled_time": stamp(at)}).encode(),
    )
    payload: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
    assert "FunctionError" not in answer, payload
    return payload


def take_part(
    api: httpx.Client, member: dict[str, str], campaign_id: str, phq9: list[int]
) -> dict[str, Any]:
    (listed,) = [
        c
        for c in ok(api.get("me/campaigns", headers=member), 200)["campaigns"]
        if c["campaign_id"] == campaign_id
    ]
    assert listed["consent_text"] == CONSENT
    ok(
        api.post(
            f"me/campaigns/{campaign_id}/consent",
            headers=member,
            json={"decision": "accept", "consent_version": listed["consent_version"]},
        ),
        201,
    )
    return ok(
        api.post(
            f"me/campaigns/{campaign_id}/responses",
            headers=member,
            json={"answers": {"phq9": phq9, "gad7": CALM}},
        ),
        201,
    )


def test_the_audience_is_told_answers_are_routed_by_tier_and_outsiders_see_nothing(
    local_cloud: dict[str, Any], api: httpx.Client, world: dict[str, Any]
) -> None:
    people, ids = world["people"], world["ids"]
    campaign_id = world["campaign"]["campaign_id"]

    # When the announcer runs at the opening (as its schedule does)
    announce(local_cloud, world["opened"] + dt.timedelta(minutes=1))

    # Then mei has a campaign notification in her inbox
    def told() -> list[dict[str, Any]]:
        inbox = ok(api.get("notifications", headers=people["mei"]), 200)["items"]
        return [i for i in inbox if i["category"] == "campaign"]

    assert until(told, "the opening reaches mei's inbox")

    # When mei consents and answers with PHQ-9 item 9 above 0
    since = stamp(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    answered = take_part(api, people["mei"], campaign_id, ITEM9)

    # Then she is offered the C-SSRS and told someone will reach out, with crisis lines
    assert answered["next_step"] == "cssrs"
    assert answered["support_requested"] is True
    assert answered["crisis_resources"]["resources"]

    # And a case for her holds the screening's signal
    def signalled() -> list[dict[str, Any]]:
        cases = ok(api.get("cases", headers=people["counsellor-wang"], params={"limit": 100}), 200)
        for case in cases["items"]:
            if case["user_id"] != ids["mei"]:
                continue
            detail = ok(api.get(f"cases/{case['case_id']}", headers=people["counsellor-wang"]), 200)
            found = [
                s
                for s in detail["signal_details"]
                if s["source"] == "screenings"
                and "phq9_item9_positive" in (s["reasons"] or [])
                and (s["received_at"] or "") >= since
            ]
            if found:
                return found
        return []

    assert until(signalled, "mei's campaign answer reaches a case")

    # When lei answers in the moderate band
    lei = take_part(api, people["lei"], campaign_id, MODERATE)
    assert lei["bands"]["phq9"] == "moderate" and lei["next_step"] is None

    # Then the counsellors' follow-up list has lei, not mei (her answer went to the intake)
    followups = ok(
        api.get(f"orgs/{ORG}/campaigns/{campaign_id}/followups", headers=people["counsellor-wang"]),
        200,
    )["followups"]
    assert [f["member_id"] for f in followups] == [ids["lei"]]
    assert followups[0]["bands"]["phq9"] == "moderate"
    assert "answers" not in json.dumps(followups)
    # And lei sees who read it in her access log
    log = ok(api.get("me/access-log", headers=people["lei"]), 200)["items"]
    assert any(
        e["actor_role"] == "counsellor" and e["kind"] == "screening_followup" for e in log
    ), log

    # And her result is plain words, never a diagnosis
    result = ok(api.get(f"me/campaigns/{campaign_id}/result", headers=people["lei"]), 200)
    words = json.dumps(result, ensure_ascii=False).lower()
    assert {r["band"] for r in result["results"]} >= {"moderate"}
    assert not any(w in words for w in ("depression", "disorder", "抑郁症", "障碍"))

    # And the statistics hide Class 7-1's two answers
    report = ok(
        api.get(f"orgs/{ORG}/campaigns/{campaign_id}/stats", headers=people["admin-li"]), 200
    )
    units = {u["unit_id"]: u for u in walk(report["report"])}
    responded = units[AUDIENCE]["responded"]
    assert responded == {"value": None, "suppressed": True}, units[AUDIENCE]
    assert "lei" not in json.dumps(report) and ids["lei"] not in json.dumps(report)

    # And a member of Class 7-2 sees no campaign and cannot answer it
    outsider: Person = world["outsider"]
    mine = ok(api.get("me/campaigns", headers=outsider.headers), 200)["campaigns"]
    assert campaign_id not in {c["campaign_id"] for c in mine}
    refused = api.post(
        f"me/campaigns/{campaign_id}/consent",
        headers=outsider.headers,
        json={"decision": "accept", "consent_version": world["campaign"]["consent_version"]},
    )
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")


def walk(unit: dict[str, Any]) -> list[dict[str, Any]]:
    return [unit, *(u for child in unit.get("children") or [] for u in walk(child))]


def test_bad_campaigns_and_answers_are_problems_and_change_nothing(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    people = world["people"]
    now = dt.datetime.now(dt.UTC)
    good = {
        "title": {"zh-CN": "问卷", "en": "Questionnaire"},
        "instruments": ["phq9"],
        "units": [AUDIENCE],
        "opens_at": stamp(now),
        "closes_at": stamp(now + dt.timedelta(days=1)),
        "consent_text": CONSENT,
        "kind": "routine",
    }
    before = ok(api.get(f"orgs/{ORG}/campaigns", headers=people["admin-li"]), 200)["campaigns"]
    for change, status in (
        ({"closes_at": stamp(now - dt.timedelta(days=1))}, 422),
        ({"instruments": ["phq9", "bdi"]}, 422),
        ({"units": ["no-such-unit"]}, 422),
        ({"kind": "whenever"}, 422),
        ({"title": {"en": "English only"}}, 422),
    ):
        answer = api.post(f"orgs/{ORG}/campaigns", headers=people["admin-li"], json=good | change)
        assert answer.status_code in (status, 404), (change, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    # A counsellor may read campaigns but not open one
    assert (
        api.post(f"orgs/{ORG}/campaigns", headers=people["counsellor-wang"], json=good).status_code
        == 403
    )
    after = ok(api.get(f"orgs/{ORG}/campaigns", headers=people["admin-li"]), 200)["campaigns"]
    assert len(after) == len(before)
    # A second answer, and answers of the wrong length, are refused without a trace
    campaign_id = world["campaign"]["campaign_id"]
    again = api.post(
        f"me/campaigns/{campaign_id}/responses",
        headers=people["lei"],
        json={"answers": {"phq9": [0] * 9, "gad7": [0] * 7}},
    )
    assert again.status_code in (409, 422) and again.headers["content-type"].startswith(
        "application/problem+json"
    )
    short = api.post(
        f"me/campaigns/{campaign_id}/responses",
        headers=world["outsider"].headers,
        json={"answers": {"phq9": [0] * 3}},
    )
    assert short.status_code in (404, 422)
