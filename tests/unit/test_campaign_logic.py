"""Campaign decisions as plain functions: audience subtrees, timing, tiers, wording."""

from __future__ import annotations

import datetime as dt

import pytest

from functions.screenings.campaign_keys import (
    campaign_of_member_sk,
    consent_item_sk,
    consent_version,
    remind_at,
    request_id,
)
from functions.screenings.campaign_logic import pick_lang, score_answers, summary
from shared.errors import InvalidInput
from shared.orgs.tree import subtree

UNITS: list[dict[str, str | None]] = [
    {"unit_id": "school", "parent_id": None},
    {"unit_id": "g7", "parent_id": "school"},
    {"unit_id": "c71", "parent_id": "g7"},
    {"unit_id": "c72", "parent_id": "g7"},
    {"unit_id": "g8", "parent_id": "school"},
    {"unit_id": "loop1", "parent_id": "loop2"},
    {"unit_id": "loop2", "parent_id": "loop1"},
]


def test_a_subtree_holds_the_unit_and_everything_below_it() -> None:
    assert subtree(UNITS, ["g7"]) == {"g7", "c71", "c72"}
    assert subtree(UNITS, ["c71", "g8"]) == {"c71", "g8"}
    assert subtree(UNITS, ["school"]) == {"school", "g7", "c71", "c72", "g8"}
    assert subtree(UNITS, ["loop1"]) == {"loop1", "loop2"}
    assert subtree(UNITS, ["nowhere"]) == set()


def test_the_reminder_is_before_closing_or_at_the_midpoint() -> None:
    opens = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    week = opens + dt.timedelta(days=7)
    assert remind_at(opens, week, 24) == week - dt.timedelta(hours=24)
    assert remind_at(opens, opens + dt.timedelta(hours=10), 24) == opens + dt.timedelta(hours=5)


def test_the_consent_version_follows_both_texts() -> None:
    first = consent_version({"zh-CN": "同意", "en": "Agree"})
    assert first == consent_version({"zh-CN": "同意", "en": "Agree"})
    assert first != consent_version({"zh-CN": "同意", "en": "Agree."})


def test_request_ids_are_stable_and_name_no_one() -> None:
    one = request_id("camp", "mei", "open")
    assert one == request_id("camp", "mei", "open") != request_id("camp", "mei", "close")
    assert "mei" not in one and one.startswith("campaign-")


def test_a_members_item_names_its_campaign() -> None:
    assert campaign_of_member_sk(consent_item_sk("abc-1")) == "abc-1"
    assert campaign_of_member_sk("screening#2026#x") is None


@pytest.mark.parametrize(
    ("phq9", "gad7", "tier"),
    [
        ([0] * 9, [0] * 7, "general"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], [0] * 7, "general"),  # mild
        ([2, 2, 1, 1, 1, 1, 1, 2, 0], [0] * 7, "borderline"),  # moderate
        ([2, 2, 2, 2, 2, 2, 2, 2, 0], [0] * 7, "borderline"),  # 16: moderately severe
        ([0] * 9, [2, 2, 2, 2, 1, 1, 0], "borderline"),  # GAD-7 10: moderate
        ([0] * 9, [3, 3, 3, 3, 2, 1, 1], "high"),  # GAD-7 16: severe
        ([3, 3, 3, 3, 3, 2, 2, 2, 0], [0] * 7, "high"),  # PHQ-9 21: severe
        ([0, 0, 0, 0, 0, 0, 0, 0, 1], [0] * 7, "high"),  # item 9
    ],
)
def test_tiers_follow_the_bands_and_item_9(phq9: list[int], gad7: list[int], tier: str) -> None:
    scored = score_answers(["phq9", "gad7"], {"phq9": phq9, "gad7": gad7}, None)
    assert scored["tier"] == tier


def test_a_missing_instrument_is_named() -> None:
    with pytest.raises(InvalidInput) as raised:
        score_answers(["phq9", "gad7"], {"phq9": [0] * 9}, None)
    assert raised.value.errors[0]["location"] == ["body", "answers", "gad7"]


def test_wording_is_plain_in_both_languages() -> None:
    assert summary("phq9", "mild", "en") == (
        "Your answers suggest mild low mood over the last two weeks."
    )
    assert "抑郁" not in summary("phq9", "severe", "zh-CN")
    assert pick_lang("fr, en;q=0.5", None) == "en"
    assert pick_lang(None, "zh-Hans-CN") == "zh-CN"
    assert pick_lang(None, None) == "zh-CN"
