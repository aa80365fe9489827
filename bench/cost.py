"""`make cost`: the AWS bill of a usage profile, from the AWS calls `make bench` counted.

No local cloud: it reads bench/results.json (the calls per request), template.yaml (memory,
architecture, tracing, log retention, keys, queues, schedules) and bench/prices.py (list
prices with their date). Every figure that no bench row measures is an assumption, named
in `Assumptions` and printed. Prints the profile, the bill per service, dollars per 1,000
monthly active members, the top drivers and what switching would save; writes the same to
bench/cost.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.prices import PRICES, PRICES_AS_OF, REGION, Prices

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
OUTPUT = HERE / "cost.json"
CRISIS_ASL = ROOT / "statemachines" / "crisis_followup.asl.json"
GOAL_PER_1000 = 1.00


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Profile:
    """Who uses the app, and how often (the issue's example school)."""

    name: str = "a school of 2,000 members"
    members: int = 2000
    monthly_active_share: float = 1.0  # members who open the app in a month
    checkin_daily: float = 0.60  # share of members checking in each day
    journal_daily: float = 0.20  # share writing a journal entry each day
    case_monthly: float = 0.01  # share opening a crisis case each month
    pushes_per_member_day: float = 3.0
    days_per_month: float = 30.0

    @property
    def monthly_active(self) -> float:
        return self.members * self.monthly_active_share


@dataclass(frozen=True)
class Assumptions:
    """What the bench does not measure. Change one here and the output says so."""

    warm_ms: float = 50.0  # billed duration of a warm request (no timings in results.json)
    batch_ms: float = 100.0  # a stream, queue or scheduled invocation
    cold_fraction: float = 0.05  # invocations that start a container (sparse school traffic)
    init_ms: float = 1000.0  # billed INIT of a cold start at 512 MB (billed since 2025-08)
    query_rru: float = 1.0  # a Query without a measured item count reads <= 4 KB
    item_kb: float = 0.5  # a check-in/journal/inbox item, for measured item counts
    batch_get_items: int = 3
    batch_write_items: int = 2
    transact_items: int = 2  # items in a TransactWriteItems (each costs 2 WRU)
    gsi_write_amplification: bool = True  # a write also writes each GSI of its table
    revocation_reads_per_request: float = 1.0  # 30 s cache, sparse traffic: ~every request
    sqs_requests_per_message: float = 3.0  # send, receive, delete (batches of one when quiet)
    sender_batch: float = 10.0  # notification records per sender invocation (bench batch)
    reminders_on: float = 0.9  # members with a daily reminder (bench: 9,011 of 10,000)
    idle_polls_per_queue_month: float = 648_000.0  # Lambda's 5 pollers x 20 s long polls
    lambda_log_bytes: int = 700  # START/END/REPORT lines plus one INFO line
    access_log_bytes: int = 250  # one API access log line
    traced_share: float = 1.0  # X-Ray default rule keeps 1 request/s: all at school scale
    fifo_payload_kb: float = 1.0  # a check-in event on the SNS FIFO topic
    counsellors_paged: int = 2  # pushes when a case is opened (Notify, first tier)
    case_api_requests: int = 3  # counsellor opens the case, acknowledges, closes it


@dataclass(frozen=True)
class Deployment:
    """What the template deploys, as far as the bill is concerned."""

    api: str  # "REST" or "HTTP"
    architecture: str  # "x86_64" or "arm64"
    default_memory: int
    memory: dict[str, int]  # logical id -> MB
    tracing: bool
    log_retention_days: int
    kms_keys: int
    secrets: int
    alarms: int
    schedules: list[tuple[str, float]]  # (function, invocations a month)
    polled_queues: list[tuple[str, bool]]  # (queue, fifo) read by a Lambda event source
    topic_subscriptions: int  # queues subscribed to the check-in events topic
    gsis: dict[str, int]  # table logical id -> global secondary indexes
    follow_up_days: int
    user_pool_tier: str = "LITE"  # Cognito feature plan: LITE, ESSENTIALS or PLUS

    def memory_of(self, function: str) -> int:
        return self.memory.get(function, self.default_memory)


def _minutes(expression: str) -> float | None:
    """Minutes between runs of `cron(0/N * * * ? *)` or `rate(N minutes|hours)`."""
    if m := re.fullmatch(r"cron\(0/(\d+) \* \* \* \? \*\)", expression):
        return float(m.group(1))
    if m := re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", expression):
        return float(m.group(1)) * (60 if m.group(2).startswith("hour") else 1)
    return None


def deployment(template: dict[str, Any]) -> Deployment:
    resources: dict[str, Any] = template.get("Resources") or {}
    params: dict[str, Any] = template.get("Parameters") or {}
    glob = (template.get("Globals") or {}).get("Function") or {}
    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for name, res in resources.items():
        by_type[res.get("Type", "")].append((name, res.get("Properties") or {}))
    memory = {
        name: int(p["MemorySize"])
        for name, p in by_type["AWS::Serverless::Function"]
        if "MemorySize" in p
    }
    fifo = {name: bool(p.get("FifoQueue")) for name, p in by_type["AWS::SQS::Queue"]}
    polled = []
    for _, p in by_type["AWS::Serverless::Function"]:
        for event in (p.get("Events") or {}).values():
            if event.get("Type") == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                polled.append((queue, fifo.get(queue, False)))
    schedules = []
    for _, p in by_type["AWS::Scheduler::Schedule"]:
        minutes = _minutes(str(p.get("ScheduleExpression", "")))
        target = (p.get("Target") or {}).get("Arn") or {}
        if minutes and isinstance(target, dict) and "Fn::GetAtt" in target:
            schedules.append((target["Fn::GetAtt"][0], 30 * 24 * 60 / minutes))
    topic_subs = sum(
        1
        for _, p in by_type["AWS::SNS::Subscription"]
        if p.get("TopicArn") == {"Ref": "CheckinEventsTopic"} and p.get("Protocol") == "sqs"
    )
    has_api = bool(by_type["AWS::Serverless::Api"])
    has_http = bool(by_type["AWS::Serverless::HttpApi"])
    follow_up = str((params.get("FollowUpDays") or {}).get("Default", ""))
    return Deployment(
        api="HTTP" if has_http and not has_api else "REST",
        architecture=str((glob.get("Architectures") or ["x86_64"])[0]),
        default_memory=int(glob.get("MemorySize", 128)),
        memory=memory,
        tracing=glob.get("Tracing") == "Active",
        log_retention_days=int((params.get("LogRetentionDays") or {}).get("Default", 0)),
        kms_keys=len(by_type["AWS::KMS::Key"]),
        secrets=len(by_type["AWS::SecretsManager::Secret"]),
        alarms=len(by_type["AWS::CloudWatch::Alarm"]),
        schedules=schedules,
        polled_queues=polled,
        topic_subscriptions=topic_subs,
        gsis={
            name: len(p.get("GlobalSecondaryIndexes") or [])
            for name, p in by_type["AWS::DynamoDB::Table"]
        },
        follow_up_days=len([d for d in follow_up.split(",") if d.strip()]),
        user_pool_tier=str((params.get("UserPoolTier") or {}).get("Default", "ESSENTIALS")),
    )


def load_deployment() -> Deployment:
    from local.template import load_template

    return deployment(load_template())


# ---------------------------------------------------------------- the meter

# quantity -> (service, price field); "api_request" and "lambda_gb_s" depend on the deployment
SERVICE = {
    "api_request": "API Gateway",
    "lambda_request": "Lambda",
    "lambda_gb_s": "Lambda",
    "dynamodb_rru": "DynamoDB",
    "dynamodb_wru": "DynamoDB",
    "sfn_standard_transition": "Step Functions",
    "sns_mobile_push": "SNS",
    "sns_request": "SNS",
    "sns_fifo_publish": "SNS",
    "sns_fifo_payload_gb": "SNS",
    "sns_fifo_delivery": "SNS",
    "sqs_standard_request": "SQS",
    "sqs_fifo_request": "SQS",
    "kms_request": "KMS",
    "kms_key_month": "KMS",
    "logs_ingest_gb": "CloudWatch Logs",
    "logs_storage_gb_month": "CloudWatch Logs",
    "alarm_month": "CloudWatch alarms",
    "xray_trace": "X-Ray",
    "secret_month": "Secrets Manager",
    "secret_request": "Secrets Manager",
}


@dataclass
class Meter:
    """Billable quantities (price-field names, see SERVICE) of one occurrence of something."""

    q: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, quantity: str, amount: float) -> None:
        if quantity not in SERVICE:
            raise KeyError(quantity)
        self.q[quantity] += amount

    def merge(self, other: Meter, times: float = 1.0) -> None:
        for k, v in other.q.items():
            self.q[k] += v * times

    def scaled(self, times: float) -> Meter:
        out = Meter()
        out.merge(self, times)
        return out


