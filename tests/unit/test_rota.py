"""The duty rota: who is on duty at an instant in the org's zone, and what a rota leaves open."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.orgs.rota import (
    DAYS,
    Gap,
    Slot,
    day_gaps,
    minutes,
    on_duty,
    override_dates_around,
    override_warnings,
    parse_slot,
    schedule_warnings,
    slot_length,
    slot_to_item,
    weekly_gaps,
    weekly_overlaps,
)

NO_OVERRIDES: Mapping[date, Sequence[Slot]] = {}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: str) -> datetime:
    """A local wall time in `zone` (an instant, as the caller would pass it)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def weekly(day: str, start: str, end: str, primary: str = "p1", **more: str) -> Slot:
    return Slot(start=start, end=end, primary=primary, duty_officer="do1", day=day, **more)


def override(start: str, end: str, primary: str = "o1") -> Slot:
    return Slot(start=start, end=end, primary=primary, duty_officer="do2")


def every_day(start: str, end: str) -> list[Slot]:
    return [weekly(day, start, end) for day in DAYS]


# --- on_duty: plain matches ------------------------------------------------------------

# 2026-11-23 is a Monday.


def test_day_slot_covers_its_local_time() -> None:
    # Given Monday 08:00–18:00 in London with a backup
    rota = [weekly("mon", "08:00", "18:00", "alice", backup="bob")]
    # When asked at Monday 12:00 local
    found = on_duty(local("2026-11-23T12:00", "Europe/London"), "Europe/London", rota, {}, "fb")
    # Then the slot's people are on duty, from the weekly rota, slot started that date
    assert (found.primary, found.backup, found.duty_officer) == ("alice", "bob", "do1")
    assert (found.source, found.slot, found.slot_date) == ("weekly", rota[0], date(2026, 11, 23))


@pytest.mark.parametrize(
    ("wall", "covered"),
    [
        pytest.param("2026-11-23T07:59:59", False, id="just-before-start"),
        pytest.param("2026-11-23T08:00:00", True, id="start-inclusive"),
        pytest.param("2026-11-23T17:59:59", True, id="last-second"),
        pytest.param("2026-11-23T18:00:00", False, id="end-exclusive"),
    ],
)
def test_slot_includes_its_start_and_excludes_its_end(wall: str, covered: bool) -> None:
    # Given Monday 08:00–18:00 in UTC
    rota = [weekly("mon", "08:00", "18:00")]
    # When asked around the slot's edges
    found = on_duty(utc(wall), "UTC", rota, NO_OVERRIDES, "fb")
    # Then only [start, end) is covered
    assert (found.source == "weekly") is covered


