"""Keeps the statistics' counters from the check-ins and cases streams (no HTTP).

Per organisation, unit and local day (and ISO week and month) it counts check-ins
(member-days), distinct members, the mood histogram, risk tiers, cases opened and
acknowledged and the time to acknowledge in buckets (counting.py has the rules, keys.py
the items). A check-in counts on its own local day (the member's zone, the check-in's
`date`); a case on the day it was opened in the organisation's zone (UTC when it has
none set; the default zone of the deployment otherwise), and its acknowledgement in that
same day's row, so "acknowledged" is always a share of "opened" in any range.

The member's unit is their roster entry's `unit_id` at the time the record is counted
(cached per container with the roster, at most 60 s): a member moved to another unit
counts there from then on; an edit of an earlier check-in moves that member-day too.

Nothing here reads the check-ins or cases tables: the stream images carry all it needs.
Both arrive at this one function: the cases stream directly (the template filters it to
`#case` items), the check-ins stream's records through the check-in events topic and this
feature's FIFO queue (shared/change_events.py). Failed records come back one by one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from functions.stats.config import StatsSettings
from functions.stats.counting import (
    DayCount,
    ack_bucket,
    checkin_deltas,
    day_count,
    sequence_key,
)
from functions.stats.keys import NO_UNIT, case_pk, member_pk, periods_of
from functions.stats.repository import AlreadyCounted, Contended, OrgsReader, StatsStore
from shared import aws
from shared.change_events import queue_handler
from shared.clock import Clock, system_clock
from shared.observability import instrument, logger
from shared.orgs.roster import roster
from shared.settings import settings

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ATTEMPTS = 5
CASE_ITEM = "#case"
OPENED, ACKNOWLEDGED = "opened", "acknowledged"

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _instant(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _local_date(moment: dt.datetime, zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    try:
        return moment.astimezone(ZoneInfo(zone)).date()
    except (ValueError, OSError):  # a zone that is not IANA's: the UTC day
        return moment.astimezone(dt.UTC).date()


class Aggregator:
    def __init__(
        self,
        store: StatsStore,
        unit_of: Callable[[str, str], str],
        zone_of: Callable[[str], str],
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self._unit_of = unit_of
        self._zone_of = zone_of
        self._clock = clock

    # ------------------------------------------------------------------ check-ins
    def checkin(
        self, user_id: str, day: dt.date, image: Mapping[str, Any] | None, sequence: str
    ) -> bool:
        """Count the member-day as `image` shows it (None: removed); False if nothing changed."""
        seq = sequence_key(sequence)
        periods = periods_of(day)
        for _ in range(ATTEMPTS):
            state = self._store.get_many(member_pk(user_id), list(periods))
            stored = state.get(periods[0])
            if stored is not None and str(stored.get("seq", "")) >= seq:
                return False  # a replay, or a record older than the one counted
            old = _stored_count(stored)
            new = None
            shown = image or {}
            org_id = shown.get("org_id")
            if isinstance(org_id, str) and org_id:
                unit = self._unit_of(org_id, user_id)
                new = day_count(org_id, unit, shown.get("mood"), shown.get("risk_level"))
            if old is None and new is None:
                return False  # never counted (no organisation): store nothing about them
            units = {p: dict(state.get(p, {}).get("units") or {}) for p in periods[1:]}
            deltas, after = checkin_deltas(periods, old, new, units)
            day_item: dict[str, Any] = {"seq": seq}
            if new is not None:
                day_item |= {"org_id": new.org_id, "unit": new.unit, "mood": new.mood}
                day_item["tier"] = new.tier
            period_items = {
                p: (after[p], state[p].get("version") if p in state else None)
                for p in periods[1:]
                if after[p] != units[p] or (p not in state and after[p])
            }
            try:
                self._store.apply_checkin(
                    user_id, periods[0], day_item, period_items, deltas, self._clock()
                )
            except AlreadyCounted:
                return False
            except Contended:
                continue
            return True
        raise RuntimeError("the member's counters kept changing; the record will be retried")

    # ------------------------------------------------------------------ cases
    def case(self, image: Mapping[str, Any]) -> list[str]:
        """Count a case's opening and its first acknowledgement, each once; what was counted."""
        case_id, org_id = image.get("case_id"), image.get("org_id")
        user_id, opened_at = image.get("user_id"), _instant(image.get("created_at"))
        if not (isinstance(case_id, str) and case_id and isinstance(user_id, str) and user_id):
            return []
        if not isinstance(org_id, str) or not org_id or org_id == "none" or opened_at is None:
            return []
        counted = []
        markers = self._store.get_many(case_pk(case_id), [OPENED, ACKNOWLEDGED])
        opened = markers.get(OPENED)
        now = self._clock()
        if opened is None:
            day = _local_date(opened_at, self._zone_of(org_id))
            unit = self._unit_of(org_id, user_id)
            opened = {"org_id": org_id, "unit": unit, "day": day.isoformat()}
            changes = {f"{p}#{unit}": {"cases_opened": 1} for p in periods_of(day)}
            if self._store.count_case(case_id, OPENED, opened, org_id, changes, now):
                counted.append(OPENED)
            else:
                opened = self._store.get_many(case_pk(case_id), [OPENED])[OPENED]
        acknowledged_at = _instant(image.get("acknowledged_at"))
        if acknowledged_at is not None and ACKNOWLEDGED not in markers:
            minutes = (acknowledged_at - opened_at).total_seconds() / 60
            bucket = ack_bucket(minutes)
            day = dt.date.fromisoformat(str(opened["day"]))
            unit = str(opened["unit"])
            adds = {"cases_acknowledged": 1, f"ack_{bucket}": 1}
            changes = {f"{p}#{unit}": adds for p in periods_of(day)}
            marker = {"org_id": org_id, "unit": unit, "day": opened["day"], "bucket": bucket}
            if self._store.count_case(case_id, ACKNOWLEDGED, marker, org_id, changes, now):
                counted.append(ACKNOWLEDGED)
        return counted


