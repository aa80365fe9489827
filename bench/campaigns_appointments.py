"""Screening campaigns and appointments (issue 12), in-process against the local cloud.

Every function runs in this process with the environment template.yaml gives it; every
AWS call is counted by bench/calls.py's recorder and, for DynamoDB, by the probe of
bench/peer_stats.py (the table and the items each answer read).

1. **Booking.** An organisation with a counsellor who publishes weekly hours and three
   members. Each member first lists the slots (their roster entry is then in the
   container's cache, as in the app: a member books what they have just seen), then
   books through `functions.appointments.handler`: the container's first booking,
   a warm one without a note, and a warm one with a note by a member who has written one
   before (their data key exists). Target: a warm booking is at most 2 DynamoDB calls
   (the availability, upcoming list and key in one BatchGetItem; the hold, the
   appointment, its pointer, the upcoming list and the reminders in one
   TransactWriteItems).
2. **Opening a campaign for a school of 2,000 members.** A school of GRADES grades of
   CLASSES classes, SCHOOL_MEMBERS members on the roster. The admin opens a campaign for
   the whole school through `functions.screenings.campaigns_handler`; the announcer
   (`functions.screenings.campaign_announcer.handler`) is then invoked once at the
   opening time, as its schedule would. Targets: every member's notification request is
   on the notifications queue, sent in SendMessageBatch calls of at most 10, and the
   announcer finishes in under 60 s on the local cloud.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from bench.calls import CallRecorder, Target
from bench.events import api_event
from bench.peer_stats import Bench, Counted, _ids, print_counted

ZONE = "Asia/Shanghai"
SEED = 12
MAX_BOOKING_DYNAMODB_CALLS = 2
# 2. The school: 2,000 members in GRADES x CLASSES classes.
SCHOOL_MEMBERS = 2_000
GRADES, CLASSES = 4, 10
MAX_ANNOUNCE_SECONDS = 60.0
SQS_BATCH = 10


def _environment(bench: Bench) -> None:
    """What template.yaml adds for the issue's functions."""
    stack = bench.stack
    os.environ.update(
        {
            "APPOINTMENTS_TABLE": stack["tables"]["appointments"],
            "CAMPAIGNS_TABLE": stack["tables"]["campaigns"],
            "SCREENINGS_TABLE": stack["tables"]["screenings"],
            "NOTIFY_QUEUE_URL": stack["notify_queues"]["requests"],
            "NOTIFY_ALERTS_QUEUE_URL": stack["notify_queues"]["alerts"],
            "CANCEL_CUTOFF_HOURS": "24",
            "MAX_UPCOMING_APPOINTMENTS": "3",
            "CAMPAIGN_REMINDER_HOURS": "24",
        }
    )
    import_module("shared.settings").settings.cache_clear()


def _body(answer: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(answer.get("body") or "{}"))


# --- 1. booking ---------------------------------------------------------------------------


