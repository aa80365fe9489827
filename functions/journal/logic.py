"""Journal decisions as plain functions: days to instants, versions, items, sync windows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from functions.journal.models import Entry
from shared.clock import utc_iso, zone
from shared.errors import InvalidInput
from shared.risk import Risk

# Tombstones of deleted entries are kept this long; a sync token older than that is refused.
TOMBSTONE_DAYS = 90
# Sync hands out changes only up to this far in the past, so a write still in flight
# (stamped a moment earlier but committed later) is never skipped by a token.
SYNC_SETTLE_SECONDS = 2
EARLIEST = "0"
LATEST = "9999"
_ETAG = re.compile(r'^(?:W/)?"v?(\d{1,9})"$')


def day_bounds(first: dt.date | None, last: dt.date | None, time_zone: str) -> tuple[str, str]:
    """UTC ISO instants from the start of `first` to the end of `last`, local days."""
    if first and last and first > last:
        raise InvalidInput("'from' must not be after 'to'.")
    tz = zone(time_zone)
    lower = utc_iso(dt.datetime.combine(first, dt.time(), tz)) if first else EARLIEST
    upper = (
        utc_iso(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)) if last else LATEST
    )
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


def expiry(written_at: dt.datetime, retention_days: int | None) -> int | None:
    """Epoch seconds when DynamoDB TTL removes the entry, or None to keep it."""
    if retention_days is None:
        return None
    return int((written_at + dt.timedelta(days=retention_days)).timestamp())


def to_entry(item: dict[str, Any], title: str, body: str) -> Entry:
    return Entry(
        id=item["entry_id"],
        title=title,
        body=body,
        mood=item.get("mood"),
        emotions=item.get("emotions") or [],
        tags=item.get("tags") or [],
        written_at=item["written_at"],
        updated_at=item["updated_at"],
        version=item["version"],
        risk=Risk.model_validate(item["risk"]),
    )


def settled_until(now: dt.datetime) -> str:
    return utc_iso(now - dt.timedelta(seconds=SYNC_SETTLE_SECONDS))


def token_too_old(after: str, now: dt.datetime) -> bool:
    """A token from before the oldest kept tombstone could miss a deletion."""
    if after == EARLIEST:
        return False
    return after[:24] < utc_iso(now - dt.timedelta(days=TOMBSTONE_DAYS))
