"""GET /me/access-log: the member's view of who read their data (OrgsFunction)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal[
    "case",
    "safety_plan",
    "care_plan",
    "guardians",
    "roster_entry",
    "checkin_shared",
    "reported_message",
    "export",
    "screening_followup",
    "guardian_consent",
    "appointment",
    "other",
]


class AccessLogEntry(BaseModel):
    at: str = Field(description="When it was read (UTC, ISO 8601)")
    actor_display_name: str = Field(
        description='Who read it, by their name on the roster ("a staff member" if gone)'
    )
    actor_role: str = Field(description="Their role when they read it")
    kind: Kind = Field(description="What kind of your data was read")
    action: str = Field(description='What was done with it, e.g. "read"')


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: str | None = None
