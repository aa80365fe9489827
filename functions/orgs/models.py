"""The HTTP contract of the organisations function: request and response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from shared.fields import DisplayName, RegionCode, TimeZoneName, plain_text
from shared.locales import Locale

Role = Literal["member", "peer_supporter", "counsellor", "org_admin"]
UnitKind = Literal["school", "grade", "class", "company", "department", "team"]
OrgKind = Literal["school", "workplace"]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.@+-]+$")]
UnitId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w-]+$")]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# "/" separates a CSV import's unit path (Grade 7/Class 7-2), so no unit name holds one.
UnitLabel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^/／]+$")
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Time = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RetentionDays = Annotated[int, Strict(), Field(ge=1, le=3650)]


# Org-admin texts: names of units, courses and trainers; no control or bidi characters.
Label = Annotated[UnitName, AfterValidator(plain_text)]


class EscalationContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Label
    phone: Phone = Field(description="E.164, e.g. +8613800000000")


class OrgSettings(BaseModel):
    """An organisation's settings; `escalation_contact` only for its counsellors and admins."""

    org_id: str
    name: str
    kind: OrgKind
    time_zone: str
    locale: str
    region_code: str
    journal_retention_days: int | None = None
    escalation_contact: EscalationContact | None = None
    updated_at: str | None = None


class OrgSettingsPatch(BaseModel):
    """PATCH /orgs/{org_id}: the fields given change; `null` clears the retention default."""

    model_config = ConfigDict(extra="forbid")

    name: Label | None = None
    kind: OrgKind | None = None
    time_zone: TimeZoneName | None = Field(default=None, description="IANA zone")
    locale: Locale | None = None
    region_code: RegionCode | None = None
    journal_retention_days: RetentionDays | None = None
    escalation_contact: EscalationContact | None = None


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[UnitLabel, AfterValidator(plain_text)]
    kind: UnitKind
    parent_id: UnitId | None = Field(default=None, description="null makes a top-level unit")


class UnitPatch(BaseModel):
    """Rename and/or move. Moving under the unit itself or one of its descendants is refused."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[UnitLabel, AfterValidator(plain_text)] | None = None
    parent_id: UnitId | None = None
    move_to_top: Annotated[bool, Strict()] = Field(
        default=False, description="true makes the unit top-level (parent_id must be left out)"
    )


class Unit(BaseModel):
    unit_id: str
    name: str
    kind: str
    parent_id: str | None = None
    supporters: list[str] = Field(default_factory=list)
    children: list[Unit] = Field(default_factory=list)


class UnitTree(BaseModel):
    units: list[Unit]


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


class SupportersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supporters: Annotated[list[UserId], Field(max_length=10)]


class SupporterStatus(BaseModel):
    user_id: str
    display_name: str
    training_valid_until: dt.date | None
    lapsed: bool
    supervisor_id: str | None = None
    units_supported: list[str] = Field(default_factory=list)


class SupporterList(BaseModel):
    items: list[SupporterStatus]


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


class OnDutyPerson(BaseModel):
    user_id: str
    display_name: str | None = None


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
    status: Literal["running", "done"]
    total: int = Field(description="data rows in the file")
    done: int = Field(description="rows handled so far (enrolled, already enrolled or rejected)")
    enrolled: int
    already_enrolled: int
    rejected: list[RejectedRow]
    created_at: str
    finished_at: str | None = None


class AuditRecord(BaseModel):
    seq: int
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, str | int] | None = None
    hash: str
    prev_hash: str


class AuditPage(BaseModel):
    items: list[AuditRecord]
    next_cursor: str | None = None


class Membership(BaseModel):
    """GET /orgs/me: the caller's place in their organisation."""

    org_id: str
    org_name: str
    kind: str
    roles: list[Role]
    units: list[Unit] = Field(description="the caller's own unit; for supporters, their units")
    supporters: list[OnDutyPerson] = Field(
        default_factory=list, description="members: the peer supporters of their unit"
    )
    escalation_contact: EscalationContact | None = Field(
        default=None, description="counsellors and admins only"
    )
