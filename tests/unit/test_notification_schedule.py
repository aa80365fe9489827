"""Reminder times, sweep slots and quiet hours on members' local wall clocks, DST included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.notifications.schedule import (
    DAYS,
    SLOT_MINUTES,
    QuietHours,
    due_in_slot,
    in_quiet_hours,
    local_day,
    next_reminder,
    parse_days,
    parse_hhmm,
    parse_zone,
    quiet_hours_end,
    slot_key,
    slot_of,
    slot_start,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
SHANGHAI = "Asia/Shanghai"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
NIGHT = QuietHours("22:00", "07:00")

# 2026-11-23 is a Monday. New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT and
# falls back 2026-11-01 02:00 EDT -> 01:00 EST; London springs forward 2026-03-29
# 01:00 GMT -> 02:00 BST and falls back 2026-10-25 02:00 BST -> 01:00 GMT.


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: str, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold)


# --- next_reminder: ordinary days ------------------------------------------------------


def test_reminder_later_today_fires_today() -> None:
    # Given a daily 20:00 reminder in London (GMT in November) and a Monday afternoon
    after = utc("2026-11-23T15:00")
    # When the next reminder is worked out
    due = next_reminder(after, "20:00", DAYS, LONDON)
    # Then it is this evening, in UTC
    assert due == utc("2026-11-23T20:00")
    assert due is not None and due.tzinfo is UTC


def test_reminder_already_past_today_fires_tomorrow() -> None:
    # Given a daily 08:00 reminder and a Monday afternoon
    after = utc("2026-11-23T15:00")
    # When the next reminder is worked out
    due = next_reminder(after, "08:00", DAYS, LONDON)
    # Then it is tomorrow morning
    assert due == utc("2026-11-24T08:00")


def test_reminder_exactly_at_after_is_not_repeated() -> None:
    # Given the instant a reminder fired
    after = utc("2026-11-23T08:00")
    # When the next one is worked out from that instant
    due = next_reminder(after, "08:00", DAYS, LONDON)
    # Then it is strictly later: the next day
    assert due == utc("2026-11-24T08:00")


def test_reminder_any_minute_not_only_quarter_hours() -> None:
    # Given a reminder at 07:43, not on a slot boundary
    after = utc("2026-11-23T00:00")
    # When the next reminder is worked out
    due = next_reminder(after, "07:43", DAYS, LONDON)
    # Then it fires at 07:43, in the slot starting 07:30
    assert due == utc("2026-11-23T07:43")
    assert slot_of(due) == "2026-11-23T07:30Z"


def test_reminder_skips_days_not_chosen() -> None:
    # Given a weekdays-only reminder and a Friday evening after it fired
    after = utc("2026-11-27T20:00")
    # When the next reminder is worked out
    due = next_reminder(after, "09:00", WEEKDAYS, LONDON)
    # Then Saturday and Sunday are skipped: Monday 09:00
    assert due == utc("2026-11-30T09:00")


def test_reminder_once_a_week_waits_a_week() -> None:
    # Given a Monday-only reminder just sent
    after = utc("2026-11-23T09:00")
    # When the next reminder is worked out
    due = next_reminder(after, "09:00", ["mon"], LONDON)
    # Then it is the following Monday
    assert due == utc("2026-11-30T09:00")


def test_reminder_day_is_the_local_day_not_the_utc_day() -> None:
    # Given a Monday-only 08:00 reminder in Shanghai (UTC+8): 08:00 Monday local is
    # 00:00 Monday UTC, and Sunday 20:00 UTC is already Monday 04:00 local
    after = utc("2026-11-22T20:00")
    # When the next reminder is worked out
    due = next_reminder(after, "08:00", ["mon"], SHANGHAI)
    # Then it fires at midnight UTC, Monday local
    assert due == utc("2026-11-23T00:00")


def test_reminder_local_morning_can_fall_on_the_previous_utc_day() -> None:
    # Given a Tuesday-only 07:00 reminder in Shanghai, asked on Monday 12:00 UTC
    after = utc("2026-11-23T12:00")
    # When the next reminder is worked out
    due = next_reminder(after, "07:00", ["tue"], SHANGHAI)
    # Then it is Monday 23:00 UTC (Tuesday 07:00 local)
    assert due == utc("2026-11-23T23:00")


def test_reminder_after_given_in_another_zone_is_the_same_instant() -> None:
    # Given `after` as a Shanghai wall time rather than UTC
    after = local("2026-11-23T09:00", SHANGHAI)  # 01:00 UTC
    # When the next reminder for London 08:00 is worked out
    due = next_reminder(after, "08:00", DAYS, LONDON)
    # Then it is the same as from the UTC instant
    assert due == next_reminder(utc("2026-11-23T01:00"), "08:00", DAYS, LONDON)
    assert due == utc("2026-11-23T08:00")


def test_reminder_with_no_days_never_fires() -> None:
    # Given a reminder with no days chosen
    # When the next reminder is worked out
    due = next_reminder(utc("2026-11-23T00:00"), "08:00", [], LONDON)
    # Then there is none
    assert due is None


# --- next_reminder: daylight saving ----------------------------------------------------


def test_reminder_in_spring_gap_fires_when_clocks_jump_new_york() -> None:
    # Given a 02:30 reminder in New York, which skips 02:00-03:00 on 2026-03-08
    after = utc("2026-03-07T12:00")
    # When the next reminder is worked out
    due = next_reminder(after, "02:30", DAYS, NEW_YORK)
    # Then it fires at 03:00 EDT, 07:00 UTC, the first instant after the gap
    assert due == utc("2026-03-08T07:00")
    assert due is not None and due.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M") == "03:00"


def test_reminder_in_spring_gap_fires_once_and_next_day_as_usual() -> None:
    # Given the gap day's 02:30 reminder just sent at 03:00 EDT
    after = utc("2026-03-08T07:00")
    # When the next reminder is worked out
    due = next_reminder(after, "02:30", DAYS, NEW_YORK)
    # Then it is the next day's 02:30 EDT
    assert due == utc("2026-03-09T06:30")


def test_reminder_in_spring_gap_fires_when_clocks_jump_london() -> None:
    # Given a 01:30 reminder in London, which skips 01:00-02:00 on 2026-03-29
    after = utc("2026-03-28T12:00")
    # When the next reminder is worked out
    due = next_reminder(after, "01:30", DAYS, LONDON)
    # Then it fires at 02:00 BST, 01:00 UTC
    assert due == utc("2026-03-29T01:00")


def test_reminder_after_spring_forward_uses_summer_offset() -> None:
    # Given an 08:00 reminder in New York the day the clocks go forward
    after = utc("2026-03-08T00:00")
    # When the next reminder is worked out
    due = next_reminder(after, "08:00", DAYS, NEW_YORK)
    # Then 08:00 EDT is 12:00 UTC, not 13:00
    assert due == utc("2026-03-08T12:00")


def test_reminder_in_repeated_hour_fires_at_first_occurrence_new_york() -> None:
    # Given a 01:30 reminder in New York, where 01:00-02:00 happens twice on 2026-11-01
    after = utc("2026-10-31T12:00")
    # When the next reminder is worked out
    due = next_reminder(after, "01:30", DAYS, NEW_YORK)
    # Then it fires at 01:30 EDT (05:30 UTC), the first time the clock reads 01:30
    assert due == utc("2026-11-01T05:30")


def test_reminder_in_repeated_hour_does_not_fire_twice_new_york() -> None:
    # Given the fall-back day's 01:30 reminder just sent at its first occurrence
    after = utc("2026-11-01T05:30")
    # When the next reminder is worked out
    due = next_reminder(after, "01:30", DAYS, NEW_YORK)
    # Then the second 01:30 (06:30 UTC) is skipped: the next is Monday 01:30 EST
    assert due == utc("2026-11-02T06:30")


def test_reminder_asked_during_repeated_hour_waits_for_next_day() -> None:
    # Given an instant in the second 01:00-02:00 (01:10 EST), after the first 01:30
    after = local("2026-11-01T01:10", NEW_YORK, fold=1)
    # When the next 01:30 reminder is worked out
    due = next_reminder(after, "01:30", DAYS, NEW_YORK)
    # Then the day's reminder has had its one firing: the next is the next day
    assert due == utc("2026-11-02T06:30")


def test_reminder_in_repeated_hour_fires_at_first_occurrence_london() -> None:
    # Given a 01:30 reminder in London, where 01:00-02:00 happens twice on 2026-10-25
    after = utc("2026-10-24T12:00")
    # When the next reminder is worked out
    due = next_reminder(after, "01:30", DAYS, LONDON)
    # Then it fires at 01:30 BST, 00:30 UTC, and then not again at 01:30 GMT
    assert due == utc("2026-10-25T00:30")
    assert next_reminder(due, "01:30", DAYS, LONDON) == utc("2026-10-26T01:30")


def test_reminder_skipped_calendar_day_fires_when_the_day_jumps() -> None:
    # Given a Friday reminder in Samoa, which skipped Friday 2011-12-30 entirely
    after = utc("2011-12-29T00:00")
    # When the next reminder is worked out
    due = next_reminder(after, "10:00", ["fri"], "Pacific/Apia")
    # Then it fires as the clocks jump to Saturday 00:00 local (10:00 UTC), not a week late
    assert due == utc("2011-12-30T10:00")


# --- next_reminder: refusals and the ends of time --------------------------------------


@pytest.mark.parametrize(
    ("reminder_time", "days", "zone"),
    [
        pytest.param("8:00", DAYS, LONDON, id="one-digit-hour"),
        pytest.param("24:00", DAYS, LONDON, id="hour-24"),
        pytest.param("08:00", ["monday"], LONDON, id="day-name-spelled-out"),
        pytest.param("08:00", "mon", LONDON, id="days-a-bare-string"),
        pytest.param("08:00", DAYS, "Mars/Olympus", id="unknown-zone"),
    ],
)
def test_reminder_refuses_malformed_preferences(
    reminder_time: str, days: list[str], zone: str
) -> None:
    # Given a malformed preference
    # When the next reminder is worked out
    # Then it is refused
    with pytest.raises(ValueError):
        next_reminder(utc("2026-11-23T00:00"), reminder_time, days, zone)


def test_reminder_refuses_naive_instant() -> None:
    # Given an instant with no zone
    # When the next reminder is worked out
    # Then it is refused rather than guessed
    with pytest.raises(ValueError, match="timezone-aware"):
        next_reminder(datetime(2026, 11, 23, 8, 0), "08:00", DAYS, LONDON)


def test_reminder_past_the_end_of_the_calendar_is_none() -> None:
    # Given the last instant a datetime holds
    after = datetime.max.replace(tzinfo=UTC)
    # When the next reminder is worked out
    due = next_reminder(after, "08:00", DAYS, LONDON)
    # Then there is none rather than an error
    assert due is None


# --- slots -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "key"),
    [
        pytest.param("2026-11-24T04:15:00", "2026-11-24T04:15Z", id="on-the-boundary"),
        pytest.param("2026-11-24T04:29:59.999999", "2026-11-24T04:15Z", id="last-microsecond"),
        pytest.param("2026-11-24T04:30:00", "2026-11-24T04:30Z", id="next-slot"),
        pytest.param("2026-11-24T23:59:59", "2026-11-24T23:45Z", id="last-of-day"),
        pytest.param("0001-01-01T00:07", "0001-01-01T00:00Z", id="year-one-padded"),
    ],
)
def test_slot_key_names_the_quarter_hour_in_utc(at: str, key: str) -> None:
    # Given an instant in UTC
    # When its slot key is taken
    # Then it names the UTC quarter hour it falls in
    assert slot_key(utc(at)) == key
    assert slot_of(utc(at)) == key


def test_slot_start_floors_to_the_quarter_hour_in_utc() -> None:
    # Given a local time in India (UTC+05:30): 10:07 IST is 04:37 UTC
    at = local("2026-11-24T10:07:42", "Asia/Kolkata")
    # When its slot starts
    start = slot_start(at)
    # Then the floor is taken in UTC, not on the local wall clock
    assert start == utc("2026-11-24T04:30")
    assert start.tzinfo is UTC
    assert slot_key(at) == "2026-11-24T04:30Z"
    assert SLOT_MINUTES == 15


def test_slot_start_refuses_naive_instant() -> None:
    # Given an instant with no zone
    # When its slot is taken
    # Then it is refused
    with pytest.raises(ValueError, match="timezone-aware"):
        slot_start(datetime(2026, 11, 24, 4, 15))


@pytest.mark.parametrize(
    ("due", "inside"),
    [
        pytest.param("2026-11-24T04:14:59.999999", False, id="just-before"),
        pytest.param("2026-11-24T04:15:00", True, id="start-inclusive"),
        pytest.param("2026-11-24T04:29:59.999999", True, id="last-microsecond"),
        pytest.param("2026-11-24T04:30:00", False, id="end-exclusive"),
    ],
)
def test_due_in_slot_includes_start_and_excludes_end(due: str, inside: bool) -> None:
    # Given the slot starting 04:15 UTC
    slot = utc("2026-11-24T04:15")
    # When a reminder's due instant is tested against it
    # Then only [04:15, 04:30) is in the slot, matching its partition key
    assert due_in_slot(slot, utc(due)) is inside
    assert (slot_of(utc(due)) == slot_key(slot)) is inside


def test_due_in_slot_compares_instants_across_zones() -> None:
    # Given the slot 04:15 UTC written as a +08:00 time, and a due time in New York
    slot = datetime(2026, 11, 24, 12, 15, tzinfo=timezone(timedelta(hours=8)))
    due = local("2026-11-23T23:20", NEW_YORK)  # 04:20 UTC
    # When tested
    # Then the instants are compared, not the wall clocks
    assert due_in_slot(slot, due)


def test_due_in_slot_refuses_a_slot_that_is_not_a_slot_start() -> None:
    # Given an instant that is not on a quarter hour
    # When used as a slot
    # Then it is refused (the sweep must pass slot_start(now))
    with pytest.raises(ValueError, match="start of a slot"):
        due_in_slot(utc("2026-11-24T04:16"), utc("2026-11-24T04:20"))


def test_due_in_slot_at_the_last_slot_of_the_calendar() -> None:
    # Given the last slot a datetime holds
    slot = utc("9999-12-31T23:45")
    # When its own last instant is tested
    # Then it is in the slot, with no overflow computing the slot's end
    assert due_in_slot(slot, datetime.max.replace(tzinfo=UTC))


def test_sweep_cycle_sends_each_reminder_once_per_day() -> None:
    # Given a 07:43 reminder due and swept in its slot
    due = next_reminder(utc("2026-11-23T00:00"), "07:43", DAYS, LONDON)
    assert due is not None
    slot = slot_start(due)
    assert due_in_slot(slot, due)
    # When the next due time is worked out from the end of the sent slot
    following = next_reminder(slot + timedelta(minutes=SLOT_MINUTES), "07:43", DAYS, LONDON)
    # Then it is the next day's, in a later partition
    assert following == utc("2026-11-24T07:43")
    assert slot_of(following) == "2026-11-24T07:30Z"


# --- quiet hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [
        pytest.param("2026-11-23T21:59", False, id="before-start"),
        pytest.param("2026-11-23T22:00", True, id="start-inclusive"),
        pytest.param("2026-11-23T23:59", True, id="before-midnight"),
        pytest.param("2026-11-24T00:00", True, id="midnight"),
        pytest.param("2026-11-24T06:59:59", True, id="last-second"),
        pytest.param("2026-11-24T07:00", False, id="end-exclusive"),
        pytest.param("2026-11-24T12:00", False, id="midday"),
    ],
)
def test_overnight_quiet_hours_run_across_midnight(wall: str, quiet: bool) -> None:
    # Given quiet hours 22:00-07:00 in Shanghai
    at = local(wall, SHANGHAI)
    # When tested at a local time
    # Then the evening and the early morning are quiet
    assert in_quiet_hours(at, NIGHT, SHANGHAI) is quiet


@pytest.mark.parametrize(
    ("wall", "quiet"),
    [
        pytest.param("2026-11-23T12:59", False, id="before"),
        pytest.param("2026-11-23T13:00", True, id="start"),
        pytest.param("2026-11-23T13:59", True, id="inside"),
        pytest.param("2026-11-23T14:00", False, id="end"),
    ],
)
def test_daytime_quiet_hours_within_one_day(wall: str, quiet: bool) -> None:
    # Given quiet hours 13:00-14:00 (a nap)
    # When tested at a local time
    # Then only that hour is quiet
    assert in_quiet_hours(local(wall, LONDON), QuietHours("13:00", "14:00"), LONDON) is quiet


@pytest.mark.parametrize("wall", ["2026-11-23T00:00", "2026-11-23T08:00", "2026-11-23T23:59"])
def test_equal_start_and_end_means_no_quiet_hours(wall: str) -> None:
    # Given quiet hours whose start equals their end
    quiet = QuietHours("08:00", "08:00")
    # When tested at any time, including the shared start
    # Then it is never quiet, and nothing is deferred
    at = local(wall, LONDON)
    assert not in_quiet_hours(at, quiet, LONDON)
    assert quiet_hours_end(at, quiet, LONDON) == at


def test_no_quiet_hours_is_never_quiet() -> None:
    # Given no quiet hours at all
    at = local("2026-11-23T03:00", LONDON)
    # When tested in the middle of the night
    # Then it is not quiet, and a push may go at once
    assert not in_quiet_hours(at, None, LONDON)
    assert quiet_hours_end(at, None, LONDON) == at


def test_quiet_hours_follow_the_member_zone_not_utc() -> None:
    # Given 15:00 UTC, which is 23:00 in Shanghai
    at = utc("2026-11-23T15:00")
    # When quiet hours 22:00-07:00 are tested in each zone
    # Then it is quiet in Shanghai and not in London (15:00 GMT)
    assert in_quiet_hours(at, NIGHT, SHANGHAI)
    assert not in_quiet_hours(at, NIGHT, LONDON)


def test_quiet_hours_on_spring_forward_night_are_wall_clock() -> None:
    # Given 22:00-07:00 in London on the night the clocks go forward (2026-03-29)
    # When tested at 06:30 UTC (07:30 BST) and 05:30 UTC (06:30 BST)
    # Then the morning follows the summer clock
    assert not in_quiet_hours(utc("2026-03-29T06:30"), NIGHT, LONDON)
    assert in_quiet_hours(utc("2026-03-29T05:30"), NIGHT, LONDON)


@pytest.mark.parametrize(
    ("quiet", "text"),
    [
        pytest.param(("7:00", "08:00"), "HH:MM", id="start-one-digit"),
        pytest.param(("07:00", "08:60"), "HH:MM", id="end-minute-60"),
    ],
)
def test_quiet_hours_refuse_malformed_times(quiet: tuple[str, str], text: str) -> None:
    # Given malformed quiet hours
    # When they are made
    # Then they are refused
    with pytest.raises(ValueError, match=text):
        QuietHours(*quiet)


# --- quiet_hours_end -------------------------------------------------------------------


def test_quiet_end_in_the_evening_is_next_morning() -> None:
    # Given 22:00-07:00 in Shanghai and 23:00 local on Monday
    at = local("2026-11-23T23:00", SHANGHAI)
    # When the end of the quiet period is asked
    end = quiet_hours_end(at, NIGHT, SHANGHAI)
    # Then it is Tuesday 07:00 local, 23:00 UTC on Monday, in UTC
    assert end == utc("2026-11-23T23:00")
    assert end.tzinfo is UTC


def test_quiet_end_after_midnight_is_the_same_morning() -> None:
    # Given 22:00-07:00 in Shanghai and 03:00 local on Tuesday
    at = local("2026-11-24T03:00", SHANGHAI)
    # When the end of the quiet period is asked
    # Then it is that morning's 07:00, not the next day's
    assert quiet_hours_end(at, NIGHT, SHANGHAI) == utc("2026-11-23T23:00")


def test_quiet_end_outside_quiet_hours_is_now() -> None:
    # Given 22:00-07:00 in London and midday
    at = local("2026-11-23T12:00", LONDON)
    # When the end of the quiet period is asked
    # Then nothing needs deferring: it is the instant asked, in UTC
    end = quiet_hours_end(at, NIGHT, LONDON)
    assert end == utc("2026-11-23T12:00")
    assert end.tzinfo is UTC


@pytest.mark.parametrize(
    "at",
    [
        pytest.param("2026-03-28T22:30", id="evening-gmt"),
        pytest.param("2026-03-29T00:59", id="just-before-the-jump"),
        pytest.param("2026-03-29T01:00", id="just-after-the-jump"),
        pytest.param("2026-03-29T05:59", id="a-minute-before-the-end"),
    ],
)
def test_quiet_end_on_spring_forward_night_is_seven_bst(at: str) -> None:
    # Given 22:00-07:00 in London on the night of 2026-03-29 (clocks go forward 01:00 GMT)
    # When the end of the quiet period is asked at any time that night
    # Then it is 07:00 BST, 06:00 UTC
    assert quiet_hours_end(utc(at), NIGHT, LONDON) == utc("2026-03-29T06:00")


def test_quiet_end_on_fall_back_night_is_seven_gmt() -> None:
    # Given 22:00-07:00 in London on the night of 2026-10-25 (clocks go back)
    at = utc("2026-10-24T21:30")  # 22:30 BST
    # When the end of the quiet period is asked
    # Then it is 07:00 GMT, 07:00 UTC: an hour later in UTC than the night before
    assert quiet_hours_end(at, NIGHT, LONDON) == utc("2026-10-25T07:00")


def test_quiet_end_inside_the_spring_gap_is_when_the_clocks_jump() -> None:
    # Given quiet hours ending 02:30 in New York, which skips 02:00-03:00 on 2026-03-08
    at = utc("2026-03-08T06:00")  # 01:00 EST
    # When the end of the quiet period is asked
    end = quiet_hours_end(at, QuietHours("22:00", "02:30"), NEW_YORK)
    # Then it ends as the clocks jump to 03:00 EDT, 07:00 UTC
    assert end == utc("2026-03-08T07:00")


@pytest.mark.parametrize(
    ("at", "end"),
    [
        pytest.param("2026-11-01T05:10", "2026-11-01T05:30", id="first-pass-edt"),
        pytest.param("2026-11-01T06:10", "2026-11-01T06:30", id="second-pass-est"),
    ],
)
def test_quiet_end_in_the_repeated_hour_is_always_ahead(at: str, end: str) -> None:
    # Given quiet hours 00:30-01:30 in New York, whose 01:00-02:00 repeats on 2026-11-01
    quiet = QuietHours("00:30", "01:30")
    # When the end is asked in the first and in the second 01:10
    # Then each ends at the next 01:30 on the wall clock, never in the past
    assert in_quiet_hours(utc(at), quiet, NEW_YORK)
    assert quiet_hours_end(utc(at), quiet, NEW_YORK) == utc(end)


def test_quiet_end_refuses_naive_instant() -> None:
    # Given an instant with no zone
    # When the end of quiet hours is asked
    # Then it is refused
    with pytest.raises(ValueError, match="timezone-aware"):
        quiet_hours_end(datetime(2026, 11, 23, 23, 0), NIGHT, LONDON)


# --- local_day and validation ----------------------------------------------------------


def test_local_day_is_the_member_calendar_day() -> None:
    # Given 20:00 UTC on Sunday, Monday 04:00 in Shanghai and Sunday 15:00 in New York
    at = utc("2026-11-22T20:00")
    # When the local day is taken in each zone
    # Then each reads its own calendar
    assert local_day(at, SHANGHAI) == date(2026, 11, 23)
    assert local_day(at, NEW_YORK) == date(2026, 11, 22)


def test_local_day_refuses_unknown_zone() -> None:
    # Given a zone that is not an IANA name
    # When the local day is taken
    # Then it is refused with a hint
    with pytest.raises(ValueError, match="IANA"):
        local_day(utc("2026-11-22T20:00"), "GMT+8 Beijing")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("00:00", 0), ("07:43", 463), ("23:59", 1439)],
)
def test_parse_hhmm_reads_minutes_since_midnight(text: str, minutes: int) -> None:
    # Given a wall time
    # When parsed
    # Then it is minutes since local midnight
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("7:43", id="one-digit-hour"),
        pytest.param("07:43:00", id="with-seconds"),
        pytest.param("24:00", id="hour-24"),
        pytest.param("12:60", id="minute-60"),
        pytest.param("07:43\n", id="trailing-newline"),
        pytest.param("٠٧:٤٣", id="arabic-indic-digits"),
        pytest.param("０７:４３", id="full-width-digits"),
        pytest.param(" 07:43", id="leading-space"),
        pytest.param(743, id="not-a-string"),
    ],
)
def test_parse_hhmm_refuses_anything_but_hh_mm(text: object) -> None:
    # Given a malformed wall time
    # When parsed
    # Then it is refused with a message that says the format and not the value
    with pytest.raises(ValueError, match='"HH:MM"') as raised:
        parse_hhmm(text)  # type: ignore[arg-type]
    assert str(text) not in str(raised.value) or text == ""


def test_parse_days_and_zone_accept_the_documented_values() -> None:
    # Given every weekday and a real zone
    # When parsed
    # Then they come back as a set and a zone
    assert parse_days(list(DAYS)) == frozenset(DAYS)
    assert parse_days([]) == frozenset()
    assert parse_zone(SHANGHAI) == ZoneInfo(SHANGHAI)
