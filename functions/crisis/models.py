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
    source: str | None
    level: str | None
    received_at: str | None
    reasons: list[str] | None = Field(
        default=None,
        description=(
            "Reason codes, only for signals the crisis feature sealed (POST /help). "
            "Other features' reasons stay sealed under their own keys: see reasons_sealed_by."
        ),
    )
    text: str | None = Field(default=None, description="The member's words (POST /help)")
    reasons_sealed_by: str | None = Field(
        default=None, description="The feature whose key holds this signal's reasons"
    )


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
