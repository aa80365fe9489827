"""Profile models: the HTTP contract of the accounts function."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from shared.locales import Locale

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) would let a
# name reorder the text shown after it to peers; control characters have no place in it.
_NOT_IN_NAMES = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f]")


def _plain_text(name: str) -> str:
    if _NOT_IN_NAMES.search(name):
        raise ValueError("must not contain control or bidirectional formatting characters")
    return name


DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_plain_text),
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
