"""What the crisis stack tests share: polling with a deadline, a member on the demo
school's roster, and reading the workflow's runs and their histories."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from local.deploy import aws_client

DEADLINE = 90.0
ITEM9 = {"mood": 2, "instruments": {"phq9": [1, 1, 1, 1, 1, 1, 1, 1, 2]}}
DUTY_STAFF = ("counsellor-wang", "counsellor-liu", "officer-zhao")


def until(check: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """Poll `check` until it answers something truthy, or fail after `deadline` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {deadline:.0f} s: {what}")


def client(local_cloud: dict[str, Any], service: str) -> Any:
    return aws_client(service, local_cloud["aws_endpoint_url"], local_cloud["region"])


def run_names(sfn: Any, machine: str) -> set[str]:
    return {e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}


def runs_for(sfn: Any, machine: str, user_id: str, before: set[str]) -> list[dict[str, Any]]:
    """The runs started since `before` for this member (other tests open cases too)."""
    runs = []
    for run in sfn.list_executions(stateMachineArn=machine)["executions"]:
        if run["name"] in before:
            continue
        described = sfn.describe_execution(executionArn=run["executionArn"])
        if json.loads(described["input"]).get("user_id") == user_id:
            runs.append(run)
    return runs


def states_entered(sfn: Any, execution_arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")
    ]


def explain(sfn: Any, execution_arn: str) -> str:
    """The states a run went through and its failures, for a failing assertion."""
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    failed = [
        str(e.get("taskFailedEventDetails") or e.get("executionFailedEventDetails"))[:300]
        for e in events
        if e["type"] in ("TaskFailed", "ExecutionFailed")
    ]
    return f"{states_entered(sfn, execution_arn)} {failed}"


def alerts(api: httpx.Client, staff: list[dict[str, str]]) -> int:
    """How many counsellor alerts the given staff have in their inboxes, in all."""
    total = 0
    for headers in staff:
        page = api.get("notifications", headers=headers, params={"limit": 100}).json()
        total += sum(i["category"] == "counsellor_alert" for i in page["items"])
    return total


def enrol_on_roster(
    local_cloud: dict[str, Any], api: httpx.Client, new_member: Callable[..., dict[str, str]]
) -> tuple[dict[str, str], str]:
    """A fresh member of the demo school with their membership item, as an invitation
    writes it (the intake finds the member's organisation there)."""
    member = new_member(org_id="demo-school")
    user_id = str(api.get("me", headers=member).json()["user_id"])
    client(local_cloud, "dynamodb").put_item(
        TableName=local_cloud["tables"]["orgs"],
        Item={"pk": {"S": f"user#{user_id}"}, "sk": {"S": "org"}, "org_id": {"S": "demo-school"}},
    )
    return member, user_id


def case_of(api: httpx.Client, counsellor: dict[str, str], user_id: str) -> dict[str, Any] | None:
    """The member's open case as the counsellor's list shows it, or None."""
    page = api.get("cases", headers=counsellor, params={"status": "open", "limit": 100}).json()
    return next((c for c in page.get("items", []) if c["user_id"] == user_id), None)


def now_ms() -> int:
    """The wall clock in milliseconds, as CloudWatch Logs filters by it."""
    return int(time.time() * 1000)


def log_records(local_cloud: dict[str, Any], function: str, since_ms: int) -> list[dict[str, Any]]:
    """The JSON lines (Powertools logs and EMF metric records) a function of the stack
    wrote to its log group since `since_ms`; `function` is its key in the stack file."""
    logs = client(local_cloud, "logs")
    group = f"/aws/lambda/{local_cloud['functions'][function]}"
    found = []
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=since_ms)
    for page in pages:
        for event in page["events"]:
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
    return found


def metric_records(
    local_cloud: dict[str, Any], function: str, metric: str, since_ms: int
) -> list[dict[str, Any]]:
    """The function's embedded-metric-format records since `since_ms` that carry `metric`:
    what CloudWatch turns into the metric its alarm watches (the emulator does not)."""
    return [
        record
        for record in log_records(local_cloud, function, since_ms)
        if metric
        in [
            m["Name"]
            for d in record.get("_aws", {}).get("CloudWatchMetrics", [])
            for m in d.get("Metrics", [])
        ]
    ]


def as_event_json(value: Any) -> Any:
    """DynamoDB JSON as a Lambda event carries it: binary values in base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: as_event_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_event_json(v) for v in value]
    return value


def stream_insert(
    local_cloud: dict[str, Any], table: str, item: dict[str, Any], sequence: str
) -> dict[str, Any]:
    """The INSERT record the table's stream carries for `item` (DynamoDB JSON as stored),
    as Lambda receives it: to hand a function the same record again."""
    db = client(local_cloud, "dynamodb")
    schema = db.describe_table(TableName=local_cloud["tables"][table])["Table"]
    image = as_event_json(item)
    keys = {k["AttributeName"]: image[k["AttributeName"]] for k in schema["KeySchema"]}
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": local_cloud["region"],
        "eventSourceARN": schema["LatestStreamArn"],
        "dynamodb": {
            "ApproximateCreationDateTime": time.time(),
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": sequence,
            "SizeBytes": 1000,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
