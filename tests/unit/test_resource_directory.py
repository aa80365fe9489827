"""Finding help: region fallback, language choice, filters, ranking, crisis list, safety text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.resources.directory import (
    crisis_short_list,
    matches_region,
    pick_lang,
    region_chain,
    search,
    stale,
    view,
)
from shared.resources.model import Resource
from shared.resources.safety import crisis_message, crisis_resources
from tests.support.resources import raw_entry

# Monday 4 May 2026, 02:00 UTC = 10:00 in Shanghai, 03:00 in London.
AT = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
OFFICE_HOURS_SHANGHAI = {
    "mode": "weekly",
    "time_zone": "Asia/Shanghai",
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "09:00", "close": "17:00"}],
}
NIGHTS_SHANGHAI = {
    "mode": "weekly",
    "time_zone": "Asia/Shanghai",
    "weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "20:00", "close": "23:00"}],
}


def line(rid: str, **overrides: Any) -> Resource:
    """A public crisis hotline for the whole of China, answered around the clock."""
    defaults: dict[str, Any] = {
        "name": {"zh-CN": f"热线 {rid}", "en": f"Line {rid}"},
        "last_verified": "2026-05-01",
    }
    raw = raw_entry(rid, **(defaults | overrides))
    return Resource.model_validate(raw, context={"today": date(2026, 5, 4)})


def ids(resources: list[Resource]) -> list[str]:
    return [resource.id for resource in resources]


# --- region_chain and matches_region -------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "chain"),
    [
        pytest.param("CN-SC", ["CN-SC", "CN", "*"], id="province"),
        pytest.param("GB-ENG", ["GB-ENG", "GB", "*"], id="three-letter-subdivision"),
        pytest.param("CN", ["CN", "*"], id="country"),
        pytest.param(None, ["*"], id="none"),
        pytest.param("cn-sc", ["CN-SC", "CN", "*"], id="lower-case"),
        pytest.param(" cn ", ["CN", "*"], id="spaces"),
        pytest.param("*", ["*"], id="world"),
        pytest.param("", ["*"], id="empty"),
        pytest.param("China", ["*"], id="name-not-code"),
        pytest.param("CN-SICHUAN", ["*"], id="too-long-subdivision"),
        pytest.param("C1", ["*"], id="digit-in-country"),
    ],
)
def test_region_chain_falls_back_from_province_to_country_to_world(
    region: str | None, chain: list[str]
) -> None:
    # Given a requested region / When the chain is built
    # Then it runs from the most local region to "*", and anything unreadable is just "*"
    assert region_chain(region) == chain


def test_national_entry_applies_to_a_provincial_request() -> None:
    # Given a line for all of China / When a member in Sichuan asks / Then it applies
    assert matches_region(line("cn-line"), "CN-SC") is True


def test_provincial_entry_does_not_apply_to_a_national_request() -> None:
    # Given a Guangdong-only line / When someone asks for China as a whole
    # Then it does not apply: it serves Guangdong only
    assert matches_region(line("gd-line", regions=["CN-GD"]), "CN") is False


def test_provincial_entry_does_not_apply_to_another_province() -> None:
    # Given a Guangdong-only line / When a member in Sichuan asks / Then it does not apply
    assert matches_region(line("gd-line", regions=["CN-GD"]), "CN-SC") is False


def test_world_entry_applies_to_any_request_including_none() -> None:
    # Given a worldwide entry / When asked with no region and with a province / Then it applies
    world = line("world-line", regions=["*"])
    assert (matches_region(world, None), matches_region(world, "GB-ENG")) == (True, True)


def test_entry_for_another_country_does_not_apply() -> None:
    # Given a US-only line / When a member in China asks / Then it does not apply
    assert matches_region(line("us-line", regions=["US"]), "CN") is False


# --- pick_lang -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "accept_language", "expected"),
    [
        pytest.param("en", "zh-CN,zh;q=0.9", "en", id="explicit-en-wins"),
        pytest.param("zh-CN", "en-US,en;q=0.9", "zh-CN", id="explicit-zh-wins"),
        pytest.param("zh", None, "zh-CN", id="explicit-zh-normalised"),
        pytest.param("fr", "zh-CN", "en", id="explicit-other-is-en"),
        pytest.param(None, "en-US,en;q=0.9,zh-CN;q=0.8", "en", id="header-en-first"),
        pytest.param(None, "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", id="header-zh-first"),
        pytest.param(None, "en;q=0.5,zh-Hans;q=0.9", "zh-CN", id="header-by-q-not-order"),
        pytest.param(None, "zh-TW", "zh-CN", id="traditional-gets-zh-cn"),
        pytest.param(None, "zh-HK,en;q=0.5", "zh-CN", id="hong-kong-gets-zh-cn"),
        pytest.param(None, "fr-FR,zh;q=0.5", "zh-CN", id="first-supported-wins"),
        pytest.param(None, "fr-FR,de;q=0.8", "en", id="unsupported-only-gets-en"),
        pytest.param(None, "zh;q=0,en;q=0.1", "en", id="q-zero-means-not-acceptable"),
        pytest.param(None, "en;q=abc,zh", "zh-CN", id="bad-q-entry-ignored"),
        pytest.param(None, "*", "zh-CN", id="wildcard-gets-default"),
        pytest.param(None, "", "zh-CN", id="empty-header-gets-default"),
        pytest.param(None, None, "zh-CN", id="nothing-gets-default"),
        pytest.param("  ", None, "zh-CN", id="blank-lang-ignored"),
    ],
)
def test_pick_lang_prefers_explicit_lang_then_accept_language_q_values(
    lang: str | None, accept_language: str | None, expected: str
) -> None:
    # Given an explicit lang and/or an Accept-Language header
    # When the answer language is chosen
    # Then the explicit one wins, else the best-q supported header entry, else zh-CN
    assert pick_lang(lang, accept_language) == expected


# --- ranking -------------------------------------------------------------------------------


def test_crisis_lines_rank_before_other_lines_even_if_those_are_local_and_open() -> None:
    # Given an open Sichuan counselling centre and a national crisis line with unknown hours
    centre = line(
        "sc-centre",
        regions=["CN-SC"],
        kind="counselling_centre",
        crisis=False,
        name={"zh-CN": "A 中心", "en": "A centre"},
    )
    crisis = line("cn-crisis", hours={"mode": "varies"})
    # When a member in Sichuan searches
    # Then the crisis line comes first
    assert ids(search([centre, crisis], region="CN-SC", at=AT)) == ["cn-crisis", "sc-centre"]


def test_open_lines_rank_before_unknown_before_closed() -> None:
    # Given three crisis lines for China: closed now, hours unknown, open now (10:00 Shanghai)
    closed = line("a-closed", hours=NIGHTS_SHANGHAI)
    unknown = line("b-unknown", hours={"mode": "varies"})
    open_now = line("c-open", hours=OFFICE_HOURS_SHANGHAI)
    # When ranked for China
    ranked = search([closed, unknown, open_now], region="CN", at=AT)
    # Then open comes first, then unknown, then closed
    assert ids(ranked) == ["c-open", "b-unknown", "a-closed"]


def test_local_lines_rank_before_national_before_global() -> None:
    # Given three 24/7 crisis lines: worldwide, national and for Sichuan
    world = line("a-world", regions=["*"])
    national = line("b-national", regions=["CN"])
    provincial = line("c-sichuan", regions=["CN-SC"])
    # When ranked for a member in Sichuan
    ranked = search([world, national, provincial], region="CN-SC", at=AT)
    # Then the most local comes first
    assert ids(ranked) == ["c-sichuan", "b-national", "a-world"]


def test_a_line_for_several_regions_ranks_by_its_most_local_region() -> None:
    # Given a line listed for the world and for Sichuan, and a national line
    both = line("z-both", regions=["*", "CN-SC"])
    national = line("a-national")
    # When ranked for Sichuan / Then the line listed for Sichuan comes first
    assert ids(search([national, both], region="CN-SC", at=AT)) == ["z-both", "a-national"]


def test_equal_lines_are_ordered_by_english_name_then_id() -> None:
    # Given three otherwise equal lines
    beta = line("x-1", name={"zh-CN": "甲", "en": "beta"})
    alpha = line("x-2", name={"zh-CN": "乙", "en": "Alpha"})
    alpha_again = line("x-0", name={"zh-CN": "丙", "en": "alpha"})
    # When ranked in any input order
    first = search([beta, alpha, alpha_again], region="CN", at=AT)
    second = search([alpha_again, beta, alpha], region="CN", at=AT)
    # Then the order is by case-insensitive English name, then id, and always the same
    assert ids(first) == ids(second) == ["x-0", "x-2", "x-1"]


# --- search filters ------------------------------------------------------------------------


def test_search_keeps_only_the_requested_kind() -> None:
    # Given a hotline and a website
    hotline = line("a-hotline")
    website = line("b-site", kind="website", contact={"url": "https://example.org/"})
    # When searching for websites / Then only the website is found
    assert ids(search([hotline, website], region="CN", kind="website", at=AT)) == ["b-site"]


def test_audience_filter_includes_lines_for_everyone() -> None:
    # Given lines for students, for everyone and for women
    students = line("a-students", audiences=["students", "youth"])
    everyone = line("b-everyone")
    women = line("c-women", audiences=["women"])
    # When a student searches
    found = search([students, everyone, women], region="CN", audience="students", at=AT)
    # Then the student line and the line for everyone are found, not the women's line
    assert ids(found) == ["a-students", "b-everyone"]


def test_search_excludes_lines_for_other_regions() -> None:
    # Given a national line, a Guangdong line and a US line
    lines = [line("a-cn"), line("b-gd", regions=["CN-GD"]), line("c-us", regions=["US"])]
    # When searching for China as a whole / Then only the national line is found
    assert ids(search(lines, region="CN", at=AT)) == ["a-cn"]


def test_open_now_filter_keeps_only_lines_known_to_be_open() -> None:
    # Given a line open now, a line closed now and one with unknown hours
    lines = [
        line("a-open", hours=OFFICE_HOURS_SHANGHAI),
        line("b-closed", hours=NIGHTS_SHANGHAI),
        line("c-unknown", hours={"mode": "varies"}),
    ]
    # When searching with open_now=True / Then only the open line is found
    assert ids(search(lines, region="CN", open_now=True, at=AT)) == ["a-open"]


def test_query_matches_chinese_text_in_the_name() -> None:
    # Given the 12356 psychological line and the women's rights line
    psych = line("cn-12356", name={"zh-CN": "全国心理援助热线", "en": "Psychological line"})
    women = line("cn-12338", name={"zh-CN": "妇女维权热线", "en": "Women's line"})
    # When searching for "心理" / Then only the psychological line is found
    assert ids(search([psych, women], region="CN", q="心理", at=AT)) == ["cn-12356"]


def test_query_matches_the_description_case_insensitively() -> None:
    # Given a line whose English description mentions "Crisis"
    described = line("a-line", description={"en": "Crisis support for students"})
    other = line("b-line")
    # When searching for "crisis" / Then the described line is found
    assert ids(search([described, other], region="CN", q="  crisis ", at=AT)) == ["a-line"]


@pytest.mark.parametrize("query", ["400-161", "4001619995", "400 161 9995"])
def test_query_matches_the_phone_number_with_or_without_separators(query: str) -> None:
    # Given Hope 24 (400-161-9995) and 12356
    hope = line("cn-hope24", contact={"phone": "400-161-9995"})
    other = line("cn-12356")
    # When searching by the number however it is typed / Then Hope 24 is found
    assert ids(search([hope, other], region="CN", q=query, at=AT)) == ["cn-hope24"]


def test_query_that_matches_nothing_finds_nothing() -> None:
    # Given two lines / When searching for an unrelated word / Then nothing is found
    assert search([line("a-line"), line("b-line")], region="CN", q="dentist", at=AT) == []


# --- crisis_short_list ---------------------------------------------------------------------


def test_crisis_short_list_leaves_out_non_crisis_lines() -> None:
    # Given a crisis line and a public health line that is not for crises
    lines = [line("a-crisis"), line("b-health", crisis=False)]
    # When the short list is built / Then only the crisis line is on it
    assert ids(crisis_short_list(lines, "CN", AT)) == ["a-crisis"]


def test_crisis_short_list_puts_24_7_and_open_lines_first_then_local() -> None:
    # Given, for a member in Guangdong: a 24/7 Guangdong line, a national line with unknown
    # hours, a national line closed now and a national line open now
    lines = [
        line("a-unknown", hours={"mode": "varies"}),
        line("b-closed", hours=NIGHTS_SHANGHAI),
        line("c-open", hours=OFFICE_HOURS_SHANGHAI),
        line("d-gd-24-7", regions=["CN-GD"]),
    ]
    # When the short list is built
    ranked = crisis_short_list(lines, "CN-GD", AT)
    # Then the 24/7 local line and the open line lead, then unknown, then closed
    assert ids(ranked) == ["d-gd-24-7", "c-open", "a-unknown", "b-closed"]


def test_crisis_short_list_is_never_empty_while_a_crisis_line_covers_the_region() -> None:
    # Given only a national crisis line whose hours are unknown
    lines = [line("only-line", hours={"mode": "varies"})]
    # When a member in Sichuan at 3 a.m. asks for the short list / Then the line is on it
    night = datetime(2026, 5, 3, 19, 0, tzinfo=UTC)
    assert ids(crisis_short_list(lines, "CN-SC", night)) == ["only-line"]


def test_crisis_short_list_stops_at_the_limit() -> None:
    # Given seven crisis lines / When the default short list is built / Then it has five
    lines = [line(f"line-{n}") for n in range(7)]
    assert len(crisis_short_list(lines, "CN", AT)) == 5


def test_crisis_short_list_refuses_a_limit_below_one() -> None:
    # Given a limit of 0 (which would hide every line) / When built / Then it is refused
    with pytest.raises(ValueError, match="limit"):
        crisis_short_list([line("a-line")], "CN", AT, limit=0)


# --- view ----------------------------------------------------------------------------------


def test_view_gives_texts_in_the_chosen_language_and_whether_open_now() -> None:
    # Given a line with names, description and hours note in both languages, open now
    resource = line(
        "cn-line",
        description={"zh-CN": "说明", "en": "About"},
        hours={**OFFICE_HOURS_SHANGHAI, "note": {"zh-CN": "工作日", "en": "Weekdays"}},
    )
    # When viewed in Chinese and in English
    zh, en = view(resource, "zh-CN", AT), view(resource, "en", AT)
    # Then each shows its own language and both say it is open
    assert (zh.name, zh.description, zh.hours.note, zh.open_now) == (
        "热线 cn-line",
        "说明",
        "工作日",
        True,
    )
    assert (en.name, en.description, en.hours.note, en.open_now) == (
        "Line cn-line",
        "About",
        "Weekdays",
        True,
    )


def test_view_without_a_text_in_that_language_gives_none() -> None:
    # Given a description in English only and no hours note
    resource = line("cn-line", description={"en": "About"}, hours={"mode": "varies"})
    # When viewed in Chinese / Then description and note are None and open_now is unknown
    shown = view(resource, "zh-CN", AT)
    assert (shown.description, shown.hours.note, shown.open_now) == (None, None, None)


# --- stale ---------------------------------------------------------------------------------


def test_stale_lists_entries_older_than_a_year_oldest_first() -> None:
    # Given entries verified 366, 365, 400 and 10 days before today
    today = date(2026, 5, 4)
    lines = [
        line("a-366-days", last_verified="2025-05-03"),
        line("b-365-days", last_verified="2025-05-04"),
        line("c-400-days", last_verified="2025-03-30"),
        line("d-10-days", last_verified="2026-04-24"),
    ]
    # When the stale ones are listed
    # Then only those older than 365 days are, oldest first
    assert ids(stale(lines, today)) == ["c-400-days", "a-366-days"]


def test_stale_uses_the_given_maximum_age() -> None:
    # Given an entry verified 31 days ago / When the limit is 30 days / Then it is stale
    old = line("a-line", last_verified="2026-04-03")
    assert ids(stale([old], date(2026, 5, 4), max_age_days=30)) == ["a-line"]


# --- safety --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_crisis_message_exists_in_both_languages_without_method_details(lang: str) -> None:
    # Given a language / When the crisis message is read
    message = crisis_message(lang)  # type: ignore[arg-type]
    # Then it is short, points to help and carries no method details
    assert 0 < len(message) < 300
    assert "method" not in message.lower()
    assert "方法" not in message


def test_chinese_crisis_message_names_the_emergency_numbers() -> None:
    # Given the Chinese message / When read / Then it names 120 and 110
    message = crisis_message("zh-CN")
    assert ("120" in message, "110" in message, "热线" in message) == (True, True, True)


def test_english_crisis_message_says_they_are_not_alone_and_where_to_go() -> None:
    # Given the English message / When read / Then it is warm and names emergency care
    message = crisis_message("en")
    assert "don't have to go through this alone" in message
    assert "emergency department" in message


def test_crisis_resources_carry_the_message_and_the_short_list_in_one_language() -> None:
    # Given a crisis line and a non-crisis line for China
    lines = [line("a-crisis"), line("b-health", crisis=False)]
    # When a crisis response is built in English for Sichuan
    response = crisis_resources(lines, "CN-SC", "en", AT)
    # Then it has the English message and only the crisis line, named in English
    assert response.message == crisis_message("en")
    assert [(r.id, r.name) for r in response.resources] == [("a-crisis", "Line a-crisis")]


def test_crisis_resources_fall_back_to_china_when_no_line_covers_the_region() -> None:
    # Given only a Chinese crisis line / When a member with an unknown region is in crisis
    response = crisis_resources([line("a-crisis")], None, "zh-CN", AT)
    # Then the response still carries the Chinese line
    assert [r.id for r in response.resources] == ["a-crisis"]
