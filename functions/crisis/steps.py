"""The crisis follow-up workflow's steps (statemachines/crisis_followup.asl.json; no HTTP).

One Lambda, one `action` per step. Every step writes an audit record to the member's
organisation's chain (shared/audit.py), so each transition can be proven afterwards.

- `opened`: the case's workflow run began.
- `notify`: tell the counsellors of this tier, from the organisation's rota now
  (shared/orgs/duty.py): tier 1 the primary (imminent: primary and backup together),
  tier 2 the backup, tier 3 the duty officer (with the escalation phone in the audit
  detail). Each through the counsellor alert queue (shared/notifications/notify.py),
  which never carries anything about the member. Nobody on duty is recorded, not an
  error: the timeout escalates.
- `await_ack`, `await_answer`, `await_closure`: keep the task token on the case, for
  `POST /cases/{id}/ack`, the member's next check-in and `POST /cases/{id}/close` to
  resume the run with.
- `unacknowledged`: the last tier timed out: the `CrisisCaseUnacknowledged` metric
  (an alarm watches it) and an audit record.
- any step that raises adds 1 to `CrisisStepFailed` (metadata: the case id and action;
  `CrisisStepFailuresAlarm` watches it) and is raised again for the definition's Retry
  and Catch.
- `acknowledged`, `closed`: audit records.
- `plan_follow_up`: the next contact on the schedule (FOLLOW_UP_DAYS, days after the
  acknowledgement, each FOLLOW_UP_DAY_SECONDS long: 86400, a few seconds in tests).
- `send_follow_up`: ask the member for a short check-in (a `follow_up` notification).
- `evaluate_answer`: worse is a higher risk level than the case's, or a mood 2 or more
  below the mood of the signal that opened it; worse re-escalates at the higher level.

Besides the audit record, the steps add the case's timeline events
(functions/crisis/case_records.py): `notified` (tier 1) or `escalated` (tiers 2 and 3),
`unacknowledged`, `follow_up_planned` (number, day, when due), `follow_up_sent`,
`answered` (worse or not) and `re_escalated`. Acknowledgement and closure are recorded by
the counsellor's routes, opening and raising by the intake. A timeline event that cannot
be written is logged and skipped: the audit chain is the proof, and failing the step
would make the workflow retry it (and alert the counsellors twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from shared.clock import system_clock, utc_iso
from shared.notifications.notify import notify
from shared.observability import error_code, instrument, logger, metrics
from shared.settings import Settings, settings

SEVERITIES = ("watch", "high", "imminent")
LAST_TIER = 3
ACTOR = {"actor_id": "crisis-workflow", "actor_role": "system"}


class StepSettings(Settings):
    follow_up_days: str = "1,3,7,14"
    follow_up_day_seconds: int = 86400


class Tokens(Protocol):
    """Where a waiting step leaves its task token (the cases repository)."""

    def keep_token(self, case_id: str, kind: str, token: str) -> None: ...


class Audit(Protocol):
    def append(
        self,
        org_id: str,
        *,
        actor_id: str,
        actor_role: str,
        action: str,
        target_type: str,
        target_id: str,
        detail: Mapping[str, str | int] | None = None,
        at: datetime | None = None,
    ) -> Any: ...


class Events(Protocol):
    """Where the case's timeline events go (functions/crisis/case_records.py)."""

    def add_event(
        self,
        case_id: str,
        kind: str,
        at: str,
        actor_id: str,
        detail: Mapping[str, str | int] | None = None,
    ) -> Any: ...


class Duty(Protocol):
    def at(self, org_id: str, at: datetime) -> Any: ...


Notify = Callable[..., Any]


@dataclass(frozen=True)
class Dependencies:
    tokens: Tokens
    audit: Audit
    duty: Duty
    notify: Notify
    clock: Callable[[], datetime]
    follow_up_days: tuple[int, ...]
    day_seconds: int
    events: Events | None = None


def rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def follow_up_days(text: str) -> tuple[int, ...]:
    """ "1,3,7,14" as increasing whole days; ValueError for anything else."""
    days = tuple(int(part) for part in text.split(",") if part.strip())
    if not days or any(d <= 0 for d in days) or list(days) != sorted(set(days)):
        raise ValueError("FOLLOW_UP_DAYS must be increasing whole days, e.g. 1,3,7,14")
    return days


def tier_people(duty: Any, tier: int, severity: str) -> list[str]:
    """Who tier `tier` tells: 1 the primary (imminent: and the backup), 2 the backup,
    3 the duty officer. Someone already told in an earlier tier is told again: a tier
    that times out means nobody has answered yet."""
    if duty is None:
        return []
    if tier == 1:
        wanted = [duty.primary, duty.backup] if severity == "imminent" else [duty.primary]
    elif tier == 2:
        wanted = [duty.backup or duty.duty_officer]
    else:
        wanted = [duty.duty_officer]
    return list(dict.fromkeys(p for p in wanted if p))


def plan(index: int, days: tuple[int, ...], day_seconds: int) -> dict[str, Any]:
    """The follow-up after `index` done so far: how long to wait for it, or done."""
    if index >= len(days):
        return {"index": index, "done": True, "wait_seconds": 0}
    before = days[index - 1] if index else 0
    return {"index": index + 1, "done": False, "wait_seconds": (days[index] - before) * day_seconds}


def worse(case_severity: str, opening_mood: Any, answer: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the member's answer is worse than the case, and the severity to go on at."""
    level = str(answer.get("level") or "none")
    mood, higher = answer.get("mood"), rank(level) > rank(case_severity)
    dropped = (
        isinstance(mood, int)
        and isinstance(opening_mood, int)
        and not isinstance(mood, bool)
        and opening_mood - mood >= 2
    )
    if higher:
        return True, level
    return bool(dropped), case_severity


# --- the steps ---------------------------------------------------------------------------


def _audit(deps: Dependencies, event: Mapping[str, Any], action: str, **detail: str | int) -> None:
    deps.audit.append(
        str(event.get("org_id") or "none"),
        actor_id=ACTOR["actor_id"],
        actor_role=ACTOR["actor_role"],
        action=f"case.{action}",
        target_type="case",
        target_id=str(event["case_id"]),
        detail=detail or None,
    )


def _event(deps: Dependencies, event: Mapping[str, Any], kind: str, **detail: str | int) -> None:
    if deps.events is None:
        return
    try:
        deps.events.add_event(
            str(event["case_id"]), kind, utc_iso(deps.clock()), ACTOR["actor_id"], detail or None
        )
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "timeline event not written",
            extra={"case_id": event.get("case_id"), "kind": kind, "error": type(error).__name__},
        )


