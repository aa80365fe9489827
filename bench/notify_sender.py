"""The notification sender: one SQS batch of 10 requests in one invocation, calls counted.

Against the throwaway local cloud: MEMBERS members with preferences (written by the
repository's `put_preferences`, as the API does) and devices (`put_device`): each has
an Android device on JPush's route, every other one an iPhone through SNS (an APNs
sandbox platform application and endpoint made in the emulator). JPush is the local
test double (local/jpush_double.py), started in-process with credentials the
sender reads from a Secrets Manager secret made here.

`functions.notifications.sender.handler` is invoked in-process, with the environment
template.yaml gives it, on an SQS event of MEMBERS records (built by
shared.notifications.notify.build_request, in the shape Lambda's SQS event source
passes them). Every AWS call goes through boto3's default session and is counted by
bench/calls.py's recorder. Pushes: the requests the double accepted plus the SNS
Publish calls (the emulator keeps no record of what it published, DESIGN.md §3).

A first batch is cold (the sender builds its clients and reads the JPush secret); a
second batch of new requests to the same members shows the warm calls per request; the
second batch delivered again (SQS redelivers) must add no inbox entry and no push.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from bench.calls import CallRecorder, Target, quiet
from bench.events import LambdaContext, sqs_event
from bench.reminders import notifications_table, setup_client
from local.jpush_double import JPushDouble

MEMBERS = 10  # an SQS batch, the event source's default batch size
# cold: the first invocation of a container; warm: new requests; redelivered: the warm
# batch again, as SQS delivers a message twice.
PHASES = ("cold", "warm", "redelivered")
CATEGORIES = ("reminder", "peer_message", "follow_up", "announcement")
PARAMS = {"sender_name": "小林", "title": "期末考试周安排"}
ZONES = ("Asia/Shanghai", "Europe/London")
LOCALES = ("zh-CN", "en")


@dataclass
class Member:
    user_id: str
    devices: dict[str, str]  # installation id -> provider


@dataclass
class Batch:
    phase: str
    records: int
    new: bool  # requests not delivered before: each makes an entry and pushes
    failures: int
    inbox_entries: int
    jpush_requests: int
    sns_publishes: int
    devices: int
    aws_calls: int
    http_attempts: int
    seconds: float
    operations: dict[str, int]

    @property
    def pushes(self) -> int:
        return self.jpush_requests + self.sns_publishes

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "pushes": self.pushes}


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return str(url), str(arn["QueueArn"])


def seed_members(stack: dict[str, Any], table: str, platform_application_arn: str) -> list[Member]:
    """MEMBERS members with preferences and devices, written as the API writes them."""
    logic = import_module("functions.notifications.logic")
    models = import_module("functions.notifications.models")
    repository = import_module("functions.notifications.repository").NotificationsRepository(
        setup_client("dynamodb", stack), table
    )
    sns = setup_client("sns", stack)
    at = datetime.now(UTC)
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    members = []
    for n in range(MEMBERS):
        user_id = str(uuid.uuid4())
        zone, locale = ZONES[n % len(ZONES)], LOCALES[n % len(LOCALES)]
        # No quiet hours and reminders off: every request goes out at once, whatever the hour.
        prefs = models.PreferencesIn.model_validate(
            {"lock_screen_preview": "full" if n % 2 else "generic", "time_zone": zone}
        )
        repository.put_preferences(
            user_id, logic.preferences_item(user_id, prefs, zone, locale, at)
        )
        devices = {}
        android = f"android-{uuid.uuid4().hex[:12]}"
        device = models.DeviceIn.model_validate(
            {
                "platform": "android",
                "provider": "jpush",
                "token": f"1a0018970a{uuid.uuid4().hex[:12]}",
                "app_version": "1.4.0",
                "locale": locale,
            }
        )
        repository.put_device(user_id, android, logic.device_fields(device), stamp)
        devices[android] = "jpush"
        if n % 2 == 0:
            iphone = f"ios-{uuid.uuid4().hex[:12]}"
            token = uuid.uuid4().hex + uuid.uuid4().hex  # 64 hex digits, as APNs gives
            device = models.DeviceIn.model_validate(
                {
                    "platform": "ios",
                    "provider": "apns",
                    "token": token,
                    "apns_environment": "sandbox",
                    "app_version": "1.4.0",
                    "locale": locale,
                }
            )
            # The device's SNS endpoint, stored with it as PUT /devices does.
            endpoint = sns.create_platform_endpoint(
                PlatformApplicationArn=platform_application_arn,
                Token=token,
                CustomUserData=user_id,
            )["EndpointArn"]
            repository.put_device(
                user_id, iphone, logic.device_fields(device), stamp, endpoint_arn=endpoint
            )
            devices[iphone] = "apns"
        members.append(Member(user_id, devices))
    return members


def _requests(members: list[Member], tag: str) -> list[dict[str, Any]]:
    build_request = import_module("shared.notifications.notify").build_request
    return [
        build_request(
            m.user_id,
            CATEGORIES[n % len(CATEGORIES)],
            PARAMS,
            request_id=f"bench-{tag}-{n}",
            ttl_seconds=3600,
        )
        for n, m in enumerate(members)
    ]


def _inbox_entries(stack: dict[str, Any], table: str, members: list[Member]) -> int:
    """The inbox entries stored for `members` (read with an uncounted client)."""
    to_item = import_module("shared.dynamo").to_item
    partition = import_module("functions.notifications.repository").partition
    dynamodb = setup_client("dynamodb", stack)
    total = 0
    for m in members:
        total += int(
            dynamodb.query(
                TableName=table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :inbox)",
                ExpressionAttributeValues=to_item(
                    {":pk": partition(m.user_id), ":inbox": "inbox#"}
                ),
                Select="COUNT",
                ConsistentRead=True,
            )["Count"]
        )
    return total


def environment(
    stack: dict[str, Any], table: str, secret_arn: str, jpush_url: str, urls: tuple[str, str]
) -> dict[str, str]:
    """What template.yaml gives the sender, pointed at the local cloud and the double."""
    return {
        "AWS_ENDPOINT_URL": stack["aws_endpoint_url"],
        "AWS_DEFAULT_REGION": stack["region"],
        "AWS_REGION": stack["region"],
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "NOTIFICATIONS_TABLE": table,
        "JPUSH_SECRET_ARN": secret_arn,
        "JPUSH_API_URL": jpush_url,
        "NOTIFY_QUEUE_URL": urls[0],
        "NOTIFY_ALERTS_QUEUE_URL": urls[1],
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "PeerSupportBench",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "TRACE_AWS_CALLS": "false",
    }


def batches(stack: dict[str, Any], recorder: CallRecorder) -> list[Batch]:
    """A cold and a warm batch of MEMBERS requests, each in one invocation."""
    table = notifications_table(stack)
    tag = uuid.uuid4().hex[:8]
    sqs = setup_client("sqs", stack)
    queue_url, queue_arn = _queue(sqs, f"bench-notify-{tag}")
    alerts_url, _ = _queue(sqs, f"bench-notify-alerts-{tag}")
    app_key, master_secret = uuid.uuid4().hex[:24], uuid.uuid4().hex[:24]
    secret_arn = setup_client("secretsmanager", stack).create_secret(
        Name=f"bench/jpush-{tag}",
        SecretString=json.dumps({"app_key": app_key, "master_secret": master_secret}),
    )["ARN"]
    application = setup_client("sns", stack).create_platform_application(
        Name=f"bench-apns-sandbox-{tag}",
        Platform="APNS_SANDBOX",
        # Token auth (.p8) as the deploy step configures it; the emulator checks nothing.
        Attributes={
            "PlatformCredential": "-----BEGIN PRIVATE KEY-----\nbench\n-----END PRIVATE KEY-----",
            "PlatformPrincipal": "BENCHKEY01",
            "ApplePlatformTeamID": "BENCHTEAM1",
            "ApplePlatformBundleID": "org.example.peersupport",
        },
    )["PlatformApplicationArn"]
    members = seed_members(stack, table, application)
    device_count = sum(len(m.devices) for m in members)

    sender = import_module("functions.notifications.sender")
    with JPushDouble(app_key, master_secret) as double:
        os.environ.update(
            environment(stack, table, secret_arn, double.url, (queue_url, alerts_url))
        )
        import_module("shared.settings").settings.cache_clear()
        sender.dependencies.cache_clear()
        import_module("shared.notifications.notify")._default_queue.cache_clear()
        found = []
        entries_before = 0
        event: dict[str, Any] = {}
        for phase in PHASES:
            if phase != "redelivered":  # SQS delivers the warm batch again: nothing new
                event = sqs_event(
                    _requests(members, f"{tag}-{phase}"),
                    queue_arn=queue_arn,
                    region=stack["region"],
                )
            jpush_before = len(double.requests)
            first, first_attempt = len(recorder.calls), recorder.http_attempts
            context = LambdaContext(
                function_name="bench-notifications-sender", region=stack["region"]
            )
            started = time.perf_counter()
            with quiet():
                answer = sender.handler(event, context)
            seconds = time.perf_counter() - started
            calls = recorder.calls[first:]
            ops = Counter(f"{c.service}.{c.operation}" for c in calls)
            entries = _inbox_entries(stack, table, members)
            found.append(
                Batch(
                    phase=phase,
                    records=len(event["Records"]),
                    new=phase != "redelivered",
                    failures=len(answer.get("batchItemFailures") or []),
                    inbox_entries=entries - entries_before,
                    jpush_requests=len(double.requests) - jpush_before,
                    sns_publishes=ops.get("sns.Publish", 0),
                    devices=device_count,
                    aws_calls=len(calls),
                    http_attempts=recorder.http_attempts - first_attempt,
                    seconds=round(seconds, 2),
                    operations=dict(ops),
                )
            )
            entries_before = entries
    for queue in (queue_url, alerts_url):
        sqs.delete_queue(QueueUrl=queue)
    return found


def _as_expected(b: Batch) -> bool:
    if not b.new:
        return b.failures == 0 and b.inbox_entries == 0 and b.pushes == 0
    return b.failures == 0 and b.inbox_entries == b.records and b.pushes == b.devices


def target(found: list[Batch]) -> Target:
    return Target(
        f"notification sender: a batch of {MEMBERS} requests in one invocation",
        "no failed records, one inbox entry a request, one push a device; redelivered: nothing new",
        "; ".join(
            f"{b.phase}: {b.failures} failed of {b.records}, {b.inbox_entries} inbox entries, "
            f"{b.pushes} pushes to {b.devices} devices, {b.aws_calls / b.records:.1f} AWS calls "
            "a request"
            for b in found
        )
        if found
        else "not run",
        bool(found) and found[0].records == MEMBERS and all(_as_expected(b) for b in found),
    )


def print_batches(found: list[Batch]) -> None:
    print(
        f"{'batch':<11} {'records':>7} {'failed':>6} {'inbox':>5} {'jpush':>5} {'sns':>4} "
        f"{'aws':>4} {'/req':>5} {'s':>5}  operations"
    )
    for b in found:
        ops = ", ".join(f"{op} {n}" for op, n in sorted(b.operations.items()))
        print(
            f"{b.phase:<11} {b.records:>7} {b.failures:>6} {b.inbox_entries:>5} "
            f"{b.jpush_requests:>5} {b.sns_publishes:>4} {b.aws_calls:>4} "
            f"{b.aws_calls / b.records:>5.1f} {b.seconds:>5.2f}  {ops}"
        )


def measure(stack: dict[str, Any], recorder: CallRecorder) -> tuple[dict[str, Any], Target]:
    """Run both batches; print them, and return their data and the target."""
    found = batches(stack, recorder)
    print_batches(found)
    return {"members": MEMBERS, "batches": [b.to_json() for b in found]}, target(found)


def main() -> int:
    """The sender bench alone, on a throwaway local cloud of its own."""
    from bench.cold import verdict
    from local.cloud import bring_up
    from local.emulator import free_port

    aws = import_module("shared.aws")
    if aws.client.cache_info().currsize:
        raise RuntimeError("an AWS client was made before the call hook was installed")
    recorder = CallRecorder()
    recorder.install()
    started = time.perf_counter()
    emulator, stack = bring_up(free_port())
    try:
        print(f"local cloud up in {time.perf_counter() - started:.1f} s")
        print(f"\n== Notification sender (a batch of {MEMBERS} requests, in-process, counted)")
        _, found = measure(stack, recorder)
    finally:
        emulator.stop()
    print(f"{verdict(found.passed)}  {found.name}: {found.measured} (target {found.expected})")
    return 0 if found.passed else 1


if __name__ == "__main__":
    sys.exit(main())
