"""Screening request and response models: the HTTP contract of the screenings function.

The request body is `shared.cssrs.CssrsAnswers` itself, so the API accepts exactly the
answers the screener's skip logic allows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.cssrs import CssrsAnswers, CssrsTier
from shared.risk import Risk, RiskLevel

Instrument = Literal["cssrs"]


class Screening(BaseModel):
    """A scored screening as it is stored (the answers and reasons get sealed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    instrument: Instrument
    tier: CssrsTier
    answers: CssrsAnswers
    risk: Risk
    created_at: str


class RiskLevelOut(BaseModel):
    """The level only: the member never sees the reasons."""

    level: RiskLevel


class ScreeningOut(BaseModel):
    """The answer to the member who took the screener."""

    id: str
    instrument: Instrument
    tier: CssrsTier = Field(description="none, low, moderate or high (C-SSRS screener)")
    risk: RiskLevelOut
    support_requested: bool = Field(
        description=(
            "True when the screening raised a risk: a counsellor of the member's "
            "organisation is told and will reach out."
        )
    )
    crisis_resources: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Only when the risk is high or imminent: {message, lang, resources} with the "
            "crisis lines for the member's region (the shape of GET /resources/crisis). "
            "Never stored."
        ),
    )
