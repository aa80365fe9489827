"""Open now: always, varies, weekly spans in the line's own zone, overnight spans and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.resources.hours import is_open
from shared.resources.model import Hours


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekly(time_zone: str, *spans: tuple[list[str], str, str]) -> Hours:
    raw: dict[str, Any] = {
        "mode": "weekly",
        "time_zone": time_zone,
        "weekly": [{"days": days, "open": start, "close": end} for days, start, end in spans],
    }
    return Hours.model_validate(raw)


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ALL_DAYS = [*WEEKDAYS, "sat", "sun"]


def test_always_is_open_at_any_instant() -> None:
    # Given a 24/7 line / When asked at 03:00 UTC on a Sunday / Then it is open
    assert is_open(Hours(mode="always"), utc("2026-05-03T03:00:00")) is True


def test_varies_is_unknown_not_closed() -> None:
    # Given a line whose hours differ by city / When asked / Then the answer is unknown (None)
    assert is_open(Hours(mode="varies", time_zone="Asia/Shanghai"), utc("2026-05-04T04:00")) is None


def test_same_instant_is_open_in_shanghai_and_closed_in_london() -> None:
    # Given two lines open 09:00-17:00 every day, one in Shanghai and one in London
    shanghai = weekly("Asia/Shanghai", (ALL_DAYS, "09:00", "17:00"))
    london = weekly("Europe/London", (ALL_DAYS, "09:00", "17:00"))
    # When asked at 02:00 UTC on 4 May 2026 (10:00 in Shanghai, 03:00 BST in London)
    moment = utc("2026-05-04T02:00:00")
    # Then the Shanghai line is open and the London line is closed
    assert (is_open(shanghai, moment), is_open(london, moment)) == (True, False)


def test_the_zone_of_the_given_instant_does_not_matter() -> None:
    # Given a Shanghai line and the same instant written in UTC and in UTC-07:00
    hours = weekly("Asia/Shanghai", (ALL_DAYS, "09:00", "17:00"))
    in_utc = utc("2026-05-04T02:00:00")
    in_minus7 = in_utc.astimezone(timezone(timedelta(hours=-7)))
    # When asked with both / Then both answers are the same (open)
    assert (is_open(hours, in_utc), is_open(hours, in_minus7)) == (True, True)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # 2026-05-08 is a Friday; Asia/Shanghai is UTC+8 all year.
        pytest.param("2026-05-08T21:59", False, id="fri-21:59-before-opening"),
        pytest.param("2026-05-08T22:00", True, id="fri-22:00-opens"),
        pytest.param("2026-05-08T23:30", True, id="fri-23:30"),
        pytest.param("2026-05-09T01:00", True, id="sat-01:00-still-open"),
        pytest.param("2026-05-09T01:59", True, id="sat-01:59"),
        pytest.param("2026-05-09T02:00", False, id="sat-02:00-closed"),
        pytest.param("2026-05-09T03:00", False, id="sat-03:00-closed"),
        pytest.param("2026-05-09T23:00", False, id="sat-23:00-no-saturday-span"),
        pytest.param("2026-05-10T01:00", False, id="sun-01:00-no-saturday-span"),
    ],
)
def test_overnight_span_runs_into_the_next_morning(local: str, expected: bool) -> None:
    # Given a line open Friday 22:00 to 02:00 (Shanghai time)
    hours = weekly("Asia/Shanghai", (["fri"], "22:00", "02:00"))
    # When asked at a Shanghai wall-clock time
    moment = datetime.fromisoformat(local).replace(tzinfo=timezone(timedelta(hours=8)))
    # Then it is open from Friday 22:00 until Saturday 02:00 only
    assert is_open(hours, moment) is expected


def test_overnight_span_on_sunday_wraps_into_monday() -> None:
    # Given a line open Sunday 22:00 to 02:00 (UTC)
    hours = weekly("UTC", (["sun"], "22:00", "02:00"))
    # When asked on Monday 4 May 2026 at 01:00 UTC
    # Then it is still open (the week wraps from Sunday to Monday)
    assert is_open(hours, utc("2026-05-04T01:00:00")) is True


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param("2026-05-06T08:59", False, id="wed-before-opening"),
        pytest.param("2026-05-06T09:00", True, id="wed-opening-minute"),
        pytest.param("2026-05-06T12:00", True, id="wed-noon"),
        pytest.param("2026-05-06T16:59", True, id="wed-last-minute"),
        pytest.param("2026-05-06T17:00", False, id="wed-closing-minute"),
        pytest.param("2026-05-09T12:00", False, id="sat-noon-weekend"),
        pytest.param("2026-05-09T19:00", True, id="sat-evening-span"),
        pytest.param("2026-05-09T23:59", True, id="sat-until-midnight"),
        pytest.param("2026-05-10T00:00", False, id="sun-midnight-closed"),
    ],
)
def test_weekly_schedule_with_weekday_and_weekend_spans(moment: str, expected: bool) -> None:
    # Given a line open 09:00-17:00 on weekdays and 18:00-24:00 on Saturdays (UTC)
    hours = weekly("UTC", (WEEKDAYS, "09:00", "17:00"), (["sat"], "18:00", "24:00"))
    # When asked at a given time / Then the opening minute counts and the closing one does not
    assert is_open(hours, utc(moment)) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday 6 March 2026: New York is on EST (UTC-5)
        pytest.param("2026-03-06T13:30:00", False, id="fri-est-08:30-closed"),
        pytest.param("2026-03-06T21:30:00", True, id="fri-est-16:30-open"),
        # Sunday 8 March 2026 07:00 UTC: clocks go forward; Monday 9 March is on EDT (UTC-4)
        pytest.param("2026-03-09T13:30:00", True, id="mon-edt-09:30-open"),
        pytest.param("2026-03-09T21:30:00", False, id="mon-edt-17:30-closed"),
    ],
)
def test_weekday_hours_follow_new_york_across_the_dst_switch(moment: str, expected: bool) -> None:
    # Given a New York line open 09:00-17:00 on weekdays
    hours = weekly("America/New_York", (WEEKDAYS, "09:00", "17:00"))
    # When asked at the same UTC time of day before and after 8 March 2026
    # Then the answer follows the local wall clock, one hour earlier in UTC after the switch
    assert is_open(hours, utc(moment)) is expected


def test_naive_instant_is_rejected() -> None:
    # Given a datetime without a zone (it could be any instant)
    hours = weekly("UTC", (ALL_DAYS, "09:00", "17:00"))
    # When / Then is_open refuses to guess
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(hours, datetime(2026, 5, 4, 12, 0))
