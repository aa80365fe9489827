"""Check-in risk engine: each rule, and how rules combine."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.cssrs import CssrsAnswers, CssrsResult, score_cssrs
from shared.risk import RISK_LEVELS, Risk, RiskLevel, assess_checkin, max_level
from shared.scoring import (
    InstrumentScore,
    score_gad2,
    score_gad7,
    score_phq2,
    score_phq9,
)

PHQ9_MINIMAL = score_phq9([0] * 9)
PHQ9_ITEM9 = score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])
PHQ9_MODERATE = score_phq9([3, 3, 3, 1, 0, 0, 0, 0, 0])  # 10
PHQ9_MODERATELY_SEVERE = score_phq9([3, 3, 3, 3, 3, 0, 0, 0, 0])  # 15
PHQ9_SEVERE = score_phq9([3, 3, 3, 3, 3, 3, 2, 0, 0])  # 20
GAD7_MODERATE = score_gad7([3, 3, 3, 3, 2, 0, 0])  # 14
GAD7_SEVERE = score_gad7([3, 3, 3, 3, 3, 0, 0])  # 15
PHQ2_POSITIVE = score_phq2([2, 1])
PHQ2_NEGATIVE = score_phq2([1, 1])
GAD2_POSITIVE = score_gad2([1, 2])
GAD2_NEGATIVE = score_gad2([0, 2])

CSSRS_NONE = CssrsResult(tier="none", reasons=[])
CSSRS_LOW = CssrsResult(tier="low", reasons=["q1_wish_to_be_dead"])
CSSRS_MODERATE = CssrsResult(tier="moderate", reasons=["q6_behavior_over_3_months_ago"])
CSSRS_HIGH = CssrsResult(tier="high", reasons=["q6_behavior_within_3_months"])


def by_name(*scores: InstrumentScore) -> dict[str, InstrumentScore]:
    return {s.instrument: s for s in scores}


# --- max_level -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("none", "none", "none"),
        ("none", "watch", "watch"),
        ("watch", "none", "watch"),
        ("watch", "high", "high"),
        ("imminent", "high", "imminent"),
        ("high", "imminent", "imminent"),
    ],
)
def test_max_level_returns_the_more_severe_level(
    a: RiskLevel, b: RiskLevel, expected: RiskLevel
) -> None:
    # Given two levels / When combined / Then the more severe one wins, in either order
    assert max_level(a, b) == expected


def test_levels_are_ordered_from_none_to_imminent() -> None:
    # Given / When / Then the ordering is the documented one
    assert RISK_LEVELS == ("none", "watch", "high", "imminent")


# --- Single rules ----------------------------------------------------------------------


def test_nothing_found_is_level_none_with_no_reasons() -> None:
    # Given negative screens, a moderate mood and a C-SSRS with no yes
    scores = by_name(PHQ9_MINIMAL, GAD7_MODERATE, PHQ2_NEGATIVE, GAD2_NEGATIVE)
    # When assessed
    risk = assess_checkin(scores, mood=3, cssrs=CSSRS_NONE)
    # Then there is no risk and no screener offered
    assert risk == Risk(level="none", reasons=[], recommended_screener=None)


def test_empty_checkin_is_level_none() -> None:
    # Given no scores, no mood and no C-SSRS
    # When assessed
    risk = assess_checkin({}, mood=None)
    # Then there is no risk
    assert risk == Risk(level="none", reasons=[])


@pytest.mark.parametrize(
    ("scores", "mood", "cssrs", "level", "reason"),
    [
        pytest.param(by_name(PHQ9_SEVERE), None, None, "high", "phq9_severe", id="phq9-severe"),
        pytest.param(
            by_name(PHQ9_MODERATELY_SEVERE),
            None,
            None,
            "watch",
            "phq9_moderately_severe",
            id="phq9-moderately-severe",
        ),
        pytest.param(by_name(GAD7_SEVERE), None, None, "watch", "gad7_severe", id="gad7-severe"),
        pytest.param(
            by_name(PHQ2_POSITIVE), None, None, "watch", "phq2_positive", id="phq2-positive"
        ),
        pytest.param(
            by_name(GAD2_POSITIVE), None, None, "watch", "gad2_positive", id="gad2-positive"
        ),
        pytest.param({}, None, CSSRS_HIGH, "imminent", "cssrs_high", id="cssrs-high"),
        pytest.param({}, None, CSSRS_MODERATE, "high", "cssrs_moderate", id="cssrs-moderate"),
        pytest.param({}, None, CSSRS_LOW, "watch", "cssrs_low", id="cssrs-low"),
        pytest.param({}, 1, None, "watch", "very_low_mood", id="mood-1"),
    ],
)
def test_each_rule_alone_sets_its_level_and_reason(
    scores: dict[str, InstrumentScore],
    mood: int | None,
    cssrs: CssrsResult | None,
    level: RiskLevel,
    reason: str,
) -> None:
    # Given a check-in that meets exactly one rule
    # When assessed
    risk = assess_checkin(scores, mood=mood, cssrs=cssrs)
    # Then that rule's level and only its reason are reported
    assert risk == Risk(level=level, reasons=[reason], recommended_screener=None)


def test_phq9_item9_positive_is_high_and_offers_cssrs_even_when_total_is_minimal() -> None:
    # Given a PHQ-9 with total 1 (minimal) from item 9 alone
    # When assessed
    risk = assess_checkin(by_name(PHQ9_ITEM9), mood=None)
    # Then risk is high and the C-SSRS screener is recommended
    assert risk == Risk(level="high", reasons=["phq9_item9_positive"], recommended_screener="cssrs")


def test_phq9_item9_with_cssrs_already_answered_does_not_offer_it_again() -> None:
    # Given item 9 > 0 and a C-SSRS answered in the same check-in
    # When assessed
    risk = assess_checkin(by_name(PHQ9_ITEM9), mood=None, cssrs=CSSRS_NONE)
    # Then no screener is recommended and item 9 still counts as high
    assert risk == Risk(level="high", reasons=["phq9_item9_positive"], recommended_screener=None)


@pytest.mark.parametrize(
    "score", [PHQ9_MINIMAL, PHQ9_MODERATE, GAD7_MODERATE, PHQ2_NEGATIVE, GAD2_NEGATIVE]
)
def test_scores_below_the_rule_thresholds_add_nothing(score: InstrumentScore) -> None:
    # Given one score that meets no rule (PHQ-9 moderate, GAD-7 moderate, negative screens)
    # When assessed
    risk = assess_checkin(by_name(score), mood=None)
    # Then the level is none
    assert (risk.level, risk.reasons) == ("none", [])


@pytest.mark.parametrize("mood", [2, 3, 5, None])
def test_mood_above_1_adds_nothing(mood: int | None) -> None:
    # Given a mood that is not the lowest
    # When assessed
    risk = assess_checkin({}, mood=mood)
    # Then there is no risk
    assert risk.level == "none"


def test_mood_true_is_not_read_as_mood_1() -> None:
    # Given a bool where the mood should be (bool subclasses int)
    # When assessed
    risk = assess_checkin({}, mood=True)
    # Then it does not trigger the very-low-mood rule
    assert risk.level == "none"


def test_phq9_phq2_flag_alone_does_not_trigger_phq2_rule() -> None:
    # Given a PHQ-9 whose first two items sum to 3 but total stays minimal
    phq9 = score_phq9([2, 1, 0, 0, 0, 0, 0, 0, 0])
    # When assessed
    risk = assess_checkin(by_name(phq9), mood=None)
    # Then only a stand-alone PHQ-2 triggers the phq2_positive rule
    assert risk.level == "none"


# --- Combinations ----------------------------------------------------------------------


def test_highest_level_wins_and_all_reasons_are_sorted() -> None:
    # Given watch (mood, GAD-7 severe, PHQ-2), high (PHQ-9 severe) and imminent (C-SSRS)
    scores = by_name(PHQ9_SEVERE, GAD7_SEVERE, PHQ2_POSITIVE)
    # When assessed
    risk = assess_checkin(scores, mood=1, cssrs=CSSRS_HIGH)
    # Then imminent wins and every reason is listed alphabetically
    assert risk.level == "imminent"
    assert risk.reasons == [
        "cssrs_high",
        "gad7_severe",
        "phq2_positive",
        "phq9_severe",
        "very_low_mood",
    ]


def test_high_outranks_watch() -> None:
    # Given a watch rule (mood 1) and a high rule (C-SSRS moderate)
    # When assessed
    risk = assess_checkin({}, mood=1, cssrs=CSSRS_MODERATE)
    # Then high wins
    assert risk == Risk(level="high", reasons=["cssrs_moderate", "very_low_mood"])


def test_several_watch_rules_stay_at_watch() -> None:
    # Given three watch-level findings
    scores = by_name(PHQ9_MODERATELY_SEVERE, GAD2_POSITIVE)
    # When assessed
    risk = assess_checkin(scores, mood=1)
    # Then the level does not escalate by count
    assert risk == Risk(
        level="watch", reasons=["gad2_positive", "phq9_moderately_severe", "very_low_mood"]
    )


def test_item9_and_severe_phq9_both_reported_at_high() -> None:
    # Given a severe PHQ-9 with item 9 > 0
    phq9 = score_phq9([3, 3, 3, 3, 3, 3, 1, 0, 1])  # 20
    # When assessed
    risk = assess_checkin(by_name(phq9), mood=None)
    # Then both reasons appear, level high, C-SSRS offered
    assert risk == Risk(
        level="high", reasons=["phq9_item9_positive", "phq9_severe"], recommended_screener="cssrs"
    )


def test_full_chain_item9_then_cssrs_high_routes_to_imminent() -> None:
    # Given item 9 > 0 and the C-SSRS then answered with recent behaviour
    cssrs = score_cssrs(CssrsAnswers(q1=True, q2=False, q6=True, q6_within_3_months=True))
    # When the check-in is reassessed with the screener result
    risk = assess_checkin(by_name(PHQ9_ITEM9), mood=None, cssrs=cssrs)
    # Then the C-SSRS tier routes it to imminent
    assert risk == Risk(level="imminent", reasons=["cssrs_high", "phq9_item9_positive"])


# --- Input contract and model ----------------------------------------------------------


def test_score_filed_under_the_wrong_instrument_is_rejected() -> None:
    # Given a PHQ-9 score filed under "gad7"
    # When assessed / Then it is refused rather than judged by the wrong rules
    with pytest.raises(ValueError, match="filed under 'gad7' is a phq9 score"):
        assess_checkin({"gad7": PHQ9_SEVERE}, mood=None)


def test_risk_reasons_are_sorted_and_deduplicated_on_construction() -> None:
    # Given reasons out of order and repeated
    # When a Risk is built
    risk = Risk(level="watch", reasons=["very_low_mood", "gad2_positive", "very_low_mood"])
    # Then they are stored sorted and unique
    assert risk.reasons == ["gad2_positive", "very_low_mood"]


@pytest.mark.parametrize(
    "fields",
    [
        {"level": "critical", "reasons": []},
        {"level": "none", "reasons": [], "recommended_screener": "phq9"},
        {"level": "none", "reasons": [], "extra": 1},
    ],
)
def test_risk_rejects_unknown_values(fields: dict[str, Any]) -> None:
    # Given an unknown level, screener or field
    # When a Risk is built / Then validation fails
    with pytest.raises(ValidationError):
        Risk.model_validate(fields)


def test_risk_is_frozen() -> None:
    # Given a Risk
    risk = assess_checkin({}, mood=1)
    # When changed / Then it refuses
    with pytest.raises(ValidationError):
        risk.level = "none"  # type: ignore[misc]
