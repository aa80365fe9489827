"""Slots on the local wall clock (daylight saving included), ranges, zones and labels."""

from __future__ import annotations

import datetime as dt

import pytest

from functions.appointments.logic import (
    Availability,
    check_ranges,
    still_upcoming,
    time_label,
    too_late_to_change,
    zone_or_default,
)

UTC = dt.UTC


def london(weekly: dict[str, list[dict[str, str]]], **extra: object) -> Availability:
    return Availability("cou-1", "school", "Europe/London", weekly, **extra)  # type: ignore[arg-type]


def starts(availability: Availability, day: dt.date) -> list[str]:
    return [s.isoformat() for s, _ in availability.slots_on(day)]


def test_office_hours_keep_their_wall_times_across_the_spring_change() -> None:
    # Given 09:00-12:00 on Saturdays and Sundays in London
    hours = [{"start": "09:00", "end": "12:00"}]
    availability = london({"sat": hours, "sun": hours})
    # When the clocks go forward in the night of Saturday 28 to Sunday 29 March 2026
    saturday = starts(availability, dt.date(2026, 3, 28))
    sunday = starts(availability, dt.date(2026, 3, 29))
    # Then 09:00 is 09:00 GMT on Saturday and 09:00 BST (08:00 UTC) on Sunday
    assert saturday[0] == "2026-03-28T09:00:00+00:00"
    assert sunday == [
        "2026-03-29T08:00:00+00:00",
        "2026-03-29T09:00:00+00:00",
        "2026-03-29T10:00:00+00:00",
    ]


def test_a_slot_in_the_skipped_hour_does_not_exist() -> None:
    availability = london({"sun": [{"start": "00:00", "end": "04:00"}]})
    # 01:00 local does not exist on 29 March 2026: 00:00 GMT, then 02:00 and 03:00 BST
    assert starts(availability, dt.date(2026, 3, 29)) == [
        "2026-03-29T00:00:00+00:00",
        "2026-03-29T01:00:00+00:00",
        "2026-03-29T02:00:00+00:00",
    ]


def test_a_repeated_hour_in_autumn_gives_its_first_occurrence() -> None:
    availability = london({"sun": [{"start": "00:00", "end": "03:00"}]})
    assert starts(availability, dt.date(2026, 10, 25)) == [
        "2026-10-24T23:00:00+00:00",
        "2026-10-25T00:00:00+00:00",  # 01:00 BST, the first 01:00
        "2026-10-25T02:00:00+00:00",
    ]
    slot = availability.slot_at(dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC))
    assert slot is not None and slot[1] - slot[0] == dt.timedelta(minutes=50)


def test_slot_at_finds_only_slot_starts() -> None:
    availability = london({"mon": [{"start": "09:00", "end": "12:00"}]})
    monday = dt.datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert availability.slot_at(monday) is not None
    assert availability.slot_at(monday + dt.timedelta(minutes=5)) is None
    assert availability.slot_at(monday + dt.timedelta(days=1)) is None


def test_a_range_to_midnight_holds_its_last_slot() -> None:
    availability = london({"mon": [{"start": "22:00", "end": "24:00"}]})
    assert starts(availability, dt.date(2026, 11, 23)) == [
        "2026-11-23T22:00:00+00:00",
        "2026-11-23T23:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ([{"start": "10:00", "end": "09:00"}], "end after"),
        ([{"start": "09:00", "end": "11:00"}, {"start": "10:30", "end": "12:00"}], "overlap"),
        ([{"start": "09:00", "end": "09:30"}], "one slot"),
        ([{"start": "24:00", "end": "24:00"}], "24:00"),
        ([{"start": "9:00", "end": "10:00"}], "HH:MM"),
    ],
)
def test_ranges_that_cannot_hold_slots_are_refused(
    ranges: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_ranges(ranges, 50, "mon")


def test_touching_ranges_are_fine() -> None:
    check_ranges([{"start": "09:00", "end": "10:00"}, {"start": "10:00", "end": "11:00"}], 50, "x")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Europe/London", "Europe/London"),
        ("Mars/Olympus", "Asia/Shanghai"),
        ("", "Asia/Shanghai"),
        (None, "Asia/Shanghai"),
        ("../etc/passwd", "Asia/Shanghai"),
    ],
)
def test_an_unknown_organisation_zone_falls_back_to_the_default(
    name: object, expected: str
) -> None:
    assert zone_or_default(name, "Asia/Shanghai") == expected


def test_reminder_labels_are_short_local_times_in_the_members_language() -> None:
    start = dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert time_label(start, "Asia/Shanghai", "zh-CN") == "11月25日 周三 14:00"
    assert time_label(start, "Asia/Shanghai", "en") == "Wed 25 Nov 14:00"


def test_the_cut_off_and_the_upcoming_count() -> None:
    start = dt.datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    day = dt.timedelta(hours=24)
    assert not too_late_to_change(start, start - day, day)
    assert too_late_to_change(start, start - day + dt.timedelta(seconds=1), day)
    entries = ["2026-11-24T06:00:00.000Z|a", "2026-11-26T06:00:00.000Z|b"]
    assert still_upcoming(entries, dt.datetime(2026, 11, 25, tzinfo=UTC)) == [entries[1]]
