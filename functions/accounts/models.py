"""Profile models: the HTTP contract of the accounts function."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# BCP 47 tags as apps send them: zh-CN, zh-Hans-CN, en, en-GB.
Locale = Annotated[
    str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
]
# ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision: CN, CN-SC, GB-ENG.
RegionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ProfileUpdate(BaseModel):
    """PUT /me body: the fields given are set, the ones left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    time_zone: TimeZoneName | None = Field(
        default=None, description="IANA zone, e.g. Asia/Shanghai"
    )
    locale: Locale | None = None
    region_code: RegionCode | None = Field(default=None, description="ISO 3166 code, e.g. CN-SC")
    journal_retention_days: Annotated[int, Strict(), Field(ge=1, le=3650)] | None = Field(
        default=None,
        description="Journal entries older than this are deleted; null keeps them (the default).",
    )


class Profile(BaseModel):
    user_id: str
    username: str
    role: str
    roles: list[str]
    org_id: str | None
    display_name: str | None = None
    time_zone: str
    locale: str
    region_code: str | None = None
    journal_retention_days: int | None = None
    created_at: str
    updated_at: str


class Health(BaseModel):
    status: str


class Export(BaseModel):
    """Everything the member owns, from every feature, readable without the app."""

    format: str = "peer-support-export/1"
    exported_at: str
    profile: Profile
    checkins: list[dict[str, Any]]
    journal_entries: list[dict[str, Any]]