def _stored_count(item: Mapping[str, Any] | None) -> DayCount | None:
    if not item or "unit" not in item:
        return None
    return DayCount(str(item["org_id"]), str(item["unit"]), int(item["mood"]), str(item["tier"]))


# --- the Lambda -------------------------------------------------------------------------


def roster_unit(org_id: str, user_id: str) -> str:
    entry = roster().entry(org_id, user_id)
    return entry.unit_id if entry is not None and entry.unit_id else NO_UNIT


@cache
def aggregator() -> Aggregator:
    config = settings(StatsSettings)
    orgs = OrgsReader(aws.client("dynamodb"), config.orgs_table)
    default_zone = config.default_time_zone

    def zone_of(org_id: str) -> str:
        return orgs.zone(org_id) or default_zone

    return Aggregator(StatsStore(aws.client("dynamodb"), config.stats_table), roster_unit, zone_of)


def handle_record(record: DynamoDBRecord, counter: Aggregator) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    keys = change.keys or {}
    if keys.get("sk") == CASE_ITEM:
        if record.event_name.name != "REMOVE" and change.new_image:
            counted = counter.case(change.new_image)
            logger.debug("case counted", extra={"counted": counted})
        return
    user_id, day = keys.get("user_id"), keys.get("date")
    if not isinstance(user_id, str) or not isinstance(day, str) or not _DAY.fullmatch(day):
        return  # the "#key" item, or anything else that is not a check-in
    try:
        local_day = dt.date.fromisoformat(day)
    except ValueError:
        return
    image = None if record.event_name.name == "REMOVE" else change.new_image
    sequence = change.sequence_number
    if sequence is None:
        raise ValueError("a stream record without a sequence number")
    changed = counter.checkin(user_id, local_day, image, sequence)
    logger.debug("check-in counted", extra={"changed": changed})


def record_handler(record: DynamoDBRecord) -> None:
    handle_record(record, aggregator())


_from_queue = queue_handler(record_handler)


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or ()
    if records and records[0].get("eventSource") == "aws:sqs":
        return _from_queue(event, context)  # check-ins, through the check-in events queue
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
