"""Check-in decisions: dating a check-in on the member's local day, and the summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from functions.checkins.logic import build_checkin, summarise
from functions.checkins.models import MAX_DAYS_BACK, CheckinIn, LatestBand, Summary
from shared.errors import InvalidInput
from shared.scoring import score_gad2, score_gad7, score_phq2, score_phq9

SHANGHAI = "Asia/Shanghai"
# 18:00 UTC on 1 May is 02:00 on 2 May in Shanghai: the UTC date and the local date differ.
NOW = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
LOCAL_TODAY = dt.date(2026, 5, 2)
TODAY = LOCAL_TODAY


def checkin_in(**fields: Any) -> CheckinIn:
    return CheckinIn.model_validate({"mood": 3} | fields)


def day(offset: int) -> dt.date:
    return TODAY - dt.timedelta(days=offset)


def stored(offset: int, mood: int = 3, **scores: Any) -> dict[str, Any]:
    """A stored item as the repository yields it for a summary (date, mood, scores)."""
    return {
        "date": day(offset).isoformat(),
        "mood": mood,
        "scores": {name: score.model_dump(mode="json") for name, score in scores.items()},
    }


class Counting:
    """An iterable that counts how many items the consumer pulled."""

    def __init__(self, items: Iterable[dict[str, Any]]) -> None:
        self._items = items
        self.pulled = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self._items:
            self.pulled += 1
            yield item


# --- build_checkin -----------------------------------------------------------------------


def test_default_date_is_the_members_local_today_not_the_utc_date() -> None:
    # Given a check-in without a date at 02:00 Shanghai time (still 1 May in UTC)
    # When built for a member in Shanghai
    checkin = build_checkin(checkin_in(), SHANGHAI, NOW)
    # Then it is dated 2 May, the member's own day
    assert NOW.date() == dt.date(2026, 5, 1)
    assert checkin.date == LOCAL_TODAY


def test_same_instant_is_dated_on_the_previous_day_for_a_member_in_los_angeles() -> None:
    # Given the same instant (11:00 on 1 May in Los Angeles)
    # When built for a member in Los Angeles
    checkin = build_checkin(checkin_in(), "America/Los_Angeles", NOW)
    # Then it is dated 1 May
    assert checkin.date == dt.date(2026, 5, 1)


@pytest.mark.parametrize(
    "past",
    [day(1), day(30), day(MAX_DAYS_BACK)],
    ids=["yesterday", "a-month-ago", "oldest-allowed"],
)
def test_explicit_past_date_is_kept(past: dt.date) -> None:
    # Given a check-in for a past day within the allowed range
    # When built
    checkin = build_checkin(checkin_in(date=past.isoformat()), SHANGHAI, NOW)
    # Then that day is kept
    assert checkin.date == past


def test_local_today_given_explicitly_is_accepted_even_though_it_is_tomorrow_in_utc() -> None:
    # Given 2 May given explicitly while the UTC date is still 1 May
    # When built for a member in Shanghai
    checkin = build_checkin(checkin_in(date="2026-05-02"), SHANGHAI, NOW)
    # Then it is not treated as a future day
    assert checkin.date == dt.date(2026, 5, 2)


def test_future_local_date_is_refused() -> None:
    # Given 3 May, tomorrow for the member in Shanghai
    # When built / Then it is refused
    with pytest.raises(InvalidInput, match="future"):
        build_checkin(checkin_in(date="2026-05-03"), SHANGHAI, NOW)


def test_local_today_of_shanghai_is_a_future_date_for_los_angeles() -> None:
    # Given 2 May while it is still 1 May in Los Angeles
    # When built for a member in Los Angeles / Then it is refused as future
    with pytest.raises(InvalidInput, match="future"):
        build_checkin(checkin_in(date="2026-05-02"), "America/Los_Angeles", NOW)


def test_date_more_than_max_days_back_is_refused() -> None:
    # Given a day one further back than allowed
    too_old = day(MAX_DAYS_BACK + 1)
    # When built / Then it is refused
    with pytest.raises(InvalidInput, match=f"{MAX_DAYS_BACK} days"):
        build_checkin(checkin_in(date=too_old.isoformat()), SHANGHAI, NOW)


def test_phq9_item9_positive_is_scored_and_assessed_as_high_risk() -> None:
    # Given a PHQ-9 whose only non-zero answer is item 9
    payload = checkin_in(mood=3, instruments={"phq9": [0, 0, 0, 0, 0, 0, 0, 0, 1]})
    # When built
    checkin = build_checkin(payload, SHANGHAI, NOW)
    # Then the score is kept and the risk is high with the item 9 reason and the C-SSRS offer
    assert checkin.scores["phq9"] == score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert checkin.scores["phq9"].flags == ["item9_positive"]
    assert checkin.risk.level == "high"
    assert checkin.risk.reasons == ["phq9_item9_positive"]
    assert checkin.risk.recommended_screener == "cssrs"


def test_checkin_without_instruments_has_no_scores_and_no_risk() -> None:
    # Given a plain mood check-in / When built / Then nothing is scored and there is no risk
    checkin = build_checkin(checkin_in(mood=4), SHANGHAI, NOW)
    assert (checkin.scores, checkin.risk.level, checkin.risk.reasons) == ({}, "none", [])


def test_instrument_with_wrong_number_of_answers_is_refused() -> None:
    # Given a PHQ-9 with 8 answers (the model allows up to 9; scoring needs exactly 9)
    payload = checkin_in(instruments={"phq9": [0] * 8})
    # When built / Then it is refused
    with pytest.raises(InvalidInput, match="exactly 9"):
        build_checkin(payload, SHANGHAI, NOW)


def test_checkin_records_the_zone_and_utc_timestamps_and_keeps_the_answers() -> None:
    # Given a full check-in
    payload = checkin_in(
        mood=2, energy=3, stress=4, sleep_hours=6.5, emotions=["tired", "anxious"], tags=["work"]
    )
    # When built
    checkin = build_checkin(payload, SHANGHAI, NOW)
    # Then the answers are kept and the times are UTC ISO 8601 with milliseconds
    assert (checkin.mood, checkin.energy, checkin.stress, checkin.sleep_hours) == (2, 3, 4, 6.5)
    assert (checkin.emotions, checkin.tags) == (["tired", "anxious"], ["work"])
    assert checkin.time_zone == SHANGHAI
    assert checkin.created_at == checkin.updated_at == "2026-05-01T18:00:00.000Z"


# --- summarise ---------------------------------------------------------------------------


def test_summary_of_an_empty_history() -> None:
    # Given no check-ins / When summarised / Then everything is empty or zero
    assert summarise([], TODAY) == Summary(
        today=TODAY,
        checked_in_today=False,
        streak_days=0,
        mood_avg_7d=None,
        mood_avg_30d=None,
        checkins_7d=0,
        checkins_30d=0,
        latest_bands={},
    )


def test_streak_counts_consecutive_days_ending_today() -> None:
    # Given check-ins today and the two days before
    history = [stored(0), stored(1), stored(2)]
    # When summarised
    summary = summarise(history, TODAY)
    # Then the streak is 3 and today is checked in
    assert (summary.streak_days, summary.checked_in_today) == (3, True)


def test_streak_still_counts_from_yesterday_when_there_is_no_checkin_today() -> None:
    # Given check-ins yesterday and the two days before, none yet today
    history = [stored(1), stored(2), stored(3)]
    # When summarised
    summary = summarise(history, TODAY)
    # Then the streak is still 3 (the day is not over), and today is not checked in
    assert (summary.streak_days, summary.checked_in_today) == (3, False)


@pytest.mark.parametrize(
    ("offsets", "streak"),
    [
        pytest.param([0, 1, 3, 4, 5], 2, id="gap-after-two-days"),
        pytest.param([1, 3, 4], 1, id="gap-after-yesterday"),
        pytest.param([0, 2, 3, 4], 1, id="gap-after-today"),
        pytest.param([2, 3, 4, 5], 0, id="last-checkin-two-days-ago"),
    ],
)
def test_a_missing_day_breaks_the_streak(offsets: list[int], streak: int) -> None:
    # Given check-ins with a day missing
    history = [stored(o) for o in offsets]
    # When summarised
    summary = summarise(history, TODAY)
    # Then only the days after the gap count
    assert summary.streak_days == streak


def test_checkin_dated_after_today_is_ignored() -> None:
    # Given a check-in dated tomorrow (the member moved west after writing it) and one today
    history = [stored(-1, mood=1), stored(0, mood=5)]
    # When summarised
    summary = summarise(history, TODAY)
    # Then only today's check-in counts
    assert (summary.streak_days, summary.checkins_7d, summary.mood_avg_7d) == (1, 1, 5.0)


def test_averages_and_counts_cover_the_last_7_and_30_local_days_only() -> None:
    # Given moods on days 0 and 6 (inside 7 days), 7 and 29 (inside 30), and 30 (outside both)
    history = [
        stored(0, mood=5),
        stored(6, mood=3),
        stored(7, mood=1),
        stored(29, mood=2),
        stored(30, mood=4),
    ]
    # When summarised
    summary = summarise(history, TODAY)
    # Then the 7-day window is days 0-6 and the 30-day window is days 0-29
    assert (summary.checkins_7d, summary.mood_avg_7d) == (2, 4.0)
    assert (summary.checkins_30d, summary.mood_avg_30d) == (4, 2.75)


def test_average_is_rounded_to_two_decimals() -> None:
    # Given moods 5, 4 and 4 this week / When summarised / Then the average is 4.33
    summary = summarise([stored(0, mood=5), stored(1, mood=4), stored(2, mood=4)], TODAY)
    assert summary.mood_avg_7d == 4.33


def test_latest_band_per_instrument_is_the_newest_one() -> None:
    # Given PHQ-9 answered on days 1 (mild) and 5 (severe), and GAD-7 only on day 40
    history = [
        stored(0),
        stored(1, phq9=score_phq9([1, 1, 1, 1, 1, 0, 0, 0, 0])),
        stored(5, phq9=score_phq9([3, 3, 3, 3, 3, 3, 2, 0, 0])),
        stored(40, gad7=score_gad7([3, 3, 3, 3, 3, 0, 0])),
    ]
    # When summarised
    summary = summarise(history, TODAY)
    # Then each instrument shows its newest result, however old
    assert summary.latest_bands == {
        "phq9": LatestBand(band="mild", total=5, positive=False, date=day(1)),
        "gad7": LatestBand(band="severe", total=15, positive=True, date=day(40)),
    }


def long_history(scores_today: dict[str, Any]) -> list[dict[str, Any]]:
    """400 daily check-ins, newest first, with day 3 missing (the streak is 0-2)."""
    return [stored(0, **scores_today)] + [stored(o) for o in range(1, 401) if o != 3]


def test_summary_stops_reading_once_streak_windows_and_all_bands_are_settled() -> None:
    # Given 400 daily check-ins, a streak broken at day 3, and every instrument answered today
    history = long_history(
        {
            "phq2": score_phq2([0, 1]),
            "phq9": score_phq9([0] * 9),
            "gad2": score_gad2([1, 0]),
            "gad7": score_gad7([0] * 7),
        }
    )
    assert len(history) == 400
    items = Counting(history)
    # When summarised from a lazy source
    summary = summarise(items, TODAY)
    # Then it stops at the first item older than the 30-day window (day 30: 30 items pulled)
    assert items.pulled == 30
    assert (summary.streak_days, summary.checkins_30d, len(summary.latest_bands)) == (3, 29, 4)


def test_summary_without_any_bands_reads_no_further_than_the_band_horizon() -> None:
    # Given 400 daily check-ins without instruments and a streak broken at day 3
    history = long_history({})
    assert len(history) == 400
    items = Counting(history)
    # When summarised from a lazy source
    summary = summarise(items, TODAY)
    # Then it keeps looking for a band back to MAX_DAYS_BACK days, stops at the first item
    # past that horizon (day 367), and never reads the 33 older items
    assert items.pulled == MAX_DAYS_BACK + 1
    assert items.pulled < len(history)
    assert (summary.streak_days, summary.latest_bands) == (3, {})


def test_bands_older_than_the_horizon_are_never_reported() -> None:
    # Given a PHQ-9 answered MAX_DAYS_BACK + 1 days ago and a GAD-7 even longer ago
    history = [
        stored(0),
        stored(MAX_DAYS_BACK + 1, phq9=score_phq9([3] * 9)),
        stored(MAX_DAYS_BACK + 30, gad7=score_gad7([3] * 7)),
    ]
    # When summarised
    summary = summarise(history, TODAY)
    # Then neither is reported: both are older than the horizon the summary reads to
    assert summary.latest_bands == {}
