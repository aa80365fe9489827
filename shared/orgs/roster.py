"""Who is who in an organisation, read from its roster: the authority for staff (DESIGN.md §4).

Token groups are a first gate; every staff action is also checked here. Entries are
cached per container for `roster_cache_seconds` (at most 60 s), so a role change or a
removal takes effect within that time, not at token expiry. No FastAPI or pydantic:
queue and workflow functions use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import from_item, to_item
from shared.orgs.keys import org_pk, person_sk
from shared.settings import RosterSettings, settings
from shared.ttl_cache import TtlCache

MAX_CACHED = 2000


@dataclass(frozen=True)
class RosterEntry:
    org_id: str
    user_id: str
    role: str
    display_name: str
    active: bool
    unit_id: str | None = None
    supervisor_id: str | None = None
    training_valid_until: str | None = None
    units_supported: tuple[str, ...] = ()


def entry_from_item(item: dict[str, Any]) -> RosterEntry:
    """A roster entry from a stored person item (plain values)."""
    return RosterEntry(
        org_id=str(item["org_id"]),
        user_id=str(item["user_id"]),
        role=str(item["role"]),
        display_name=str(item.get("display_name", "")),
        active=item.get("status") == "active",
        unit_id=item.get("unit_id"),
        supervisor_id=item.get("supervisor_id"),
        training_valid_until=item.get("training_valid_until"),
        units_supported=tuple(sorted(item.get("units_supported") or ())),
    )


class Roster:
    def __init__(self, client: Any, table: str, ttl_seconds: float) -> None:
        self._client = client
        self._table = table
        self._entries: TtlCache[tuple[str, str], RosterEntry | None] = TtlCache(
            ttl_seconds, max_size=MAX_CACHED
        )

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None:
        """The person's entry in the organisation (cached, absence too), or None."""
        return self._entries.get((org_id, user_id), lambda: self._load(org_id, user_id))

    def forget(self, org_id: str, user_id: str) -> None:
        """This container wrote the entry: read it afresh next time."""
        self._entries.invalidate((org_id, user_id))

    def _load(self, org_id: str, user_id: str) -> RosterEntry | None:
        found = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": org_pk(org_id), "sk": person_sk(user_id)}),
        ).get("Item")
        return entry_from_item(from_item(found)) if found else None


@cache
def roster() -> Roster:
    config = settings(RosterSettings)
    return Roster(aws.client("dynamodb"), config.orgs_table, config.roster_cache_seconds)
