"""Profile models: the HTTP contract of the accounts function."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from shared.fields import DisplayName, RegionCode, TimeZoneName
from shared.locales import Locale


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


class ErasureStarted(BaseModel):
    id: str = Field(description="The erasure request's id")
    status: Literal["erasing"] = "erasing"


class ExportStatus(BaseModel):
    id: str
    status: Literal["running", "ready", "failed"]
    url: str | None = Field(
        default=None,
        description=(
            "When ready: a link to a zip with one JSON file per feature, valid 15 minutes "
            "(ask again for a new one; the export is kept 7 days)"
        ),
    )
    url_expires_at: str | None = None
