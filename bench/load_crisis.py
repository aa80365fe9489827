"""The crisis path while the load runs: an item-9 check-in → the counsellor's inbox entry.

bench/crisis_hops.py's probe and hops, with two changes for a busy stack:

- the duty staff's inboxes are read from the notifications table (one consistent Query
  each), not through GET /notifications every 50 ms: three more Lambda invocations at a
  time would take slots and containers from the load being measured. The inbox end is
  the Query that first sees the entry; GET /notifications reads the same items;
- the alert is matched to its run by time: of the new alerts, the one stamped between
  the start of the case's run `<case_id>-r1` and its Notify step's exit. On a stack with
  fast timers, earlier runs' escalations (the backup, the duty officer) land in the same
  inboxes meanwhile and must not be taken for this run's alert.

Runs go one at a time (an alert names no case), each with a member made beforehand, so
the run's clock starts at the POST. The probe runs in a thread beside the asyncio load.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
from botocore.exceptions import ClientError

from bench.crisis_hops import DUTY_STAFF, ITEM9, POLL_S, Probe, Stamps, epoch
from bench.load_people import Person

INBOX_PAGE = 20


class LoadProbe(Probe):
    def __init__(
        self, stack: dict[str, Any], api: httpx.Client, members: Iterator[tuple[str, str]]
    ) -> None:
        super().__init__(stack, api)
        self.members = members  # (ID token, user id), one per run
        ids = {u["username"]: u["user_id"] for u in stack["demo_users"]}
        self.staff_ids = [ids[name] for name in DUTY_STAFF]

    def enrol(self) -> tuple[dict[str, str], str]:
        token, user_id = next(self.members)
        return {"Authorization": token}, user_id

    def _inbox_alerts(self, user_id: str) -> dict[str, str]:
        """The counsellor alerts among the newest inbox entries: sort key -> created_at."""
        answer = self.dynamodb.query(
            TableName=self.stack["tables"]["notifications"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :inbox)",
            ExpressionAttributeValues={":pk": {"S": f"user#{user_id}"}, ":inbox": {"S": "inbox#"}},
            ScanIndexForward=False,
            Limit=INBOX_PAGE,
            ConsistentRead=True,
        )
        return {
            item["sk"]["S"]: item["created_at"]["S"]
            for item in answer.get("Items", [])
            if item.get("category", {}).get("S") == "counsellor_alert"
        }

    def alerts(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for inbox in self.pool.map(self._inbox_alerts, self.staff_ids):
            found |= inbox
        return found

    def window(self, user_id: str) -> tuple[str, float, float, float] | None:
        """(case id, case created, run started, Notify exited), or None until all exist."""
        try:
            case_id, created = self.case_of(user_id)
            started, exited = self.execution_of(case_id)
        except (RuntimeError, ClientError):
            return None
        return case_id, created, started, exited

    def run(self, deadline: float = 30.0) -> Stamps:
        member, user_id = self.enrol()
        before = self.alerts()
        answer = self.api.post("checkins", headers=member, json=ITEM9)
        answered = time.time()
        if answer.status_code != 201:
            raise RuntimeError(f"POST /checkins (item 9): {answer.status_code}")
        checkin_created = epoch(answer.json()["created_at"])
        first_seen: dict[str, tuple[float, float]] = {}  # key -> (created_at, seen)
        started_at = time.monotonic()
        while time.monotonic() - started_at < deadline:
            tick = time.monotonic()
            found, seen = self.alerts(), time.time()
            self.polls.append(time.monotonic() - tick)
            for key, stamp in found.items():
                if key not in before and key not in first_seen and epoch(stamp) >= checkin_created:
                    first_seen[key] = (epoch(stamp), seen)
            window = self.window(user_id) if first_seen else None
            if window is not None:
                _, created, started, exited = window
                mine = sorted(v for v in first_seen.values() if started <= v[0] <= exited)
                if mine:
                    queued, seen_at = mine[0]
                    return Stamps(
                        answered=answered,
                        checkin_created=checkin_created,
                        case_created=created,
                        execution_started=started,
                        alert_queued=queued,
                        notify_exited=exited,
                        seen=seen_at,
                    )
            time.sleep(max(0.0, POLL_S - (time.monotonic() - tick)))
        raise RuntimeError(
            f"no counsellor alert of this run within {deadline:.0f} s ({self.found(user_id)})"
        )

    def found(self, user_id: str) -> str:
        """How far the run got, for the failure's message (ids and states only)."""
        try:
            case_id, _ = self.case_of(user_id)
        except RuntimeError:
            return "no open case"
        machine = self.stack["state_machines"]["crisis_followup"]
        arn = machine.replace(":stateMachine:", ":execution:") + f":{case_id}-r1"
        try:
            status = self.sfn.describe_execution(executionArn=arn)["status"]
        except ClientError as error:
            return f"case {case_id} open, run r1: {error.response['Error']['Code']}"
        return f"case {case_id} open, run r1 {status}"


def tokens_of(people: list[Person], login: Any) -> Iterator[tuple[str, str]]:
    """Sign each crisis member in as their run comes (a token is good for an hour)."""
    for p in people:
        yield login(p.username, p.password), p.user_id
