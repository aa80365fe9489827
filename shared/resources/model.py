"""Models of the resource directory: one verified hotline or service per `Resource`.

Every entry carries where it applies (regions), when it answers (hours), where the
facts come from (source) and when someone last checked them (last_verified), so the
app never shows an unverifiable number or promises hours a line does not keep.

`last_verified` may not lie in the future. "Today" is the latest calendar date anywhere
on Earth (UTC+14), so an entry checked today in Beijing is never refused by a server
still on yesterday in UTC; pass `context={"today": date(...)}` to `model_validate` to
fix the date (tests, the loader).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict

from shared.clock import zone
from shared.errors import InvalidInput

Kind = Literal["hotline", "text_line", "chat", "counselling_centre", "hospital", "website", "app"]
Audience = Literal["students", "youth", "employees", "women", "everyone"]
Lang = Literal["zh-CN", "en"]
Cost = Literal["free", "standard_rate", "paid"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HoursMode = Literal["always", "weekly", "varies"]

LANGS: tuple[Lang, ...] = get_args(Lang)
DAYS: tuple[Day, ...] = get_args(Day)

NAME_MAX = 120
DESCRIPTION_MAX = 500
NOTE_MAX = 300
URL_MAX = 500

# A national short code ("12356", "988", "116123"), a Chinese 400/800 number written
# with hyphens ("400-161-9995"), or E.164 ("+18002738255", "+44116123").
SHORT_CODE = re.compile(r"^[0-9]{3,6}$")
CN_400_800 = re.compile(r"^[48]00-[0-9]{3}-[0-9]{4}$")
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
SLUG = r"^[a-z0-9][a-z0-9-]{1,63}$"
# "*" (everywhere), ISO 3166-1 alpha-2 ("CN") or ISO 3166-2 ("CN-SC", "GB-ENG").
REGION = re.compile(r"^(\*|[A-Z]{2}|[A-Z]{2}-[A-Z0-9]{1,3})$")
# BCP 47 in the small: a primary language subtag and optional subtags ("zh", "yue", "zh-Hans").
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
OPEN_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
CLOSE_TIME = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")

# The same rules, spelled for the JSON Schema (the validators above give the clearer errors).
_PHONE_SCHEMA: JsonDict = {"pattern": f"{SHORT_CODE.pattern}|{CN_400_800.pattern}|{E164.pattern}"}
_HTTPS_SCHEMA: JsonDict = {"pattern": "^https://", "format": "uri", "maxLength": URL_MAX}


def _texts_schema(limit: int, *, required: bool) -> JsonDict:
    schema: JsonDict = {
        "additionalProperties": {"type": "string", "minLength": 1, "maxLength": limit}
    }
    if required:
        schema["required"] = list(LANGS)
    return schema


def _items_schema(pattern: str) -> JsonDict:
    return {"items": {"type": "string", "pattern": pattern}, "uniqueItems": True}


def _latest_today() -> date:
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def _check_phone(value: str | None) -> str | None:
    if value is None:
        return None
    if SHORT_CODE.fullmatch(value) or CN_400_800.fullmatch(value) or E164.fullmatch(value):
        return value
    raise ValueError(
        "must be a short code of 3-6 digits (12356), a 400/800 number (400-161-9995) "
        "or E.164 (+18002738255)"
    )


def _check_https(value: str) -> str:
    if len(value) > URL_MAX or any(c.isspace() for c in value):
        raise ValueError(f"must be an https URL of at most {URL_MAX} characters without spaces")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or "." not in parts.hostname:
        raise ValueError("must be an https URL (https://host/...)")
    return value


def _check_texts(texts: dict[Lang, str], limit: int) -> dict[Lang, str]:
    for lang, text in texts.items():
        if not text.strip():
            raise ValueError(f"the {lang} text is empty")
        if len(text) > limit:
            raise ValueError(f"the {lang} text is longer than {limit} characters")
    return texts


def minutes(hhmm: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" is 1440)."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


class Contact(BaseModel):
    """How to reach a resource; at least one way must be given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phone: str | None = Field(default=None, json_schema_extra=_PHONE_SCHEMA)
    sms: str | None = Field(default=None, json_schema_extra=_PHONE_SCHEMA)
    url: str | None = Field(default=None, json_schema_extra=_HTTPS_SCHEMA)
    email: str | None = Field(default=None, json_schema_extra={"pattern": EMAIL.pattern})

    @field_validator("phone", "sms")
    @classmethod
    def _phone_format(cls, value: str | None) -> str | None:
        return _check_phone(value)

    @field_validator("url")
    @classmethod
    def _url_https(cls, value: str | None) -> str | None:
        return None if value is None else _check_https(value)

    @field_validator("email")
    @classmethod
    def _email_format(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 254 or not EMAIL.fullmatch(value)):
            raise ValueError("must be an e-mail address like name@example.org")
        return value

    @model_validator(mode="after")
    def _at_least_one(self) -> Contact:
        if not (self.phone or self.sms or self.url or self.email):
            raise ValueError("give at least one of phone, sms, url, email")
        return self


