"""An organisation's units as a tree, and the active members placed in a unit, read from
the orgs table (only functions/orgs writes it). No FastAPI or pydantic: the campaign
announcer (a scheduled function) uses it too.

- `OrgUnits.units(org)`: every unit (`unit_id`, `name`, `kind`, `parent_id`), one Query of
  the organisation's partition, cached per container like the roster (at most 60 s).
- `subtree(units, roots)`: the units at or below `roots` (a unit whose ancestors loop is
  reached only from inside the loop, never twice).
- `unit_members(db, table, org, unit)`: the active members of one unit, page by page, from
  the `ByUnit` index (`unit_pk` = `<org>#<unit>`, `unit_sk` = `<role>#<user>`; only active
  people placed in a unit carry these keys).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import from_item, to_item
from shared.orgs.keys import BY_UNIT, org_pk, unit_index_pk
from shared.settings import RosterSettings, settings
from shared.ttl_cache import TtlCache

MAX_CACHED = 200
MEMBER_ROLE = "member"


def subtree(units: Iterable[Mapping[str, Any]], roots: Iterable[str]) -> set[str]:
    """The ids of `roots` that exist and of every unit below them."""
    children: dict[str, list[str]] = {}
    known: set[str] = set()
    for unit in units:
        unit_id = str(unit["unit_id"])
        known.add(unit_id)
        parent = unit.get("parent_id")
        if parent:
            children.setdefault(str(parent), []).append(unit_id)
    found: set[str] = set()
    pending = [r for r in roots if r in known]
    while pending:  # no recursion: the depth is the organisation's
        unit_id = pending.pop()
        if unit_id in found:
            continue
        found.add(unit_id)
        pending.extend(children.get(unit_id, ()))
    return found


class OrgUnits:
    def __init__(self, client: Any, table: str, ttl_seconds: float) -> None:
        self._db = client
        self._table = table
        self._units: TtlCache[str, tuple[dict[str, Any], ...]] = TtlCache(
            ttl_seconds, max_size=MAX_CACHED
        )

    def units(self, org_id: str) -> tuple[dict[str, Any], ...]:
        """Every unit of the organisation (cached per container)."""
        return self._units.get(org_id, lambda: self._load(org_id))

    def _load(self, org_id: str) -> tuple[dict[str, Any], ...]:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": org_pk(org_id), ":s": "unit#"}),
            "ProjectionExpression": "unit_id, #n, kind, parent_id",
            "ExpressionAttributeNames": {"#n": "name"},
        }
        units: list[dict[str, Any]] = []
        while True:
            response = self._db.query(**args)
            units.extend(from_item(i) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return tuple(units)
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def unit_members(db: Any, table: str, org_id: str, unit_id: str) -> Iterator[str]:
    """The user ids of the active members placed in `unit_id` (not below it), page by page."""
    args: dict[str, Any] = {
        "TableName": table,
        "IndexName": BY_UNIT,
        "KeyConditionExpression": "unit_pk = :u AND begins_with(unit_sk, :r)",
        "ExpressionAttributeValues": to_item(
            {":u": unit_index_pk(org_id, unit_id), ":r": f"{MEMBER_ROLE}#"}
        ),
        "ProjectionExpression": "user_id, #s",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    while True:
        response = db.query(**args)
        for item in response["Items"]:
            person = from_item(item)
            if person.get("status") == "active" and person.get("user_id"):
                yield str(person["user_id"])
        if "LastEvaluatedKey" not in response:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


@cache
def org_units() -> OrgUnits:  # pragma: no cover - production wiring
    config = settings(RosterSettings)
    return OrgUnits(aws.client("dynamodb"), config.orgs_table, config.roster_cache_seconds)