def price_of(quantity: str, dep: Deployment, prices: Prices) -> float:
    if quantity == "api_request":
        return (prices.api_http_request if dep.api == "HTTP" else prices.api_rest_request).usd
    if quantity == "lambda_gb_s":
        arm = dep.architecture == "arm64"
        return (prices.lambda_gb_s_arm if arm else prices.lambda_gb_s_x86).usd
    return float(getattr(prices, quantity).usd)


def dollars(meter: Meter, dep: Deployment, prices: Prices = PRICES) -> dict[str, float]:
    """Dollars per service."""
    out: dict[str, float] = defaultdict(float)
    for quantity, amount in meter.q.items():
        out[SERVICE[quantity]] += amount * price_of(quantity, dep, prices)
    return dict(out)


class Calls:
    """Turns counted operations into meter quantities, for one deployment and assumptions."""

    def __init__(self, dep: Deployment, a: Assumptions) -> None:
        self.dep = dep
        self.a = a

    def _gsis(self, table: str | None) -> int:
        if not table or not self.a.gsi_write_amplification:
            return 0
        return self.dep.gsis.get("".join(p.title() for p in table.split("_")) + "Table", 0)

    def operations(
        self, m: Meter, ops: Iterable[str], items_read: float | None = None, times: float = 1.0
    ) -> None:
        """Operations as results.json labels them: 'dynamodb.GetItem[accounts]', 'Query[peer]'."""
        ops = list(ops)
        queries = sum(1 for op in ops if op.split("[")[0].endswith("Query"))
        for op in ops:
            match = re.fullmatch(r"(?:([\w-]+)\.)?(\w+)(?:\[(\w+)\])?", op)
            if not match:
                raise ValueError(f"unknown operation label {op!r}")
            service, name, table = match.group(1) or "dynamodb", match.group(2), match.group(3)
            if service == "dynamodb":
                self._dynamodb(m, name, table, items_read, queries, times)
            elif service == "kms":
                m.add("kms_request", times)
            elif service == "sns" and name in ("Publish", "PublishBatch"):
                m.add("sns_mobile_push", times)
                m.add("sns_request", times)
            elif service == "sns":
                m.add("sns_request", times)
            elif service == "sqs":
                m.add("sqs_standard_request", times)
            elif service == "secretsmanager":
                m.add("secret_request", times)
            # cognito-idp admin calls and states:* API calls carry no request charge

    def _dynamodb(
        self,
        m: Meter,
        name: str,
        table: str | None,
        items_read: float | None,
        queries: int,
        times: float,
    ) -> None:
        a = self.a
        if name == "GetItem":
            m.add("dynamodb_rru", times)
        elif name == "Query":
            rru = a.query_rru
            if items_read is not None and queries:
                rru = max(1.0, math.ceil(items_read / queries * a.item_kb / 4))
            m.add("dynamodb_rru", rru * times)
        elif name == "BatchGetItem":
            m.add("dynamodb_rru", a.batch_get_items * times)
        elif name in ("PutItem", "UpdateItem", "DeleteItem"):
            m.add("dynamodb_wru", (1 + self._gsis(table)) * times)
        elif name == "BatchWriteItem":
            m.add("dynamodb_wru", a.batch_write_items * (1 + self._gsis(table)) * times)
        elif name == "TransactWriteItems":
            m.add("dynamodb_wru", 2 * a.transact_items * times)
        else:
            raise ValueError(f"no price rule for dynamodb.{name}")

    def invoke(
        self, m: Meter, function: str, ms: float, times: float = 1.0, own_trace: bool = True
    ) -> None:
        """Lambda invocations at the function's memory, with cold starts, logs and traces."""
        a = self.a
        gb = self.dep.memory_of(function) / 1024
        init = a.init_ms * 512 / self.dep.memory_of(function)  # init is CPU-bound
        m.add("lambda_request", times)
        m.add("lambda_gb_s", times * gb * (ms + a.cold_fraction * init) / 1000)
        self.logs(m, a.lambda_log_bytes * times)
        if own_trace and self.dep.tracing:
            m.add("xray_trace", a.traced_share * times)

    def logs(self, m: Meter, nbytes: float) -> None:
        gb = nbytes / 1e9
        m.add("logs_ingest_gb", gb)
        # steady state: the retained days' ingest is stored (uncompressed: an upper bound)
        m.add("logs_storage_gb_month", gb * self.dep.log_retention_days / 30)

    def api(self, m: Meter, function: str, ops: Iterable[str], items_read: float | None = None):
        """One request through API Gateway to a function (one trace for both)."""
        m.add("api_request", 1)
        self.logs(m, self.a.access_log_bytes)
        if self.dep.tracing:
            m.add("xray_trace", self.a.traced_share)
        self.invoke(m, function, self.a.warm_ms, own_trace=False)
        self.operations(m, ops, items_read)
        m.add("dynamodb_rru", self.a.revocation_reads_per_request * self.a.query_rru)


