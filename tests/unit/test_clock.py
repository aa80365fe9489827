"""The member's local day: time zones, local midnight, DST switches, and zone names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.clock import (
    EARLIEST_UTC_ISO,
    LATEST_UTC_ISO,
    check_not_future,
    local_day,
    utc_iso,
    zone,
)
from shared.errors import InvalidInput


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- local_day across zones ------------------------------------------------------------


def test_same_instant_is_a_different_day_in_shanghai_and_los_angeles() -> None:
    # Given 18:00 UTC on 1 May 2026 (02:00 next day in Shanghai, 11:00 in Los Angeles)
    moment = utc("2026-05-01T18:00:00")
    # When the local day is read in each zone
    shanghai = local_day(moment, "Asia/Shanghai")
    los_angeles = local_day(moment, "America/Los_Angeles")
    # Then Shanghai is already on 2 May while Los Angeles is still on 1 May
    assert (shanghai, los_angeles) == (date(2026, 5, 2), date(2026, 5, 1))


@pytest.mark.parametrize(
    ("moment", "time_zone", "expected"),
    [
        # Shanghai midnight of 2 May is 16:00 UTC on 1 May
        pytest.param(
            utc("2026-05-01T15:59:59.999999"), "Asia/Shanghai", date(2026, 5, 1), id="sh-before"
        ),
        pytest.param(utc("2026-05-01T16:00:00"), "Asia/Shanghai", date(2026, 5, 2), id="sh-after"),
        # Los Angeles (PDT, UTC-7) midnight of 2 May is 07:00 UTC on 2 May
        pytest.param(
            utc("2026-05-02T06:59:59"), "America/Los_Angeles", date(2026, 5, 1), id="la-before"
        ),
        pytest.param(
            utc("2026-05-02T07:00:00"), "America/Los_Angeles", date(2026, 5, 2), id="la-after"
        ),
    ],
)
def test_local_day_changes_exactly_at_local_midnight(
    moment: datetime, time_zone: str, expected: date
) -> None:
    # Given an instant just before or just after local midnight
    # When the local day is read
    # Then it is the day on the member's wall clock
    assert local_day(moment, time_zone) == expected


def test_offset_of_the_given_moment_does_not_matter_only_the_instant() -> None:
    # Given the same instant written in UTC and in UTC+08:00
    in_utc = utc("2026-05-01T18:00:00")
    in_plus8 = in_utc.astimezone(timezone(timedelta(hours=8)))
    # When the local day in Los Angeles is read for both
    # Then both give the same day
    assert local_day(in_plus8, "America/Los_Angeles") == local_day(in_utc, "America/Los_Angeles")


# --- local_day across DST changes --------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "time_zone", "expected"),
    [
        # New York springs forward at 07:00 UTC on 8 March 2026 (02:00 EST -> 03:00 EDT)
        pytest.param(
            utc("2026-03-08T06:59:59"), "America/New_York", date(2026, 3, 8), id="ny-spring-before"
        ),
        pytest.param(
            utc("2026-03-08T07:00:00"), "America/New_York", date(2026, 3, 8), id="ny-spring-after"
        ),
        # ... so the next midnight is at 04:00 UTC (EDT), no longer 05:00 UTC (EST)
        pytest.param(
            utc("2026-03-09T03:59:59"),
            "America/New_York",
            date(2026, 3, 8),
            id="ny-spring-next-midnight-before",
        ),
        pytest.param(
            utc("2026-03-09T04:30:00"),
            "America/New_York",
            date(2026, 3, 9),
            id="ny-spring-next-midnight-after",
        ),
        # New York falls back at 06:00 UTC on 1 November 2026 (02:00 EDT -> 01:00 EST)
        pytest.param(
            utc("2026-11-01T05:59:59"), "America/New_York", date(2026, 11, 1), id="ny-fall-before"
        ),
        pytest.param(
            utc("2026-11-01T06:00:00"), "America/New_York", date(2026, 11, 1), id="ny-fall-after"
        ),
        # ... so the next midnight is at 05:00 UTC (EST), no longer 04:00 UTC (EDT)
        pytest.param(
            utc("2026-11-02T04:30:00"),
            "America/New_York",
            date(2026, 11, 1),
            id="ny-fall-next-midnight-before",
        ),
        pytest.param(
            utc("2026-11-02T05:00:00"),
            "America/New_York",
            date(2026, 11, 2),
            id="ny-fall-next-midnight-after",
        ),
        # London springs forward at 01:00 UTC on 29 March 2026 (01:00 GMT -> 02:00 BST)
        pytest.param(
            utc("2026-03-29T00:59:59"), "Europe/London", date(2026, 3, 29), id="london-before"
        ),
        pytest.param(
            utc("2026-03-29T01:00:00"), "Europe/London", date(2026, 3, 29), id="london-after"
        ),
        # ... so the next midnight is at 23:00 UTC the same UTC day
        pytest.param(
            utc("2026-03-29T22:59:59"),
            "Europe/London",
            date(2026, 3, 29),
            id="london-next-midnight-before",
        ),
        pytest.param(
            utc("2026-03-29T23:00:00"),
            "Europe/London",
            date(2026, 3, 30),
            id="london-next-midnight-after",
        ),
    ],
)
def test_local_day_follows_the_offset_in_force_around_a_dst_switch(
    moment: datetime, time_zone: str, expected: date
) -> None:
    # Given an instant right before or after a DST switch, or the first local midnight after it
    # When the local day is read
    # Then it uses the offset in force at that instant, not the one before the switch
    assert local_day(moment, time_zone) == expected


def test_naive_datetime_is_rejected() -> None:
    # Given a datetime without a time zone (it could be any instant)
    naive = datetime(2026, 5, 1, 18, 0)
    # When / Then local_day refuses to guess
    with pytest.raises(ValueError, match="timezone-aware"):
        local_day(naive, "Asia/Shanghai")


# --- zone() ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "Europe/London", "UTC"])
def test_zone_returns_the_named_iana_zone(name: str) -> None:
    # Given a real IANA name / When looked up / Then that zone is returned
    assert zone(name).key == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("Mars/Olympus", id="unknown"),
        pytest.param("asia/shanghai", id="wrong-case"),
        pytest.param("Asia/Shanghai ", id="trailing-space"),
        pytest.param("../etc/passwd", id="relative-path"),
        pytest.param("/etc/localtime", id="absolute-path"),
        pytest.param("Asia/../Europe/London", id="dot-dot-inside"),
        pytest.param(".hidden", id="leading-dot"),
        pytest.param("zone.tab", id="tzdata-non-zone-file"),
        pytest.param("Asia/Shang\x00hai", id="nul-byte"),
        pytest.param("A" * 65, id="too-long"),
    ],
)
def test_zone_rejects_names_that_are_not_iana_zones(name: str) -> None:
    # Given a name that is empty, unknown, or path-like
    # When looked up
    # Then it is refused as invalid input (a 422 for the client, never a 500)
    with pytest.raises(InvalidInput, match="Unknown time zone"):
        zone(name)


@pytest.mark.parametrize("name", ["Asia", "America"])
def test_zone_rejects_a_region_name_that_is_a_directory(name: str) -> None:
    # Given a region name, which is a folder of zones rather than a zone
    # When looked up
    # Then it is refused as invalid input like any other unknown name
    with pytest.raises(InvalidInput):
        zone(name)


# --- check_not_future --------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [date(2026, 5, 2), date(2026, 5, 1), date(2025, 5, 2)], ids=["today", "yesterday", "y-1"]
)
def test_check_not_future_returns_today_or_a_past_day_unchanged(day: date) -> None:
    # Given today is 2 May 2026 / When a day up to today is checked / Then it is returned
    assert check_not_future(day, today=date(2026, 5, 2)) == day


def test_check_not_future_rejects_tomorrow() -> None:
    # Given today is 2 May 2026
    # When 3 May is checked
    # Then it is refused as a future day
    with pytest.raises(InvalidInput, match="future"):
        check_not_future(date(2026, 5, 3), today=date(2026, 5, 2))


def test_unknown_zone_message_never_repeats_the_name() -> None:
    # Given a name that came from a client or its token
    name = "Secret/Place"
    # When it is refused
    with pytest.raises(InvalidInput) as refused:
        zone(name)
    # Then the message does not repeat it
    assert name not in refused.value.detail
    assert "Secret" not in str(refused.value)


# --- utc_iso at the ends of the calendar -------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(
            datetime(2026, 5, 2, 2, 0, tzinfo=timezone(timedelta(hours=8))),
            "2026-05-01T18:00:00.000Z",
            id="ordinary",
        ),
        pytest.param(
            datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))),
            EARLIEST_UTC_ISO,
            id="year-1-east-of-utc",
        ),
        pytest.param(
            datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))),
            LATEST_UTC_ISO,
            id="year-9999-west-of-utc",
        ),
        pytest.param(datetime.min.replace(tzinfo=UTC), EARLIEST_UTC_ISO, id="datetime-min"),
        pytest.param(
            datetime.max.replace(tzinfo=UTC), "9999-12-31T23:59:59.999Z", id="datetime-max"
        ),
    ],
)
def test_utc_iso_clamps_instants_beyond_the_calendar(moment: datetime, expected: str) -> None:
    # Given an aware instant, ordinary or beyond what a datetime holds in UTC
    # When written as UTC ISO / Then it is exact, or clamped to an end instead of overflowing
    assert utc_iso(moment) == expected
