"""Screening decisions as plain functions: answers in, a scored screening out, no I/O.

The risk level of a C-SSRS tier comes from the crisis signals table
(shared/crisis/signals.py), the one place that maps each signal to a severity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from functions.screenings.models import RiskLevelOut, Screening, ScreeningOut
from shared.clock import utc_iso
from shared.crisis.signals import severity_of
from shared.cssrs import CssrsAnswers, CssrsResult, score_cssrs
from shared.risk import Risk

INSTRUMENT = "cssrs"
# Every "yes" rides with the tier's code as a reason, like the lexicon's "lexicon:<id>".
ANSWER_REASON_PREFIX = "cssrs:"


def cssrs_risk(result: CssrsResult) -> Risk:
    """The table's severity for the tier, its code and every yes found as reasons."""
    if result.tier == "none":
        return Risk(level="none")
    code = f"cssrs_{result.tier}"
    reasons = [code, *(ANSWER_REASON_PREFIX + reason for reason in result.reasons)]
    return Risk(level=severity_of(code), reasons=reasons)


def build_screening(answers: CssrsAnswers, screening_id: str, now: dt.datetime) -> Screening:
    result = score_cssrs(answers)
    return Screening(
        id=screening_id,
        instrument=INSTRUMENT,
        tier=result.tier,
        answers=answers,
        risk=cssrs_risk(result),
        created_at=utc_iso(now),
    )


def member_view(screening: Screening, crisis_resources: dict[str, Any] | None) -> ScreeningOut:
    """What the member is told: the tier and the level, never the reasons."""
    level = screening.risk.level
    return ScreeningOut(
        id=screening.id,
        instrument=screening.instrument,
        tier=screening.tier,
        risk=RiskLevelOut(level=level),
        # Every level above none is a signal the intake turns into a case.
        support_requested=level != "none",
        crisis_resources=crisis_resources,
    )
