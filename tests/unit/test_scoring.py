"""Clinical scoring: bands, flags and input validation, per docs/MISSION.md."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shared.cssrs import CssrsAnswers, score_cssrs
from shared.errors import InvalidInput
from shared.scoring import (
    INSTRUMENT_ITEM_COUNTS,
    InstrumentScore,
    score_gad2,
    score_gad7,
    score_instrument,
    score_phq2,
    score_phq9,
)


def items_with_total(total: int, count: int, *, last_zero: bool = False) -> list[int]:
    """Spread `total` over `count` items of 0-3, filling from the first item."""
    items = [0] * count
    slots = range(count - 1) if last_zero else range(count)
    remaining = total
    for i in slots:
        items[i] = min(3, remaining)
        remaining -= items[i]
    assert remaining == 0, "total does not fit"
    return items


# --- PHQ-9 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_band_follows_total_on_each_side_of_every_boundary(total: int, band: str) -> None:
    # Given answers summing to the total, with item 9 at 0
    items = items_with_total(total, 9, last_zero=True)
    # When scored
    result = score_phq9(items)
    # Then the total and band are exact
    assert (result.total, result.band) == (total, band)


def test_phq9_maximum_total_is_27_and_severe() -> None:
    # Given every item at 3
    # When scored
    result = score_phq9([3] * 9)
    # Then the total is 27 and the band severe
    assert (result.total, result.band) == (27, "severe")


def test_phq9_all_zero_is_negative_without_flags() -> None:
    # Given every item at 0
    # When scored
    result = score_phq9([0] * 9)
    # Then it is not positive and carries no flag
    assert result == InstrumentScore(
        instrument="phq9", total=0, band="minimal", positive=False, flags=[]
    )


@pytest.mark.parametrize(("total", "expected"), [(9, False), (10, True)])
def test_phq9_further_evaluation_and_positive_start_at_10(total: int, expected: bool) -> None:
    # Given a total either side of 10, item 9 at 0
    items = items_with_total(total, 9, last_zero=True)
    # When scored
    result = score_phq9(items)
    # Then positive and the further-evaluation flag switch together at 10
    assert result.positive is expected
    assert ("further_evaluation" in result.flags) is expected


def test_phq9_item9_positive_with_minimal_total_is_flagged_and_positive() -> None:
    # Given only item 9 answered, at 1 (total 1, band minimal)
    items = [0, 0, 0, 0, 0, 0, 0, 0, 1]
    # When scored
    result = score_phq9(items)
    # Then item 9 alone makes the screen positive
    assert result == InstrumentScore(
        instrument="phq9", total=1, band="minimal", positive=True, flags=["item9_positive"]
    )


@pytest.mark.parametrize(
    ("item1", "item2", "expected"), [(1, 1, False), (2, 1, True), (0, 3, True)]
)
def test_phq9_phq2_flag_set_when_first_two_items_reach_3(
    item1: int, item2: int, expected: bool
) -> None:
    # Given items 1 and 2, the rest 0
    items = [item1, item2, 0, 0, 0, 0, 0, 0, 0]
    # When scored
    result = score_phq9(items)
    # Then the PHQ-2 flag follows items 1 + 2 >= 3, without making the PHQ-9 positive
    assert ("phq2_positive" in result.flags) is expected
    assert result.positive is False


def test_phq9_all_flags_together_are_listed_in_stable_order() -> None:
    # Given a high total, positive first two items and item 9 > 0
    # When scored
    result = score_phq9([3, 3, 3, 3, 0, 0, 0, 0, 2])
    # Then all three flags appear, sorted
    assert result.flags == ["further_evaluation", "item9_positive", "phq2_positive"]
    assert (result.total, result.band, result.positive) == (14, "moderate", True)


# --- GAD-7 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_follows_total_on_each_side_of_every_boundary(total: int, band: str) -> None:
    # Given answers summing to the total
    items = items_with_total(total, 7)
    # When scored
    result = score_gad7(items)
    # Then the total and band are exact
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "expected"), [(9, False), (10, True)])
def test_gad7_further_evaluation_and_positive_start_at_10(total: int, expected: bool) -> None:
    # Given a total either side of 10, spread so items 1+2 are equal in both cases
    items = [3, 3, *items_with_total(total - 6, 5)]
    # When scored
    result = score_gad7(items)
    # Then positive and the further-evaluation flag switch together at 10
    assert result.positive is expected
    assert ("further_evaluation" in result.flags) is expected


@pytest.mark.parametrize(("item1", "item2", "expected"), [(2, 0, False), (1, 2, True)])
def test_gad7_gad2_flag_set_when_first_two_items_reach_3(
    item1: int, item2: int, expected: bool
) -> None:
    # Given items 1 and 2, the rest 0
    items = [item1, item2, 0, 0, 0, 0, 0]
    # When scored
    result = score_gad7(items)
    # Then the GAD-2 flag follows items 1 + 2 >= 3, without making the GAD-7 positive
    assert result.flags == (["gad2_positive"] if expected else [])
    assert result.positive is False


# --- PHQ-2 / GAD-2 ---------------------------------------------------------------------


@pytest.mark.parametrize("scorer", [score_phq2, score_gad2])
@pytest.mark.parametrize(
    ("items", "total", "band", "positive"),
    [
        ([0, 0], 0, "negative", False),
        ([1, 1], 2, "negative", False),
        ([2, 1], 3, "positive", True),
        ([3, 3], 6, "positive", True),
    ],
)
def test_short_form_is_positive_from_total_3(
    scorer: Any, items: list[int], total: int, band: str, positive: bool
) -> None:
    # Given two answers
    # When scored
    result = scorer(items)
    # Then the screen turns positive at 3 and not before
    assert (result.total, result.band, result.positive, result.flags) == (
        total,
        band,
        positive,
        [],
    )


# --- Dispatch --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count"), sorted(INSTRUMENT_ITEM_COUNTS.items()))
def test_score_instrument_dispatches_by_name(name: str, count: int) -> None:
    # Given a valid answer list for the instrument
    items = [1] * count
    # When scored by name
    result = score_instrument(name, items)
    # Then the matching instrument is scored
    assert (result.instrument, result.total) == (name, count)


def test_item_counts_match_the_instruments() -> None:
    # Given / When / Then the published counts are the instruments' lengths
    assert INSTRUMENT_ITEM_COUNTS == {"phq2": 2, "phq9": 9, "gad2": 2, "gad7": 7}


def test_score_instrument_rejects_an_unknown_name() -> None:
    # Given a name that is not an instrument
    # When scored / Then the input is rejected
    with pytest.raises(InvalidInput, match="unknown instrument"):
        score_instrument("phq8", [0] * 8)


# --- Input validation ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "count"), sorted(INSTRUMENT_ITEM_COUNTS.items()))
@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_number_of_items_is_rejected(name: str, count: int, delta: int) -> None:
    # Given one answer too few or too many
    items = [0] * (count + delta)
    # When scored / Then the error names the instrument and the expected count
    with pytest.raises(InvalidInput, match=rf"^{name} needs exactly {count} answers"):
        score_instrument(name, items)


@pytest.mark.parametrize("name", sorted(INSTRUMENT_ITEM_COUNTS))
def test_empty_answer_list_is_rejected(name: str) -> None:
    # Given no answers
    # When scored / Then it is rejected
    with pytest.raises(InvalidInput, match=rf"^{name} needs exactly"):
        score_instrument(name, [])


@pytest.mark.parametrize(("name", "count"), sorted(INSTRUMENT_ITEM_COUNTS.items()))
@pytest.mark.parametrize("bad", [-1, 4])
def test_item_outside_0_to_3_is_rejected(name: str, count: int, bad: int) -> None:
    # Given one answer just outside the scale, in the last position
    items = [0] * (count - 1) + [bad]
    # When scored / Then the error names the instrument and the item
    with pytest.raises(InvalidInput, match=rf"^{name} item {count} must be between 0 and 3"):
        score_instrument(name, items)


@pytest.mark.parametrize(("name", "count"), sorted(INSTRUMENT_ITEM_COUNTS.items()))
@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None])
def test_non_integer_item_is_rejected(name: str, count: int, bad: Any) -> None:
    # Given an answer that is not an int (bools included, though bool subclasses int)
    items: list[Any] = [bad] + [0] * (count - 1)
    # When scored / Then the error names the instrument and the item
    with pytest.raises(InvalidInput, match=rf"^{name} item 1 must be an integer$"):
        score_instrument(name, items)


@pytest.mark.parametrize("bad", ["00", {"a": 0, "b": 0}, None])
def test_answers_that_are_not_a_list_are_rejected(bad: Any) -> None:
    # Given answers of the wrong container type (a 2-char string has the right length)
    # When scored / Then it is rejected
    with pytest.raises(InvalidInput, match=r"^phq2 answers must be a list"):
        score_phq2(bad)


def test_answers_as_tuple_are_accepted() -> None:
    # Given answers as a tuple
    # When scored
    result = score_gad2((2, 2))
    # Then they are scored like a list
    assert (result.total, result.positive) == (4, True)


def test_invalid_input_detail_does_not_echo_the_answers() -> None:
    # Given an out-of-range answer with a distinctive value
    # When scored
    with pytest.raises(InvalidInput) as excinfo:
        score_phq9([0, 0, 0, 0, 0, 0, 0, 0, 987654])
    # Then the detail holds no answer values (answers are health data)
    assert "987654" not in excinfo.value.detail


def test_instrument_score_is_frozen() -> None:
    # Given a score
    result = score_phq2([0, 0])
    # When changed / Then it refuses
    with pytest.raises(ValidationError):
        result.total = 5  # type: ignore[misc]


# --- C-SSRS ----------------------------------------------------------------------------

NO_IDEATION: dict[str, Any] = {"q1": False, "q2": False, "q6": False}
IDEATION: dict[str, Any] = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": False}


@pytest.mark.parametrize(
    ("answers", "tier", "reasons"),
    [
        pytest.param(NO_IDEATION, "none", [], id="all-no"),
        pytest.param({**NO_IDEATION, "q1": True}, "low", ["q1_wish_to_be_dead"], id="q1-only"),
        pytest.param(
            {**IDEATION, "q1": False, "q6": False},
            "low",
            ["q2_suicidal_thoughts"],
            id="q2-only",
        ),
        pytest.param(
            {**IDEATION, "q6": False},
            "low",
            ["q1_wish_to_be_dead", "q2_suicidal_thoughts"],
            id="q1-and-q2",
        ),
        pytest.param(
            {**IDEATION, "q3": True, "q6": False},
            "moderate",
            ["q1_wish_to_be_dead", "q2_suicidal_thoughts", "q3_thoughts_with_method"],
            id="q3",
        ),
        pytest.param(
            {**NO_IDEATION, "q6": True, "q6_within_3_months": False},
            "moderate",
            ["q6_behavior_over_3_months_ago"],
            id="q6-long-ago",
        ),
        pytest.param(
            {**IDEATION, "q4": True, "q6": False},
            "high",
            ["q1_wish_to_be_dead", "q2_suicidal_thoughts", "q4_intent"],
            id="q4",
        ),
        pytest.param(
            {**IDEATION, "q5": True, "q6": False},
            "high",
            ["q1_wish_to_be_dead", "q2_suicidal_thoughts", "q5_plan"],
            id="q5",
        ),
        pytest.param(
            {**NO_IDEATION, "q6": True, "q6_within_3_months": True},
            "high",
            ["q6_behavior_within_3_months"],
            id="q6-recent",
        ),
    ],
)
def test_cssrs_tier_for_each_answer_pattern(
    answers: dict[str, Any], tier: str, reasons: list[str]
) -> None:
    # Given a complete set of screener answers
    parsed = CssrsAnswers.model_validate(answers)
    # When scored
    result = score_cssrs(parsed)
    # Then the tier and reasons are exact
    assert (result.tier, result.reasons) == (tier, reasons)


def test_cssrs_highest_tier_wins_and_all_reasons_are_kept() -> None:
    # Given low (Q1/Q2), moderate (Q3, old behaviour) and high (Q5) answers together
    answers = CssrsAnswers(
        q1=True, q2=True, q3=True, q4=False, q5=True, q6=True, q6_within_3_months=False
    )
    # When scored
    result = score_cssrs(answers)
    # Then the tier is high and every yes is listed, sorted
    assert result.tier == "high"
    assert result.reasons == [
        "q1_wish_to_be_dead",
        "q2_suicidal_thoughts",
        "q3_thoughts_with_method",
        "q5_plan",
        "q6_behavior_over_3_months_ago",
    ]


def test_cssrs_recent_behaviour_outranks_moderate_ideation() -> None:
    # Given Q3 yes (moderate) and behaviour within 3 months (high)
    answers = CssrsAnswers(
        q1=False, q2=True, q3=True, q4=False, q5=False, q6=True, q6_within_3_months=True
    )
    # When scored / Then high wins
    assert score_cssrs(answers).tier == "high"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        pytest.param(
            {**NO_IDEATION, "q3": False}, "must be omitted when q2 is no", id="q3-after-q2-no"
        ),
        pytest.param(
            {**NO_IDEATION, "q4": True}, "must be omitted when q2 is no", id="q4-after-q2-no"
        ),
        pytest.param(
            {**NO_IDEATION, "q5": False}, "must be omitted when q2 is no", id="q5-after-q2-no"
        ),
        pytest.param(
            {"q1": False, "q2": True, "q4": False, "q5": False, "q6": False},
            "required when q2 is yes",
            id="q3-missing-after-q2-yes",
        ),
        pytest.param(
            {"q1": False, "q2": True, "q3": False, "q5": False, "q6": False},
            "required when q2 is yes",
            id="q4-missing-after-q2-yes",
        ),
        pytest.param(
            {"q1": False, "q2": True, "q3": False, "q4": False, "q6": False},
            "required when q2 is yes",
            id="q5-missing-after-q2-yes",
        ),
        pytest.param(
            {**NO_IDEATION, "q6": True},
            "q6_within_3_months is required when q6 is yes",
            id="q6-timing-missing",
        ),
        pytest.param(
            {**NO_IDEATION, "q6_within_3_months": True},
            "q6_within_3_months must be omitted when q6 is no",
            id="q6-timing-after-q6-no",
        ),
    ],
)
def test_cssrs_skip_logic_violation_is_rejected(answers: dict[str, Any], message: str) -> None:
    # Given answers that break the screener's skip logic
    # When parsed / Then validation fails with the rule broken
    with pytest.raises(ValidationError, match=message):
        CssrsAnswers.model_validate(answers)


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"q1": False, "q6": False}, id="q2-missing"),
        pytest.param({"q1": False, "q2": False}, id="q6-missing"),
        pytest.param({**NO_IDEATION, "q7": True}, id="unknown-field"),
        pytest.param({**NO_IDEATION, "q1": 1}, id="int-as-bool"),
        pytest.param({**NO_IDEATION, "q1": "yes"}, id="string-as-bool"),
    ],
)
def test_cssrs_malformed_answers_are_rejected(answers: dict[str, Any]) -> None:
    # Given missing, extra or non-boolean answers
    # When parsed / Then validation fails
    with pytest.raises(ValidationError):
        CssrsAnswers.model_validate(answers)


def test_cssrs_answers_parse_from_json_booleans() -> None:
    # Given the answers as a JSON body
    body = '{"q1": true, "q2": false, "q6": true, "q6_within_3_months": false}'
    # When parsed and scored
    result = score_cssrs(CssrsAnswers.model_validate_json(body))
    # Then strict mode still accepts JSON true/false
    assert result.tier == "moderate"
