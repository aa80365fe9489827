"""HTTP routes of the peer function: the supporter inbox, conversations (and concerns, reports).

Who may see what (DESIGN.md §4, MISSION.md):
- The inbox is a peer supporter's own (the roster must say they are an active supporter);
  an item is shown only while its member's unit is still one the supporter supports.
  Every page and reply is audited, naming the member as the subject (their access log).
- A conversation is between one member and one supporter of the member's unit. Anyone
  else, and either party once the roster no longer pairs them, gets 404: nothing says
  whether it exists.
- Who may call a route is settled before its body is read: a dependency checks the
  caller's role against the roster (FastAPI solves dependencies before it validates the
  body), so someone without the role gets 403 (the inbox, starting a conversation) or 404
  (a conversation's routes) and never a 422 that would describe the route's body.
- A member's message goes through the lexicon: a risky one stores its plain level and
  its reasons sealed for the crisis feature (`signal_ct`, decision 28) on its own item,
  so the peer table's stream raises the signal. The member's answer carries the crisis
  lines (high, imminent) and `support_requested`; the supporter sees only
  `offered_help: true`, never a level or a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from functions.peer import concerns_routes, reports_routes
from functions.peer.concerns import assigned_member
from functions.peer.keys import PURPOSE, PeerKeys
from functions.peer.logic import (
    MESSAGES_PER_MINUTE,
    WARNING_ADVICE,
    WARNINGS,
    contact_warnings,
    conversation_id,
    minute_window,
)
from functions.peer.models import (
    ConversationIn,
    ConversationList,
    ConversationOut,
    InboxItem,
    InboxPage,
    MessageIn,
    MessageOut,
    MessagePage,
    ReplyIn,
    ReportAck,
    ReportIn,
    SentMessage,
    Toggle,
    ToggleOut,
    Warning,
)
from functions.peer.repository import (
    HANDLED,
    OPEN,
    Conversation,
    PeerRepository,
    RateLimited,
)
from functions.peer.settings import PeerSettings
from shared import aws
from shared.audit import AuditEntry, AuditLog
from shared.clock import utc_iso
from shared.crisis.support import support_message, support_requested
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Forbidden, NotFound
from shared.http import create_app, problem, problem_responses
from shared.identity import Identity
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry, roster
from shared.routing import Caller, Now
from shared.settings import settings
from shared.signing_keys import SigningKeys, signing_keys

app = create_app("Peer support API")
app.include_router(concerns_routes.router)
app.include_router(reports_routes.router)

ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
SEND_ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422, 429)
SUPPORTER, MEMBER = "peer_supporter", "member"
MAX_ID = 64
PAGE = 20


def _rate_limited(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RateLimited)
    response = problem(
        429,
        "rate-limited",
        "Too many messages",
        f"At most {MESSAGES_PER_MINUTE} messages a minute; try again shortly.",
    )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


app.add_exception_handler(RateLimited, _rate_limited)


# ---- wiring (replaced in tests by dependency overrides) ----------------------------------


@cache
def repository() -> PeerRepository:  # pragma: no cover - production wiring
    from shared.vault import vault_for

    table = settings(PeerSettings).peer_table
    vault = vault_for(PURPOSE, PeerKeys(aws.client("dynamodb"), table))
    return PeerRepository(aws.client("dynamodb"), table, vault)


@cache
def audit_log() -> AuditLog:  # pragma: no cover - production wiring
    return AuditLog(aws.client("dynamodb"), settings(PeerSettings).audit_table)


def people() -> Any:
    return roster()


def cursor_keys() -> SigningKeys:  # pragma: no cover - production wiring
    return signing_keys(settings(PeerSettings).cursor_secret_arn)


def signal_sealer() -> Any:  # pragma: no cover - production wiring
    from shared.crisis.signal_seal import signal_sealer as sealer

    return sealer()


def notifier() -> Callable[..., Any]:  # pragma: no cover - production wiring
    from shared.notifications.notify import notify

    return notify


def assess() -> Callable[[str], Any]:
    def assess_text(text: str) -> Any:
        from shared.lexicon import assess_text as lexicon  # only a member's message pays

        return lexicon(text)

    return assess_text


def crisis_lines() -> Callable[[Identity, Any], dict[str, Any]]:
    from shared.resources.for_member import crisis_lines as lines

    return lines


Repo = Annotated[PeerRepository, Depends(repository)]
Log = Annotated[AuditLog, Depends(audit_log)]
People = Annotated[Any, Depends(people)]
Keys = Annotated[SigningKeys, Depends(cursor_keys)]
Sealer = Annotated[Any, Depends(signal_sealer)]
Notify = Annotated[Callable[..., Any], Depends(notifier)]
Assess = Annotated[Callable[[str], Any], Depends(assess)]
Lines = Annotated[Callable[[Identity, Any], dict[str, Any]], Depends(crisis_lines)]
ItemId = Annotated[str, Path(alias="id", min_length=1, max_length=MAX_ID)]
ConversationId = Annotated[str, Path(alias="id", min_length=1, max_length=MAX_ID)]


# ---- access --------------------------------------------------------------------------


def _supporter(identity: Identity) -> RosterEntry:
    if not identity.org_id:
        raise Forbidden("Only peer supporters have an inbox.")
    return require_role(identity, identity.org_id, (SUPPORTER,))


def supporter(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an active peer supporter (before the body)."""
    return _supporter(identity)