# ---------------------------------------------------------------- actions


@dataclass
class Action:
    name: str
    per_month: float  # occurrences for the profile
    meter: Meter
    source: str  # which bench rows, or which assumption


def rows(results: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["phase"], r["endpoint"]): r for r in results["aws_calls"]["rows"]}


def row_ops(results: dict[str, Any], endpoint: str, phase: str = "warm") -> list[str]:
    found = rows(results).get((phase, endpoint))
    if found is None:
        raise KeyError(f"results.json has no {phase} row {endpoint!r}: run `make bench`")
    return list(found["operations"])


def _per_record(ops: dict[str, int], records: float) -> list[tuple[str, float]]:
    return [(op, n / records) for op, n in ops.items()]


def crisis_path(follow_ups: int, path: Path = CRISIS_ASL) -> list[str]:
    """A typical case: the first tier acknowledges, every follow-up is answered, not worse.

    Checked against the definition: each step must be a Next, Default, Choice or Catch of
    the state before it. Returns the states entered (each is one standard transition).
    """
    text = re.sub(r"\$\{\w+\}", "1", path.read_text(encoding="utf-8"))
    states: dict[str, Any] = json.loads(text)["States"]
    loop = ["FollowUpsDone", "WaitForFollowUp", "SendFollowUp", "AwaitAnswer", "Worse"]
    loop += ["WorseChoice", "PlanFollowUp"]
    steps = ["Start", "Opened", "Notify", "AwaitAckBySeverity", "AwaitAckHigh"]
    steps += ["Acknowledged", "PlanFollowUp", *loop * follow_ups]
    steps += ["FollowUpsDone", "AwaitClosure", "Closed", "Done"]
    for here, there in itertools.pairwise(steps):
        s = states[here]
        targets = {s.get("Next"), s.get("Default")}
        targets |= {c.get("Next") for c in s.get("Choices", []) + s.get("Catch", [])}
        if there not in targets:
            raise ValueError(f"crisis path: {here} does not lead to {there}")
    return steps


