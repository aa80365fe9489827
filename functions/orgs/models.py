"""The organisation, units, audit log and membership models (OrgsFunction)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from functions.orgs.fields import (
    EscalationContact,
    Label,
    OnDutyPerson,
    OrgKind,
    RetentionDays,
    Role,
    UnitId,
    UnitKind,
    UnitLabel,
    UserId,
    plain_text,
)
from shared.fields import RegionCode, TimeZoneName
from shared.locales import Locale


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
    """PATCH /orgs/{org_id}: the fields given change; `null` clears the retention default
    and the escalation contact."""

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


class SupportersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supporters: Annotated[list[UserId], Field(max_length=10)]


class AuditRecord(BaseModel):
    seq: int
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, str | int] | None = None
    subject_id: str | None = Field(
        default=None, description="The member whose data a read showed (their access log)"
    )
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
