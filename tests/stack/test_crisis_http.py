"""The crisis follow-up on the local cloud (issue 10, work in progress): a risky check-in
opens a case through the stream and the intake, the workflow tells the on-duty counsellor,
and with nobody acknowledging it escalates to the backup, the duty officer, then the alarm.
Timeouts are deployed at a few seconds (local/timers.py FAST_TIMERS)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from local.deploy import aws_client
from tests.stack.test_data_rights_http import downloaded_export, finished_erasure
from tests.support.crisis_stack import (
    ITEM9,
    alerts,
    case_of,
    client,
    enrol_on_roster,
    explain,
    runs_for,
    states_entered,
    until,
)

Login = Callable[..., dict[str, str]]


def test_an_item9_check_in_reaches_the_counsellor_and_escalates_unanswered(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Callable[..., dict[str, str]],
    login: Login,
) -> None:
    # Given a member on the demo school's roster (their membership item, as an invitation
    # writes it) and the counsellors on its rota
    member = new_member(org_id="demo-school")
    user_id = api.get("me", headers=member).json()["user_id"]
    aws_client("dynamodb", local_cloud["aws_endpoint_url"], local_cloud["region"]).put_item(
        TableName=local_cloud["tables"]["orgs"],
        Item={"pk": {"S": f"user#{user_id}"}, "sk": {"S": "org"}, "org_id": {"S": "demo-school"}},
    )
    sfn = aws_client("stepfunctions", local_cloud["aws_endpoint_url"], local_cloud["region"])
    machine = local_cloud["state_machines"]["crisis_followup"]
    before = {e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    staff = [login(name) for name in ("counsellor-wang", "counsellor-liu", "officer-zhao")]
    alerts_before = alerts(api, staff)

    # When they check in with PHQ-9 item 9 above 0
    answer = api.post("checkins", headers=member, json=ITEM9)

    # Then the response offers the C-SSRS at once, a workflow run starts for a new case,
    assert answer.status_code == 201, answer.text
    assert answer.json()["next_step"] == "cssrs"
    run = until(lambda: runs_for(sfn, machine, user_id, before), "a crisis workflow run starts")
    assert len(run) == 1 and run[0]["name"].endswith("-r1")
    # and, nobody acknowledging, it goes through every tier to the alarm
    path = until(
        lambda: (
            (s := states_entered(sfn, run[0]["executionArn"])) and "AwaitAckAfterAlarm" in s and s
        ),
        "the escalation reaches the alarm",
    )
    assert path.count("Notify") == 3 and "Unacknowledged" in path
    # and the alarm's metric is emitted for this case (EMF in the steps function's log)
    case_id = run[0]["name"].rsplit("-r", 1)[0]
    until(lambda: metric_lines(local_cloud, case_id), "the CrisisCaseUnacknowledged metric")
    # and the primary, the backup and the duty officer each get a counsellor alert
    until(lambda: alerts(api, staff) >= alerts_before + 3, "three tiers of counsellor alerts")


def test_a_counsellor_acknowledges_follows_up_and_closes_the_case(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Callable[..., dict[str, str]],
    login: Login,
) -> None:
    # Given a rostered member who asks for help now
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    helped = api.post("help", headers=member, json={})
    assert helped.status_code == 202, helped.text
    assert helped.json()["support_requested"] is True
    assert set(helped.json()) == {"support_requested", "message", "crisis_resources"}
    counsellor = login("counsellor-wang")

    def their_case() -> dict[str, Any] | None:
        page = api.get("cases", headers=counsellor, params={"status": "open"}).json()
        return next((c for c in page.get("items", []) if c["user_id"] == user_id), None)

    case = until(their_case, "the case is listed for the counsellor")
    assert case["severity"] == "imminent"
    case_id = case["case_id"]

    # When a peer supporter or another organisation's admin tries the case routes
    for outsider in (login("peer-zhang"), login("admin-zhou")):
        assert api.get(f"cases/{case_id}", headers=outsider).status_code == 404
        assert api.post(f"cases/{case_id}/ack", headers=outsider).status_code == 404

    # And the counsellor acknowledges it (once the run waits for that), twice
    acked = until(
        lambda: (
            (a := api.post(f"cases/{case_id}/ack", headers=counsellor)).status_code == 200 and a
        ),
        "the acknowledgement is taken",
    )
    again = api.post(f"cases/{case_id}/ack", headers=counsellor)

    # Then the first resumes the run and the second is a conflict
    assert acked.status_code == 200 and again.status_code == 409, again.text
    # And after the follow-ups the run waits for closure; closing ends it
    sfn = aws_client("stepfunctions", local_cloud["aws_endpoint_url"], local_cloud["region"])
    runs = sfn.list_executions(stateMachineArn=local_cloud["state_machines"]["crisis_followup"])
    (run,) = [e for e in runs["executions"] if e["name"].startswith(case_id)]
    try:
        closed = until(lambda: close(api, case_id, counsellor), "the run waits for closure", 150)
    except AssertionError as error:
        raise AssertionError(f"{error}: {explain(sfn, run['executionArn'])}") from None
    assert closed["status"] == "closed"
    until(
        lambda: sfn.describe_execution(executionArn=run["executionArn"])["status"] == "SUCCEEDED",
        "the run ends",
    )
    path = states_entered(sfn, run["executionArn"])
    follow_ups = local_cloud["timers"]["FollowUpDays"].split(",")
    assert path.count("SendFollowUp") == len(follow_ups) and path[-1] == "Done"


def close(api: httpx.Client, case_id: str, counsellor: dict[str, str]) -> dict[str, Any] | None:
    """The closed case, or None while the run is not waiting for closure (409)."""
    answer = api.post(f"cases/{case_id}/close", headers=counsellor, json={"outcome": "resolved"})
    return dict(answer.json()) if answer.status_code == 200 else None


def test_a_worse_answer_to_a_follow_up_re_escalates(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Callable[..., dict[str, str]],
    login: Login,
) -> None:
    # Given a rostered member whose item-9 check-in (mood 3) opened a case a counsellor took
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    sfn = aws_client("stepfunctions", local_cloud["aws_endpoint_url"], local_cloud["region"])
    machine = local_cloud["state_machines"]["crisis_followup"]
    before = {e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    first = api.post("checkins", headers=member, json=ITEM9 | {"mood": 3})
    assert first.status_code == 201, first.text
    (run,) = until(lambda: runs_for(sfn, machine, user_id, before), "a run starts")
    counsellor = login("counsellor-wang")
    case_id = run["name"].rsplit("-r", 1)[0]
    until(
        lambda: api.post(f"cases/{case_id}/ack", headers=counsellor).status_code == 200,
        "the acknowledgement is taken",
    )
    until(
        lambda: "AwaitAnswer" in states_entered(sfn, run["executionArn"]),
        "the first follow-up waits for an answer",
    )

    # When the member answers with a mood two points lower
    again = api.post("checkins", headers=member, json={"mood": 1})
    assert again.status_code in (200, 201), again.text

    # Then the run re-escalates to the counsellors
    path = until(
        lambda: (s := states_entered(sfn, run["executionArn"])) and "ReEscalate" in s and s,
        "the worse answer re-escalates",
    )
    assert path.count("Notify") >= 2
    # And the counsellor sees it on the case's timeline, takes it again and closes it
    timeline = api.get(f"cases/{case_id}", headers=counsellor).json()["timeline"]
    assert "re_escalated" in [e["kind"] for e in timeline]
    until(
        lambda: api.post(f"cases/{case_id}/ack", headers=counsellor).status_code == 200,
        "the re-escalated case is acknowledged again",
    )
    closed = until(lambda: close(api, case_id, counsellor), "the run waits for closure", 150)
    assert closed["status"] == "closed"
    until(
        lambda: sfn.describe_execution(executionArn=run["executionArn"])["status"] == "SUCCEEDED",
        "the run ends",
    )


def test_erasure_keeps_the_case_as_a_safety_record_without_the_members_own_words(
    local_cloud: dict[str, Any],
    api: httpx.Client,
    new_member: Callable[..., dict[str, str]],
    login: Login,
) -> None:
    # Given a rostered member with a safety plan who asked for help in their own words
    member, user_id = enrol_on_roster(local_cloud, api, new_member)
    plan = api.put("me/safety-plan", headers=member, json={"coping_steps": ["walk by the river"]})
    assert plan.status_code == 201, plan.text
    words = f"cannot go on {uuid.uuid4().hex[:6]}"
    assert api.post("help", headers=member, json={"text": words}).status_code == 202
    counsellor = login("counsellor-wang")
    case = until(lambda: case_of(api, counsellor, user_id), "the case is listed")
    note = api.post(
        f"cases/{case['case_id']}/notes", headers=counsellor, json={"text": "called, safe"}
    )
    assert note.status_code == 201, note.text

    # When they export their data, then erase their account
    export = downloaded_export(api, member)["crisis"]
    started = api.delete("me", headers=member)
    assert started.status_code == 202, started.text
    run = finished_erasure(local_cloud, started.json()["id"])

    # Then the export showed their case, their words, their plan and what erasure keeps
    (exported,) = export["cases"]
    assert exported["case_id"] == case["case_id"]
    assert [s["text"] for s in exported["signals"]] == [words]
    assert export["safety_plan"]["coping_steps"] == ["walk by the river"]
    assert exported["counsellor_notes"] == 1 and "called, safe" not in json.dumps(export)
    assert export["retained_after_erasure"]["retention_days"] > 0
    # and after erasure the counsellor still has the case and their note, not the words
    assert run["status"] == "SUCCEEDED", run
    kept = api.get(f"cases/{case['case_id']}", headers=counsellor)
    assert kept.status_code == 200, kept.text
    assert kept.json()["member_erased_at"] is not None
    assert [s["text"] for s in kept.json()["signal_details"]] == [None]
    assert [n["text"] for n in kept.json()["notes"]] == ["called, safe"]
    left = client(local_cloud, "dynamodb").query(
        TableName=local_cloud["tables"]["cases"],
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"member#{user_id}"}},
    )["Items"]
    assert "safety-plan" not in {i["sk"]["S"] for i in left}
    assert all("expires_at" in i for i in left)


def metric_lines(local_cloud: dict[str, Any], case_id: str) -> list[dict[str, Any]]:
    """The steps function's CrisisCaseUnacknowledged metric records (embedded metric
    format, as CloudWatch reads them from the log) that name this case."""
    logs = client(local_cloud, "logs")
    group = f"/aws/lambda/{local_cloud['functions']['crisis_steps']}"
    found = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            names = [
                m["Name"]
                for d in record.get("_aws", {}).get("CloudWatchMetrics", [])
                for m in d.get("Metrics", [])
            ]
            if "CrisisCaseUnacknowledged" in names and record.get("case_id") == case_id:
                found.append(record)
    return found
