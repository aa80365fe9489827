"""A unit's peer supporters, read from the orgs table (`org#<org>` / `unit#<unit>`, its
`supporters` list), cached per container like the roster (DESIGN.md §4: at most 60 s).

Only functions/orgs writes the table; the peer inbox projector reads who supports a
member's unit here, never through a copy of its own. No FastAPI or pydantic.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import from_item, to_item
from shared.orgs.keys import org_pk, unit_sk
from shared.settings import RosterSettings, settings
from shared.ttl_cache import TtlCache

MAX_CACHED = 2000


class UnitSupporters:
    def __init__(self, client: Any, table: str, ttl_seconds: float) -> None:
        self._client = client
        self._table = table
        self._units: TtlCache[tuple[str, str], tuple[str, ...]] = TtlCache(
            ttl_seconds, max_size=MAX_CACHED
        )

    def supporters(self, org_id: str, unit_id: str) -> tuple[str, ...]:
        """The user ids the unit names as its supporters (none for an unknown unit)."""
        return self._units.get((org_id, unit_id), lambda: self._load(org_id, unit_id))

    def _load(self, org_id: str, unit_id: str) -> tuple[str, ...]:
        found = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": org_pk(org_id), "sk": unit_sk(unit_id)}),
            ProjectionExpression="supporters",
        ).get("Item")
        if not found:
            return ()
        return tuple(sorted(str(s) for s in from_item(found).get("supporters") or ()))


@cache
def unit_supporters() -> UnitSupporters:  # pragma: no cover - production wiring
    config = settings(RosterSettings)
    return UnitSupporters(aws.client("dynamodb"), config.orgs_table, config.roster_cache_seconds)