class WeeklySpan(BaseModel):
    """Open from `open` to `close` local time on each of `days`.

    A `close` earlier than `open` runs overnight: "fri 22:00-02:00" is open until 02:00
    on Saturday. "24:00" closes at midnight.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: list[Day] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    open: str = Field(pattern=OPEN_TIME.pattern, examples=["09:00"])
    close: str = Field(pattern=CLOSE_TIME.pattern, examples=["17:00", "24:00"])

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[Day]) -> list[Day]:
        if len(set(days)) != len(days):
            raise ValueError("each day may appear only once")
        return days

    @model_validator(mode="after")
    def _not_empty_span(self) -> WeeklySpan:
        if self.open == self.close:
            raise ValueError("open and close are the same time; use 00:00-24:00 for a whole day")
        return self


class Hours(BaseModel):
    """When a resource answers.

    `always`: around the clock. `weekly`: the spans, read in `time_zone`. `varies`: not
    known here (it differs by city or is unconfirmed), so whether it is open now is unknown.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: HoursMode
    time_zone: str | None = Field(default=None, examples=["Asia/Shanghai"])
    weekly: list[WeeklySpan] = Field(default_factory=list)
    note: dict[Lang, str] | None = Field(
        default=None, json_schema_extra=_texts_schema(NOTE_MAX, required=False)
    )

    @field_validator("time_zone")
    @classmethod
    def _iana_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            zone(value)
        except InvalidInput:
            # Named for whoever edits data/resources; the HTTP layer never echoes it.
            raise ValueError(f"Unknown time zone {value[:64]!r}.") from None
        return value

    @field_validator("note")
    @classmethod
    def _note_texts(cls, note: dict[Lang, str] | None) -> dict[Lang, str] | None:
        return None if note is None else _check_texts(note, NOTE_MAX)

    @model_validator(mode="after")
    def _mode_fits(self) -> Hours:
        if self.mode == "weekly":
            if self.time_zone is None:
                raise ValueError("weekly hours need a time_zone")
            if not self.weekly:
                raise ValueError("weekly hours need at least one span in weekly")
        elif self.weekly:
            raise ValueError(f"weekly spans are only allowed with mode 'weekly', not {self.mode!r}")
        return self


class Resource(BaseModel):
    """One verified hotline or service of the directory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=SLUG, examples=["cn-12356"])
    name: dict[Lang, str] = Field(json_schema_extra=_texts_schema(NAME_MAX, required=True))
    description: dict[Lang, str] | None = Field(
        default=None, json_schema_extra=_texts_schema(DESCRIPTION_MAX, required=False)
    )
    kind: Kind
    contact: Contact
    regions: list[str] = Field(
        min_length=1,
        examples=[["CN"], ["CN-GD"], ["GB", "IE"]],
        json_schema_extra=_items_schema(REGION.pattern),
    )
    languages: list[str] = Field(
        min_length=1,
        examples=[["zh"], ["en", "es"]],
        json_schema_extra=_items_schema(LANGUAGE_TAG.pattern),
    )
    audiences: list[Audience] = Field(min_length=1, json_schema_extra={"uniqueItems": True})
    hours: Hours
    cost: Cost
    crisis: bool
    source: str = Field(
        description="An https page of the operator that confirms the facts.",
        json_schema_extra=_HTTPS_SCHEMA,
    )
    last_verified: date
    org_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The organisation that keeps this entry; None for public entries.",
    )
    updated_at: str | None = None

    @field_validator("name")
    @classmethod
    def _name_in_every_lang(cls, name: dict[Lang, str]) -> dict[Lang, str]:
        missing = [lang for lang in LANGS if lang not in name]
        if missing:
            raise ValueError(f"a name is required in {', '.join(missing)}")
        return _check_texts(name, NAME_MAX)

    @field_validator("description")
    @classmethod
    def _description_texts(cls, texts: dict[Lang, str] | None) -> dict[Lang, str] | None:
        return None if texts is None else _check_texts(texts, DESCRIPTION_MAX)

    @field_validator("regions")
    @classmethod
    def _region_codes(cls, regions: list[str]) -> list[str]:
        for region in regions:
            if not REGION.fullmatch(region):
                raise ValueError(
                    f"{region!r} is not '*', an ISO 3166-1 code (CN) or an ISO 3166-2 code (CN-SC)"
                )
        if len(set(regions)) != len(regions):
            raise ValueError("each region may appear only once")
        return regions

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, languages: list[str]) -> list[str]:
        for tag in languages:
            if not LANGUAGE_TAG.fullmatch(tag):
                raise ValueError(f"{tag!r} is not a language tag like 'zh', 'en' or 'yue'")
        if len(set(languages)) != len(languages):
            raise ValueError("each language may appear only once")
        return languages

    @field_validator("audiences")
    @classmethod
    def _unique_audiences(cls, audiences: list[Audience]) -> list[Audience]:
        if len(set(audiences)) != len(audiences):
            raise ValueError("each audience may appear only once")
        return audiences

    @field_validator("source")
    @classmethod
    def _source_https(cls, value: str) -> str:
        return _check_https(value)

    @field_validator("last_verified")
    @classmethod
    def _not_in_future(cls, value: date, info: ValidationInfo) -> date:
        context: Any = info.context
        today = context.get("today") if isinstance(context, dict) else None
        if value > (today or _latest_today()):
            raise ValueError("last_verified is in the future")
        return value
