"""Request and response bodies of the counsellor API and `POST /help`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["watch", "high", "imminent"]
Status = Literal["open", "acknowledged", "following_up", "closed"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WatchOutcome(_In):
    watch_level: Annotated[int, Field(ge=1, le=3, strict=True)]
    review_on: dt.date


class CloseIn(_In):
    outcome: Literal["resolved", "referred"] | WatchOutcome = Field(
        description='"resolved", "referred", or {"watch_level": 1-3, "review_on": date}'
    )


class HelpIn(_In):
    text: Annotated[str | None, Field(max_length=2000)] = Field(
        default=None, description="Optional, in the member's words; sealed, shown to counsellors"
    )


class HelpOut(BaseModel):
    support_requested: bool = True
    message: str
    crisis_resources: dict[str, Any]


class CaseSummary(BaseModel):
    case_id: str
    user_id: str
    status: Status
    severity: Severity
    revision: int
    created_at: str
    updated_at: str
    signals: int


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None


class SignalOut(BaseModel):
    source: str | None = Field(
        description=(
            "Where the signal came from: checkins, journal, screenings, help, sustained_low_mood"
        )
    )
    level: str | None
    received_at: str | None
    reasons: list[str] | None = Field(
        default=None,
        description=(
            "The signal's reason codes (docs/signals.md), opened for the counsellor: sealed "
            "for the crisis feature by the feature that raised the signal, and sealed again "
            "for the case by the risk intake. Null when none could be kept (the source's "
            "sealed reasons were missing or unreadable, or the member's data was erased)."
        ),
    )
    text: str | None = Field(default=None, description="The member's words (POST /help)")


class Outcome(BaseModel):
    kind: Literal["resolved", "referred", "watch"]
    watch_level: int | None = None
    review_on: str | None = None


class CaseDetail(CaseSummary):
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    closed_by: str | None = None
    closed_at: str | None = None
    outcome: Outcome | None = None
    member_erased_at: str | None = Field(
        default=None,
        description=(
            "When the member erased their account: the case is kept as a safety record "
            "(decision 29), without the member's own words"
        ),
    )
    signal_details: list[SignalOut] = Field(
        default_factory=list, description="The signals attached, oldest first"
    )


class AckOut(BaseModel):
    case_id: str
    status: Status
    acknowledged_by: str
    acknowledged_at: str


class CloseOut(BaseModel):
    case_id: str
    status: Status
    closed_by: str
    closed_at: str
    outcome: Outcome
