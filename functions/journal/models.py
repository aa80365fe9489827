"""Journal request and response models: the HTTP contract of the journal function."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from shared.risk import Risk
from shared.vocabulary import Emotions, Tags

MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 20_000
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_CHARS)]
Body = Annotated[str, StringConstraints(max_length=MAX_BODY_CHARS)]
Mood = Annotated[int, Strict(), Field(ge=1, le=5)]


class EntryIn(BaseModel):
    """POST /journal/entries body."""

    model_config = ConfigDict(extra="forbid")

    title: Title = ""
    body: Body
    mood: Mood | None = None
    emotions: Emotions = Field(default_factory=list)
    tags: Tags = Field(default_factory=list)
    client_id: uuid.UUID | None = Field(
        default=None,
        description="Made by the app; resending the same client_id creates no second entry.",
    )


class EntryPatch(BaseModel):
    """PATCH /journal/entries/{id} body: the fields given change, the rest stay."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    mood: Mood | None = None
    emotions: Emotions | None = None
    tags: Tags | None = None
    version: Annotated[int, Strict(), Field(ge=1)] | None = Field(
        default=None, description="The version the change is based on (or send If-Match)."
    )


class Entry(BaseModel):
    id: str
    title: str
    body: str
    mood: int | None = None
    emotions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    written_at: str
    updated_at: str
    version: int
    risk: Risk
    crisis_resources: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Only in the response to a write whose risk is high or imminent: "
            "{message, lang, resources}, as GET /resources/crisis. Never stored."
        ),
    )
    support_requested: bool = Field(
        default=False,
        description=(
            "True in the response to a write that raised a risk signal for a member of an "
            "organisation: a counsellor is told and will reach out (support_message says "
            "so). Never a score or a case detail. Never stored."
        ),
    )
    support_message: str | None = Field(
        default=None,
        description="When support_requested: the wording to show, in the member's language",
    )


class EntryPage(BaseModel):
    items: list[Entry]
    next_cursor: str | None


class Change(BaseModel):
    id: str
    deleted: bool
    entry: Entry | None = Field(default=None, description="The entry as it is now; null if deleted")


class SyncPage(BaseModel):
    changes: list[Change] = Field(description="Oldest change first")
    next_token: str = Field(description="Send as `since` next time")
    has_more: bool = Field(description="True: call again at once with next_token")
