"""The crisis workflow's steps with fakes for the cases, the audit chain, the rota and notify."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.crisis.steps import Dependencies, follow_up_days, plan, step, tier_people, worse

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@dataclass
class OnDuty:
    primary: str | None = "wang"
    backup: str | None = "liu"
    duty_officer: str | None = "zhao"


class Fakes:
    def __init__(self, duty: OnDuty | None = None) -> None:
        self.tokens: list[tuple[str, str, str]] = []
        self.audited: list[tuple[str, dict[str, Any]]] = []
        self.notified: list[tuple[str, str, dict[str, Any]]] = []
        self.duty = duty if duty is not None else OnDuty()
        self.asked: list[tuple[str, datetime]] = []
        self.events: list[tuple[str, str, str, str, Any]] = []

    def keep_token(self, case_id: str, kind: str, token: str) -> None:
        self.tokens.append((case_id, kind, token))

    def append(self, org_id: str, **record: Any) -> None:  # the AuditLog.append keywords
        self.audited.append((org_id, record))

    def add_event(
        self, case_id: str, kind: str, at: str, actor_id: str, detail: Any = None
    ) -> None:
        self.events.append((case_id, kind, at, actor_id, detail))

    def kinds(self) -> list[str]:
        return [kind for _, kind, _, _, _ in self.events]

    def at(self, org_id: str, at: datetime) -> OnDuty | None:
        self.asked.append((org_id, at))
        return self.duty

    def notify(self, recipient: str, category: str, **options: Any) -> None:
        self.notified.append((recipient, category, options))

    def deps(self) -> Dependencies:
        return Dependencies(
            tokens=self,
            audit=self,
            duty=self,
            notify=self.notify,
            clock=lambda: NOW,
            follow_up_days=(1, 3, 7, 14),
            day_seconds=2,
            events=self,
        )


def event(action: str, **fields: Any) -> dict[str, Any]:
    return {"action": action, "case_id": "case-1", "org_id": "demo-school", "tier": 1} | fields


@pytest.mark.parametrize(
    ("tier", "severity", "told"),
    [
        (1, "imminent", ["wang", "liu"]),
        (1, "high", ["wang"]),
        (1, "watch", ["wang"]),
        (2, "high", ["liu"]),
        (3, "high", ["zhao"]),
    ],
)
def test_each_tier_tells_its_counsellors_through_the_alert_queue(
    tier: int, severity: str, told: list[str]
) -> None:
    # Given the demo rota
    fakes = Fakes()
    # When a tier is notified
    result = step(event("notify", tier=tier, severity=severity), fakes.deps())
    # Then exactly its people get an urgent counsellor alert, and the step is audited
    assert [(r, c) for r, c, _ in fakes.notified] == [(p, "counsellor_alert") for p in told]
    assert all(options["urgent"] is True for _, _, options in fakes.notified)
    assert result == {"tier": tier, "notified": len(told)}
    ((org, record),) = fakes.audited
    assert (org, record["action"], record["target_id"]) == (
        "demo-school",
        "case.notified",
        "case-1",
    )
    assert fakes.asked == [("demo-school", NOW)]


def test_tier_two_without_a_backup_goes_to_the_duty_officer() -> None:
    assert tier_people(OnDuty(backup=None), 2, "high") == ["zhao"]


def test_nobody_on_duty_is_recorded_and_lets_the_timeout_escalate() -> None:
    fakes = Fakes()
    fakes.duty = None  # type: ignore[assignment]
    result = step(event("notify", severity="imminent"), fakes.deps())
    assert result == {"tier": 1, "notified": 0} and fakes.notified == []
    assert fakes.audited[0][1]["detail"]["people"] == 0


@pytest.mark.parametrize("kind", ["ack", "answer", "closure"])
def test_a_waiting_step_keeps_its_token_on_the_case(kind: str) -> None:
    fakes = Fakes()
    step(event(f"await_{kind}", token="tok-123"), fakes.deps())
    assert fakes.tokens == [("case-1", kind, "tok-123")]
    assert fakes.audited[0][1]["action"] == f"case.awaiting_{kind}"


def test_follow_ups_wait_the_days_between_contacts_then_end() -> None:
    # Given the schedule 1, 3, 7, 14 days, a day being 2 s
    waits, done_so_far = [], 0
    while True:
        planned = plan(done_so_far, (1, 3, 7, 14), 2)
        if planned["done"]:
            break
        waits.append(planned["wait_seconds"])
        done_so_far = planned["index"]
    # Then the waits are the gaps between contact days
    assert waits == [2, 4, 8, 14]


def test_send_follow_up_asks_the_member_for_a_check_in() -> None:
    fakes = Fakes()
    step(event("send_follow_up", user_id="mei", follow_up={"index": 2}), fakes.deps())
    ((member, category, options),) = fakes.notified
    assert (member, category) == ("mei", "follow_up")
    assert options["request_id"].startswith("follow-up-")


@pytest.mark.parametrize(
    ("case", "opening_mood", "answer", "expected"),
    [
        ("high", 3, {"level": "imminent", "mood": 3}, (True, "imminent")),
        ("watch", 4, {"level": "none", "mood": 2}, (True, "watch")),
        ("high", 3, {"level": "high", "mood": 2}, (False, "high")),
        ("high", 3, {"level": "watch", "mood": 3}, (False, "high")),
        ("watch", 3, {"level": "none", "mood": True}, (False, "watch")),
        ("watch", None, {"mood": 1}, (False, "watch")),
    ],
)
def test_an_answer_is_worse_when_the_risk_rises_or_mood_falls_by_two(
    case: str, opening_mood: Any, answer: dict[str, Any], expected: tuple[bool, str]
) -> None:
    assert worse(case, opening_mood, answer) == expected


def test_the_last_tier_timing_out_raises_the_alarm_and_is_audited() -> None:
    fakes = Fakes()
    assert step(event("unacknowledged", severity="imminent"), fakes.deps()) == {"alarm": True}
    assert fakes.audited[0][1]["action"] == "case.unacknowledged"


@pytest.mark.parametrize("text", ["", "3,1", "1,1", "0,2", "a,b", "-1"])
def test_a_bad_follow_up_schedule_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        follow_up_days(text)


def test_an_unknown_step_is_an_error() -> None:
    with pytest.raises(ValueError):
        step(event("dance"), Fakes().deps())


# --- the case's timeline ------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "kind"), [(1, "notified"), (2, "escalated"), (3, "escalated")])
def test_notifying_a_tier_adds_it_to_the_timeline(tier: int, kind: str) -> None:
    fakes = Fakes()
    step(event("notify", tier=tier, severity="high"), fakes.deps())
    assert fakes.events == [
        (
            "case-1",
            kind,
            "2026-11-24T13:00:00.000Z",
            "crisis-workflow",
            {"tier": tier, "severity": "high", "people": 1},
        )
    ]


def test_planning_and_sending_a_follow_up_are_on_the_timeline_with_their_day() -> None:
    fakes = Fakes()
    planned = step(event("plan_follow_up", follow_up={"index": 1}), fakes.deps())
    step(event("send_follow_up", user_id="mei", follow_up=planned), fakes.deps())
    assert [(kind, detail) for _, kind, _, _, detail in fakes.events] == [
        ("follow_up_planned", {"number": 2, "day": 3, "due_at": "2026-11-24T13:00:04.000Z"}),
        ("follow_up_sent", {"number": 2, "day": 3}),
    ]


def test_the_end_of_the_schedule_plans_nothing() -> None:
    fakes = Fakes()
    step(event("plan_follow_up", follow_up={"index": 4}), fakes.deps())
    assert fakes.events == []


@pytest.mark.parametrize(
    ("answer", "kinds"),
    [
        ({"level": "imminent"}, ["answered", "re_escalated"]),
        ({"level": "none"}, ["answered"]),
    ],
)
def test_an_answer_is_on_the_timeline_and_a_worse_one_re_escalates(
    answer: dict[str, Any], kinds: list[str]
) -> None:
    fakes = Fakes()
    step(event("evaluate_answer", severity="high", answer=answer), fakes.deps())
    assert fakes.kinds() == kinds
    assert fakes.events[0][4] == {"worse": int(len(kinds) == 2)}


def test_the_last_tier_timing_out_is_on_the_timeline() -> None:
    fakes = Fakes()
    step(event("unacknowledged", severity="imminent"), fakes.deps())
    assert fakes.kinds() == ["unacknowledged"]


@pytest.mark.parametrize("action", ["opened", "acknowledged", "closed", "await_ack"])
def test_steps_the_routes_or_the_intake_record_add_no_event(action: str) -> None:
    fakes = Fakes()
    step(event(action, token="t"), fakes.deps())
    assert fakes.events == []


def test_a_retried_notify_step_sends_the_same_requests_and_a_new_run_new_ones() -> None:
    # Given a tier-2 alert of revision 1, sent once
    first, again, raised = Fakes(), Fakes(), Fakes()
    step(event("notify", tier=2, severity="high", revision=1), first.deps())
    # When the workflow retries the step (its audit write failed) and a raised case's new
    # run notifies the same tier
    step(event("notify", tier=2, severity="high", revision=1), again.deps())
    step(event("notify", tier=2, severity="high", revision=2), raised.deps())
    # Then the retry repeats the request ids (the sender delivers each once), the new run's
    # differ, and every id is one the notification queue accepts
    ids = [[o["request_id"] for _, _, o in f.notified] for f in (first, again, raised)]
    assert ids[0] and ids[0] == ids[1]
    assert not set(ids[2]) & set(ids[0])
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,128}", i) for i in ids[0] + ids[2])