def measure_booking(bench: Bench, rng: random.Random) -> tuple[dict[str, Any], Target]:
    org_id = f"bench-appt-{uuid.uuid4().hex[:8]}"
    counsellor, *members = _ids(rng, 4)
    bench.new_org(org_id, [("school", "school", None)])
    bench.enrol(
        org_id,
        [(counsellor, "counsellor", "school", "Counsellor A")]
        + [(m, "member", "school", f"Member {n}") for n, m in enumerate(members)],
    )
    handler = import_module("functions.appointments.handler").handler
    staff = bench.claims(counsellor, org_id, "counsellor")
    weekly = {
        day: [{"start": "08:00", "end": "20:00"}]
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    published, answer = bench.invoke(
        "PUT /counsellors/me/availability",
        "setup",
        handler,
        api_event("PUT", "/counsellors/me/availability", claims=staff, body={"weekly": weekly}),
        "appointments",
    )
    if published.status != 200:
        raise RuntimeError(f"availability not published: {answer.get('body')}")

    day = (dt.datetime.now(ZoneInfo(ZONE)) + dt.timedelta(days=3)).date().isoformat()
    rows: list[Counted] = []
    booked: list[dict[str, Any]] = []

    def slots(member: str) -> list[dict[str, Any]]:
        claims = bench.claims(member, org_id, "member")
        event = api_event(
            "GET",
            "/appointments/slots",
            claims=claims,
            query={"from": day, "to": day, "counsellor": counsellor},
        )
        _, answer = bench.invoke("GET /appointments/slots", "setup", handler, event, "appointments")
        return list(_body(answer).get("slots") or [])

    def book(member: str, name: str, phase: str, slot: dict[str, Any], note: str | None) -> None:
        body: dict[str, Any] = {
            "counsellor_id": counsellor,
            "starts_at": slot["starts_at"],
            "mode": "in_person",
        }
        if note is not None:
            body["note"] = note
        event = api_event(
            "POST", "/appointments", claims=bench.claims(member, org_id, "member"), body=body
        )
        counted, answer = bench.invoke(name, phase, handler, event, "appointments")
        if counted.status != 201:
            raise RuntimeError(f"{name}: {counted.status} {answer.get('body')}")
        rows.append(counted)
        booked.append(_body(answer))

    first, warm, noted = members
    book(first, "POST /appointments (first of the container)", "first", slots(first)[0], None)
    book(warm, "POST /appointments (no note)", "warm", slots(warm)[0], None)
    # A member who has written a note before: their data key exists.
    book(noted, "POST /appointments (note, key made)", "setup", slots(noted)[0], "first note")
    rows.pop()
    book(noted, "POST /appointments (note)", "warm", slots(noted)[0], "a second note")
    print_counted(rows)
    warm_rows = [r for r in rows if r.phase == "warm"]
    most = max(r.dynamodb_calls for r in warm_rows)
    passed = most <= MAX_BOOKING_DYNAMODB_CALLS and all(r.other_calls == 0 for r in warm_rows[:1])
    measured = "; ".join(
        f"{r.name}: {r.dynamodb_calls} ({', '.join(c.label() for c in r.dynamodb)})"
        + (f" + {r.other_calls} other" if r.other_calls else "")
        for r in warm_rows
    )
    target = Target(
        "POST /appointments (warm): DynamoDB calls",
        f"<= {MAX_BOOKING_DYNAMODB_CALLS} (one read, one conditional transaction)",
        measured,
        passed,
    )
    data = {"rows": [r.to_json() for r in rows], "slots_booked": len(booked)}
    return data, target


# --- 2. opening a campaign for a school -------------------------------------------------


def seed_school(bench: Bench, rng: random.Random) -> tuple[str, str]:
    """The school's tree and roster; (org id, admin id)."""
    org_id = f"bench-camp-{uuid.uuid4().hex[:8]}"
    units: list[tuple[str, str, str | None]] = [("school", "school", None)]
    classes: list[str] = []
    for g in range(GRADES):
        units.append((f"grade-{g}", "grade", "school"))
        for c in range(CLASSES):
            classes.append(f"class-{g}-{c}")
            units.append((classes[-1], "class", f"grade-{g}"))
    bench.new_org(org_id, units)
    admin, *members = _ids(rng, 1 + SCHOOL_MEMBERS)
    bench.enrol(
        org_id,
        [(admin, "org_admin", "school", "Admin")]
        + [(m, "member", classes[n % len(classes)], f"Member {n}") for n, m in enumerate(members)],
    )
    return org_id, admin


def measure_campaign(bench: Bench, rng: random.Random) -> tuple[dict[str, Any], list[Target]]:
    org_id, admin = seed_school(bench, rng)
    opens = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    body = {
        "title": {"zh-CN": "期中心理筛查", "en": "Mid-term wellbeing check"},
        "instruments": ["phq9", "gad7"],
        "units": ["school"],
        "opens_at": opens.isoformat().replace("+00:00", "Z"),
        "closes_at": (opens + dt.timedelta(days=7)).isoformat().replace("+00:00", "Z"),
        "consent_text": {"zh-CN": "我同意参加本次问卷。", "en": "I agree to take part."},
        "kind": "exam",
    }
    handler = import_module("functions.screenings.campaigns_handler").handler
    event = api_event(
        "POST",
        f"/orgs/{org_id}/campaigns",
        resource="/orgs/{org_id}/campaigns",
        path_parameters={"org_id": org_id},
        claims=bench.claims(admin, org_id, "org_admin"),
        body=body,
    )
    created, answer = bench.invoke(
        "POST /orgs/{id}/campaigns", "first", handler, event, "campaigns"
    )
    if created.status != 201:
        raise RuntimeError(f"campaign not created: {answer.get('body')}")

    announcer = import_module("functions.screenings.campaign_announcer").handler
    scheduled = {
        "scheduled_time": (opens + dt.timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    }
    started = time.perf_counter()
    counted, result = bench.invoke("announcer (opening)", "run", announcer, scheduled, "announcer")
    seconds = round(time.perf_counter() - started, 2)
    batches = [c for c in counted.calls if c == "sqs.SendMessageBatch"]
    singles = [c for c in counted.calls if c == "sqs.SendMessage"]
    notified = int((result or {}).get("notified", 0))
    print_counted([created, counted])
    print(
        f"announcer: {notified:,} members told in {len(batches)} SendMessageBatch calls "
        f"({len(singles)} SendMessage) in {seconds} s; answer {result}"
    )
    targets = [
        Target(
            f"campaign opened for {SCHOOL_MEMBERS:,} members: notifications enqueued",
            f"all {SCHOOL_MEMBERS:,}, in SendMessageBatch calls of <= {SQS_BATCH}",
            f"{notified:,} told; {len(batches)} SendMessageBatch, {len(singles)} SendMessage",
            notified == SCHOOL_MEMBERS
            and len(batches) >= SCHOOL_MEMBERS // SQS_BATCH
            and not singles,
        ),
        Target(
            f"campaign opened for {SCHOOL_MEMBERS:,} members: the announcer's run",
            f"< {MAX_ANNOUNCE_SECONDS:.0f} s on the local cloud",
            f"{seconds} s",
            seconds < MAX_ANNOUNCE_SECONDS,
        ),
    ]
    data = {
        "members": SCHOOL_MEMBERS,
        "units": 1 + GRADES + GRADES * CLASSES,
        "notified": notified,
        "send_message_batch_calls": len(batches),
        "seconds": seconds,
        "announcer": counted.to_json(),
    }
    return data, targets


def measure(stack: dict[str, Any], recorder: CallRecorder) -> tuple[dict[str, Any], list[Target]]:
    bench = Bench(stack, recorder)
    _environment(bench)
    rng = random.Random(SEED)
    try:
        print("-- booking: a counsellor's hours, three members list the slots and book")
        booking, booking_target = measure_booking(bench, rng)
        print(f"-- a campaign for a school of {SCHOOL_MEMBERS:,} members, announced once")
        campaign, campaign_targets = measure_campaign(bench, rng)
    finally:
        bench.probe.close()
    return {"booking": booking, "campaign": campaign}, [booking_target, *campaign_targets]


def main() -> int:
    """This bench alone, on a throwaway local cloud of its own."""
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
        print("\n== Campaigns and appointments (issue 12; in-process, calls counted)")
        _, found = measure(stack, recorder)
    finally:
        emulator.stop()
    for t in found:
        print(f"{verdict(t.passed)}  {t.name}: {t.measured} (target {t.expected})")
    return 0 if all(t.passed for t in found) else 1


if __name__ == "__main__":
    sys.exit(main())
