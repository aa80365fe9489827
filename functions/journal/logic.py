"""Journal decisions as plain functions: days to instants, versions, items, sync windows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from functions.journal.models import Entry
from functions.journal.stored import entry_document, expiry
from shared.clock import LATEST_UTC_ISO, utc_iso, zone
from shared.errors import InvalidInput
from shared.risk import Risk

# Tombstones of deleted entries are kept this long; a sync token older than that is refused.
TOMBSTONE_DAYS = 90
# Sync hands out changes only up to this far in the past, so a write still in flight
# (stamped a moment earlier but committed later) is never skipped by a token.
SYNC_SETTLE_SECONDS = 2
EARLIEST = "0"
LATEST = LATEST_UTC_ISO  # sorts after every instant utc_iso writes
_ETAG = re.compile(r'^(?:W/)?"v?(\d{1,9})"$')


def day_bounds(first: dt.date | None, last: dt.date | None, time_zone: str) -> tuple[str, str]:
    """UTC ISO instants from the start of `first` to the end of `last`, local days.

    The ends of the calendar (0001-01-01, 9999-12-31) are valid days: a bound that
    falls outside what a datetime can hold is clamped (utc_iso), never an error.
    """
    if first and last and first > last:
        raise InvalidInput("'from' must not be after 'to'.")
    tz = zone(time_zone)
    lower = utc_iso(dt.datetime.combine(first, dt.time(), tz)) if first else EARLIEST
    upper = LATEST
    if last and last < dt.date.max:
        upper = utc_iso(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz))
    return lower, upper


def change_seq(updated_at: str, entry_id: str) -> str:
    """Sync order: by change time, ties broken by id."""
    return f"{updated_at}#{entry_id}"


def etag(version: int) -> str:
    return f'"v{version}"'


def version_from_etag(header: str) -> int:
    match = _ETAG.match(header.strip())
    if not match:
        raise InvalidInput('If-Match must be the ETag of the entry, e.g. "v3".')
    return int(match.group(1))


def to_entry(item: dict[str, Any], opened: dict[str, Any]) -> Entry:
    """The member's view of a stored entry and its opened (`title`, `body`, `tags`, `reasons`)."""
    return Entry.model_validate(entry_document(item, opened))


def plain_item(
    user_id: str,
    entry_id: str,
    fields: dict[str, Any],
    risk: Risk,
    written: dt.datetime,
    now: dt.datetime,
    version: int,
    retention_days: int | None,
) -> dict[str, Any]:
    """The plain part of a stored entry; the words are sealed beside it by the caller."""
    stamp = utc_iso(now)
    return {
        "user_id": user_id,
        "entry_id": entry_id,
        "written_at": utc_iso(written),
        "updated_at": stamp,
        "change_seq": change_seq(stamp, entry_id),
        "version": version,
        "mood": fields.get("mood"),
        "emotions": fields.get("emotions") or None,
        # The level stays plain for the crisis workflow; the reasons are sealed.
        "risk": risk.model_dump(mode="json", exclude={"reasons"}),
        "risk_level": risk.level,
        "expires_at": expiry(written, retention_days),
    }


def merged(
    current: dict[str, Any], opened: dict[str, Any], given: dict[str, Any]
) -> dict[str, Any]:
    """A PATCH applied: null leaves the text as written; mood, emotions and tags can be cleared."""
    fields = {
        "mood": current.get("mood"),
        "emotions": current.get("emotions"),
        "tags": opened["tags"],
    } | {k: v for k, v in given.items() if k in ("mood", "emotions", "tags")}
    fields["title"] = opened["title"] if given.get("title") is None else given["title"]
    fields["body"] = opened["body"] if given.get("body") is None else given["body"]
    return fields


def tombstone(user_id: str, entry_id: str, version: int, at: dt.datetime) -> dict[str, Any]:
    """What a deleted entry leaves for sync: no text, gone after TOMBSTONE_DAYS."""
    stamp = utc_iso(at)
    return {
        "user_id": user_id,
        "entry_id": entry_id,
        "deleted": True,
        "version": version + 1,
        "updated_at": stamp,
        "change_seq": change_seq(stamp, entry_id),
        "expires_at": int((at + dt.timedelta(days=TOMBSTONE_DAYS)).timestamp()),
    }


def settled_changes(
    items: list[dict[str, Any]], after: str, more: bool, now: dt.datetime
) -> tuple[list[dict[str, Any]], str, bool]:
    """The changes a sync may hand out (settled ones), the next position, and whether more wait."""
    settled = settled_until(now)
    taken: list[dict[str, Any]] = []
    for item in items:
        if item["updated_at"] > settled:
            return taken, after, False  # still settling: the app asks again shortly
        taken.append(item)
        after = item["change_seq"]
    return taken, after, more


def settled_until(now: dt.datetime) -> str:
    return utc_iso(now - dt.timedelta(seconds=SYNC_SETTLE_SECONDS))


def token_too_old(after: str, now: dt.datetime) -> bool:
    """A token from before the oldest kept tombstone could miss a deletion."""
    if after == EARLIEST:
        return False
    return after[:24] < utc_iso(now - dt.timedelta(days=TOMBSTONE_DAYS))