def lambda_tasks(steps: list[str], path: Path = CRISIS_ASL) -> int:
    text = re.sub(r"\$\{\w+\}", "1", path.read_text(encoding="utf-8"))
    states: dict[str, Any] = json.loads(text)["States"]
    return sum(1 for s in steps if states[s]["Type"] == "Task")


def actions(
    results: dict[str, Any], dep: Deployment, profile: Profile, a: Assumptions
) -> list[Action]:
    c = Calls(dep, a)
    calls = results["aws_calls"]
    month = profile.days_per_month

    # a push: one notification record through the notify queue and the sender (measured)
    sender = next(b for b in calls["notification_sender"]["batches"] if b["phase"] == "warm")
    push = Meter()
    push.add("sqs_standard_request", 1 + (a.sqs_requests_per_message - 1) / a.sender_batch)
    c.invoke(push, "NotificationSenderFunction", a.batch_ms, times=1 / a.sender_batch)
    for op, n in _per_record(sender["operations"], sender["records"]):
        c.operations(push, [op], times=n)

    # a check-in and what its stream sets off
    checkin = Meter()
    c.api(checkin, "CheckinsFunction", row_ops(results, "POST /checkins (fresh Idempotency-Key)"))
    c.invoke(checkin, "CheckinEventsFunction", a.batch_ms)
    checkin.add("sns_fifo_publish", 1)
    checkin.add("sns_fifo_payload_gb", a.fifo_payload_kb / 1e6)
    checkin.add("sns_fifo_delivery", dep.topic_subscriptions)
    checkin.add("sqs_fifo_request", dep.topic_subscriptions * a.sqs_requests_per_message)
    c.invoke(checkin, "NotificationsCheckinsStreamFunction", a.batch_ms)
    c.operations(checkin, ["dynamodb.UpdateItem[notifications]"])
    projector = next(
        r for r in calls["peer_network"]["projector"]["requests"] if r["phase"] == "warm"
    )
    c.invoke(checkin, "PeerInboxProjectorFunction", a.batch_ms)
    c.operations(
        checkin,
        projector["operations"],
        times=1 / projector["records"],
    )
    c.invoke(checkin, "StatsAggregatorFunction", a.batch_ms)
    c.operations(checkin, ["dynamodb.GetItem[orgs]", "dynamodb.UpdateItem[stats]"] * 1)
    c.invoke(checkin, "RiskIntakeFunction", a.batch_ms)  # no signal: no calls (assumed)

    # an app session on a check-in day
    session = Meter()
    c.api(session, "AccountsFunction", row_ops(results, "GET /me"))
    c.api(
        session,
        "NotificationsFunction",
        row_ops(results, "PUT /devices/{id} (app start, unchanged)"),
    )
    c.api(session, "NotificationsFunction", row_ops(results, "GET /notifications"))
    c.api(session, "CheckinsFunction", row_ops(results, "GET /checkins/summary"))

    # a journal entry: the bench's warm POST row (results older than that row: an estimate
    # from the read row's key lookup, a put and the idempotency record)
    journal = Meter()
    try:
        write = row_ops(results, "POST /journal/entries")
    except KeyError:
        keys = row_ops(results, "GET /journal/entries (page of 20, keys not cached)")
        write = [op for op in keys if not op.startswith("dynamodb.Query")]
        write += ["dynamodb.PutItem[journal]", "dynamodb.PutItem[idempotency]"]
        write += ["dynamodb.UpdateItem[idempotency]"]
    c.api(journal, "JournalFunction", write)
    c.api(
        journal, "JournalFunction", row_ops(results, "GET /journal/entries (page of 20, warm)"), 20
    )

    # the reminder sweep's work for one member due that day (measured per due member)
    busy = max(calls["reminder_sweep"]["sweeps"], key=lambda s: s["due"])
    reminder = Meter()
    for op, n in _per_record(busy["operations"], busy["due"]):
        if not op.startswith("sqs."):  # the message itself is part of the push
            c.operations(reminder, [op], times=n)

    # a crisis case: the high-risk check-in, the intake, the follow-up workflow, its pushes
    steps = crisis_path(dep.follow_up_days)
    case = Meter()
    c.api(
        case,
        "CheckinsFunction",
        row_ops(results, "POST /checkins (high risk: carries crisis lines)"),
    )
    c.invoke(case, "RiskIntakeFunction", a.batch_ms)
    c.operations(case, ["GetItem[orgs]", "Query[cases]", "PutItem[cases]", "kms.GenerateDataKey"])
    case.add("sfn_standard_transition", len(steps))
    if dep.tracing:
        case.add("xray_trace", a.traced_share)
    tasks = lambda_tasks(steps)
    c.invoke(case, "CrisisStepsFunction", a.batch_ms, times=tasks, own_trace=False)
    c.operations(case, ["GetItem[cases]", "UpdateItem[cases]"], times=tasks)
    case.merge(push, a.counsellors_paged + dep.follow_up_days)
    for _ in range(a.case_api_requests):
        c.api(case, "CrisisApiFunction", ["GetItem[cases]", "UpdateItem[cases]"])
    for _ in range(dep.follow_up_days):
        c.api(case, "CrisisMembersFunction", ["GetItem[cases]", "UpdateItem[cases]"])

    members = profile.members
    return [
        Action(
            "check-in (and its stream fan-out)",
            members * profile.checkin_daily * month,
            checkin,
            "POST /checkins warm row; projector warm batch; consumers assumed",
        ),
        Action(
            "app session on a check-in day",
            members * profile.checkin_daily * month,
            session,
            "GET /me, PUT /devices (unchanged), GET /notifications, "
            "GET /checkins/summary warm rows",
        ),
        Action(
            "journal entry (write and a page read)",
            members * profile.journal_daily * month,
            journal,
            "POST /journal/entries warm row (estimated if the results lack it); "
            "GET /journal/entries warm row",
        ),
        Action(
            "push (notification record, sender)",
            members * profile.pushes_per_member_day * month,
            push,
            "notification_sender warm batch, per record",
        ),
        Action(
            "reminder due (sweep reads)",
            members * a.reminders_on * month,
            reminder,
            "reminder_sweep, per due member",
        ),
        Action(
            "crisis case (workflow, pushes, staff)",
            members * profile.case_monthly,
            case,
            f"{len(steps)} transitions on the typical path; steps and staff calls ASSUMED",
        ),
    ]


