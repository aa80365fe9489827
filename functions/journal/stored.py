"""What a stored journal entry means, as plain data: no pydantic, for the non-HTTP functions.

The retention and data-rights functions read entries too; they use these
helpers rather than the HTTP models, so their cold start stays at the floor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def expiry(written_at: dt.datetime, retention_days: int | None) -> int | None:
    """Epoch seconds when DynamoDB TTL removes the entry, or None to keep it."""
    if retention_days is None:
        return None
    return int((written_at + dt.timedelta(days=retention_days)).timestamp())


def written_at(item: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(item["written_at"]).replace("Z", "+00:00"))


def entry_document(item: dict[str, Any], opened: dict[str, Any]) -> dict[str, Any]:
    """The member's view of a stored entry, given its opened title, body, tags and reasons."""
    return {
        "id": item["entry_id"],
        "title": opened["title"] or "",
        "body": opened["body"] or "",
        "mood": item.get("mood"),
        "emotions": item.get("emotions") or [],
        "tags": opened["tags"] or [],
        "written_at": item["written_at"],
        "updated_at": item["updated_at"],
        "version": item["version"],
        "risk": {**item["risk"], "reasons": opened["reasons"] or []},
    }
