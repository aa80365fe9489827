"""A report from counter rows: roll-up along the unit tree, then suppression (pure).

**Cells and people.** `members` counts distinct members who checked in (known exactly for
one day, one ISO week or one calendar month; for other ranges it is not published and the
largest count of any single day stands in as a lower bound for the rule below).
`checkins`, the mood histogram and the risk tiers count **member-days** (one member's
check-in of one local day). A unit where 1-4 distinct members checked in has all of those
cells suppressed however many member-days they add up to, so a histogram never speaks for
fewer than 5 people; each cell is also suppressed on its own below 5. Cases count cases
(each about one member). The median time to acknowledge is shown only where the
acknowledged count is shown and at least 5.

**Roll-up.** A unit's value is its own members' counts plus its children's (class →
grade → school); the organisation's adds members placed in no unit (and units since
deleted). Counts of a unit's own members are never published on their own: where they
are non-zero they are the hidden part of the unit's group (suppression.py).

Suppression is decided over the whole organisation's tree, so asking for one unit shows
the same cells as asking for the whole organisation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.stats.counting import ACK_BUCKETS, MOODS, TIERS, bucket_bounds, median_bucket
from shared.suppression import THRESHOLD, Group, is_small, suppress

ROOT = ""  # the organisation's node id
CHECKIN_CELLS = ("checkins", *(f"mood_{m}" for m in MOODS), *(f"tier_{t}" for t in TIERS))
CASE_CELLS = ("cases_opened", "cases_acknowledged")


@dataclass
class Node:
    unit_id: str | None
    name: str | None
    kind: str | None
    children: list[Node] = field(default_factory=list)
    own: Counter[str] = field(default_factory=Counter)  # summed over periods
    own_by_period: dict[str, Counter[str]] = field(default_factory=dict)
    total: Counter[str] = field(default_factory=Counter)
    people: int = 0  # distinct members: exact, or a lower bound (see module docstring)

    @property
    def key(self) -> str:
        return self.unit_id or ROOT


def build_nodes(units: Iterable[Mapping[str, Any]]) -> tuple[Node, dict[str, Node]]:
    """The organisation's node and every unit's, nested by `parent_id`.

    A unit whose parent is missing, or whose ancestors loop, hangs under the organisation,
    so no counted member is ever left out of the total.
    """
    units = sorted(units, key=lambda u: (str(u.get("name", "")).casefold(), str(u["unit_id"])))
    root = Node(None, None, "organisation")
    nodes = {
        str(u["unit_id"]): Node(str(u["unit_id"]), u.get("name"), u.get("kind")) for u in units
    }
    parent_of = {str(u["unit_id"]): u.get("parent_id") for u in units}
    for unit_id, node in nodes.items():
        parent = parent_of[unit_id]
        seen = {unit_id}
        walker = parent
        while walker in nodes and walker not in seen:
            seen.add(walker)
            walker = parent_of[walker]
        looped = walker in seen and walker is not None
        holder = nodes[parent] if parent in nodes and not looped else root
        holder.children.append(node)
    return root, nodes


def _walk(node: Node) -> list[Node]:
    """The node and every node below it, parents before children."""
    order, pending = [], [node]
    while pending:
        current = pending.pop()
        order.append(current)
        pending.extend(reversed(current.children))
    return order


def roll_up(
    root: Node,
    nodes: Mapping[str, Node],
    rows: Iterable[tuple[str, str, Mapping[str, int]]],
) -> None:
    """Add each `(period, unit, counters)` row to its unit, then sum up the tree."""
    for period, unit_id, counters in rows:
        node = nodes.get(unit_id, root)
        node.own.update(counters)
        node.own_by_period.setdefault(period, Counter()).update(counters)
    for node in reversed(_walk(root)):
        node.total = Counter(node.own)
        by_period = {p: Counter(c) for p, c in node.own_by_period.items()}
        for child in node.children:
            node.total.update(child.total)
            for period, counters in child.own_by_period.items():
                by_period.setdefault(period, Counter()).update(counters)
        node.own_by_period = by_period  # from here on: the subtree's counts per period
        node.people = max((c["members"] for c in by_period.values()), default=0)


def _groups(root: Node, exact_members: bool) -> list[Group]:
    metrics = (*CHECKIN_CELLS, *CASE_CELLS, *(("members",) if exact_members else ()))
    groups = []
    for node in _walk(root):
        if node.children:
            for metric in metrics:
                groups.append(
                    Group(
                        (node.key, metric),
                        [(c.key, metric) for c in node.children],
                        node.own[metric],
                        spare_lone_part=True,
                    )
                )
        groups.append(Group((node.key, "checkins"), [(node.key, f"mood_{m}") for m in MOODS]))
        groups.append(Group((node.key, "checkins"), [(node.key, f"tier_{t}") for t in TIERS]))
    return groups


def _cell(key: Hashable, values: Mapping[Hashable, int], hidden: set[Hashable]) -> dict[str, Any]:
    if key in hidden:
        return {"value": None, "suppressed": True}
    return {"value": values[key], "suppressed": False}


def report(
    units: Iterable[Mapping[str, Any]],
    rows: Iterable[tuple[str, str, Mapping[str, int]]],
    unit_id: str | None,
    *,
    exact_members: bool,
) -> dict[str, Any] | None:
    """The report tree from `unit_id` (None: the organisation) down; None if no such unit."""
    root, nodes = build_nodes(units)
    roll_up(root, nodes, rows)
    top = root if unit_id is None else nodes.get(unit_id)
    if top is None:
        return None
    values: dict[Hashable, int] = {}
    forced: list[Hashable] = []
    for node in _walk(root):
        for metric in (*CHECKIN_CELLS, *CASE_CELLS):
            values[(node.key, metric)] = node.total[metric]
        if exact_members:
            values[(node.key, "members")] = node.total["members"]
        if is_small(node.people):
            forced.extend((node.key, metric) for metric in CHECKIN_CELLS)
    hidden = suppress(values, _groups(root, exact_members), forced).suppressed

    def render(node: Node) -> dict[str, Any]:
        def cell(metric: str) -> dict[str, Any]:
            return _cell((node.key, metric), values, hidden)

        members = cell("members") if exact_members else {"value": None, "suppressed": False}
        acknowledged = (node.key, "cases_acknowledged")
        median: dict[str, Any] = {"value": None, "suppressed": False}
        if acknowledged in hidden or 0 < values[acknowledged] < THRESHOLD:
            median = {"value": None, "suppressed": True}
        else:
            index = median_bucket([node.total[f"ack_{i}"] for i in range(ACK_BUCKETS)])
            if index is not None:
                lower, upper = bucket_bounds(index)
                median["value"] = {"at_least": lower, "under": upper}
        return {
            "unit_id": node.unit_id,
            "name": node.name,
            "kind": node.kind,
            "participation": {"members": members, "checkins": cell("checkins")},
            "mood": {str(m): cell(f"mood_{m}") for m in MOODS},
            "risk": {t: cell(f"tier_{t}") for t in TIERS},
            "cases": {
                "opened": cell("cases_opened"),
                "acknowledged": cell("cases_acknowledged"),
                "median_minutes_to_acknowledge": median,
            },
            "children": [render(child) for child in node.children],
        }

    return render(top)