def fixed(dep: Deployment, a: Assumptions, results: dict[str, Any]) -> Action:
    """What the stack costs a month with no members at all."""
    c = Calls(dep, a)
    m = Meter()
    idle = results["aws_calls"]["reminder_sweep"]["sweeps"][0]["operations"]
    idle_ops = {"ReminderFunction": [op for op, n in idle.items() for _ in range(n)]}
    for function, per_month in dep.schedules:
        c.invoke(m, function, a.batch_ms, times=per_month)
        # an idle run: the measured empty sweep, or one Query (assumed) for the others
        c.operations(m, idle_ops.get(function, ["Query"]), times=per_month)
    m.add("kms_key_month", dep.kms_keys)
    m.add("secret_month", dep.secrets)
    m.add("alarm_month", dep.alarms)
    for _, is_fifo in dep.polled_queues:
        m.add(
            "sqs_fifo_request" if is_fifo else "sqs_standard_request", a.idle_polls_per_queue_month
        )
    return Action(
        "fixed: schedules, keys, secrets, alarms, idle queue polls",
        1,
        m,
        f"{len(dep.schedules)} schedules, {dep.kms_keys} KMS keys, {dep.secrets} "
        f"secrets, {dep.alarms} alarms, {len(dep.polled_queues)} polled queues",
    )


