"""Small-number suppression of a report's cells, primary and complementary (pure, stdlib only).

A **cell** is one published count, named by any hashable key. The rules:

1. **Primary**: a cell counting from 1 to `THRESHOLD - 1` people is suppressed (0 is
   shown: it describes nobody). The caller adds cells it must hide for other reasons
   (every check-in cell of a unit where fewer than 5 distinct members checked in).
2. **Complementary**: cells are tied by additive **groups**: a total and its parts
   (a parent unit and its child units; a histogram and its buckets), plus, where the
   parts do not add up to the total, a `hidden` part that is never published (the
   members placed directly in a parent unit rather than in one of its children). In a
   group, every unknown (a suppressed part or total, a non-zero hidden part) could be
   recovered by subtraction if it were the only one. So whenever a group has exactly one
   unknown, a second visible cell of the group is suppressed: the smallest non-zero
   part (ties: the first listed), else any part, else the total. The one exception is
   a hidden part of `THRESHOLD` or more: recovering it reveals no small number.
   A unit roll-up (`spare_lone_part`) never hides a unit's only visible non-zero
   sibling: it hides the parent's total instead. A class of 12 next to a class of 4
   stays readable (what its teachers act on), and the grade's total, hidden, is still
   about the sum of the classes shown; with more siblings the smallest one is hidden.
3. Suppressing a cell can leave another group with one unknown, so the rules run again
   until nothing changes (cells are only ever added, so this ends).

This does not defend against differencing across reports of overlapping ranges.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

THRESHOLD: Final = 5


@dataclass(frozen=True)
class Group:
    """`total` = sum of `parts` + `hidden` (an unpublished remainder, 0 when none)."""

    total: Hashable | None
    parts: Sequence[Hashable]
    hidden: int = 0
    # Hide the total rather than the only visible non-zero part (unit roll-ups).
    spare_lone_part: bool = False


@dataclass
class Suppression:
    suppressed: set[Hashable] = field(default_factory=set)
    complementary: set[Hashable] = field(default_factory=set)


def is_small(value: int, threshold: int = THRESHOLD) -> bool:
    return 0 < value < threshold


def suppress(
    values: Mapping[Any, int],
    groups: Iterable[Group],
    forced: Iterable[Hashable] = (),
    threshold: int = THRESHOLD,
) -> Suppression:
    """The cells of `values` to publish as suppressed (see the module docstring)."""
    groups = list(groups)
    result = Suppression()
    result.suppressed = {key for key, v in values.items() if is_small(v, threshold)}
    result.suppressed |= {key for key in forced if key in values}
    changed = True
    while changed:
        changed = False
        for group in groups:
            second = _second_cell(group, values, result.suppressed, threshold)
            if second is not None:
                result.suppressed.add(second)
                result.complementary.add(second)
                changed = True
    return result


def _second_cell(
    group: Group, values: Mapping[Hashable, int], hidden: set[Hashable], threshold: int
) -> Hashable | None:
    """The cell to suppress so `group` does not give away its only unknown, or None."""
    parts = [p for p in group.parts if p in values]
    total = group.total if group.total in values else None
    unknown_parts = [p for p in parts if p in hidden]
    total_unknown = total is not None and total in hidden
    hidden_unknown = group.hidden != 0
    unknowns = len(unknown_parts) + int(total_unknown) + int(hidden_unknown)
    if unknowns != 1:
        return None
    if total is None and not total_unknown:
        return None  # no total published: nothing to subtract from
    if hidden_unknown and group.hidden >= threshold:
        return None
    visible = [p for p in parts if p not in hidden]
    total_visible = total is not None and not total_unknown
    lone = sum(values[p] != 0 for p in visible) <= 1
    if group.spare_lone_part and lone and total_visible:
        return total
    if visible:
        nonzero = [p for p in visible if values[p] != 0]
        pool = nonzero or visible
        return min(pool, key=lambda p: (values[p], pool.index(p)))
    if total is not None and not total_unknown:
        return total
    return None
