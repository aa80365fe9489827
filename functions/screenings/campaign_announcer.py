"""The campaign announcer (no HTTP): EventBridge Scheduler runs it every 5 minutes.

"Now" is the event's `scheduled_time` when it is within an hour of the clock (as the
reminder sweep does), else the clock. One Query of the due partition reads what is due at
or before now, oldest first; for each due item:

- **open**: the campaign's audience, unit by unit (each campaign unit and every unit below
  it; the roster's ByUnit index, active members only), is sent a "campaign" notification,
  and the number of members of each unit is recorded (`audience#<unit>`: completion rates);
- **close** (the one reminder before closing): the members of the audience who have neither
  responded nor declined (the campaign's `member#` markers) are sent "campaign_reminder".

Requests go to the notification queue (NOTIFY_QUEUE_URL) by SQS SendMessageBatch, 10 to a
call. Request ids are deterministic (campaign_keys.request_id), so a re-run after a failure
sends nothing twice (the sender is idempotent per request id). The due item is deleted
once every request of it was accepted; if any failed it stays, and the next run tries the
item again. A due item found after the campaign closed sends nothing (an opening still
records the audience). Logs and metrics carry counts only, never a member.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from functions.screenings.campaign_keys import (
    CLOSE,
    OPEN,
    CampaignsSettings,
    parse_time,
    request_id,
)
from functions.screenings.campaign_repository import CampaignsRepository
from shared import aws
from shared.clock import Clock, system_clock, utc_iso
from shared.notifications.notify import MAX_TTL_SECONDS, Queue, build_request
from shared.observability import instrument, logger, metrics
from shared.orgs.tree import subtree, unit_members
from shared.scheduled import scheduled_time
from shared.settings import settings

BATCH = 10  # SendMessageBatch's limit
CATEGORIES = {OPEN: "campaign", CLOSE: "campaign_reminder"}


class Roster(Protocol):
    """Where the audience is read: the organisation's units and a unit's active members."""

    def units(self, org_id: str) -> Iterable[Mapping[str, Any]]: ...

    def members(self, org_id: str, unit_id: str) -> Iterator[str]: ...


class Sender(Protocol):
    """Sends up to 10 requests in one call; returns how many failed."""

    def send_batch(self, requests: list[dict[str, Any]]) -> int: ...


@dataclass
class Counts:
    campaigns: int = 0  # due items handled
    opened: int = 0
    reminded: int = 0
    notified: int = 0
    skipped: int = 0  # members a reminder skipped: already responded or declined
    failed: int = 0  # requests SQS did not accept, and due items that failed
    late: int = 0  # due items found after their campaign closed


def _ttl(now: datetime, closes_at: datetime) -> int:
    """A notice is worth delivering until the campaign closes, and for at most a day."""
    return max(1, min(MAX_TTL_SECONDS, int((closes_at - now).total_seconds())))


def announce(now: datetime, repo: CampaignsRepository, people: Roster, sender: Sender) -> Counts:
    counts = Counts()
    for due in list(repo.due(utc_iso(now))):
        counts.campaigns += 1
        try:
            failed = _announce_one(now, due, repo, people, sender, counts)
        except Exception:  # one campaign's failure must not hold up the others
            counts.failed += 1
            logger.exception("campaign announcement failed")
            continue
        if failed:
            counts.failed += failed
        else:
            repo.done(str(due["sk"]))
    return counts


def _announce_one(
    now: datetime,
    due: Mapping[str, Any],
    repo: CampaignsRepository,
    people: Roster,
    sender: Sender,
    counts: Counts,
) -> int:
    kind = str(due["sk"]).rpartition("#")[2]
    org_id, campaign_id = str(due["org_id"]), str(due["campaign_id"])
    campaign = repo.campaign(org_id, campaign_id)
    if campaign is None or kind not in CATEGORIES:
        return 0  # deleted meanwhile, or not ours: nothing to send
    closes_at = parse_time(campaign["closes_at"])
    late = now >= closes_at
    counts.late += int(late)
    finished = repo.finished(campaign_id) if kind == CLOSE and not late else set()
    audience: dict[str, int] = {}
    pending: list[dict[str, Any]] = []
    failed = 0
    ttl = _ttl(now, closes_at)
    for unit_id in sorted(subtree(people.units(org_id), campaign["units"])):
        audience[unit_id] = 0
        for user_id in people.members(org_id, unit_id):
            audience[unit_id] += 1
            if late:
                continue
            if user_id in finished:
                counts.skipped += 1
                continue
            pending.append(
                build_request(
                    user_id,
                    CATEGORIES[kind],
                    request_id=request_id(campaign_id, user_id, kind),
                    ttl_seconds=ttl,
                    now=now,
                )
            )
            if len(pending) == BATCH:
                failed += _flush(sender, pending, counts)
    failed += _flush(sender, pending, counts)
    if kind == OPEN:
        repo.record_audience(campaign_id, audience)
        counts.opened += 1
    else:
        counts.reminded += 1
    return failed


def _flush(sender: Sender, pending: list[dict[str, Any]], counts: Counts) -> int:
    if not pending:
        return 0
    failed = sender.send_batch(pending)
    counts.notified += len(pending) - failed
    pending.clear()
    return failed


# --- production wiring -----------------------------------------------------------------


class SqsSender:
    """SendMessageBatch to the ordinary notification queue (campaign notices are not urgent)."""

    def __init__(self, sqs: Any, queue: Queue) -> None:
        self._sqs = sqs
        self._queue = queue

    def send_batch(self, requests: list[dict[str, Any]]) -> int:
        entries = [
            {
                "Id": str(n),
                "MessageBody": json.dumps(r, ensure_ascii=False, separators=(",", ":")),
            }
            for n, r in enumerate(requests)
        ]
        response = self._sqs.send_message_batch(
            QueueUrl=self._queue.url_for(requests[0]), Entries=entries
        )
        return len(response.get("Failed") or [])


class OrgsRoster:
    def __init__(self, db: Any, table: str, ttl_seconds: float) -> None:
        from shared.orgs.tree import OrgUnits

        self._db = db
        self._table = table
        self._units = OrgUnits(db, table, ttl_seconds)

    def units(self, org_id: str) -> Iterable[Mapping[str, Any]]:
        return self._units.units(org_id)

    def members(self, org_id: str, unit_id: str) -> Iterator[str]:
        return unit_members(self._db, self._table, org_id, unit_id)


@cache
def repository() -> CampaignsRepository:  # pragma: no cover - production wiring
    return CampaignsRepository(aws.client("dynamodb"), settings(CampaignsSettings).campaigns_table)


@cache
def roster() -> OrgsRoster:  # pragma: no cover - production wiring
    config = settings(CampaignsSettings)
    # Units change rarely, but a run reads them once anyway: no need to cache across runs.
    return OrgsRoster(aws.client("dynamodb"), config.orgs_table, 0.0)


@cache
def sender() -> SqsSender:  # pragma: no cover - production wiring
    return SqsSender(aws.client("sqs"), Queue())  # NOTIFY_QUEUE_URL


clock: Clock = system_clock


# The run's time: its `scheduled_time` if near the clock (shared/scheduled.py).
run_time = scheduled_time


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    counts = asdict(announce(run_time(event, clock()), repository(), roster(), sender()))
    logger.info("campaign announcer", extra=counts)
    if counts["notified"]:
        metrics.add_metric(name="CampaignNotified", unit="Count", value=counts["notified"])
    if counts["failed"]:
        metrics.add_metric(name="CampaignNotifyFailed", unit="Count", value=counts["failed"])
    return counts
