"""Directory entries: contact formats, weekly spans, hours, regions, names and dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from shared.resources.model import Contact, Hours, Resource, WeeklySpan
from tests.support.resources import raw_entry

TODAY = date(2026, 11, 23)


def validate(raw: dict[str, Any]) -> Resource:
    return Resource.model_validate(raw, context={"today": TODAY})


def error_at(raw: dict[str, Any]) -> tuple[tuple[int | str, ...], str]:
    """The location and message of the single validation error of `raw`."""
    with pytest.raises(ValidationError) as caught:
        validate(raw)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return tuple(errors[0]["loc"]), errors[0]["msg"]


def test_a_complete_entry_is_accepted_as_given() -> None:
    # Given a valid entry / When it is validated / Then its fields are kept unchanged
    resource = validate(raw_entry())
    assert (resource.id, resource.contact.phone, resource.org_id) == ("cn-test-line", "12356", None)


# --- contact -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("12356", id="cn-short-code"),
        pytest.param("988", id="us-short-code"),
        pytest.param("116123", id="six-digit-short-code"),
        pytest.param("400-161-9995", id="cn-400"),
        pytest.param("800-810-1117", id="cn-800"),
        pytest.param("+18002738255", id="e164-us"),
        pytest.param("+44116123", id="e164-gb"),
    ],
)
def test_phone_accepts_short_codes_400_800_numbers_and_e164(phone: str) -> None:
    # Given a number in one of the three accepted forms / When validated / Then it is kept
    assert Contact(phone=phone).phone == phone


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("12", id="too-short"),
        pytest.param("1234567", id="seven-digit-short-code"),
        pytest.param("4001619995", id="400-without-hyphens"),
        pytest.param("400 161 9995", id="400-with-spaces"),
        pytest.param("500-161-9995", id="not-400-or-800"),
        pytest.param("010-82951332", id="landline-not-e164"),
        pytest.param("+0123456789", id="e164-leading-zero"),
        pytest.param("+1234567890123456", id="e164-too-long"),
        pytest.param("call 12356", id="words"),
        pytest.param("12356\n", id="trailing-newline"),
    ],
)
def test_phone_rejects_other_formats(phone: str) -> None:
    # Given a number in none of the accepted forms / When validated / Then phone is refused
    loc, message = error_at(raw_entry(contact={"phone": phone}))
    assert loc == ("contact", "phone")
    assert "short code" in message


def test_sms_follows_the_phone_rules() -> None:
    # Given an SMS number with letters / When validated / Then contact.sms is refused
    loc, _ = error_at(raw_entry(contact={"sms": "TEXT988"}))
    assert loc == ("contact", "sms")


def test_contact_needs_at_least_one_way_to_reach_the_line() -> None:
    # Given a contact with no field set / When validated / Then the contact is refused
    loc, message = error_at(raw_entry(contact={}))
    assert loc == ("contact",)
    assert "at least one" in message


@pytest.mark.parametrize(
    "url", ["http://988lifeline.org/", "ftp://example.org/", "https://", "https://local host/"]
)
def test_url_must_be_https_with_a_host(url: str) -> None:
    # Given a URL that is not https://host/... / When validated / Then contact.url is refused
    loc, message = error_at(raw_entry(contact={"url": url}))
    assert loc == ("contact", "url")
    assert "https" in message


def test_email_must_look_like_an_address() -> None:
    # Given an e-mail without a domain / When validated / Then contact.email is refused
    loc, _ = error_at(raw_entry(contact={"email": "jo@"}))
    assert loc == ("contact", "email")


def test_contact_rejects_unknown_fields() -> None:
    # Given a contact with a misspelt field / When validated / Then it is refused, not dropped
    loc, _ = error_at(raw_entry(contact={"phone": "12356", "whatsapp": "x"}))
    assert loc == ("contact", "whatsapp")


# --- weekly spans and hours -----------------------------------------------------------------


def test_a_span_may_close_at_24_00() -> None:
    # Given a span that runs to midnight / When validated / Then 24:00 is accepted as close
    assert WeeklySpan(days=["sat"], open="18:00", close="24:00").close == "24:00"


def test_a_span_may_cover_a_whole_day() -> None:
    # Given 00:00-24:00 on the weekend / When validated / Then it is a valid span
    assert WeeklySpan(days=["sat", "sun"], open="00:00", close="24:00").days == ["sat", "sun"]


@pytest.mark.parametrize(
    ("span", "field"),
    [
        pytest.param({"days": [], "open": "09:00", "close": "17:00"}, "days", id="no-days"),
        pytest.param(
            {"days": ["mon", "mon"], "open": "09:00", "close": "17:00"}, "days", id="dup-day"
        ),
        pytest.param({"days": ["monday"], "open": "09:00", "close": "17:00"}, "days", id="day"),
        pytest.param({"days": ["mon"], "open": "9:00", "close": "17:00"}, "open", id="h:mm"),
        pytest.param({"days": ["mon"], "open": "24:00", "close": "02:00"}, "open", id="open-24"),
        pytest.param({"days": ["mon"], "open": "09:00", "close": "24:30"}, "close", id="24:30"),
    ],
)
def test_span_rejects_bad_days_and_times(span: dict[str, Any], field: str) -> None:
    # Given a span with an empty, repeated or unknown day, or a malformed time
    # When validated
    # Then the error points at that field of the span
    loc, _ = error_at(raw_entry(hours={"mode": "weekly", "time_zone": "UTC", "weekly": [span]}))
    assert loc[:4] == ("hours", "weekly", 0, field)


def test_span_with_the_same_open_and_close_is_rejected() -> None:
    # Given a span that opens and closes at 09:00 (empty, or 24 h: ambiguous)
    hours = {
        "mode": "weekly",
        "time_zone": "UTC",
        "weekly": [{"days": ["mon"], "open": "09:00", "close": "09:00"}],
    }
    # When validated / Then the span is refused
    loc, message = error_at(raw_entry(hours=hours))
    assert loc == ("hours", "weekly", 0)
    assert "same time" in message


def test_weekly_hours_need_a_time_zone() -> None:
    # Given weekly spans without a zone (09:00 where?) / When validated / Then refused
    span = {"days": ["mon"], "open": "09:00", "close": "17:00"}
    loc, message = error_at(raw_entry(hours={"mode": "weekly", "weekly": [span]}))
    assert (loc, "time_zone" in message) == (("hours",), True)


def test_weekly_hours_need_at_least_one_span() -> None:
    # Given weekly hours with no spans / When validated / Then refused
    loc, message = error_at(raw_entry(hours={"mode": "weekly", "time_zone": "Asia/Shanghai"}))
    assert (loc, "at least one span" in message) == (("hours",), True)


@pytest.mark.parametrize("mode", ["always", "varies"])
def test_spans_are_refused_unless_the_mode_is_weekly(mode: str) -> None:
    # Given spans on hours that say "always" or "varies" (a contradiction)
    span = {"days": ["mon"], "open": "09:00", "close": "17:00"}
    # When validated / Then refused
    loc, _ = error_at(raw_entry(hours={"mode": mode, "time_zone": "UTC", "weekly": [span]}))
    assert loc == ("hours",)


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/shanghai", "../etc/passwd", "Asia"])
def test_unknown_time_zone_is_reported_on_the_time_zone_field(name: str) -> None:
    # Given a name that is not an IANA zone / When validated
    loc, message = error_at(raw_entry(hours={"mode": "varies", "time_zone": name}))
    # Then pydantic reports hours.time_zone with the clock's message
    assert loc == ("hours", "time_zone")
    assert "Unknown time zone" in message


def test_hours_note_may_be_given_in_one_language() -> None:
    # Given a note in English only / When validated / Then it is kept
    hours = Hours.model_validate({"mode": "varies", "note": {"en": "Office hours"}})
    assert hours.note == {"en": "Office hours"}


# --- names, regions, audiences, source, dates -------------------------------------------


def test_name_is_required_in_both_languages() -> None:
    # Given a name in Chinese only / When validated / Then the name is refused naming en
    loc, message = error_at(raw_entry(name={"zh-CN": "测试热线"}))
    assert loc == ("name",)
    assert "en" in message


def test_name_longer_than_120_characters_is_rejected() -> None:
    # Given a 121-character English name / When validated / Then refused
    loc, message = error_at(raw_entry(name={"zh-CN": "测试", "en": "x" * 121}))
    assert (loc, "120" in message) == (("name",), True)


def test_name_in_an_unsupported_language_is_rejected() -> None:
    # Given a French name next to the two required ones / When validated / Then refused
    with pytest.raises(ValidationError):
        validate(raw_entry(name={"zh-CN": "测试", "en": "Test", "fr": "Essai"}))


def test_description_longer_than_500_characters_is_rejected() -> None:
    # Given a 501-character description / When validated / Then refused
    loc, _ = error_at(raw_entry(description={"en": "x" * 501}))
    assert loc == ("description",)


@pytest.mark.parametrize("regions", [["*"], ["CN"], ["CN-SC"], ["GB-ENG"], ["GB", "IE"]])
def test_regions_accept_world_countries_and_subdivisions(regions: list[str]) -> None:
    # Given "*" or ISO 3166 codes / When validated / Then they are kept
    assert validate(raw_entry(regions=regions)).regions == regions


@pytest.mark.parametrize(
    "regions", [["cn"], ["CHN"], ["China"], ["CN-"], ["CN-SICH"], ["CN\n"], ["CN", "CN"], []]
)
def test_regions_reject_other_codes_duplicates_and_empty_lists(regions: list[str]) -> None:
    # Given a lower-case, alpha-3, named, malformed, repeated or empty region list
    # When validated / Then regions is refused
    loc, _ = error_at(raw_entry(regions=regions))
    assert loc == ("regions",)


@pytest.mark.parametrize("languages", [["zh"], ["yue"], ["zh-Hans", "en"]])
def test_languages_accept_bcp47_tags(languages: list[str]) -> None:
    # Given BCP 47 style tags / When validated / Then they are kept
    assert validate(raw_entry(languages=languages)).languages == languages


@pytest.mark.parametrize("languages", [["Chinese"], ["ZH"], ["z"], []])
def test_languages_reject_names_and_malformed_tags(languages: list[str]) -> None:
    # Given names or malformed tags / When validated / Then languages is refused
    loc, _ = error_at(raw_entry(languages=languages))
    assert loc == ("languages",)


def test_audiences_may_not_be_empty() -> None:
    # Given no audience / When validated / Then refused
    loc, _ = error_at(raw_entry(audiences=[]))
    assert loc == ("audiences",)


def test_source_must_be_https() -> None:
    # Given a source on plain http / When validated / Then source is refused
    loc, _ = error_at(raw_entry(source="http://www.nhc.gov.cn"))
    assert loc == ("source",)


@pytest.mark.parametrize("slug", ["CN-12356", "-cn", "c", "cn_12356", "a" * 65])
def test_id_must_be_a_lower_case_slug(slug: str) -> None:
    # Given an id with capitals, a leading hyphen, one character, underscores or 65 characters
    # When validated / Then id is refused
    loc, _ = error_at(raw_entry(id=slug))
    assert loc == ("id",)


def test_last_verified_today_is_accepted() -> None:
    # Given an entry verified today / When validated / Then it is kept
    assert validate(raw_entry(last_verified="2026-11-23")).last_verified == TODAY


def test_last_verified_in_the_future_is_rejected() -> None:
    # Given an entry "verified" tomorrow / When validated / Then last_verified is refused
    loc, message = error_at(raw_entry(last_verified="2026-11-24"))
    assert (loc, "future" in message) == (("last_verified",), True)


def test_unknown_top_level_field_is_rejected() -> None:
    # Given an entry with a field the model does not know / When validated / Then refused
    loc, _ = error_at(raw_entry(phone="12356"))
    assert loc == ("phone",)


def test_entries_are_immutable() -> None:
    # Given a validated entry / When a field is assigned / Then it is refused
    resource = validate(raw_entry())
    with pytest.raises(ValidationError):
        resource.crisis = False  # type: ignore[misc]
