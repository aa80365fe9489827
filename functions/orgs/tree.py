"""An organisation's units as a tree: nesting, moves without cycles, and paths to units.

A unit is a plain mapping `{"unit_id", "name", "kind", "parent_id"}` as stored (extra keys
are ignored). Roots are units whose `parent_id` is None; a unit whose parent is missing is
also treated as a root, so one stale item never hides a branch. Units caught in a parent
cycle (which `would_create_cycle` exists to prevent) belong to no root: the tree and the
paths leave them out rather than loop.

Pure logic, stdlib only: the HTTP routes and the import worker both use it.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, TypeAlias, TypedDict

UNIT_KINDS: Final = ("school", "grade", "class", "company", "department", "team")

Unit = Mapping[str, Any]


class TreeNode(TypedDict):
    unit_id: str
    name: str
    kind: str
    parent_id: str | None
    children: list[TreeNode]


class Ambiguous(enum.Enum):
    """The one value of `AMBIGUOUS`: a path that names more than one unit."""

    AMBIGUOUS = "ambiguous"


AMBIGUOUS: Final = Ambiguous.AMBIGUOUS

PathResolution: TypeAlias = str | Literal[Ambiguous.AMBIGUOUS] | None
"""A unit id, None for no such path, or `AMBIGUOUS`. Test the last with `is AMBIGUOUS`:
a sentinel, not the string "ambiguous", so no unit id can be mistaken for it."""


def _order(unit: Unit) -> tuple[str, str]:
    return (str(unit["name"]).casefold(), str(unit["unit_id"]))


def children_of(units: Iterable[Unit]) -> dict[str | None, list[Unit]]:
    """Units by parent id, each list sorted by name (casefolded) then id.

    Key None holds the roots, including units whose parent is missing.
    """
    units = list(units)
    ids = {unit["unit_id"] for unit in units}
    grouped: dict[str | None, list[Unit]] = {}
    for unit in sorted(units, key=_order):
        parent = unit.get("parent_id")
        grouped.setdefault(parent if parent in ids else None, []).append(unit)
    return grouped


def build_tree(units: Iterable[Unit]) -> list[TreeNode]:
    """The roots with their children nested, every level sorted by name (casefolded) then id."""
    units = list(units)
    nodes: dict[str, TreeNode] = {
        unit["unit_id"]: TreeNode(
            unit_id=unit["unit_id"],
            name=unit["name"],
            kind=unit["kind"],
            parent_id=unit.get("parent_id"),
            children=[],
        )
        for unit in units
    }
    roots: list[TreeNode] = []
    # Appending in sorted order leaves every children list sorted; no recursion, so neither
    # depth nor a stored cycle can break it (a cycle's members are simply never reached).
    for unit in sorted(units, key=_order):
        node = nodes[unit["unit_id"]]
        parent = nodes.get(unit.get("parent_id") or "")
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def descendants(units: Iterable[Unit], unit_id: str) -> set[str]:
    """Ids of every unit below `unit_id` (children, grandchildren, ...), not the unit itself."""
    below: dict[str, list[str]] = {}
    for unit in units:
        if unit.get("parent_id") is not None:
            below.setdefault(unit["parent_id"], []).append(unit["unit_id"])
    found: set[str] = set()
    pending = list(below.get(unit_id, ()))
    while pending:
        current = pending.pop()
        if current in found or current == unit_id:
            continue
        found.add(current)
        pending.extend(below.get(current, ()))
    return found


def would_create_cycle(units: Iterable[Unit], unit_id: str, new_parent_id: str | None) -> bool:
    """Whether moving `unit_id` under `new_parent_id` puts it under itself or a descendant."""
    if new_parent_id is None:
        return False
    return new_parent_id == unit_id or new_parent_id in descendants(units, unit_id)


def name_key(name: str) -> str:
    """A name as compared: NFKC, inner whitespace collapsed, stripped, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def path_key(text: str) -> str:
    """A path as compared: parts split on "/", each normalised by `name_key`, empty ones dropped.

    NFKC first, so a full-width "／" or digit typed by an input method matches too.
    """
    parts = (name_key(part) for part in unicodedata.normalize("NFKC", text).split("/"))
    return "/".join(part for part in parts if part)


def _chain(unit: Unit, by_id: Mapping[str, Unit]) -> list[Unit] | None:
    """The unit and its ancestors, root first; None when the unit sits in a parent cycle."""
    chain = [unit]
    seen = {unit["unit_id"]}
    parent = by_id.get(unit.get("parent_id") or "")
    while parent is not None:
        if parent["unit_id"] in seen:
            return None
        seen.add(parent["unit_id"])
        chain.append(parent)
        parent = by_id.get(parent.get("parent_id") or "")
    chain.reverse()
    return chain


def unit_paths(units: Iterable[Unit]) -> dict[str, str | None]:
    """Every path key that addresses a unit, mapped to its id, or to None when ambiguous.

    Each unit is addressed by its names from just below its root ("Grade 7/Class 7-2") and by
    the full path including the root ("Demo School/Grade 7/Class 7-2"); a root by its own
    name. A key that two different units produce maps to None: the caller must refuse it.
    """
    units = list(units)
    by_id = {unit["unit_id"]: unit for unit in units}
    paths: dict[str, str | None] = {}
    for unit in units:
        chain = _chain(unit, by_id)
        if chain is None:
            continue
        names = [str(link["name"]) for link in chain]
        keys = {path_key("/".join(names)), path_key("/".join(names[1:]))} - {""}
        for key in keys:
            if key in paths and paths[key] != unit["unit_id"]:
                paths[key] = None
            else:
                paths.setdefault(key, unit["unit_id"])
    return paths


def resolve_path(paths: Mapping[str, str | None], text: str) -> PathResolution:
    """The unit id `text` addresses in `paths` (from `unit_paths`), None, or `AMBIGUOUS`."""
    key = path_key(text)
    if not key or key not in paths:
        return None
    unit_id = paths[key]
    return AMBIGUOUS if unit_id is None else unit_id


def sibling_name_taken(
    units: Iterable[Unit], parent_id: str | None, name: str, except_id: str | None = None
) -> bool:
    """Whether a unit under `parent_id` (None: the roots) other than `except_id` has `name`.

    Names compare by `name_key` (the same normalisation as paths), so two siblings can never
    produce the same path.
    """
    wanted = name_key(name)
    return any(
        unit.get("parent_id") == parent_id
        and unit["unit_id"] != except_id
        and name_key(str(unit["name"])) == wanted
        for unit in units
    )
