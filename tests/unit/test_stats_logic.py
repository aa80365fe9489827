"""The report: roll-up along the unit tree, the people gate and what a cell counts."""

from __future__ import annotations

from typing import Any

from functions.stats.counting import (
    ACK_BOUNDS,
    DayCount,
    ack_bucket,
    checkin_deltas,
    median_bucket,
)
from functions.stats.keys import parse_month, parse_week, periods_of, whole_period
from functions.stats.logic import report

UNITS: list[dict[str, Any]] = [
    {"unit_id": "school", "name": "School", "kind": "school", "parent_id": None},
    {"unit_id": "g7", "name": "Grade 7", "kind": "grade", "parent_id": "school"},
    {"unit_id": "c71", "name": "Class 7-1", "kind": "class", "parent_id": "g7"},
    {"unit_id": "c72", "name": "Class 7-2", "kind": "class", "parent_id": "g7"},
]
DAY = "d#2026-11-24"


def row(members: int, mood: int = 3, **extra: int) -> dict[str, int]:
    return {"members": members, "checkins": members, f"mood_{mood}": members, **extra}


def node(tree: dict[str, Any], unit_id: str) -> dict[str, Any]:
    pending = [tree]
    while pending:
        current = pending.pop()
        if current["unit_id"] == unit_id:
            return current
        pending.extend(current["children"])
    raise KeyError(unit_id)


def test_a_unit_rolls_up_its_classes_and_the_school_its_grades() -> None:
    rows = [(DAY, "c71", row(12)), (DAY, "c72", row(20, mood=4)), (DAY, "g7", row(6))]
    tree = report(UNITS, rows, None, exact_members=True)
    assert tree is not None
    assert node(tree, "g7")["participation"]["members"]["value"] == 38
    assert node(tree, "school")["participation"]["checkins"]["value"] == 38
    assert tree["participation"]["members"]["value"] == 38  # the organisation
    assert node(tree, "school")["mood"]["4"]["value"] == 20


def test_a_unit_of_four_members_is_suppressed_and_one_of_twelve_is_not() -> None:
    # Given a class where 4 members checked in 3 days each (12 member-days) and one of 12
    week = "w#2026-W48"
    rows = [(week, "c71", row(4) | {"checkins": 12, "mood_3": 12}), (week, "c72", row(12))]
    tree = report(UNITS, rows, "g7", exact_members=True)
    assert tree is not None
    small, large = node(tree, "c71"), node(tree, "c72")
    # Then every check-in cell of the small class is null and suppressed
    assert small["participation"]["members"] == {"value": None, "suppressed": True}
    assert small["participation"]["checkins"] == {"value": None, "suppressed": True}
    assert small["mood"]["3"] == {"value": None, "suppressed": True}
    # And the other class, the only sibling, stands with all its cells
    assert large["participation"]["members"] == {"value": 12, "suppressed": False}
    assert large["mood"]["3"] == {"value": 12, "suppressed": False}
    # While the grade's total is hidden instead: 16 - 12 would give the 4 away
    assert tree["participation"]["members"] == {"value": None, "suppressed": True}
    assert tree["participation"]["checkins"] == {"value": None, "suppressed": True}


def test_with_more_siblings_the_smallest_other_one_is_hidden_and_the_total_stands() -> None:
    # Given a grade of three classes: 4, 12 and 9 members
    units = [*UNITS, {"unit_id": "c73", "name": "Class 7-3", "kind": "class", "parent_id": "g7"}]
    rows = [(DAY, "c71", row(4)), (DAY, "c72", row(12)), (DAY, "c73", row(9))]
    tree = report(units, rows, "g7", exact_members=True)
    assert tree is not None
    # Then the class of 9 is hidden with the class of 4, and 12 and the grade's 25 stand
    assert node(tree, "c73")["participation"]["members"]["suppressed"] is True
    assert node(tree, "c72")["participation"]["members"] == {"value": 12, "suppressed": False}
    assert tree["participation"]["members"] == {"value": 25, "suppressed": False}


def test_a_unit_of_twelve_is_shown_when_its_siblings_are_large() -> None:
    rows = [(DAY, "c71", row(12)), (DAY, "c72", row(9))]
    tree = report(UNITS, rows, "g7", exact_members=True)
    assert tree is not None
    assert node(tree, "c71")["participation"]["members"] == {"value": 12, "suppressed": False}
    assert node(tree, "c71")["mood"]["3"] == {"value": 12, "suppressed": False}


