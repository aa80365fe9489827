"""A campaign's report from its tallies: the audience tree, rolled up, then suppressed (pure).

The tree is the campaign's units with every unit below them, under one root (the whole
audience). A unit's values are its own members' counts plus its children's, as in
functions/stats: counts of a unit's own members are never published on their own; where
they are non-zero they are the hidden part of the unit's group. A count from 1 to 4 people
is suppressed, and complementary cells with it (shared/suppression.py); where 1-4 members
responded, every tier cell of that unit is suppressed too, zeros included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.screenings.campaign_keys import TIERS
from shared.suppression import THRESHOLD, Group, is_small, suppress

ROOT = ""
METRICS = ("audience", "responded", "declined", *(f"tier_{t}" for t in TIERS))


@dataclass
class Node:
    unit_id: str | None
    name: str | None
    kind: str | None
    children: list[Node] = field(default_factory=list)
    own: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    @property
    def key(self) -> str:
        return self.unit_id or ROOT


def _walk(node: Node) -> list[Node]:
    order, pending = [], [node]
    while pending:
        current = pending.pop()
        order.append(current)
        pending.extend(reversed(current.children))
    return order


def build_tree(
    units: Iterable[Mapping[str, Any]], audience: set[str]
) -> tuple[Node, dict[str, Node]]:
    """The audience units nested by parent; those whose parent is outside hang from the root."""
    chosen = sorted(
        (u for u in units if str(u["unit_id"]) in audience),
        key=lambda u: (str(u.get("name", "")).casefold(), str(u["unit_id"])),
    )
    root = Node(None, None, "campaign")
    nodes = {
        str(u["unit_id"]): Node(str(u["unit_id"]), u.get("name"), u.get("kind")) for u in chosen
    }
    for unit in chosen:
        parent = unit.get("parent_id")
        holder = nodes.get(str(parent)) if parent else None
        (holder or root).children.append(nodes[str(unit["unit_id"])])
    return root, nodes


def _tally(items: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, Counter[str]]]:
    for item in items:
        sk = str(item.get("sk", ""))
        unit_id = str(item.get("unit_id") or sk.partition("#")[2])
        counts: Counter[str] = Counter()
        if sk.startswith("audience#"):
            counts["audience"] = int(item.get("members") or 0)
        else:
            for metric in METRICS[1:]:
                counts[metric] = int(item.get(metric) or 0)
        yield unit_id, counts


def report(
    units: Iterable[Mapping[str, Any]], audience: set[str], tallies: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    root, nodes = build_tree(units, audience)
    for unit_id, counts in _tally(tallies):
        nodes.get(unit_id, root).own.update(counts)
    for node in reversed(_walk(root)):
        node.total = Counter(node.own)
        for child in node.children:
            node.total.update(child.total)
    values: dict[Hashable, int] = {}
    forced: list[Hashable] = []
    groups: list[Group] = []
    for node in _walk(root):
        for metric in METRICS:
            values[(node.key, metric)] = node.total[metric]
        if is_small(node.total["responded"]):
            forced.extend((node.key, f"tier_{t}") for t in TIERS)
        if node.children:
            groups.extend(
                Group(
                    (node.key, metric),
                    [(c.key, metric) for c in node.children],
                    node.own[metric],
                    spare_lone_part=True,
                )
                for metric in METRICS
            )
        groups.append(Group((node.key, "responded"), [(node.key, f"tier_{t}") for t in TIERS]))
    hidden = suppress(values, groups, forced).suppressed

    def cell(node: Node, metric: str) -> dict[str, Any]:
        if (node.key, metric) in hidden:
            return {"value": None, "suppressed": True}
        return {"value": values[(node.key, metric)], "suppressed": False}

    def render(node: Node) -> dict[str, Any]:
        audience_cell, responded = cell(node, "audience"), cell(node, "responded")
        completion: dict[str, Any] = {"value": None, "suppressed": False}
        if audience_cell["suppressed"] or responded["suppressed"]:
            completion["suppressed"] = True
        elif audience_cell["value"]:
            completion["value"] = round(min(responded["value"] / audience_cell["value"], 1.0), 3)
        return {
            "unit_id": node.unit_id,
            "name": node.name,
            "kind": node.kind,
            "audience": audience_cell,
            "responded": responded,
            "declined": cell(node, "declined"),
            "completion": completion,
            "tiers": {t: cell(node, f"tier_{t}") for t in TIERS},
            "children": [render(child) for child in node.children],
        }

    return render(root)


__all__ = ["THRESHOLD", "report"]
