"""The duty rota models (OrgsRotaFunction)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.orgs.fields import Day, EscalationContact, Label, OnDutyPerson, Time, UserId


class SlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day | None = Field(default=None, description="weekly slots only")
    start: Time
    end: Time = Field(description="at or before `start`: the slot ends the next day")
    primary: UserId
    backup: UserId | None = None
    duty_officer: UserId


class RotaIn(BaseModel):
    """The weekly rota in the organisation's zone; replaces the previous one."""

    model_config = ConfigDict(extra="forbid")

    slots: Annotated[list[SlotIn], Field(max_length=200)]
    fallback_duty_officer: UserId = Field(
        description="Who is on duty where no slot covers the time (a gap)"
    )


class OverrideIn(BaseModel):
    """A date's own slots (holiday, swap): they replace the weekly slots starting that date."""

    model_config = ConfigDict(extra="forbid")

    slots: Annotated[list[SlotIn], Field(max_length=50)]
    note: Label | None = None


class Slot(BaseModel):
    day: Day | None = None
    start: str
    end: str
    primary: str
    backup: str | None = None
    duty_officer: str


class Override(BaseModel):
    date: dt.date
    slots: list[Slot]
    note: str | None = None
    warnings: list[str] = Field(default_factory=list)


class Rota(BaseModel):
    time_zone: str
    slots: list[Slot]
    fallback_duty_officer: str | None = None
    overrides: list[Override] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    updated_at: str | None = None


class SlotRef(BaseModel):
    source: Literal["weekly", "override"]
    date: dt.date = Field(description="the local date the slot started")
    day: Day | None = None
    start: str
    end: str


class OnDuty(BaseModel):
    at: str
    time_zone: str
    local_time: str
    primary: OnDutyPerson | None = None
    backup: OnDutyPerson | None = None
    duty_officer: OnDutyPerson | None = None
    slot: SlotRef | None = None
    fallback: bool = Field(description="true when no slot covers the time: the duty officer")
    escalation_contact: EscalationContact | None = None
    warnings: list[str] = Field(default_factory=list)
