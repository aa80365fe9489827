"""The risk intake on the local cloud: many signals at once make one case, a replayed
stream record changes nothing, and a failing push provider delays the counsellors' alerts
without stopping the escalation. Timeouts are deployed at a few seconds
(local/timers.py FAST_TIMERS)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.crisis_stack import (
    DUTY_STAFF,
    ITEM9,
    case_of,
    client,
    enrol_on_roster,
    metric_records,
    now_ms,
    run_names,
    runs_for,
    states_entered,
    stream_insert,
    until,
)

Login = Callable[..., dict[str, str]]
Enrol = Callable[..., dict[str, str]]


def test_ten_signals_at_once_for_one_member_make_one_case_and_one_run(
    local_cloud: dict[str, Any], api: httpx.Client, new_member: Enrol, login: Login
) -> None:
    # Given a rostered member
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    sfn = client(local_cloud, "stepfunctions")
    machine = local_cloud["state_machines"]["crisis_followup"]
    before = run_names(sfn, machine)

    counsellor = login("counsellor-wang")
    assert api.get("cases", headers=counsellor).status_code == 200  # a warm function

    # When ten help requests of theirs arrive at once (ten different requests, not retries)
    def ask(n: int) -> int:
        headers = member | {"Idempotency-Key": f"burst-{n}-{uuid.uuid4().hex[:8]}"}
        with httpx.Client(base_url=str(api.base_url), timeout=120) as own:
            return own.post("help", headers=headers, json={}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(ask, range(10)))

    # Then every request is taken, and there is one case with all ten signals and one run
    assert statuses == [202] * 10
    case = until(lambda: case_of(api, counsellor, user_id), "the case is listed")
    assert case["signals"] == 10 and case["severity"] == "imminent"
    page = api.get("cases", headers=counsellor, params={"status": "open", "limit": 100}).json()
    assert [c["user_id"] for c in page["items"]].count(user_id) == 1
    runs = until(lambda: runs_for(sfn, machine, user_id, before), "the run starts")
    assert [r["name"] for r in runs] == [f"{case['case_id']}-r1"]


def stream_record(local_cloud: dict[str, Any], user_id: str) -> dict[str, Any]:
    """The INSERT record the check-ins stream carried for the member's risky check-in,
    rebuilt from the stored item (the same image, so the same write)."""
    items = client(local_cloud, "dynamodb").query(
        TableName=local_cloud["tables"]["checkins"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": user_id}},
    )["Items"]
    (item,) = [i for i in items if "risk" in i or "risk_level" in i]
    return stream_insert(local_cloud, "checkins", item, "9" * 20)


def test_a_replayed_stream_record_starts_no_second_run(
    local_cloud: dict[str, Any], api: httpx.Client, new_member: Enrol, login: Login
) -> None:
    # Given a member whose item-9 check-in opened a case and started its run
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    sfn = client(local_cloud, "stepfunctions")
    machine = local_cloud["state_machines"]["crisis_followup"]
    before = run_names(sfn, machine)
    assert api.post("checkins", headers=member, json=ITEM9).status_code == 201
    (run,) = until(lambda: runs_for(sfn, machine, user_id, before), "the run starts")
    counsellor = login("counsellor-wang")
    case = until(lambda: case_of(api, counsellor, user_id), "the case is listed")

    # When the intake is handed the same record again (as a replay from its DLQ would)
    answer = client(local_cloud, "lambda").invoke(
        FunctionName=local_cloud["functions"]["risk_intake"],
        Payload=json.dumps({"Records": [stream_record(local_cloud, user_id)]}).encode(),
    )
    outcome = json.loads(answer["Payload"].read() or b"null")

    # Then it is taken without error, and changes nothing: one signal, one run
    assert "FunctionError" not in answer, outcome
    assert outcome == {"batchItemFailures": []}
    again = case_of(api, counsellor, user_id)
    assert again is not None
    assert (again["case_id"], again["signals"], again["revision"]) == (
        case["case_id"],
        case["signals"],
        case["revision"],
    )
    assert [r["name"] for r in runs_for(sfn, machine, user_id, before)] == [run["name"]]


@pytest.fixture
def failing_phones(
    local_cloud: dict[str, Any], api: httpx.Client, login: Login
) -> Iterator[dict[str, str]]:
    """A JPush phone for each of the demo school's duty staff, all rate-limited by the
    push service until the test is over; registration id by username."""
    double = httpx.Client(base_url=local_cloud["jpush_double_url"] + "/_double/", timeout=10)
    phones: dict[str, str] = {}
    try:
        for name in DUTY_STAFF:
            registration_id = f"duty-{uuid.uuid4().hex}"
            answer = api.put(
                f"devices/crisis-test-{name}",
                headers=login(name),
                json={"platform": "android", "provider": "jpush", "token": registration_id},
            )
            assert answer.status_code == 200, answer.text
            steer = double.put(f"behaviours/{registration_id}", json={"behaviour": "rate_limited"})
            assert steer.status_code == 204, steer.text
            phones[name] = registration_id
        yield phones
    finally:
        for registration_id in phones.values():
            double.put(f"behaviours/{registration_id}", json={"behaviour": "success"})
        for name in phones:
            api.delete(f"devices/crisis-test-{name}", headers=login(name))
        double.close()


def pushes(local_cloud: dict[str, Any], registration_id: str) -> list[int]:
    """The statuses the JPush double answered for pushes to one registration id."""
    with httpx.Client(base_url=local_cloud["jpush_double_url"] + "/_double/") as double:
        recorded = double.get("requests").json()["requests"]
    return [r["status"] for r in recorded if registration_id in r["registration_ids"]]


def test_a_failing_push_provider_delays_alerts_but_not_the_escalation(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Enrol,
    login: Login,
    failing_phones: dict[str, str],
) -> None:
    # Given the duty staff's phones all refused by the push provider (429, rate limited)
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    sfn = client(local_cloud, "stepfunctions")
    machine = local_cloud["state_machines"]["crisis_followup"]
    before = run_names(sfn, machine)
    since = now_ms()

    # When the member asks for help and nobody acknowledges
    assert api.post("help", headers=member, json={}).status_code == 202
    (run,) = until(lambda: runs_for(sfn, machine, user_id, before), "the run starts")

    # Then the escalation still goes through every tier to the alarm, on its own clock
    path = until(
        lambda: (s := states_entered(sfn, run["executionArn"])) and "AwaitAckAfterAlarm" in s and s,
        "the escalation reaches the alarm",
    )
    assert path.count("Notify") == 3 and "Unacknowledged" in path
    # and the pushes were tried and refused
    phones = list(failing_phones.values())
    until(lambda: any(429 in pushes(local_cloud, p) for p in phones), "a push is refused")
    refused_before = {p: pushes(local_cloud, p).count(429) for p in phones}
    # and each refusal is in the sender's NotificationRetries metric
    until(
        lambda: metric_records(local_cloud, "notification_sender", "NotificationRetries", since),
        "the NotificationRetries metric",
    )

    # And once the provider is back, the delayed alerts are delivered by the retries
    with httpx.Client(base_url=local_cloud["jpush_double_url"] + "/_double/") as double:
        for p in phones:
            double.put(f"behaviours/{p}", json={"behaviour": "success"})
    delivered = until(
        lambda: [p for p in phones if refused_before[p] and 200 in pushes(local_cloud, p)],
        "a refused alert is delivered on retry",
    )
    assert delivered
    # and through it all, one case and one run for the member
    assert [r["name"] for r in runs_for(sfn, machine, user_id, before)] == [run["name"]]
    case = case_of(api, login("counsellor-wang"), user_id)
    assert case is not None and case["signals"] == 1


CASE_ROUTES = (
    ("GET", "cases/{case}", None),
    ("POST", "cases/{case}/ack", None),
    ("POST", "cases/{case}/notes", {"text": "a note"}),
    ("POST", "cases/{case}/contacts", {"who": "member", "channel": "phone", "outcome": "reached"}),
    (
        "POST",
        "cases/{case}/referral",
        {"to": "City hospital", "kind": "hospital", "on": "2026-12-01"},
    ),
    ("POST", "cases/{case}/close", {"outcome": "resolved"}),
    ("GET", "members/{member}/plan", None),
    ("PUT", "members/{member}/plan", {"goals": ["sleep"], "review_on": "2026-12-24"}),
    ("GET", "members/{member}/plan/versions", None),
    ("GET", "members/{member}/guardians", None),
    ("GET", "members/{member}/safety-plan", None),
)


def test_a_peer_supporter_and_another_organisations_counsellor_get_404_on_every_case_route(
    local_cloud: dict[str, Any], api: httpx.Client, new_member: Enrol, login: Login
) -> None:
    # Given a case of a demo school member
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    assert api.post("help", headers=member, json={}).status_code == 202
    case = until(lambda: case_of(api, login("counsellor-wang"), user_id), "the case is listed")
    ids = {"case": case["case_id"], "member": user_id}

    for outsider in ("peer-zhang", "counsellor-chen"):
        headers = login(outsider)
        # When they call every case route with the case's and the member's ids
        for method, path, body in CASE_ROUTES:
            answer = api.request(method, path.format(**ids), headers=headers, json=body)
            # Then each answers 404 as for a case that does not exist, as problem+json
            assert answer.status_code == 404, (outsider, method, path, answer.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
        # and the lists show them nothing of it
        listed = api.get("cases", headers=headers)
        assert listed.status_code == 404 or user_id not in listed.text, (outsider, listed.text)
        watch = api.get("watchlist", headers=headers)
        assert watch.status_code == 404 or user_id not in watch.text, (outsider, watch.text)
