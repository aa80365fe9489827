"""Request and response models of the campaigns API (the CampaignsFunction's HTTP contract)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.cssrs import CssrsAnswers

Instrument = Literal["phq9", "gad7"]
Kind = Literal["routine", "term_start", "exam", "after_event"]
Decision = Literal["accept", "decline"]
Tier = Literal["high", "borderline", "general"]
State = Literal["new", "consented", "declined", "responded"]
Status = Literal["scheduled", "open", "closed"]
UnitId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
ConsentText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
]
Item = Annotated[int, Field(strict=True, ge=0, le=3)]


class Texts(BaseModel):
    """The same text in both languages of the app."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_cn: Title = Field(alias="zh-CN")
    en: Title


class ConsentTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_cn: ConsentText = Field(alias="zh-CN")
    en: ConsentText


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Texts
    instruments: list[Instrument] = Field(min_length=1, max_length=2)
    units: list[UnitId] = Field(
        min_length=1, max_length=50, description="The audience: each unit with every unit below it"
    )
    opens_at: AwareDatetime
    closes_at: AwareDatetime = Field(description="After opens_at, in the future, ≤ 90 days on")
    consent_text: ConsentTexts
    kind: Kind

    @field_validator("instruments", "units")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("each value at most once")
        return values


class CampaignOut(BaseModel):
    campaign_id: str
    org_id: str
    title: dict[str, str]
    instruments: list[Instrument]
    units: list[str]
    opens_at: str
    closes_at: str
    remind_at: str = Field(description="When members who have not answered are reminded")
    consent_text: dict[str, str]
    consent_version: str
    kind: Kind
    status: Status
    created_at: str
    created_by: str


class CampaignList(BaseModel):
    campaigns: list[CampaignOut]


class MyCampaign(BaseModel):
    campaign_id: str
    title: dict[str, str]
    kind: Kind
    instruments: list[Instrument]
    opens_at: str
    closes_at: str
    consent_text: dict[str, str]
    consent_version: str
    state: State = Field(description="new, consented, declined or responded")


class MyCampaigns(BaseModel):
    campaigns: list[MyCampaign]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    consent_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    under_14: bool = False
    language: Literal["zh-CN", "en"] | None = Field(
        default=None, description="The language of the text shown; else the request's"
    )


class ConsentOut(BaseModel):
    campaign_id: str
    decision: Decision
    consent_version: str
    language: str
    at: str
    under_14: bool
    guardian_consent: bool


class Answers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phq9: list[Item] | None = Field(default=None, min_length=9, max_length=9)
    gad7: list[Item] | None = Field(default=None, min_length=7, max_length=7)


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: Answers
    cssrs: CssrsAnswers | None = Field(
        default=None, description="Only when PHQ-9 item 9 is above 0 (the screener it offers)"
    )


class RiskOut(BaseModel):
    level: Literal["none", "watch", "high", "imminent"]


class ResponseOut(BaseModel):
    campaign_id: str
    responded_at: str
    bands: dict[str, str]
    risk: RiskOut
    support_requested: bool = Field(
        description="True when the answers raised a risk: a counsellor will reach out."
    )
    next_step: Literal["cssrs"] | None = Field(
        default=None,
        description="cssrs: PHQ-9 item 9 was above 0 and no C-SSRS came with the answers; "
        "offer POST /screenings/cssrs",
    )
    crisis_resources: dict[str, Any] | None = None


class InstrumentResult(BaseModel):
    instrument: Instrument
    band: str
    summary: str


class ResultOut(BaseModel):
    campaign_id: str
    language: Literal["zh-CN", "en"]
    responded_at: str
    results: list[InstrumentResult]
    next_steps: list[str]
    support_requested: bool
    crisis_resources: dict[str, Any] | None = None


class GuardianConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    obtained_on: dt.date
    method: Literal["paper", "phone", "in_person", "online"]


class GuardianConsentOut(BaseModel):
    campaign_id: str
    member_id: str
    obtained_on: str
    method: str
    recorded_at: str


class Followup(BaseModel):
    member_id: str
    display_name: str | None
    unit_id: str | None
    bands: dict[str, str]
    responded_at: str


class FollowupList(BaseModel):
    campaign_id: str
    followups: list[Followup]


class Cell(BaseModel):
    value: int | float | None
    suppressed: bool


class StatsNode(BaseModel):
    unit_id: str | None
    name: str | None
    kind: str | None
    audience: Cell
    responded: Cell
    declined: Cell
    completion: Cell = Field(description="responded / audience; null when either is hidden")
    tiers: dict[str, Cell]
    children: list[StatsNode]


class CampaignStats(BaseModel):
    campaign_id: str
    threshold: int
    report: StatsNode
