"""Small-number suppression: primary, complementary, hidden remainders, fixed point."""

from __future__ import annotations

from shared.suppression import Group, suppress


def test_a_count_of_four_is_suppressed_and_five_is_not() -> None:
    # Given cells of 4, 5, 0 and 12 people, in no group
    values = {"a": 4, "b": 5, "c": 0, "d": 12}
    # When suppressed
    result = suppress(values, [])
    # Then only the 4 is hidden (zero describes nobody)
    assert result.suppressed == {"a"}


def test_one_suppressed_child_makes_the_smallest_other_child_suppressed_too() -> None:
    # Given a school of 30 whose classes count 3, 12, 8 and 7
    values = {"school": 30, "c1": 3, "c2": 12, "c3": 8, "c4": 7}
    # When suppressed
    result = suppress(values, [Group("school", ["c1", "c2", "c3", "c4"])])
    # Then the 3 is hidden, and so is the 7 (the smallest other), so 30-12-8 leaves 10 = ?+?
    assert result.suppressed == {"c1", "c4"}
    assert result.complementary == {"c4"}


def test_two_suppressed_children_need_no_complement() -> None:
    values = {"school": 30, "c1": 3, "c2": 2, "c3": 25}
    result = suppress(values, [Group("school", ["c1", "c2", "c3"])])
    assert result.suppressed == {"c1", "c2"}
    assert not result.complementary


def test_a_zero_child_is_not_chosen_as_complement_while_a_non_zero_one_is_visible() -> None:
    values = {"p": 20, "a": 4, "b": 0, "c": 16}
    result = suppress(values, [Group("p", ["a", "b", "c"])])
    assert result.suppressed == {"a", "c"}


def test_a_small_hidden_remainder_alone_is_protected_by_suppressing_a_child() -> None:
    # Given a grade of 20: classes of 9 and 8 and 3 members placed in the grade itself
    values = {"grade": 20, "c1": 9, "c2": 8}
    # When suppressed (the 3 is never published, but 20-9-8 would reveal it)
    result = suppress(values, [Group("grade", ["c1", "c2"], hidden=3)])
    # Then the smaller class is hidden too
    assert result.suppressed == {"c2"}


def test_a_large_hidden_remainder_needs_no_protection() -> None:
    values = {"grade": 30, "c1": 9, "c2": 8}
    assert suppress(values, [Group("grade", ["c1", "c2"], hidden=13)]).suppressed == set()


def test_a_hidden_remainder_counts_as_the_second_unknown_of_a_suppressed_child() -> None:
    values = {"grade": 20, "c1": 3, "c2": 10}
    assert suppress(values, [Group("grade", ["c1", "c2"], hidden=7)]).suppressed == {"c1"}


def test_a_histogram_with_one_small_bucket_loses_its_smallest_other_bucket() -> None:
    # Given 40 member-days: moods 1..5 = 2, 10, 12, 9, 7
    values = {"total": 40, "m1": 2, "m2": 10, "m3": 12, "m4": 9, "m5": 7}
    result = suppress(values, [Group("total", ["m1", "m2", "m3", "m4", "m5"])])
    assert result.suppressed == {"m1", "m5"}


def test_a_complement_chosen_in_one_group_spreads_to_the_groups_it_belongs_to() -> None:
    # Given two classes with mood histograms, and the grade's histogram by class:
    # class 1 has mood_1 = 3 (primary); its complement is class 1's smallest other bucket
    # (mood_2 = 6); the grade's mood_2 = 6 + 20 would then give c1.mood_2 away, unless
    # another cell of that group goes too.
    values = {
        ("c1", "n"): 30,
        ("c1", "m1"): 3,
        ("c1", "m2"): 6,
        ("c1", "m3"): 21,
        ("c2", "n"): 50,
        ("c2", "m1"): 0,
        ("c2", "m2"): 20,
        ("c2", "m3"): 30,
        ("g", "n"): 80,
        ("g", "m1"): 3,
        ("g", "m2"): 26,
        ("g", "m3"): 51,
    }
    groups = [
        Group(("c1", "n"), [("c1", "m1"), ("c1", "m2"), ("c1", "m3")]),
        Group(("c2", "n"), [("c2", "m1"), ("c2", "m2"), ("c2", "m3")]),
        Group(("g", "n"), [("g", "m1"), ("g", "m2"), ("g", "m3")]),
        *(Group(("g", m), [("c1", m), ("c2", m)]) for m in ("n", "m1", "m2", "m3")),
    ]
    hidden = suppress(values, groups).suppressed
    # Then no group is left with exactly one unknown
    for group in groups:
        unknown = [c for c in [group.total, *group.parts] if c in hidden]
        assert len(unknown) != 1, group
    assert ("c1", "m1") in hidden and ("g", "m1") in hidden
    assert ("c1", "m2") in hidden


def test_a_suppressed_total_whose_parts_are_all_shown_gets_a_part_hidden() -> None:
    # Given the total is forced hidden but its parts (both large) are shown
    values = {"t": 20, "a": 10, "b": 10}
    result = suppress(values, [Group("t", ["a", "b"])], forced=["t"])
    assert result.suppressed == {"t", "a"}


def test_forced_cells_are_suppressed_whatever_their_size() -> None:
    values = {"a": 40, "b": 7}
    assert suppress(values, [], forced=["a"]).suppressed == {"a"}


def test_a_unit_roll_up_hides_the_total_rather_than_the_only_other_part() -> None:
    # Given a total of 16 with parts 4 (small) and 12, as a unit roll-up
    values = {"t": 16, "small": 4, "large": 12}
    rolled = suppress(values, [Group("t", ["small", "large"], spare_lone_part=True)])
    plain = suppress(values, [Group("t", ["small", "large"])])
    # Then the roll-up hides the total, a plain group the other part
    assert rolled.suppressed == {"small", "t"} and rolled.complementary == {"t"}
    assert plain.suppressed == {"small", "large"}