def request_id(kind: str, event: Mapping[str, Any], number: int, person: str) -> str:
    """The same notification of the same run has the same id, so a retried step (its audit
    write failed after the queue took the request) alerts nobody twice: the sender keeps
    one inbox entry and one push per request id. A new run (a raised case) alerts again."""
    key = f"{event['case_id']}|{event.get('revision') or 0}|{kind}|{number}|{person}"
    return f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def step(event: Mapping[str, Any], deps: Dependencies) -> dict[str, Any]:
    action = str(event["action"])
    case_id = str(event["case_id"])
    tier = int(event.get("tier") or 1)
    severity = str(event.get("severity") or "watch")
    if action == "notify":
        duty = deps.duty.at(str(event.get("org_id") or ""), deps.clock())
        people = tier_people(duty, tier, severity)
        for person in people:
            deps.notify(
                person,
                "counsellor_alert",
                urgent=True,
                request_id=request_id("alert", event, tier, person),
            )
        _audit(deps, event, "notified", tier=tier, severity=severity, people=len(people))
        kind = "notified" if tier == 1 else "escalated"
        _event(deps, event, kind, tier=tier, severity=severity, people=len(people))
        return {"tier": tier, "notified": len(people)}
    if action in ("await_ack", "await_answer", "await_closure"):
        deps.tokens.keep_token(case_id, action.removeprefix("await_"), str(event["token"]))
        _audit(deps, event, f"awaiting_{action.removeprefix('await_')}", tier=tier)
        return {}
    if action == "unacknowledged":
        metrics.add_metric(name="CrisisCaseUnacknowledged", unit="Count", value=1)
        metrics.add_metadata(key="case_id", value=case_id)  # an id only, never personal data
        _audit(deps, event, "unacknowledged", severity=severity)
        _event(deps, event, "unacknowledged", severity=severity)
        return {"alarm": True}
    if action == "plan_follow_up":
        done_so_far = int((event.get("follow_up") or {}).get("index") or 0)
        planned = plan(done_so_far, deps.follow_up_days, deps.day_seconds)
        if not planned["done"]:
            due = deps.clock() + timedelta(seconds=planned["wait_seconds"])
            number = int(planned["index"])
            day = deps.follow_up_days[number - 1]
            _event(deps, event, "follow_up_planned", number=number, day=day, due_at=utc_iso(due))
        return planned
    if action == "send_follow_up":
        number = int(event["follow_up"]["index"])
        member = str(event["user_id"])
        deps.notify(member, "follow_up", request_id=request_id("follow-up", event, number, member))
        _audit(deps, event, "follow_up_sent", number=number)
        day = deps.follow_up_days[number - 1] if 0 < number <= len(deps.follow_up_days) else 0
        _event(deps, event, "follow_up_sent", number=number, day=day)
        return {"sent": True}
    if action == "evaluate_answer":
        is_worse, level = worse(severity, event.get("opening_mood"), event.get("answer") or {})
        _audit(deps, event, "answer_evaluated", worse=int(is_worse))
        _event(deps, event, "answered", worse=int(is_worse))
        if is_worse:
            _event(deps, event, "re_escalated", severity=level)
        return {"worse": is_worse, "severity": level}
    if action in ("opened", "acknowledged", "closed"):
        _audit(deps, event, action, tier=tier)
        return {}
    raise ValueError(f"unknown step {action!r}")


# --- the Lambda --------------------------------------------------------------------------


@cache
def dependencies() -> Dependencies:  # pragma: no cover - production wiring
    from functions.crisis.case_records import CaseRecords
    from functions.crisis.cases import CasesRepository
    from shared import aws
    from shared.audit import AuditLog
    from shared.orgs.duty import duty_lookup

    config = settings(StepSettings)
    return Dependencies(
        tokens=CasesRepository.from_environment(),
        audit=AuditLog(aws.client("dynamodb"), settings(AuditSettings).audit_table),
        duty=duty_lookup(),
        notify=notify,
        clock=lambda: system_clock().astimezone(UTC),
        follow_up_days=follow_up_days(config.follow_up_days),
        day_seconds=int(config.follow_up_day_seconds),
        events=CaseRecords.from_environment(),
    )


class AuditSettings(Settings):
    audit_table: str = ""


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        result = step(event, dependencies())
    except Exception as error:
        # The state machine retries the step, then catches it and goes on (a failed
        # notification delays but never stops the escalation); the metric makes each failed
        # try visible (CrisisStepFailuresAlarm), with the case id only.
        metrics.add_metric(name="CrisisStepFailed", unit="Count", value=1)
        metrics.add_metadata(key="case_id", value=str(event.get("case_id")))
        metrics.add_metadata(key="action", value=str(event.get("action")))
        logger.warning(
            "crisis step failed; the workflow retries it",
            extra={
                "action": event.get("action"),
                "case_id": event.get("case_id"),
                "error": error_code(error),
            },
        )
        raise
    logger.info(
        "crisis step", extra={"action": event.get("action"), "case_id": event.get("case_id")}
    )
    return result