# ---------------------------------------------------------------- the bill


@dataclass
class Bill:
    per_service: dict[str, float]
    per_action: dict[str, float]
    total: float
    per_1000: float
    variable_per_1000: float
    fixed: float


def bill(
    results: dict[str, Any],
    dep: Deployment,
    profile: Profile = Profile(),
    a: Assumptions = Assumptions(),
    prices: Prices = PRICES,
) -> Bill:
    acts = actions(results, dep, profile, a)
    base = fixed(dep, a, results)
    per_service: dict[str, float] = defaultdict(float)
    per_action: dict[str, float] = {}
    for act in [*acts, base]:
        d = dollars(act.meter.scaled(act.per_month), dep, prices)
        per_action[act.name] = sum(d.values())
        for s, v in d.items():
            per_service[s] += v
    total = sum(per_service.values())
    thousands = profile.monthly_active / 1000
    fixed_total = per_action[base.name]
    return Bill(
        per_service=dict(sorted(per_service.items(), key=lambda kv: -kv[1])),
        per_action=dict(sorted(per_action.items(), key=lambda kv: -kv[1])),
        total=total,
        per_1000=total / thousands,
        variable_per_1000=(total - fixed_total) / thousands,
        fixed=fixed_total,
    )


DEPLOYMENT_SIZES = (2_000, 10_000, 50_000)
COGNITO_FREE_MAU = 10_000


