"""The C-SSRS screener, exactly as docs/MISSION.md states it.

Kept apart from shared/scoring.py: only the crisis workflow asks it, so the
check-ins function does not pay for its models at cold start.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

CssrsTier = Literal["none", "low", "moderate", "high"]
_TIER_ORDER: tuple[CssrsTier, ...] = ("none", "low", "moderate", "high")


class CssrsAnswers(BaseModel):
    """Answers to the C-SSRS screener, with its skip logic enforced.

    Q3-Q5 are asked only after a yes to Q2; Q6 (behaviour) is always asked, and
    its timing only after a yes. Strict mode: 1 or "yes" is not a clinical answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    q1: bool
    q2: bool
    q3: bool | None = None
    q4: bool | None = None
    q5: bool | None = None
    q6: bool
    q6_within_3_months: bool | None = None

    @model_validator(mode="after")
    def _check_skip_logic(self) -> Self:
        follow_ups = (self.q3, self.q4, self.q5)
        if self.q2 and any(answer is None for answer in follow_ups):
            raise ValueError("q3, q4 and q5 are required when q2 is yes")
        if not self.q2 and any(answer is not None for answer in follow_ups):
            raise ValueError("q3, q4 and q5 must be omitted when q2 is no")
        if self.q6 and self.q6_within_3_months is None:
            raise ValueError("q6_within_3_months is required when q6 is yes")
        if not self.q6 and self.q6_within_3_months is not None:
            raise ValueError("q6_within_3_months must be omitted when q6 is no")
        return self


class CssrsResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: CssrsTier
    # Every "yes" found, as stable codes (sorted), not only the one that set the tier.
    reasons: list[str] = Field(default_factory=list)


def score_cssrs(answers: CssrsAnswers) -> CssrsResult:
    findings: list[tuple[CssrsTier, str]] = []
    if answers.q1:
        findings.append(("low", "q1_wish_to_be_dead"))
    if answers.q2:
        findings.append(("low", "q2_suicidal_thoughts"))
    if answers.q3:
        findings.append(("moderate", "q3_thoughts_with_method"))
    if answers.q4:
        findings.append(("high", "q4_intent"))
    if answers.q5:
        findings.append(("high", "q5_plan"))
    if answers.q6:
        if answers.q6_within_3_months:
            findings.append(("high", "q6_behavior_within_3_months"))
        else:
            findings.append(("moderate", "q6_behavior_over_3_months_ago"))
    tier = max((t for t, _ in findings), key=_TIER_ORDER.index, default="none")
    return CssrsResult(tier=tier, reasons=sorted({code for _, code in findings}))
