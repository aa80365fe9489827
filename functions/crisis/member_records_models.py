"""Request and response bodies of a member's records (functions/crisis/member_records_routes.py):
the member's own safety plan, the counsellor's care plan, and guardian contacts.

Every list is short and every entry a short line: a plan is read on a phone in a bad
moment. Names, phone numbers and e-mail addresses are checked for shape only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from shared.fields import plain_text

MAX_ENTRIES = 20  # entries in each list of a plan
MAX_ENTRY_CHARS = 300  # characters in one safety-plan entry
MAX_CARE_TEXT_CHARS = 1000  # characters in one care-plan goal or support
MAX_GUARDIANS = 10

_PHONE = r"^\+?[0-9](?:[0-9 \-]{1,22})[0-9]$"  # 3-25 characters: 12356, 138 0013 8000, +44 …
_EMAIL = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


Entry = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ENTRY_CHARS),
    AfterValidator(plain_text),
]
Entries = Annotated[list[Entry], Field(max_length=MAX_ENTRIES)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(plain_text),
]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(plain_text),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=25, pattern=_PHONE)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=_EMAIL)]
CareText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CARE_TEXT_CHARS)
]


# --- the member's safety plan (Stanley–Brown) ---------------------------------------------


class Contact(_In):
    name: Name
    phone: Phone | None = None


class Professional(_In):
    name: Name
    phone: Phone


class Distractions(_In):
    people: Entries = Field(default_factory=list, description="People who help take my mind off")
    places: Entries = Field(default_factory=list, description="Places and social settings")


class SafetyPlanIn(_In):
    """The six sections of a safety plan, each a short list; every section may be empty."""

    warning_signs: Entries = Field(default_factory=list, description="1. My warning signs")
    coping_steps: Entries = Field(
        default_factory=list, description="2. Things I can do on my own to cope"
    )
    distractions: Distractions = Field(
        default_factory=Distractions, description="3. People and places that distract me"
    )
    people_to_ask: Annotated[list[Contact], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=list, description="4. People I can ask for help"
    )
    professionals: Annotated[list[Professional], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=list,
        description="5. Professionals I can contact (the crisis lines are added when read)",
    )
    safe_environment: Entries = Field(
        default_factory=list, description="6. Making my environment safe"
    )


class SafetyPlan(SafetyPlanIn):
    version: int = Field(description='The version; the ETag is the same number, quoted: "3"')
    updated_at: str


class MySafetyPlan(SafetyPlan):
    crisis_lines: dict[str, Any] = Field(
        description=(
            "The crisis lines for the member's region, as of this read: not part of the "
            "stored plan nor of its ETag"
        )
    )


class MemberSafetyPlan(SafetyPlan):
    user_id: str


# --- the counsellor's care plan ---------------------------------------------------------------


class Person(_In):
    name: Name
    role: Label = Field(description='Their part: "class teacher", "mother", "psychiatrist"')


class CarePlanIn(_In):
    goals: Annotated[list[CareText], Field(max_length=MAX_ENTRIES)] = Field(default_factory=list)
    supports: Annotated[list[CareText], Field(max_length=MAX_ENTRIES)] = Field(default_factory=list)
    people_involved: Annotated[list[Person], Field(max_length=MAX_ENTRIES)] = Field(
        default_factory=list
    )
    review_on: dt.date = Field(description="When the plan is next reviewed")


class CarePlan(CarePlanIn):
    user_id: str
    version: int = Field(description='The version; the ETag is the same number, quoted: "3"')
    updated_by: str
    updated_at: str


class CarePlanVersion(BaseModel):
    version: int
    updated_by: str
    updated_at: str
    review_on: str


class CarePlanVersions(BaseModel):
    items: list[CarePlanVersion] = Field(description="Newest first; metadata only")
    next_before: int | None = Field(
        description="Pass as `before` for the next page; null at the oldest version"
    )


# --- guardian contacts (PIPL: guardian consent under 14) ----------------------------------


class Consent(_In):
    phone: StrictBool = Field(description="May the phone number be kept and used")
    email: StrictBool = Field(description="May the e-mail address be kept and used")
    share_case_summary: StrictBool = Field(
        description="May a summary of the member's case be shared with this guardian"
    )


class Guardian(_In):
    name: Name
    relationship: Label = Field(description='"mother", "father", "grandmother", "guardian"')
    phone: Phone | None = Field(default=None, description="Only with consent.phone")
    email: Email | None = Field(default=None, description="Only with consent.email")
    consent: Consent
    consent_recorded_at: AwareDatetime = Field(description="When consent was given (with zone)")
    consent_by: Literal["member", "guardian"] = Field(
        description='Who gave it; "guardian" for a member under 14'
    )


class GuardiansIn(_In):
    member_under_14: bool | None = Field(
        default=None,
        description=(
            "The member is under 14: every guardian's consent must be the guardian's own. "
            "Left out, the value recorded before applies (false if none was)."
        ),
    )
    guardians: Annotated[list[Guardian], Field(max_length=MAX_GUARDIANS)]


class Guardians(BaseModel):
    user_id: str
    member_under_14: bool
    guardians: list[Guardian]
    version: int = Field(description='The version; the ETag is the same number, quoted: "3"')
    updated_by: str
    updated_at: str
