"""The roster models: invitations, people, training, supporters, imports (OrgsRosterFunction)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from functions.orgs.fields import Email, Label, Phone, Role, UnitId, UserId
from shared.fields import DisplayName


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName
    email: Email | None = None
    phone: Phone | None = Field(default=None, description="E.164, e.g. +8613800000000")
    role: Role
    unit_id: UnitId | None = None


class Person(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: Role
    status: Literal["active", "removed"]
    unit_id: str | None = None
    email: str | None = None
    phone: str | None = None
    supervisor_id: str | None = None
    training_valid_until: dt.date | None = None
    units_supported: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str


class Invitation(BaseModel):
    person: Person
    temporary_password: str | None = Field(
        default=None,
        description=(
            "Local cloud only: the first sign-in's password (a new one must be set). "
            "On AWS Cognito sends it by email or SMS and this is null."
        ),
    )


class PeoplePage(BaseModel):
    items: list[Person]
    next_cursor: str | None = None


class PersonPatch(BaseModel):
    """Move to another unit (null: no unit) and/or change role; the change reaches every
    staff check within a minute."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    unit_id: UnitId | None = None
    clear_unit: Annotated[bool, Strict()] = False


class TrainingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course: Label
    completed_on: dt.date
    valid_until: dt.date
    trainer: Label


class Training(BaseModel):
    training_id: str
    user_id: str
    course: str
    completed_on: dt.date
    valid_until: dt.date
    trainer: str
    recorded_at: str


class PersonDetail(BaseModel):
    person: Person
    trainings: list[Training]


class SupervisorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor_id: UserId


class SupporterStatus(BaseModel):
    user_id: str
    display_name: str
    training_valid_until: dt.date | None
    lapsed: bool
    supervisor_id: str | None = None
    units_supported: list[str] = Field(default_factory=list)


class SupporterList(BaseModel):
    items: list[SupporterStatus]


class ImportStarted(BaseModel):
    id: str
    status: Literal["running", "done"]
    total: int
    rejected_so_far: int


class RejectedRow(BaseModel):
    line: int
    reason: str


class ImportStatus(BaseModel):
    id: str
    status: Literal["running", "done", "failed"] = Field(
        description="failed: the rows could not all be queued; send the file again"
    )
    total: int = Field(description="data rows in the file")
    done: int = Field(description="rows handled so far (enrolled, already enrolled or rejected)")
    enrolled: int
    already_enrolled: int
    rejected: list[RejectedRow]
    created_at: str
    finished_at: str | None = None
