"""Check-in request and response models: the HTTP contract of the check-ins function."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from shared.risk import Risk
from shared.scoring import InstrumentName, InstrumentScore
from shared.vocabulary import Emotions, Tags

Scale = Annotated[int, Strict(), Field(ge=1, le=5)]
ItemAnswer = Annotated[int, Strict(), Field(ge=0, le=3)]
MAX_NOTE_CHARS = 1000
MAX_DAYS_BACK = 366


class CheckinIn(BaseModel):
    """POST /checkins body. Unknown fields are refused so a typo never drops data silently."""

    model_config = ConfigDict(extra="forbid")

    mood: Scale = Field(description="1 very bad ... 5 very good")
    energy: Scale | None = None
    stress: Scale | None = None
    sleep_hours: Annotated[float, Strict(), Field(ge=0, le=24)] | None = None
    emotions: Emotions = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_CHARS)] | None = None
    instruments: dict[InstrumentName, Annotated[list[ItemAnswer], Field(max_length=9)]] = Field(
        default_factory=dict,
        description="Item answers 0-3 per instrument: phq2 (2), phq9 (9), gad2 (2), gad7 (7).",
    )
    share_with_supporter: Annotated[bool, Strict()] = False
    date: dt.date | None = Field(
        default=None,
        description="Member-local day (YYYY-MM-DD); defaults to today; never in the future.",
    )


class Checkin(BaseModel):
    """A stored check-in, as the member sees it."""

    date: dt.date
    mood: int
    energy: int | None = None
    stress: int | None = None
    sleep_hours: float | None = None
    emotions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    instruments: dict[str, list[int]] = Field(default_factory=dict)
    share_with_supporter: bool = False
    scores: dict[str, InstrumentScore] = Field(default_factory=dict)
    risk: Risk
    time_zone: str
    created_at: str
    updated_at: str
    crisis_resources: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Only in the response to a write whose risk is high or imminent: "
            "{message, lang, resources} with the crisis lines for the member's region "
            "(the shape of GET /resources/crisis). Never stored."
        ),
    )
    support_requested: bool = Field(
        default=False,
        description=(
            "True in the response to a write that raised a risk signal for a member of an "
            "organisation: a counsellor is told and will reach out (support_message says "
            "so). Never a score or a case detail. Never stored."
        ),
    )
    support_message: str | None = Field(
        default=None,
        description="When support_requested: the wording to show, in the member's language",
    )
    next_step: Literal["cssrs"] | None = Field(
        default=None,
        description=(
            'Only in the response to a write whose PHQ-9 item 9 is above 0: "cssrs", so the '
            "app offers the C-SSRS screener (POST /screenings/cssrs) at once. Never stored."
        ),
    )


class CheckinPage(BaseModel):
    items: list[Checkin]
    next_cursor: str | None


class LatestBand(BaseModel):
    band: str
    total: int
    positive: bool
    date: dt.date


class Summary(BaseModel):
    today: dt.date
    checked_in_today: bool
    streak_days: int = Field(
        description="Consecutive local days with a check-in, ending today or yesterday."
    )
    mood_avg_7d: float | None
    mood_avg_30d: float | None
    checkins_7d: int
    checkins_30d: int
    latest_bands: dict[str, LatestBand]
