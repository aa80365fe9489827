"""The statistics API's response models (StatsFunction)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field


class Cell(BaseModel):
    """A count, or null with `suppressed: true` where it would count 1-4 people or would let
    such a count be recovered by subtraction."""

    value: int | None
    suppressed: bool


class Minutes(BaseModel):
    """A bucket of minutes from opening to acknowledgement: at least, and under (null: open)."""

    at_least: int
    under: int | None


class MedianCell(BaseModel):
    value: Minutes | None
    suppressed: bool


class Participation(BaseModel):
    members: Cell = Field(
        description=(
            "Distinct members who checked in: exact for one day, one ISO week or one "
            "calendar month (`members_exact`); null (not suppressed) for other ranges"
        )
    )
    checkins: Cell = Field(description="Member-days with a check-in")


class Cases(BaseModel):
    opened: Cell = Field(description="Cases opened (by the day they were opened)")
    acknowledged: Cell = Field(description="Of those, cases acknowledged")
    median_minutes_to_acknowledge: MedianCell


class UnitStats(BaseModel):
    unit_id: str | None = Field(description="null: the whole organisation")
    name: str | None
    kind: str | None
    participation: Participation
    mood: dict[str, Cell] = Field(description="Member-days by mood, 1 (lowest) to 5")
    risk: dict[str, Cell] = Field(description="Member-days by the check-in's risk tier")
    cases: Cases
    children: list[UnitStats]


class StatsReport(BaseModel):
    org_id: str
    from_: dt.date = Field(alias="from", serialization_alias="from")
    to: dt.date
    period: Literal["day", "week", "month", "range"]
    threshold: int = Field(description="Cells counting fewer people than this are suppressed")
    members_exact: bool
    unit: UnitStats

    model_config = {"populate_by_name": True}