def by_size(
    b: Bill,
    tier: str,
    prices: Prices = PRICES,
    sizes: tuple[int, ...] = DEPLOYMENT_SIZES,
) -> list[tuple[int, float, float]]:
    """(members, $ per 1,000 MAM, of which Cognito) for one stack serving `members`.

    Usage grows with members, the stack's fixed cost does not; Cognito's free tier is
    the account's, so a deployment past 10,000 members pays for each one above it.
    """
    out = []
    for size in sizes:
        mau = {
            "LITE": prices.cognito_lite_mau,
            "ESSENTIALS": prices.cognito_essentials_mau,
            "PLUS": prices.cognito_plus_mau,
        }[tier]
        cognito = max(0, size - COGNITO_FREE_MAU) * mau.usd
        per = b.variable_per_1000 + (b.fixed + cognito) / (size / 1000)
        out.append((size, per, cognito / (size / 1000)))
    return out


def switches(dep: Deployment) -> list[tuple[str, Deployment]]:
    out = []
    if dep.api == "REST":
        out.append(("HTTP API instead of REST", replace(dep, api="HTTP")))
    if dep.architecture != "arm64":
        out.append(("arm64 instead of x86_64", replace(dep, architecture="arm64")))
    if dep.default_memory > 256:
        out.append(
            (
                f"memory 256 MB instead of {dep.default_memory} MB (same warm duration)",
                replace(dep, default_memory=256, memory=dict.fromkeys(dep.memory, 256)),
            ),
        )
    if dep.log_retention_days > 7:
        out.append(
            (
                f"log retention 7 days instead of {dep.log_retention_days}",
                replace(dep, log_retention_days=7),
            )
        )
    if dep.tracing:
        out.append(("X-Ray tracing off (PassThrough)", replace(dep, tracing=False)))
    return out


