"""Screening logic: the C-SSRS tier's risk comes from the signals table, and agrees with
the check-in risk engine for every answer the skip logic allows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from functions.screenings.logic import build_screening, cssrs_risk, member_view
from shared.crisis.signals import severity_of
from shared.cssrs import CssrsAnswers, CssrsResult, CssrsTier, score_cssrs
from shared.risk import assess_checkin

AT = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)


def every_valid_answer_set() -> Iterator[dict[str, Any]]:
    """Each set of answers the screener's branching can produce: 2 x (1 + 8) x (1 + 2) = 54."""
    for q1, q2, q6 in itertools.product((False, True), repeat=3):
        follow_ups = itertools.product((False, True), repeat=3) if q2 else [(None, None, None)]
        timings = (False, True) if q6 else (None,)
        for (q3, q4, q5), timing in itertools.product(follow_ups, timings):
            yield {
                "q1": q1,
                "q2": q2,
                "q3": q3,
                "q4": q4,
                "q5": q5,
                "q6": q6,
                "q6_within_3_months": timing,
            }


def test_the_enumeration_covers_the_whole_screener() -> None:
    # Given / When every branch is walked
    sets = [CssrsAnswers(**a) for a in every_valid_answer_set()]
    # Then each is valid (the model would refuse one that is not) and none repeats
    assert len(set(sets)) == len(sets) == 54


@pytest.mark.parametrize("answers", list(every_valid_answer_set()))
def test_a_screenings_level_is_the_check_in_engines_for_the_same_result(
    answers: dict[str, Any],
) -> None:
    # Given valid answers / When scored as a screening and as a check-in carrying them
    result = score_cssrs(CssrsAnswers(**answers))
    screening, checkin = cssrs_risk(result), assess_checkin({}, None, cssrs=result)
    # Then both paths give the same level, and the screening's reasons hold the check-in's
    assert screening.level == checkin.level
    assert set(checkin.reasons) <= set(screening.reasons)


@pytest.mark.parametrize("tier", ["low", "moderate", "high"])
def test_each_tier_takes_the_tables_severity_with_every_yes_as_a_reason(tier: CssrsTier) -> None:
    # Given a result of this tier with a yes / When its risk is made
    risk = cssrs_risk(CssrsResult(tier=tier, reasons=["q1_wish_to_be_dead"]))
    # Then the level is the signals table's and the reasons name the tier and the yes
    assert risk.level == severity_of(f"cssrs_{tier}")
    assert risk.reasons == ["cssrs:q1_wish_to_be_dead", f"cssrs_{tier}"]


def test_the_member_sees_the_level_but_not_the_reasons() -> None:
    # Given a scored high-risk screening
    screening = build_screening(
        CssrsAnswers(q1=True, q2=True, q3=False, q4=False, q5=True, q6=False), "s-1", AT
    )
    # When turned into the member's view
    view = member_view(screening, {"message": "m", "lang": "en", "resources": []})
    # Then it has the tier and level, asks for support, and holds no reasons
    assert view.model_dump() == {
        "id": "s-1",
        "instrument": "cssrs",
        "tier": "high",
        "risk": {"level": "imminent"},
        "support_requested": True,
        "crisis_resources": {"message": "m", "lang": "en", "resources": []},
    }
    assert screening.created_at == "2026-05-01T18:00:00.000Z"


def test_no_tier_is_no_risk_and_no_support() -> None:
    # Given answers with no yes / When scored and shown to the member
    screening = build_screening(CssrsAnswers(q1=False, q2=False, q6=False), "s-2", AT)
    view = member_view(screening, None)
    # Then there is no risk, no reason, and no support is requested
    assert (screening.tier, screening.risk.level, screening.risk.reasons) == ("none", "none", [])
    assert view.support_requested is False