def conversation_starter(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them a member or a peer supporter (before the body);
    anyone else may not start a conversation (403)."""
    if not identity.org_id:
        raise NotFound("No such person.")
    return require_role(identity, identity.org_id, (MEMBER, SUPPORTER))


def conversation_party(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them a member or a peer supporter, the only people
    a conversation can have; anyone else is told there is no such conversation (404)
    before the body is read. Whether they are in this one is `_in_conversation`'s."""
    if not identity.org_id:
        raise NotFound("No such conversation.")
    try:
        return require_role(identity, identity.org_id, (MEMBER, SUPPORTER))
    except Forbidden:
        raise NotFound("No such conversation.") from None


Supporter = Annotated[RosterEntry, Depends(supporter)]
Starter = Annotated[RosterEntry, Depends(conversation_starter)]
Party = Annotated[RosterEntry, Depends(conversation_party)]


def _visible(supporter: RosterEntry, item: dict[str, Any] | None) -> dict[str, Any]:
    """The item if the supporter still supports its member's unit; NotFound otherwise."""
    if (
        item is None
        or item.get("org_id") != supporter.org_id
        or item.get("unit_id") not in supporter.units_supported
    ):
        raise NotFound("No such inbox item.")
    return item


def _in_conversation(
    identity: Identity, repo: PeerRepository, names: Any, cid: str
) -> tuple[Conversation, RosterEntry]:
    """The conversation and the caller's roster entry if the caller is in it and the roster
    still pairs the two; NotFound for anyone else."""
    found = repo.conversation(cid)
    if found is None or not identity.org_id or found.org_id != identity.org_id:
        raise NotFound("No such conversation.")
    role = found.role_of(identity.user_id)
    entry = names.entry(found.org_id, identity.user_id)
    if role is None or entry is None or not entry.active:
        raise NotFound("No such conversation.")
    if role == "supporter":
        if entry.role != SUPPORTER or SUPPORTER not in identity.roles:
            raise NotFound("No such conversation.")
        assigned_member(entry, names, found.member_id)  # NotFound once unassigned
    elif entry.role != MEMBER:
        raise NotFound("No such conversation.")
    return found, entry


def _audit_read(
    log: AuditLog, supporter: RosterEntry, member_id: str, action: str, target_id: str, now: Any
) -> None:
    log.append(
        supporter.org_id,
        actor_id=supporter.user_id,
        actor_role=supporter.role,
        action=action,
        target_type="checkin",
        target_id=target_id,
        subject_id=member_id,
        at=now,
    )


def _inbox_item(item: dict[str, Any]) -> InboxItem:
    return InboxItem(
        id=item["item_id"],
        member_id=item["member_id"],
        display_name=item.get("display_name", ""),
        date=item["date"],
        mood=item["mood"],
        emotions=item.get("emotions") or [],
        tags=item.get("tags") or [],
        note=item.get("note"),
        falling=bool(item.get("falling")),
        status=item["status"],
        waiting_since=item["waiting_since"],
        replied_at=item.get("replied_at"),
        handled_at=item.get("handled_at"),
    )


def _message(item: dict[str, Any], viewer: str, conversation: Conversation) -> MessageOut:
    mine = item["sender_id"] == viewer
    return MessageOut(
        message_id=item["message_id"],
        conversation_id=item["conversation_id"],
        sender_id=item["sender_id"],
        mine=mine,
        text=item.get("text"),
        created_at=item["created_at"],
        client_id=item.get("client_id") if mine else None,
        # Only the supporter is told, and only that help was offered.
        offered_help=bool(item.get("offered_help")) and viewer == conversation.supporter_id,
    )


# ---- the supporter inbox -------------------------------------------------------------


@app.get(
    "/peer/inbox",
    response_model=InboxPage,
    responses=ERRORS,
    summary="The check-ins your members shared with you, most in need first",
    description=(
        "For peer supporters. Low mood first, then a falling trend, then unanswered for "
        "longest. Display name, date, mood, emotions, and the tags and note the member "
        "shared; never scores, instrument answers or risk. Every read is audited and "
        "shown to the member."
    ),
)
def inbox(
    supporter: Supporter,
    repo: Repo,
    log: Log,
    keys: Keys,
    now: Now,
    status: Annotated[Literal["open", "handled"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=50)] = PAGE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> InboxPage:
    scope = f"peer-inbox|{supporter.user_id}|{status}|{limit}"
    items, last = repo.inbox_page(
        supporter.user_id, status, limit, decode_cursor(cursor, scope, keys)
    )
    shown = []
    for item in items:
        try:
            shown.append(_visible(supporter, item))
        except NotFound:
            continue
    # One record per member shown (their access log), all in one write.
    entries = [
        AuditEntry(
            supporter.user_id,
            supporter.role,
            "peer_inbox.read",
            "checkin",
            ",".join(i["item_id"] for i in shown if i["member_id"] == member_id)[:256],
            subject_id=member_id,
        )
        for member_id in dict.fromkeys(i["member_id"] for i in shown)
    ]
    if entries:
        log.append_all(supporter.org_id, entries, at=now())
    return InboxPage(
        items=[_inbox_item(i) for i in repo.open_shared(shown)],
        next_cursor=encode_cursor(last, scope, keys),
    )


def _send(
    conversation: Conversation,
    sender: RosterEntry,
    identity: Identity,
    body: MessageIn,
    repo: PeerRepository,
    sealer: Any,
    notify: Callable[..., Any],
    assess_text: Callable[[str], Any],
    lines: Callable[[Identity, Any], dict[str, Any]],
    moment: Any,
    response: Response,
) -> SentMessage:
    if conversation.blocked_by is not None:
        raise Forbidden("This conversation is blocked.")
    first = repo.message_by_client_id(conversation, sender.user_id, body.client_id)
    if first is None:
        window, retry_after = minute_window(moment)
        repo.take_slot(sender.user_id, window, MESSAGES_PER_MINUTE, retry_after, moment)
    level = "none"
    reasons: list[str] = []
    if sender.user_id == conversation.member_id:
        risk = assess_text(body.text)
        level, reasons = risk.level, list(risk.reasons)
    if first is None:
        stored, created = repo.add_message(
            conversation,
            sender.user_id,
            body.text,
            body.client_id,
            moment,
            risk_level=level,
            signal=lambda item_id: sealer.seal(conversation.member_id, item_id, reasons),
        )
    else:
        stored, created = first, False
    if created:
        recipient = conversation.other(sender.user_id)
        side = repo.side(recipient, conversation.conversation_id) or {}
        if not side.get("muted"):
            notify(
                recipient,
                "peer_message",
                {"sender_name": sender.display_name},
                request_id=f"peer-{stored['message_id']}",
            )
    else:
        response.status_code = 200
    out = SentMessage(
        **_message(stored, sender.user_id, conversation).model_dump(),
        warnings=[
            Warning(code=code, message=WARNINGS[code] + WARNING_ADVICE)
            for code in contact_warnings(body.text)
        ],
    )
    if sender.user_id == conversation.member_id:
        from shared.risk import CRISIS_LEVELS  # loaded with the lexicon anyway; not at cold start

        if level in CRISIS_LEVELS:
            out.crisis_resources = lines(identity, moment)
        if support_requested(level, conversation.org_id):
            out.support_requested = True
            out.support_message = support_message(identity.locale)
    return out


@app.post(
    "/peer/inbox/{id}/reply",
    status_code=201,
    response_model=SentMessage,
    responses=SEND_ERRORS,
    summary="Answer a shared check-in: the reply reaches the member as a message",
)
def reply(
    supporter: Supporter,
    item_id: ItemId,
    body: ReplyIn,
    identity: Caller,
    response: Response,
    repo: Repo,
    log: Log,
    names: People,
    sealer: Sealer,
    notify: Notify,
    assess_text: Assess,
    lines: Lines,
    now: Now,
) -> SentMessage:
    item = _visible(supporter, repo.inbox_item(supporter.user_id, item_id))
    member = assigned_member(supporter, names, item["member_id"])
    moment = now()
    conversation, _ = repo.start(_new_conversation(member, supporter, moment))
    sent = _send(
        conversation,
        supporter,
        identity,
        body,
        repo,
        sealer,
        notify,
        assess_text,
        lines,
        moment,
        response,
    )
    repo.mark_replied(item, moment)
    _audit_read(log, supporter, member.user_id, "peer_inbox.reply", item_id, moment)
    return sent


@app.post(
    "/peer/inbox/{id}/handled",
    response_model=InboxItem,
    responses=ERRORS,
    summary="Mark a shared check-in as handled",
)
def handled(supporter: Supporter, item_id: ItemId, repo: Repo, log: Log, now: Now) -> InboxItem:
    item = _visible(supporter, repo.inbox_item(supporter.user_id, item_id))
    moment = now()
    if item["status"] != HANDLED:
        repo.mark_handled(item, moment)
        item = item | {"status": HANDLED, "handled_at": utc_iso(moment)}
    (opened,) = repo.open_shared([item])
    # The answer shows the shared check-in again: a read the member sees in their log.
    _audit_read(log, supporter, item["member_id"], "peer_inbox.handled", item_id, moment)
    return _inbox_item(opened)


# ---- conversations -------------------------------------------------------------------


def _new_conversation(member: RosterEntry, supporter: RosterEntry, moment: Any) -> Conversation:
    return Conversation(
        conversation_id=conversation_id(member.org_id, member.user_id, supporter.user_id),
        org_id=member.org_id,
        member_id=member.user_id,
        supporter_id=supporter.user_id,
        member_name=member.display_name,
        supporter_name=supporter.display_name,
        created_at=utc_iso(moment),
    )


def _side(side: dict[str, Any], blocked: bool = False) -> ConversationOut:
    return ConversationOut(
        conversation_id=side["conversation_id"],
        role=side["role"],
        other_id=side["other_id"],
        other_name=side.get("other_name", ""),
        unread=int(side.get("unread") or 0),
        last_message_at=side.get("last_message_at"),
        last_read_at=side.get("last_read_at"),
        muted=bool(side.get("muted")),
        blocked=blocked,
    )


@app.post(
    "/conversations",
    status_code=201,
    response_model=ConversationOut,
    responses=ERRORS,
    summary="Start (or find) a conversation between a member and a supporter of their unit",
)
def start_conversation(
    caller: Starter,
    body: ConversationIn,
    response: Response,
    repo: Repo,
    names: People,
    now: Now,
) -> ConversationOut:
    if caller.role == SUPPORTER:
        supporter, member = caller, assigned_member(caller, names, body.with_user)
    else:
        other = names.entry(caller.org_id, body.with_user)
        if (
            other is None
            or not other.active
            or other.role != SUPPORTER
            or caller.unit_id is None
            or caller.unit_id not in other.units_supported
        ):
            raise NotFound("No such person.")
        supporter, member = other, caller
    conversation, created = repo.start(_new_conversation(member, supporter, now()))
    if not created:
        response.status_code = 200
    side = repo.side(caller.user_id, conversation.conversation_id) or {}
    return _side(side, blocked=conversation.blocked_by is not None)


@app.get(
    "/conversations",
    response_model=ConversationList,
    responses=ERRORS,
    summary="Your conversations, most recent first, with unread counts",
)
def list_conversations(identity: Caller, repo: Repo) -> ConversationList:
    sides = sorted(
        repo.sides(identity.user_id),
        key=lambda s: str(s.get("last_message_at") or ""),
        reverse=True,
    )
    return ConversationList(items=[_side(s) for s in sides])


@app.get(
    "/conversations/{id}/messages",
    response_model=MessagePage,
    responses=ERRORS,
    summary="A conversation's messages, newest first",
)
def list_messages(
    _: Party,
    cid: ConversationId,
    identity: Caller,
    repo: Repo,
    names: People,
    keys: Keys,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> MessagePage:
    conversation, _ = _in_conversation(identity, repo, names, cid)
    scope = f"peer-messages|{identity.user_id}|{cid}|{limit}"
    items, last = repo.messages_page(conversation, limit, decode_cursor(cursor, scope, keys))
    other_read = (
        conversation.supporter_read_at
        if identity.user_id == conversation.member_id
        else conversation.member_read_at
    )
    return MessagePage(
        items=[_message(i, identity.user_id, conversation) for i in items],
        next_cursor=encode_cursor(last, scope, keys),
        other_read_at=other_read,
    )


@app.post(
    "/conversations/{id}/messages",
    status_code=201,
    response_model=SentMessage,
    responses={
        200: {"model": SentMessage, "description": "A resend: the first message"},
        **SEND_ERRORS,
    },
    summary="Send a message (at most 30 a minute)",
)
def send_message(
    _: Party,
    cid: ConversationId,
    body: MessageIn,
    identity: Caller,
    response: Response,
    repo: Repo,
    names: People,
    sealer: Sealer,
    notify: Notify,
    assess_text: Assess,
    lines: Lines,
    now: Now,
) -> SentMessage:
    conversation, sender = _in_conversation(identity, repo, names, cid)
    return _send(
        conversation,
        sender,
        identity,
        body,
        repo,
        sealer,
        notify,
        assess_text,
        lines,
        now(),
        response,
    )


@app.post(
    "/conversations/{id}/read",
    status_code=204,
    responses=ERRORS,
    summary="Mark the conversation read (a read receipt; unread back to 0)",
)
def mark_read(
    _: Party, cid: ConversationId, identity: Caller, repo: Repo, names: People, now: Now
) -> Response:
    conversation, _ = _in_conversation(identity, repo, names, cid)
    role = conversation.role_of(identity.user_id) or "member"
    repo.mark_read(conversation, identity.user_id, role, now())
    return Response(status_code=204)


@app.post(
    "/conversations/{id}/report",
    status_code=202,
    response_model=ReportAck,
    responses=ERRORS,
    summary="Report a message to the counsellors",
)
def report(
    _: Party,
    cid: ConversationId,
    body: ReportIn,
    identity: Caller,
    repo: Repo,
    names: People,
    log: Log,
    now: Now,
) -> ReportAck:
    conversation, entry = _in_conversation(identity, repo, names, cid)
    message = repo.message(conversation, body.message_id)
    if message is None:
        raise NotFound("No such message.")
    moment = now()
    report_id = repo.add_report(conversation, identity.user_id, message["sk"], body.reason, moment)
    log.append(
        conversation.org_id,
        actor_id=identity.user_id,
        actor_role=entry.role,
        action="peer_message.reported",
        target_type="conversation",
        target_id=conversation.conversation_id,
        detail={"report_id": report_id},
        at=moment,
    )
    return ReportAck(report_id=report_id)


def _toggle(
    identity: Identity,
    repo: PeerRepository,
    names: Any,
    cid: str,
    body: Toggle | None,
    setter: Callable[[Conversation, str, bool], None],
) -> ToggleOut:
    """Block or mute (no body: on) for the caller's side of the conversation."""
    conversation, _ = _in_conversation(identity, repo, names, cid)
    on = True if body is None else body.on
    setter(conversation, identity.user_id, on)
    return ToggleOut(conversation_id=cid, on=on)


@app.post(
    "/conversations/{id}/block",
    response_model=ToggleOut,
    responses=ERRORS,
    summary='Block the conversation (no one can send); {"on": false} lifts your block',
)
def block(
    _: Party,
    cid: ConversationId,
    identity: Caller,
    repo: Repo,
    names: People,
    body: Toggle | None = None,
) -> ToggleOut:
    return _toggle(identity, repo, names, cid, body, repo.set_blocked)


@app.post(
    "/conversations/{id}/mute",
    response_model=ToggleOut,
    responses=ERRORS,
    summary='Mute notifications of new messages; {"on": false} unmutes',
)
def mute(
    _: Party,
    cid: ConversationId,
    identity: Caller,
    repo: Repo,
    names: People,
    body: Toggle | None = None,
) -> ToggleOut:
    return _toggle(identity, repo, names, cid, body, repo.set_muted)


__all__ = ["HANDLED", "OPEN", "app"]
