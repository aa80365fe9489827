"""Field types and the two small models every part of the organisations API shares.

Each part (organisation and units, roster, rota) has its own models module, so each
of the three functions builds only the pydantic models it serves (cold start).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StringConstraints

from shared.fields import plain_text

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
# 128: the Cognito username limit (an email is the username).
Email = Annotated[str, StringConstraints(max_length=128, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
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


class OnDutyPerson(BaseModel):
    user_id: str
    display_name: str | None = None
