"""A sustained low mood over the member's local days: runs at mood 1 and weekly drops."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared.crisis.signals import LOW_MOOD_RUN, MOOD_AVERAGE_DROP, sustained_low_mood


def days(last: dt.date, *moods: int | None) -> dict[dt.date, int]:
    """Moods of consecutive days ending on `last` (oldest first); None: no check-in that day."""
    start = last - dt.timedelta(days=len(moods) - 1)
    return {start + dt.timedelta(days=i): mood for i, mood in enumerate(moods) if mood is not None}


def week(last: dt.date, mood: int) -> dict[dt.date, int]:
    return days(last, *[mood] * 7)


TODAY = dt.date(2026, 5, 20)


# --- Runs at mood 1 ---------------------------------------------------------------------


def test_three_days_in_a_row_at_mood_1_ending_today_is_a_run() -> None:
    # Given moods 1, 1, 1 on the last three local days / When judged today
    # Then it is a low-mood run (and no drop: there is no week before to compare with)
    assert sustained_low_mood(days(TODAY, 1, 1, 1), TODAY) == [LOW_MOOD_RUN]


@pytest.mark.parametrize(
    "today",
    [
        dt.date(2026, 2, 1),  # across the end of January
        dt.date(2026, 3, 1),  # across 28 February in a common year
        dt.date(2028, 3, 1),  # across 29 February in a leap year
        dt.date(2027, 1, 1),  # across the end of the year
    ],
)
def test_a_run_counts_across_a_month_end(today: dt.date) -> None:
    # Given three calendar days in a row at mood 1 that straddle a month end
    moods = days(today, 1, 1, 1)
    # When judged on the last of them / Then it is a run
    assert sustained_low_mood(moods, today) == [LOW_MOOD_RUN]


def test_a_missing_29_february_breaks_a_run_in_a_leap_year() -> None:
    # Given mood 1 on 27 and 28 February and 1 March 2028, but no check-in on the 29th
    moods = {dt.date(2028, 2, 27): 1, dt.date(2028, 2, 28): 1, dt.date(2028, 3, 1): 1}
    # When judged on 1 March / Then the gap breaks the run
    assert sustained_low_mood(moods, dt.date(2028, 3, 1)) == []


def test_a_day_without_a_check_in_breaks_a_run() -> None:
    # Given mood 1 on four of the last five days, with the middle day missing
    moods = days(TODAY, 1, 1, None, 1, 1)
    # When judged today / Then two days in a row is not a run of three
    assert sustained_low_mood(moods, TODAY) == []


@pytest.mark.parametrize(
    "moods",
    [
        (1, 1, 2),  # today is not at 1
        (1, 1, None),  # no check-in today yet
        (1, 2, 1),  # a better day in the middle
        (1, 1),  # two days only
    ],
)
def test_anything_short_of_the_run_ending_today_is_not_a_run(moods: tuple[int | None, ...]) -> None:
    # Given the last days' moods / When judged today / Then no run is found
    assert sustained_low_mood(days(TODAY, *moods), TODAY) == []


def test_the_run_length_is_a_parameter() -> None:
    # Given two days at mood 1
    moods = days(TODAY, 3, 1, 1)
    # When judged with runs of two, then of three / Then only the shorter rule finds it
    assert sustained_low_mood(moods, TODAY, days_in_a_row=2) == [LOW_MOOD_RUN]
    assert sustained_low_mood(moods, TODAY, days_in_a_row=3) == []


def test_true_is_not_a_mood_of_1() -> None:
    # Given a history holding True where a mood belongs (bool is an int in Python)
    moods = days(TODAY, 1, 1, 1) | {TODAY: True}
    # When judged / Then True does not count as mood 1
    assert sustained_low_mood(moods, TODAY) == []


def test_days_after_today_are_not_read() -> None:
    # Given a week at 5, today at 5, and (written later, for later days) six days at 1
    later = {TODAY + dt.timedelta(days=n): 1 for n in range(1, 7)}
    moods = week(TODAY - dt.timedelta(days=7), 5) | {TODAY: 5} | later
    # When judged today / Then the later days make neither a run nor a drop
    assert sustained_low_mood(moods, TODAY) == []


# --- Weekly average drop ----------------------------------------------------------------


def test_a_drop_of_exactly_two_points_is_flagged() -> None:
    # Given a week at 5 then a week at 3 ending today
    moods = week(TODAY - dt.timedelta(days=7), 5) | week(TODAY, 3)
    # When judged / Then the weekly average fell by 2
    assert sustained_low_mood(moods, TODAY) == [MOOD_AVERAGE_DROP]


def test_a_drop_just_under_two_points_is_not_flagged() -> None:
    # Given a week at 5 then a week averaging 3 1/7 (one day at 4)
    moods = week(TODAY - dt.timedelta(days=7), 5) | week(TODAY, 3) | {TODAY: 4}
    # When judged / Then 1 6/7 points is not enough
    assert sustained_low_mood(moods, TODAY) == []


def test_averages_are_exact_so_thirds_do_not_round_below_the_threshold() -> None:
    # Given averages 11/3 then 5/3: a drop of exactly 2, but 1.9999999999999998 in floats
    moods = days(TODAY - dt.timedelta(days=7), 4, 4, 3) | days(TODAY, 2, 2, 1)
    # When judged / Then the drop is flagged
    assert sustained_low_mood(moods, TODAY) == [MOOD_AVERAGE_DROP]


def test_missing_days_are_left_out_of_an_average() -> None:
    # Given one check-in at 5 in the week before, and a full week at 3
    moods = {TODAY - dt.timedelta(days=10): 5} | week(TODAY, 3)
    # When judged / Then the averages are 5 and 3: a drop of 2
    assert sustained_low_mood(moods, TODAY) == [MOOD_AVERAGE_DROP]


def test_a_week_without_any_check_in_gives_no_average_to_compare() -> None:
    # Given a week at 5 fourteen days back and nothing since but today at 1
    moods = week(TODAY - dt.timedelta(days=14), 5) | {TODAY: 1}
    # When judged / Then the week before today's week is empty: no drop
    assert sustained_low_mood(moods, TODAY) == []


def test_the_weeks_meet_at_seven_days_back() -> None:
    # Given a week at 3 ending today, and a 5 exactly seven days back (the week before's
    # newest day), and a 1 fourteen days back (outside both weeks)
    moods = week(TODAY, 3) | {TODAY - dt.timedelta(days=7): 5, TODAY - dt.timedelta(days=14): 1}
    # When judged / Then the week before averages 5: a drop of 2
    assert sustained_low_mood(moods, TODAY) == [MOOD_AVERAGE_DROP]


def test_a_drop_counts_across_a_month_end() -> None:
    # Given the week of 20-26 February 2026 at 4, and 27 February - 5 March at 2
    today = dt.date(2026, 3, 5)
    moods = week(dt.date(2026, 2, 26), 4) | week(today, 2)
    # When judged on 5 March / Then the drop of 2 spans the month end
    assert sustained_low_mood(moods, today) == [MOOD_AVERAGE_DROP]


def test_the_drop_is_a_parameter() -> None:
    # Given a week at 4, then four check-ins averaging 2.5
    moods = week(TODAY - dt.timedelta(days=7), 4) | days(TODAY, 2, 3, 2, 3)
    # When judged with a drop of 1.5, then the default 2 / Then only the smaller one flags it
    assert sustained_low_mood(moods, TODAY, average_drop=1.5) == [MOOD_AVERAGE_DROP]
    assert sustained_low_mood(moods, TODAY) == []


def test_a_run_and_a_drop_together_are_both_reported_in_table_order() -> None:
    # Given a week at 4, then a week ending in three days at 1
    moods = week(TODAY - dt.timedelta(days=7), 4) | days(TODAY, 2, 2, 2, 2, 1, 1, 1)
    # When judged / Then both reasons come back, the run first
    assert sustained_low_mood(moods, TODAY) == [LOW_MOOD_RUN, MOOD_AVERAGE_DROP]


@pytest.mark.parametrize(
    "bad",
    [{"days_in_a_row": 0}, {"days_in_a_row": True}, {"days_in_a_row": 2.5}],
)
def test_a_run_length_that_is_not_a_positive_whole_number_is_refused(bad: dict[str, Any]) -> None:
    # Given / When the run length is not a whole number of days / Then it is refused
    with pytest.raises(ValueError, match="days_in_a_row"):
        sustained_low_mood({}, TODAY, **bad)


@pytest.mark.parametrize("drop", [0.0, -1.0, float("nan"), float("inf")])
def test_a_drop_that_is_not_a_finite_positive_number_is_refused(drop: float) -> None:
    # Given / When the drop is zero, negative or not finite / Then it is refused
    with pytest.raises(ValueError, match="average_drop"):
        sustained_low_mood({}, TODAY, average_drop=drop)
