"""Request and response bodies of the appointments API (pydantic; the HTTP function only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.appointments.logic import (
    DAYS,
    DEFAULT_GAP_MINUTES,
    DEFAULT_SLOT_MINUTES,
    check_ranges,
)

Mode = Literal["in_person", "phone", "video"]
Status = Literal["booked", "cancelled", "attended", "no_show"]
Outcome = Literal["attended", "no_show"]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
UserId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@:-]+$")
]
HhMm = Annotated[str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
MAX_NOTE = 2000
MAX_RANGES_A_DAY = 12
MAX_EXCEPTIONS = 100


def _all_modes() -> list[Mode]:
    return ["in_person", "phone", "video"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimeRange(Strict):
    start: HhMm = Field(description='Local wall time "HH:MM"')
    end: HhMm = Field(description='Local wall time "HH:MM" after the start ("24:00": midnight)')


Ranges = Annotated[list[TimeRange], Field(max_length=MAX_RANGES_A_DAY)]


class Weekly(Strict):
    mon: Ranges = []
    tue: Ranges = []
    wed: Ranges = []
    thu: Ranges = []
    fri: Ranges = []
    sat: Ranges = []
    sun: Ranges = []


class DateException(Strict):
    date: dt.date
    closed: bool = False
    hours: Ranges | None = None

    @model_validator(mode="after")
    def _closed_or_hours(self) -> DateException:
        if self.closed == (self.hours is not None):
            raise ValueError('An exception is either "closed": true or has "hours".')
        return self


class AvailabilityIn(Strict):
    """Weekly hours in the organisation's time zone, and the dates that differ."""

    weekly: Weekly
    slot_minutes: int = Field(DEFAULT_SLOT_MINUTES, ge=15, le=240)
    gap_minutes: int = Field(DEFAULT_GAP_MINUTES, ge=0, le=120)
    exceptions: list[DateException] = Field(default_factory=list, max_length=MAX_EXCEPTIONS)
    modes: list[Mode] = Field(default_factory=_all_modes, min_length=1, max_length=3)

    @model_validator(mode="after")
    def _ranges(self) -> AvailabilityIn:
        for day in DAYS:
            check_ranges(
                [r.model_dump() for r in getattr(self.weekly, day)], self.slot_minutes, day
            )
        seen = set()
        for exception in self.exceptions:
            if exception.date in seen:
                raise ValueError("Each exception date may appear once.")
            seen.add(exception.date)
            check_ranges(
                [r.model_dump() for r in exception.hours or ()],
                self.slot_minutes,
                "exception",
            )
        if len(set(self.modes)) != len(self.modes):
            raise ValueError("Each mode may appear once.")
        return self


class AvailabilityOut(BaseModel):
    counsellor_id: str
    time_zone: str
    weekly: dict[str, list[TimeRange]]
    slot_minutes: int
    gap_minutes: int
    exceptions: list[DateException]
    modes: list[Mode]
    version: int = Field(description="0 before the first PUT")
    updated_at: str | None = Field(description="Null before the first PUT")


class Slot(BaseModel):
    counsellor_id: str
    counsellor_name: str
    starts_at: str = Field(description="UTC, ISO 8601")
    ends_at: str
    local_start: str = Field(description="On the organisation's wall clock, with its offset")
    local_end: str
    time_zone: str
    modes: list[Mode]


class SlotList(BaseModel):
    slots: list[Slot]


class BookingIn(Strict):
    counsellor_id: UserId
    starts_at: AwareDatetime = Field(description="A slot's start: UTC or with an offset")
    mode: Mode
    note: str | None = Field(None, max_length=MAX_NOTE, description="For the counsellor; sealed")


class RescheduleIn(Strict):
    starts_at: AwareDatetime | None = None
    mode: Mode | None = None

    @model_validator(mode="after")
    def _something(self) -> RescheduleIn:
        if self.starts_at is None and self.mode is None:
            raise ValueError("Send starts_at, mode or both.")
        return self


class MemberAppointment(BaseModel):
    id: str
    counsellor_id: str
    counsellor_name: str
    starts_at: str
    ends_at: str
    local_start: str
    local_end: str
    time_zone: str
    mode: Mode
    status: Status
    note: str | None = None
    created_at: str
    cancelled_at: str | None = None


class MemberAppointmentList(BaseModel):
    items: list[MemberAppointment]


class CounsellorAppointment(BaseModel):
    id: str
    member_id: str
    member_name: str
    starts_at: str
    ends_at: str
    local_start: str
    local_end: str
    time_zone: str
    mode: Mode
    status: Status
    note: str | None = None
    case_id: str | None = None
    created_at: str
    cancelled_at: str | None = None
    outcome_at: str | None = None


class CounsellorAppointmentList(BaseModel):
    items: list[CounsellorAppointment]


class OutcomeIn(Strict):
    outcome: Outcome


class LinkIn(Strict):
    case_id: Id | None


class CalendarToken(BaseModel):
    token: str = Field(description="Shown once; only its hash is kept")
    path: str = Field(description="The feed's path with the token, relative to the API's base")
    url: str