def test_overnight_slot_covers_the_next_date_after_midnight() -> None:
    # Given Tuesday 22:00–06:00
    rota = [weekly("tue", "22:00", "06:00", "night")]
    # When asked at Wednesday 03:00
    found = on_duty(utc("2026-11-25T03:00"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then Tuesday's slot covers it, and it started on Tuesday's date
    assert (found.primary, found.slot_date) == ("night", date(2026, 11, 24))


def test_overnight_slot_does_not_cover_the_morning_before_it_starts() -> None:
    # Given Tuesday 22:00–06:00 only
    rota = [weekly("tue", "22:00", "06:00", "night")]
    # When asked at Tuesday 03:00 (the tail belongs to Wednesday morning)
    found = on_duty(utc("2026-11-24T03:00"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then nobody from the rota is on duty
    assert found.source == "fallback"


def test_sunday_night_slot_covers_monday_morning_across_the_week_wrap() -> None:
    # Given Sunday 22:00–06:00
    rota = [weekly("sun", "22:00", "06:00", "weekend")]
    # When asked at Monday 05:00
    found = on_duty(utc("2026-11-23T05:00"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then the Sunday slot covers it, started on Sunday 22 November
    assert (found.primary, found.slot_date) == ("weekend", date(2026, 11, 22))


@pytest.mark.parametrize(
    ("wall", "covered"),
    [
        pytest.param("2026-11-25T08:00", True, id="start"),
        pytest.param("2026-11-26T07:59", True, id="next-day-last-minute"),
        pytest.param("2026-11-26T08:00", False, id="next-day-end"),
    ],
)
def test_slot_with_end_equal_to_start_lasts_exactly_24_hours(wall: str, covered: bool) -> None:
    # Given Wednesday 08:00–08:00 and nothing else
    rota = [weekly("wed", "08:00", "08:00", "allday")]
    # When asked across the following 24 hours
    found = on_duty(utc(wall), "UTC", rota, NO_OVERRIDES, "fb")
    # Then it covers from Wednesday 08:00 up to, not including, Thursday 08:00
    assert (found.primary == "allday") is covered


# --- on_duty: overrides and fallback ---------------------------------------------------


def test_override_replaces_the_weekly_slots_of_its_date() -> None:
    # Given a weekly Friday 08:00–18:00 and an override for Friday 25 December
    rota = [weekly("fri", "08:00", "18:00", "usual")]
    overrides = {date(2026, 12, 25): [override("10:00", "14:00", "holiday")]}
    # When asked at 09:00 and 12:00 that day
    early = on_duty(utc("2026-12-25T09:00"), "UTC", rota, overrides, "fb")
    midday = on_duty(utc("2026-12-25T12:00"), "UTC", rota, overrides, "fb")
    # Then the weekly slot is gone and the override's slot covers its own hours
    assert (early.source, early.primary) == ("fallback", None)
    assert (midday.source, midday.primary, midday.duty_officer) == ("override", "holiday", "do2")


def test_previous_nights_weekly_tail_still_covers_an_override_dates_morning() -> None:
    # Given Thursday 22:00–06:00 weekly and an override for Friday 25 December
    rota = [weekly("thu", "22:00", "06:00", "night")]
    overrides = {date(2026, 12, 25): [override("10:00", "14:00", "holiday")]}
    # When asked at 05:00 on the override date
    found = on_duty(utc("2026-12-25T05:00"), "UTC", rota, overrides, "fb")
    # Then Thursday night's weekly slot still covers it
    assert (found.source, found.primary, found.slot_date) == ("weekly", "night", date(2026, 12, 24))


def test_override_of_the_previous_date_removes_that_nights_tail() -> None:
    # Given Thursday 22:00–06:00 weekly, but Thursday 24 December is overridden with no one
    rota = [weekly("thu", "22:00", "06:00", "night")]
    overrides: dict[date, Sequence[Slot]] = {date(2026, 12, 24): []}
    # When asked at 05:00 on Friday 25 December
    found = on_duty(utc("2026-12-25T05:00"), "UTC", rota, overrides, "fb")
    # Then no slot covers it
    assert found.source == "fallback"


def test_empty_override_leaves_the_day_to_the_fallback_duty_officer() -> None:
    # Given a 24/7 weekly rota and an empty override for 25 December
    overrides: dict[date, Sequence[Slot]] = {date(2026, 12, 25): []}
    # When asked at noon that day
    found = on_duty(utc("2026-12-25T12:00"), "UTC", every_day("00:00", "00:00"), overrides, "fb")
    # Then nobody is scheduled: the fallback duty officer alone
    assert (found.primary, found.backup, found.duty_officer, found.source) == (
        None,
        None,
        "fb",
        "fallback",
    )


def test_gap_goes_to_the_given_fallback_duty_officer() -> None:
    # Given only Monday 08:00–18:00
    rota = [weekly("mon", "08:00", "18:00")]
    # When asked on Monday at 20:00
    found = on_duty(utc("2026-11-23T20:00"), "UTC", rota, NO_OVERRIDES, "officer-7")
    # Then the given fallback officer has it, with no slot and no slot date
    assert (found.duty_officer, found.primary, found.slot, found.slot_date) == (
        "officer-7",
        None,
        None,
        None,
    )


def test_gap_without_a_fallback_officer_has_nobody() -> None:
    # Given no slots and no fallback duty officer
    # When asked at any time
    found = on_duty(utc("2026-11-23T20:00"), "UTC", [], NO_OVERRIDES, None)
    # Then nobody is named
    assert (found.source, found.duty_officer) == ("fallback", None)


# --- on_duty: overlaps ------------------------------------------------------------------


def test_later_start_wins_where_slots_overlap_on_the_same_date() -> None:
    # Given Monday 08:00–18:00 and a swap Monday 17:00–20:00 listed first
    rota = [weekly("mon", "17:00", "20:00", "swap"), weekly("mon", "08:00", "18:00", "day")]
    # When asked at 17:30, inside both
    found = on_duty(utc("2026-11-23T17:30"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then the later start wins
    assert found.primary == "swap"


def test_slot_starting_today_beats_the_previous_nights_tail() -> None:
    # Given Sunday 20:00–08:00 and Monday 06:00–14:00
    rota = [weekly("mon", "06:00", "14:00", "early"), weekly("sun", "20:00", "08:00", "night")]
    # When asked at Monday 07:00, inside both
    found = on_duty(utc("2026-11-23T07:00"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then Monday's slot wins although its start time of day is earlier than Sunday's
    assert (found.primary, found.slot_date) == ("early", date(2026, 11, 23))


def test_same_start_goes_to_the_first_listed() -> None:
    # Given two Monday slots starting together
    rota = [weekly("mon", "08:00", "12:00", "first"), weekly("mon", "08:00", "18:00", "second")]
    # When asked at 09:00
    found = on_duty(utc("2026-11-23T09:00"), "UTC", rota, NO_OVERRIDES, "fb")
    # Then the first one listed wins
    assert found.primary == "first"


# --- on_duty: zones and DST ------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "night_start", "at", "covered"),
    [
        # New York springs forward on Sun 8 March 2026 (02:00 EST -> 03:00 EDT, UTC-4 after)
        pytest.param(
            "America/New_York", "2026-03-07", "2026-03-08T09:30", True, id="ny-spring-0530"
        ),
        pytest.param(
            "America/New_York", "2026-03-07", "2026-03-08T10:30", False, id="ny-spring-0630"
        ),
        # ... and falls back on Sun 1 November 2026 (02:00 EDT -> 01:00 EST, UTC-5 after)
        pytest.param("America/New_York", "2026-10-31", "2026-11-01T10:30", True, id="ny-fall-0530"),
        pytest.param(
            "America/New_York", "2026-10-31", "2026-11-01T11:30", False, id="ny-fall-0630"
        ),
        # London springs forward on Sun 29 March 2026 (01:00 GMT -> 02:00 BST, UTC+1 after)
        pytest.param("Europe/London", "2026-03-28", "2026-03-29T04:30", True, id="ldn-spring-0530"),
        pytest.param(
            "Europe/London", "2026-03-28", "2026-03-29T05:30", False, id="ldn-spring-0630"
        ),
        # ... and falls back on Sun 25 October 2026 (02:00 BST -> 01:00 GMT, UTC+0 after)
        pytest.param("Europe/London", "2026-10-24", "2026-10-25T05:30", True, id="ldn-fall-0530"),
        pytest.param("Europe/London", "2026-10-24", "2026-10-25T06:30", False, id="ldn-fall-0630"),
    ],
)
def test_overnight_slot_ends_at_its_local_wall_time_on_dst_nights(
    zone: str, night_start: str, at: str, covered: bool
) -> None:
    # Given Saturday 22:00–06:00 local, on the night the clocks change
    rota = [weekly("sat", "22:00", "06:00", "night")]
    # When asked at 05:30 or 06:30 local Sunday (given here in UTC)
    found = on_duty(utc(at), zone, rota, NO_OVERRIDES, "fb")
    # Then it still ends at 06:00 local: 05:30 is covered, 06:30 is not
    assert found.local_time.date() == date.fromisoformat(night_start) + timedelta(days=1)
    assert (found.primary == "night") is covered
    if covered:
        assert found.slot_date == date.fromisoformat(night_start)


def test_shanghai_local_tuesday_while_utc_is_still_monday() -> None:
    # Given a Shanghai rota: Monday 09:00–17:00 and Tuesday 00:00–08:00
    rota = [weekly("mon", "09:00", "17:00", "utc-trap"), weekly("tue", "00:00", "08:00", "early")]
    # When asked at 16:30 UTC on Monday 23 November (00:30 Tuesday in Shanghai)
    found = on_duty(utc("2026-11-23T16:30"), "Asia/Shanghai", rota, NO_OVERRIDES, "fb")
    # Then the local Tuesday slot covers it, and the local time is reported
    assert (found.primary, found.slot_date) == ("early", date(2026, 11, 24))
    assert found.local_time.replace(tzinfo=None) == datetime(2026, 11, 24, 0, 30)


def test_non_utc_aware_instant_is_read_in_the_org_zone() -> None:
    # Given Monday 08:00–18:00 in UTC, and an instant written with a +09:00 offset
    rota = [weekly("mon", "08:00", "18:00", "day")]
    at = datetime(2026, 11, 23, 18, 0, tzinfo=timezone(timedelta(hours=9)))  # 09:00 UTC
    # When asked for a UTC organisation
    found = on_duty(at, "UTC", rota, NO_OVERRIDES, "fb")
    # Then it is Monday 09:00 there
    assert found.primary == "day"


def test_naive_instant_is_refused() -> None:
    # Given an instant without a time zone
    # When asked who is on duty
    # Then it is refused: the wall time would be ambiguous
    with pytest.raises(ValueError, match="timezone-aware"):
        on_duty(datetime(2026, 11, 23, 12, 0), "UTC", [], NO_OVERRIDES, "fb")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_zone_is_a_value_error(zone: str) -> None:
    # Given a zone that is not an IANA name
    # When asked who is on duty
    # Then ValueError, not a KeyError from zoneinfo
    with pytest.raises(ValueError, match="time zone"):
        on_duty(utc("2026-11-23T12:00"), zone, [], NO_OVERRIDES, "fb")


# --- override_dates_around ------------------------------------------------------------


class RecordingOverrides(Mapping[date, Sequence[Slot]]):
    """Overrides that remember which dates were asked about."""

    def __init__(self) -> None:
        self.asked: set[date] = set()

    def __contains__(self, key: object) -> bool:
        if isinstance(key, date):
            self.asked.add(key)
        return False

    def __getitem__(self, key: date) -> Sequence[Slot]:
        self.asked.add(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[date]:
        return iter(())

    def __len__(self) -> int:
        return 0


INSTANTS = [
    utc("2026-11-23T00:00"),
    utc("2026-11-23T09:59"),
    utc("2026-11-23T10:00"),
    utc("2026-11-23T11:59"),
    utc("2026-11-23T12:00"),
    utc("2026-11-23T23:59:59"),
    utc("2026-12-31T23:30"),
]
EXTREME_ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Asia/Shanghai"]


@pytest.mark.parametrize("zone", EXTREME_ZONES)
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: at.isoformat())
def test_override_dates_around_hold_the_local_date_and_its_eve_in_any_zone(
    at: datetime, zone: str
) -> None:
    # Given an instant and a zone from UTC-12 to UTC+14
    today = at.astimezone(ZoneInfo(zone)).date()
    # When the dates to fetch are computed without the zone
    dates = override_dates_around(at)
    # Then they include the local date and the day before
    assert {today, today - timedelta(days=1)} <= set(dates)


@pytest.mark.parametrize("zone", EXTREME_ZONES)
@pytest.mark.parametrize("at", INSTANTS, ids=lambda at: at.isoformat())
def test_on_duty_reads_only_override_dates_around_the_instant(at: datetime, zone: str) -> None:
    # Given overrides that record every date looked up
    overrides = RecordingOverrides()
    # When on_duty runs for that instant and zone
    on_duty(at, zone, every_day("22:00", "06:00"), overrides, "fb")
    # Then every date it asked about was in the batch fetched beforehand
    assert overrides.asked
    assert overrides.asked <= set(override_dates_around(at))


def test_override_dates_around_are_four_consecutive_dates() -> None:
    # Given 10:00 UTC on 23 November
    # When the dates to fetch are computed
    dates = override_dates_around(utc("2026-11-23T10:00"))
    # Then they are the UTC date minus two through plus one, in order
    assert dates == [date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)]


def test_override_dates_around_refuses_a_naive_instant() -> None:
    # Given a naive instant
    # When the dates are asked for
    # Then ValueError
    with pytest.raises(ValueError, match="timezone-aware"):
        override_dates_around(datetime(2026, 11, 23, 10, 0))


def test_override_dates_around_stays_inside_the_calendar() -> None:
    # Given the first instant of year 1 in UTC
    # When the dates are asked for
    dates = override_dates_around(datetime(1, 1, 1, tzinfo=UTC))
    # Then only dates that exist come back, instead of an OverflowError
    assert dates == [date(1, 1, 1), date(1, 1, 2)]


# --- minutes and lengths ---------------------------------------------------------------


@pytest.mark.parametrize(("hhmm", "expected"), [("00:00", 0), ("08:30", 510), ("23:59", 1439)])
def test_minutes_counts_from_local_midnight(hhmm: str, expected: int) -> None:
    # Given a wall time / When converted / Then minutes since midnight
    assert minutes(hhmm) == expected


@pytest.mark.parametrize("hhmm", ["24:00", "8:00", "08:60", "08:00\n", "٠٨:٠٠", "08-00", ""])
def test_minutes_refuses_anything_but_hh_mm(hhmm: str) -> None:
    # Given a malformed time (including a trailing newline and non-ASCII digits)
    # When converted / Then ValueError
    with pytest.raises(ValueError, match="HH:MM"):
        minutes(hhmm)


@pytest.mark.parametrize(
    ("start", "end", "length"),
    [
        ("08:00", "18:00", 600),
        ("22:00", "06:00", 480),
        ("08:00", "08:00", 1440),
        ("23:59", "00:00", 1),
    ],
)
def test_slot_length_wraps_past_midnight(start: str, end: str, length: int) -> None:
    # Given a slot / When its length is read / Then it is 1..1440 minutes, wrapping at midnight
    assert slot_length(weekly("mon", start, end)) == length


# --- weekly_gaps and weekly_overlaps ---------------------------------------------------


def test_full_coverage_has_no_gaps() -> None:
    # Given day and night slots every day, the nights spilling into the next morning
    rota = every_day("08:00", "20:00") + every_day("20:00", "08:00")
    # When gaps are computed / Then there are none
    assert weekly_gaps(rota) == []


def test_empty_rota_is_seven_whole_day_gaps() -> None:
    # Given no slots / When gaps are computed / Then every day is a gap, in week order
    assert weekly_gaps([]) == [Gap(day, "00:00", "24:00") for day in DAYS]


def test_missing_night_is_a_gap_split_at_midnight() -> None:
    # Given every day 08:00–20:00 with nights 20:00–08:00 on all but Wednesday
    rota = every_day("08:00", "20:00") + [
        weekly(day, "20:00", "08:00") for day in DAYS if day != "wed"
    ]
    # When gaps are computed
    gaps = weekly_gaps(rota)
    # Then Wednesday night is a gap, cut at midnight into two days
    assert gaps == [Gap("wed", "20:00", "24:00"), Gap("thu", "00:00", "08:00")]


def test_sunday_night_slot_closes_the_monday_morning_gap() -> None:
    # Given every day 06:00–22:00, and nights 22:00–06:00 except Saturday's
    rota = every_day("06:00", "22:00") + [
        weekly(day, "22:00", "06:00") for day in DAYS if day != "sat"
    ]
    # When gaps are computed
    gaps = weekly_gaps(rota)
    # Then Monday morning is covered by Sunday night across the week wrap
    assert gaps == [Gap("sat", "22:00", "24:00"), Gap("sun", "00:00", "06:00")]


def test_sunday_night_tail_is_the_only_cover_on_monday_morning() -> None:
    # Given only Sunday 22:00–02:00
    rota = [weekly("sun", "22:00", "02:00")]
    # When gaps are computed
    gaps = weekly_gaps(rota)
    # Then Monday starts covered until 02:00; the rest of the week is open
    assert gaps[0] == Gap("mon", "02:00", "24:00")
    assert gaps[-1] == Gap("sun", "00:00", "22:00")
    assert len(gaps) == 7


def test_overlapping_slots_are_paired_in_week_order() -> None:
    # Given Monday 17:00–20:00 listed before Monday 08:00–18:00, plus Tuesday
    late = weekly("mon", "17:00", "20:00", "swap")
    day = weekly("mon", "08:00", "18:00", "day")
    rota = [late, day, weekly("tue", "08:00", "18:00")]
    # When overlaps are computed / Then only the Monday pair, earlier start first
    assert weekly_overlaps(rota) == [(day, late)]


def test_adjacent_slots_do_not_overlap() -> None:
    # Given 08:00–18:00 and 18:00–08:00 every day
    rota = every_day("08:00", "18:00") + every_day("18:00", "08:00")
    # When overlaps are computed / Then none: an end is exclusive
    assert weekly_overlaps(rota) == []


def test_sunday_night_overlaps_monday_morning_across_the_wrap() -> None:
    # Given Sunday 22:00–06:00 and Monday 05:00–07:00
    sunday = weekly("sun", "22:00", "06:00", "night")
    monday = weekly("mon", "05:00", "07:00", "early")
    # When overlaps are computed
    pairs = weekly_overlaps([sunday, monday])
    # Then they overlap (Monday comes first in week order)
    assert pairs == [(monday, sunday)]


# --- day_gaps --------------------------------------------------------------------------


def test_day_gaps_count_the_previous_nights_tail_but_not_the_days_spill() -> None:
    # Given an override for Friday 25 December 10:00–02:00 and Thursday night 22:00–06:00
    gaps = day_gaps(
        date(2026, 12, 25),
        [override("10:00", "02:00")],
        [weekly("thu", "22:00", "06:00"), weekly("thu", "08:00", "18:00")],
    )
    # Then 06:00–10:00 is the only gap: Thursday's day slot and the override's spill don't count
    assert gaps == [Gap("fri", "06:00", "10:00")]


def test_empty_override_day_without_a_tail_is_one_whole_day_gap() -> None:
    # Given an empty override and a previous day ending before midnight
    gaps = day_gaps(date(2026, 12, 25), [], [weekly("thu", "08:00", "18:00")])
    # Then the whole date is a gap, named by its weekday
    assert gaps == [Gap("fri", "00:00", "24:00")]


def test_day_gaps_count_a_24_hour_slot_of_the_previous_day() -> None:
    # Given the previous day 08:00–08:00 (24 h) and an override from 09:00 to midnight
    gaps = day_gaps(
        date(2026, 12, 25), [override("09:00", "00:00")], [weekly("thu", "08:00", "08:00")]
    )
    # Then 08:00–09:00 is the only gap
    assert gaps == [Gap("fri", "08:00", "09:00")]


# --- warnings ---------------------------------------------------------------------------


def test_schedule_warnings_name_each_gap_and_overlap() -> None:
    # Given Monday 08:00–18:00 and 17:00–20:00, the rest of Monday and the week open
    rota = [weekly("mon", "08:00", "18:00"), weekly("mon", "17:00", "20:00")]
    # When warnings are computed
    warnings = schedule_warnings(rota)
    # Then the first gap, the overlap and one per remaining day are reported
    assert warnings[0] == "No one is on duty Mon 00:00–08:00; alerts then go to the duty officer."
    assert (
        warnings[-1] == "Slots Mon 08:00–18:00 and Mon 17:00–20:00 overlap; the later start wins."
    )
    assert len(warnings) == 2 + 6 + 1


def test_schedule_warnings_say_the_first_listed_wins_on_equal_starts() -> None:
    # Given every day covered, and two Monday slots starting together
    rota = [*every_day("00:00", "00:00"), weekly("mon", "00:00", "06:00")]
    # When warnings are computed / Then the tie rule is the one stated
    assert schedule_warnings(rota) == [
        "Slots Mon 00:00–00:00 and Mon 00:00–06:00 overlap; the first one listed wins."
    ]


def test_override_warnings_name_the_date_and_the_gap() -> None:
    # Given an override 08:00–00:00 after a previous day with no night slot
    warnings = override_warnings(date(2026, 12, 25), [override("08:00", "00:00")], [])
    # Then the uncovered morning is named with its date and weekday
    assert warnings == [
        "No one is on duty on 2026-12-25 (Fri 00:00–08:00); alerts then go to the duty officer."
    ]


# --- parse_slot ------------------------------------------------------------------------

GOOD = {"day": "mon", "start": "08:00", "end": "18:00", "primary": "u1", "duty_officer": "u2"}


def test_slot_round_trips_through_its_item() -> None:
    # Given a weekly slot with a backup and an override slot without one
    slots = [
        (Slot("22:00", "06:00", "u1", "u2", backup="u3", day="sun"), True),
        (Slot("08:00", "08:00", "u1", "u1"), False),
    ]
    for slot, is_weekly in slots:
        # When written as an item and read back
        item = slot_to_item(slot)
        # Then it is the same slot, and None fields are left out of the item
        assert parse_slot(item, weekly=is_weekly) == slot
        assert None not in item.values()
    assert "backup" not in slot_to_item(slots[1][0]) and "day" not in slot_to_item(slots[1][0])


def test_null_backup_reads_as_no_backup() -> None:
    # Given JSON with "backup": null / When parsed / Then there is no backup
    assert parse_slot({**GOOD, "backup": None}, weekly=True).backup is None


@pytest.mark.parametrize(
    ("change", "weekly_slot", "message"),
    [
        pytest.param({"colour": "red"}, True, "unexpected field", id="extra-field"),
        pytest.param({"start": None}, True, "missing: start", id="missing-start"),
        pytest.param({"duty_officer": None}, True, "missing: duty_officer", id="missing-officer"),
        pytest.param({"day": None}, True, "missing: day", id="weekly-without-day"),
        pytest.param({"day": "monday"}, True, "day must be one of", id="bad-day"),
        pytest.param({}, False, "day belongs to weekly slots", id="override-with-day"),
        pytest.param({"start": "8:00"}, True, "start must be", id="start-one-digit-hour"),
        pytest.param({"end": "24:00"}, True, "end must be", id="end-24"),
        pytest.param({"end": "12:60"}, True, "end must be", id="end-minute-60"),
        pytest.param({"start": "08:00\n"}, True, "start must be", id="start-newline"),
        pytest.param({"start": 800}, True, "start must be", id="start-number"),
        pytest.param({"primary": ""}, True, "primary must be a user id", id="primary-empty"),
        pytest.param({"primary": "  "}, True, "primary must be a user id", id="primary-blank"),
        pytest.param({"primary": 7}, True, "primary must be a user id", id="primary-number"),
        pytest.param({"primary": "x" * 129}, True, "1 to 128", id="primary-too-long"),
        pytest.param({"backup": ""}, True, "backup must be a user id", id="backup-empty"),
        pytest.param({"duty_officer": ["a"]}, True, "duty_officer must", id="officer-list"),
        pytest.param(
            {"backup": "u1"}, True, "different person from primary", id="backup-is-primary"
        ),
    ],
)
def test_parse_slot_refuses_bad_input_with_a_message_naming_the_field(
    change: dict[str, object], weekly_slot: bool, message: str
) -> None:
    # Given a slot with one thing wrong
    value = {**GOOD, **change}
    # When parsed / Then ValueError says what is wrong
    with pytest.raises(ValueError, match=message):
        parse_slot(value, weekly=weekly_slot)


MARKED = "<script>MARK</script>"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({**GOOD, MARKED: "1"}, id="unknown-field-name"),
        pytest.param({**GOOD, "start": MARKED}, id="bad-time"),
        pytest.param({**GOOD, "primary": MARKED * 20}, id="too-long-id"),
    ],
)
def test_parse_slot_does_not_echo_the_input(value: dict[str, object]) -> None:
    # Given a value or an unknown field name that carries marked text
    # When parsed
    with pytest.raises(ValueError) as refused:
        parse_slot(value, weekly=True)
    # Then the message does not contain it
    assert "MARK" not in str(refused.value)


def test_parse_slot_accepts_a_128_character_id() -> None:
    # Given an id at the length limit / When parsed / Then it is kept
    assert parse_slot({**GOOD, "primary": "x" * 128}, weekly=True).primary == "x" * 128
