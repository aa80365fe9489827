"""The peer function's HTTP contract: inbox items, conversations, messages."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.peer.logic import MAX_MESSAGE_CHARS

# Control characters (but line breaks and tabs) and bidirectional overrides.
_NOT_IN_TEXT = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_REASON_CHARS = 500
MAX_USER_ID = 128


def _no_controls(text: str) -> str:
    if _NOT_IN_TEXT.search(text):
        raise ValueError("must not contain control or bidirectional formatting characters")
    return text


def _uuid(text: str) -> str:
    return str(uuid.UUID(text))


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_CHARS),
    AfterValidator(_no_controls),
]
ClientId = Annotated[str, StringConstraints(min_length=32, max_length=36), AfterValidator(_uuid)]


class InboxItem(BaseModel):
    """A check-in a member shared with their supporters: what they chose to share (name,
    day, mood, emotions, tags, note; the tags and note are kept sealed under the member's
    peer key and opened for the reader). Scores, instrument answers, risk and reasons
    never come here."""

    id: str
    member_id: str
    display_name: str
    date: dt.date
    mood: int = Field(description="1 very bad ... 5 very good")
    emotions: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    note: str | None = Field(default=None, description="The note the member wrote, if any")
    falling: bool = Field(description="Lower than the member's previous shared check-in")
    status: Literal["open", "handled"]
    waiting_since: str
    replied_at: str | None = None
    handled_at: str | None = None


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text = Field(description="At most 2,000 characters (sealed)")
    client_id: ClientId = Field(description="A UUID the app makes; a resend returns the first")


class ReplyIn(MessageIn):
    pass


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    with_user: Annotated[str, StringConstraints(min_length=1, max_length=MAX_USER_ID)] = Field(
        alias="with", description="The supporter (for a member) or the member (for a supporter)"
    )


class ConversationOut(BaseModel):
    conversation_id: str
    role: Literal["member", "supporter"] = Field(description="Your part in it")
    other_id: str
    other_name: str
    unread: int = 0
    last_message_at: str | None = None
    last_read_at: str | None = None
    muted: bool = False
    blocked: bool = False


class ConversationList(BaseModel):
    items: list[ConversationOut]


class Warning(BaseModel):
    code: Literal["phone_number", "wechat_id", "qq_id", "email_address"]
    message: str


class MessageOut(BaseModel):
    message_id: str
    conversation_id: str
    sender_id: str
    mine: bool
    text: str | None = Field(description="null once the member's data was erased")
    created_at: str
    client_id: str | None = None
    offered_help: bool = Field(
        default=False,
        description=(
            "To the supporter: the member was offered help (crisis lines, a counsellor) "
            "after this message. Never a level or a reason."
        ),
    )


class SentMessage(MessageOut):
    warnings: list[Warning] = Field(
        default_factory=list,
        description="Contact details the text seems to share; the message was still sent",
    )
    crisis_resources: dict[str, Any] | None = Field(
        default=None, description="To a member whose message was high risk: the crisis lines"
    )
    support_requested: bool = False
    support_message: str | None = None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None
    other_read_at: str | None = Field(
        default=None, description="When the other party last marked the conversation read"
    )


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reason: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_REASON_CHARS),
            AfterValidator(_no_controls),
        ]
        | None
    ) = None


class ReportAck(BaseModel):
    report_id: str
    message: str = "Thank you. A counsellor will look at it."


class Toggle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool = True


class ToggleOut(BaseModel):
    conversation_id: str
    on: bool