def report(
    results: dict[str, Any],
    dep: Deployment,
    source: str,
    profile: Profile = Profile(),
    a: Assumptions = Assumptions(),
    prices: Prices = PRICES,
) -> tuple[list[str], dict[str, Any]]:
    b = bill(results, dep, profile, a, prices)
    other_tier = "ESSENTIALS" if dep.user_pool_tier == "LITE" else "LITE"
    lines = [
        f"== Cost of {profile.name} ({REGION} list prices as of {PRICES_AS_OF}, no free tier)",
        f"calls per request: {source}, generated_at {results.get('generated_at', '?')}",
        f"deployment (template.yaml): {dep.api} API, Lambda {dep.architecture} "
        f"{dep.default_memory} MB (overrides: {dep.memory or 'none'}), tracing "
        f"{'on' if dep.tracing else 'off'}, log retention {dep.log_retention_days} days, "
        f"Cognito {dep.user_pool_tier}",
        "",
        "-- profile",
        *(f"{k:<26} {v}" for k, v in asdict(profile).items()),
        f"{'monthly active members':<26} {profile.monthly_active:,.0f}",
        "",
        "-- assumptions (no bench row measures these)",
        *(f"{k:<30} {v}" for k, v in asdict(a).items()),
        "",
        "-- per service, $ a month for the school",
        *(
            f"{s:<22} {v:>9.4f}  {v / (profile.monthly_active / 1000):>8.4f} per 1,000 MAM"
            for s, v in b.per_service.items()
        ),
        f"{'total':<22} {b.total:>9.4f}",
        "",
        "-- per action, $ a month for the school",
        *(f"{n:<56} {v:>9.4f}" for n, v in b.per_action.items()),
        "",
        f"$ per 1,000 monthly active members a month: {b.per_1000:.4f} "
        f"(goal <= {GOAL_PER_1000:.2f}: {'met' if b.per_1000 <= GOAL_PER_1000 else 'MISSED'})",
        f"  of which per-member usage: {b.variable_per_1000:.4f}; the stack's fixed "
        f"${b.fixed:.2f} a month spread over {profile.monthly_active:,.0f} members: "
        f"{b.per_1000 - b.variable_per_1000:.4f}",
        "",
        "-- one deployment serving more members (same usage per member; fixed costs shared;",
        f"   Cognito {dep.user_pool_tier} charged above the account's 10,000 free MAU)",
        *(
            f"{size:>9,} members: {per:.4f} per 1,000 MAM (Cognito {cognito:.4f} of it; "
            f"on {other_tier}: {other:.4f})"
            for (size, per, cognito), (_, other, _) in zip(
                by_size(b, dep.user_pool_tier, prices),
                by_size(b, other_tier, prices),
                strict=True,
            )
        ),
        "",
        "-- top cost drivers",
        *(
            f"{i}. {s}: ${v:.4f} a month ({v / b.total:.0%})"
            for i, (s, v) in enumerate(list(b.per_service.items())[:3], 1)
        ),
        "",
        "-- what switching would save (each alone, $ a month for the school, per 1,000 MAM)",
    ]
    saves = []
    for label, alt in switches(dep):
        other = bill(results, alt, profile, a, prices)
        saved = b.total - other.total
        saves.append({"switch": label, "saves_month": saved, "per_1000_after": other.per_1000})
        lines.append(f"{label:<58} saves {saved:>8.4f}  -> {other.per_1000:.4f} per 1,000")
    if switches(dep):
        every = dep
        for _, alt in switches(dep):
            every = replace(every, **{k: v for k, v in asdict(alt).items() if v != getattr(dep, k)})
        other = bill(results, every, profile, a, prices)
        saves.append(
            {
                "switch": "all of them",
                "saves_month": b.total - other.total,
                "per_1000_after": other.per_1000,
            }
        )
        lines.append(
            f"{'all of them':<58} saves {b.total - other.total:>8.4f}  -> "
            f"{other.per_1000:.4f} per 1,000"
        )
    over = max(0.0, profile.monthly_active - 10_000)
    lines += [
        "",
        "-- not in the figure",
        f"Cognito: the first 10,000 MAU a month of an account are free; above that "
        f"${prices.cognito_essentials_mau.usd * 1000:.2f} (Essentials) or "
        f"${prices.cognito_lite_mau.usd * 1000:.2f} (Lite) per 1,000 MAU "
        f"(this profile: {over:,.0f} above the free tier).",
        "DynamoDB and S3 storage, data transfer out, EventBridge Scheduler (14 M free), "
        "CloudWatch metrics, KMS calls made by SNS/SQS/Logs on their own (data keys cached).",
        "",
        "-- prices used",
        *(
            f"{name:<26} ${p.usd:.10g} per {p.unit} (as of {p.as_of}; {p.source})"
            for name, p in prices.items()
        ),
    ]
    data = {
        "source": source,
        "generated_at": results.get("generated_at"),
        "prices_as_of": PRICES_AS_OF,
        "region": REGION,
        "profile": asdict(profile),
        "assumptions": asdict(a),
        "deployment": asdict(dep),
        "per_service": b.per_service,
        "per_action": b.per_action,
        "total_month": b.total,
        "per_1000_mam": b.per_1000,
        "variable_per_1000_mam": b.variable_per_1000,
        "fixed_month": b.fixed,
        "goal_per_1000": GOAL_PER_1000,
        "goal_met": b.per_1000 <= GOAL_PER_1000,
        "by_deployment_size": [
            {"members": size, "per_1000_mam": per, "cognito_per_1000": cog}
            for size, per, cog in by_size(b, dep.user_pool_tier, prices)
        ],
        "switches": saves,
        "prices": {name: asdict(p) for name, p in prices.items()},
        "report": lines,
    }
    return lines, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--members", type=int, default=Profile.members)
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    try:
        source = str(args.results.resolve().relative_to(ROOT))
    except ValueError:
        source = str(args.results)
    profile = Profile(members=args.members) if args.members != Profile.members else Profile()
    lines, data = report(results, load_deployment(), source, profile)
    print("\n".join(lines))
    OUTPUT.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
