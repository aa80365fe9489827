"""Bodies of the counsellor's case records (notes, contacts, referrals), the case's
timeline and follow-ups, and the watch list (functions/crisis/case_records_routes.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from functions.crisis.models import CaseDetail

MAX_NOTE = 4000
Who = Literal["member", "guardian", "family"]
Channel = Literal["phone", "in_person", "video", "message", "other"]
ContactOutcome = Literal["reached", "no_answer", "left_message", "refused", "other"]
ReferralKind = Literal["hospital", "service", "other"]
NoteText = Annotated[str, Field(min_length=1, max_length=MAX_NOTE, pattern=r"\S")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteIn(_In):
    text: NoteText = Field(description="The counsellor's note; sealed, shown to counsellors")


class NoteOut(BaseModel):
    note_id: str
    author_id: str
    created_at: str
    text: str | None = Field(
        description="None only if the member's crisis key was erased (their records are gone)"
    )


class ContactIn(_In):
    who: Who = Field(
        description=(
            '"member"; "guardian" or "family" only at the highest watch level (3) or for '
            "an imminent case"
        )
    )
    channel: Channel
    outcome: ContactOutcome
    note: NoteText | None = Field(default=None, description="Optional; sealed")
    at: AwareDatetime | None = Field(
        default=None, description="When the contact happened (default now; not in the future)"
    )


class ContactOut(BaseModel):
    contact_id: str
    who: Who
    channel: Channel
    outcome: ContactOutcome
    at: str
    logged_by: str
    logged_at: str
    note: str | None = None


class ReferralIn(_In):
    to: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")] = Field(
        description="The hospital or service referred to"
    )
    kind: ReferralKind
    on: dt.date = Field(description="The referral's date")
    note: NoteText | None = Field(default=None, description="Optional; sealed")


class ReferralOut(BaseModel):
    referral_id: str
    to: str
    kind: ReferralKind
    on: dt.date
    referred_by: str
    recorded_at: str
    note: str | None = None


class TimelineEvent(BaseModel):
    at: str
    kind: str = Field(
        description=(
            "opened, raised, notified, escalated, unacknowledged, acknowledged, "
            "follow_up_sent, answered, re_escalated, note_added, contact_logged, "
            "referral, closed"
        )
    )
    actor_id: str = Field(description="A counsellor's id, or crisis-intake / crisis-workflow")
    detail: dict[str, str | int] | None = Field(
        default=None, description="Plain facts only (tier, severity, who, outcome...)"
    )


class FollowUpOut(BaseModel):
    number: int = Field(description="1 for the first contact of the schedule")
    day: int | None = Field(description="Days after the acknowledgement")
    status: Literal["planned", "sent", "answered"]
    due_at: str | None = None
    sent_at: str | None = None
    answered_at: str | None = None
    worse: bool | None = None


class CaseRecordsDetail(CaseDetail):
    timeline: list[TimelineEvent] = Field(default_factory=list, description="Oldest first")
    follow_ups: list[FollowUpOut] = Field(default_factory=list)
    notes: list[NoteOut] = Field(default_factory=list, description="Newest last")
    contacts: list[ContactOut] = Field(default_factory=list, description="By time of contact")
    referrals: list[ReferralOut] = Field(default_factory=list)


class WatchEntryOut(BaseModel):
    user_id: str
    level: int
    case_id: str
    since: str = Field(description="When the case closed with this level")
    last_contact: str | None
    last_family_contact: str | None
    next_review: dt.date
    overdue: bool = Field(description="The review date has passed (UTC date)")
    family_contact_due: bool | None = Field(
        default=None, description="Level 3 only: no family contact in the last 14 days"
    )
    family_contact_due_on: dt.date | None = Field(
        default=None, description="Level 3 only: 14 days after the last family contact"
    )


class WatchPage(BaseModel):
    items: list[WatchEntryOut]
    next_cursor: str | None
