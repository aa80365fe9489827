"""Notifications request and response models: the HTTP contract of the notifications function."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from shared.fields import TimeZoneName
from shared.locales import Locale
from shared.notifications.schedule import DAYS, parse_hhmm

Platform = Literal["ios", "android", "harmony"]
ProviderName = Literal["apns", "fcm", "jpush"]
ApnsEnvironment = Literal["sandbox", "production"]
# token_dead: the push service refused the token (registering again re-enables the device);
# provider_not_configured: this deployment cannot push through the device's provider yet.
DisabledReason = Literal["token_dead", "provider_not_configured"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
assert WEEKDAYS == DAYS  # one week for the API and the schedule
# What a member may turn off; "safety" and "counsellor_alert" always reach them.
OptionalCategory = Literal["reminders", "peer_messages", "follow_ups", "announcements"]
Preview = Literal["generic", "full"]

INSTALLATION_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
# A push token: no whitespace anywhere (APNs hex, FCM and JPush registration ids).
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^\S+$")]
AppVersion = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\S+$")]


def _hhmm(text: str) -> str:
    parse_hhmm(text)  # ValueError, worded without the value
    return text


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("Each value may appear only once.")
    return values


WallTime = Annotated[str, AfterValidator(_hhmm)]


def in_window(time: str, start: str, end: str) -> bool:
    """Whether wall time `time` is in [start, end), a window that may run past midnight."""
    at, begin, until = parse_hhmm(time), parse_hhmm(start), parse_hhmm(end)
    return begin <= at < until if begin < until else at >= begin or at < until


class DeviceIn(BaseModel):
    """PUT /devices/{installation_id} body."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    provider: ProviderName
    token: Token
    apns_environment: ApnsEnvironment | None = Field(
        default=None, description="Required with provider apns; refused with any other."
    )
    app_version: AppVersion | None = None
    locale: Locale | None = Field(default=None, description="BCP 47, e.g. zh-CN or en-GB")

    @model_validator(mode="after")
    def _apns_environment_only_for_apns(self) -> DeviceIn:
        if self.provider == "apns" and self.apns_environment is None:
            raise ValueError("apns_environment is required when the provider is apns.")
        if self.provider != "apns" and self.apns_environment is not None:
            raise ValueError("apns_environment is only for the apns provider.")
        return self


class Device(BaseModel):
    """A registered device as its owner sees it (never its push token)."""

    installation_id: str
    platform: Platform
    provider: ProviderName
    apns_environment: ApnsEnvironment | None = None
    app_version: str | None = None
    locale: str | None = None
    enabled: bool = Field(description="false: the device gets no pushes (the inbox still works)")
    disabled_reason: DisabledReason | None = None
    created_at: str
    updated_at: str


class DeviceList(BaseModel):
    items: list[Device]


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: WallTime = Field(description='Local "HH:MM"')
    end: WallTime = Field(description='Local "HH:MM"; before start runs overnight')

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("Quiet hours must start and end at different times.")
        return self


class QuietHours(BaseModel):
    start: str
    end: str


class PreferencesIn(BaseModel):
    """PUT /me/notification-preferences body: the whole set (what is left out is the default)."""

    model_config = ConfigDict(extra="forbid")

    reminder_time: WallTime | None = Field(
        default=None, description='Local "HH:MM" of the daily reminder; null: no reminders'
    )
    reminder_days: Annotated[
        list[Weekday], Field(min_length=1, max_length=7), AfterValidator(_unique)
    ] = Field(default_factory=lambda: list(WEEKDAYS))
    quiet_hours: QuietHoursIn | None = None
    opt_outs: Annotated[list[OptionalCategory], Field(max_length=4), AfterValidator(_unique)] = (
        Field(
            default_factory=list,
            description="Categories turned off; safety and counsellor alerts cannot be.",
        )
    )
    lock_screen_preview: Preview = "generic"
    time_zone: TimeZoneName | None = Field(
        default=None, description="IANA zone; defaults to the token's zoneinfo"
    )

    @model_validator(mode="after")
    def _reminder_outside_quiet_hours(self) -> PreferencesIn:
        # A reminder held back until quiet hours end would arrive hours late, or expire.
        quiet = self.quiet_hours
        if self.reminder_time and quiet and in_window(self.reminder_time, quiet.start, quiet.end):
            raise ValueError("The reminder time falls in quiet hours; move one of them.")
        return self


class Preferences(BaseModel):
    reminder_time: str | None
    reminder_days: list[Weekday]
    quiet_hours: QuietHours | None
    opt_outs: list[OptionalCategory]
    lock_screen_preview: Preview
    time_zone: str
    next_reminder_at: str | None = Field(description="UTC instant of the next reminder, if on")
    updated_at: str | None = Field(description="null: never set, these are the defaults")


class InboxEntry(BaseModel):
    id: str = Field(description="Send to POST /notifications/{id}/read")
    category: str | None = None
    title: str
    body: str
    route: str
    ref: str | None = None
    created_at: str
    read_at: str | None = None


class InboxPage(BaseModel):
    items: list[InboxEntry] = Field(description="Newest first")
    next_cursor: str | None
    unread_count: int