def test_asking_for_one_unit_shows_the_same_cells_as_asking_for_the_organisation() -> None:
    rows = [(DAY, "c71", row(3)), (DAY, "c72", row(9)), (DAY, "g7", row(7))]
    whole = report(UNITS, rows, None, exact_members=True)
    part = report(UNITS, rows, "g7", exact_members=True)
    assert whole is not None and part is not None
    assert node(whole, "g7") == part


def test_an_unknown_unit_gives_none() -> None:
    assert report(UNITS, [], "nope", exact_members=True) is None


def test_a_multi_day_range_hides_members_and_gates_on_the_busiest_day() -> None:
    # Given 3 members a day on two days in a class (maybe 3, maybe 6 people)
    rows = [("d#2026-11-24", "c71", row(3)), ("d#2026-11-25", "c71", row(3))]
    rows += [("d#2026-11-24", "c72", row(8)), ("d#2026-11-25", "c72", row(9))]
    tree = report(UNITS, rows, "g7", exact_members=False)
    assert tree is not None
    # Then members is not published, and the class's 6 member-days are suppressed
    assert node(tree, "c71")["participation"]["members"] == {"value": None, "suppressed": False}
    assert node(tree, "c71")["participation"]["checkins"]["suppressed"] is True
    # And the grade's total is hidden in its place, so 23 - 17 cannot give the 6 away
    assert node(tree, "c72")["participation"]["checkins"] == {"value": 17, "suppressed": False}
    assert tree["participation"]["checkins"] == {"value": None, "suppressed": True}


def test_the_median_time_to_acknowledge_is_a_bucket_and_needs_five_cases() -> None:
    acks = {"cases_opened": 6, "cases_acknowledged": 5, "ack_0": 1, "ack_2": 3, "ack_8": 1}
    few = {"cases_opened": 4, "cases_acknowledged": 4, "ack_0": 4}
    rows = [(DAY, "c71", acks), (DAY, "c72", {"cases_opened": 9})]
    tree = report(UNITS, rows, "g7", exact_members=True)
    assert tree is not None
    median = node(tree, "c71")["cases"]["median_minutes_to_acknowledge"]
    assert median == {"value": {"at_least": 15, "under": 30}, "suppressed": False}
    tree = report(UNITS, [(DAY, "c71", few), (DAY, "c72", acks)], "g7", exact_members=True)
    assert tree is not None
    assert node(tree, "c71")["cases"]["median_minutes_to_acknowledge"]["suppressed"] is True


def test_members_in_no_unit_count_towards_the_organisation_only() -> None:
    rows = [(DAY, "-", row(7)), (DAY, "c71", row(10))]
    tree = report(UNITS, rows, None, exact_members=True)
    assert tree is not None
    assert tree["participation"]["members"]["value"] == 17
    assert node(tree, "school")["participation"]["members"]["value"] == 10


def test_an_edit_moves_a_member_day_between_buckets_and_units() -> None:
    periods = periods_of(parse_week("2026-W48")[0])
    old = DayCount("org", "c71", 2, "watch")
    new = DayCount("org", "c72", 4, "none")
    deltas, after = checkin_deltas(periods, old, new, {p: {"org\x1fc71": 1} for p in periods[1:]})
    assert deltas[("org", periods[0], "c71")] == {
        "checkins": -1,
        "members": -1,
        "mood_2": -1,
        "tier_watch": -1,
    }
    assert deltas[("org", periods[1], "c72")]["members"] == 1
    assert after[periods[1]] == {"org\x1fc72": 1}


def test_a_second_day_in_the_same_week_does_not_add_a_member_to_the_week() -> None:
    periods = periods_of(parse_week("2026-W48")[0])
    new = DayCount("org", "c71", 3, "none")
    deltas, after = checkin_deltas(periods, None, new, {p: {"org\x1fc71": 1} for p in periods[1:]})
    assert "members" not in deltas[("org", periods[1], "c71")]
    assert deltas[("org", periods[0], "c71")]["members"] == 1
    assert after[periods[1]] == {"org\x1fc71": 2}


def test_buckets_and_their_median() -> None:
    assert ack_bucket(0) == 0 and ack_bucket(4.9) == 0 and ack_bucket(5) == 1
    assert ack_bucket(10**6) == len(ACK_BOUNDS)
    assert median_bucket([1, 0, 3, 1]) == 2
    assert median_bucket([0, 0]) is None


def test_periods_weeks_and_months() -> None:
    first, last = parse_week("2026-W01")
    assert (first.isoformat(), last.isoformat()) == ("2025-12-29", "2026-01-04")
    assert whole_period(first, last) == "w#2026-W01"
    first, last = parse_month("2024-02")
    assert last.isoformat() == "2024-02-29"
    assert whole_period(first, last) == "m#2024-02"
    assert whole_period(first, first) is None
