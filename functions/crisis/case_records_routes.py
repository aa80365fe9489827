"""The counsellor's case records: notes, contacts, referrals, and the watch list
(included by functions/crisis/routes.py; its dependencies come from deps.py).

Like every case route, these answer 404 to anyone but the counsellors (and duty admins)
of the case's organisation, and audit every read and write. Free text (a note, a
contact's or a referral's note) is sealed with the crisis vault under the member's key,
with the record's id as the vault's item id; the timeline and the audit chain carry
plain facts only (who, channel, outcome, kind), never that text.

Also here, as plain functions: how a case's stored records become the timeline, the
follow-ups, notes, contacts and referrals of `GET /cases/{id}` (`records_view`), and how
a watch entry becomes a row of `GET /watchlist` (`watch_view`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, Query, status

from functions.crisis.case_records import CONTACT, NOTE, REFERRAL, CaseItems, CaseRecords
from functions.crisis.case_records_models import (
    ContactIn,
    ContactOut,
    FollowUpOut,
    NoteIn,
    NoteOut,
    ReferralIn,
    ReferralOut,
    TimelineEvent,
    WatchEntryOut,
    WatchPage,
)
from functions.crisis.deps import (
    ERRORS,
    CaseId,
    Cases,
    CrisisVault,
    Keys,
    Log,
    Records,
    audit,
    case_for_staff,
)
from functions.crisis.logic import (
    CASE_ROLES,
    FAMILY_CONTACT_DAYS,
    FAMILY_WHO,
    HIGHEST_WATCH_LEVEL,
    family_contact_allowed,
)
from shared.clock import utc_iso
from shared.cursor import decode_cursor, encode_cursor
from shared.errors import Forbidden, InvalidInput, NotFound
from shared.identity import Identity
from shared.observability import logger
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry
from shared.routing import Caller, Now
from shared.vault import Vault

router = APIRouter()
CLOCK_SKEW = dt.timedelta(minutes=1)  # a contact "now" on a phone a little ahead is not future
WATCH_PAGE = 100
HIDDEN_EVENTS = frozenset({"follow_up_planned"})  # shown as follow_ups, not on the timeline
# The order of a case's life: what breaks a tie between events of the same millisecond
# (an answer and the re-escalation it causes are written by one step, at one time).
EVENT_ORDER = (
    "opened",
    "raised",
    "notified",
    "escalated",
    "unacknowledged",
    "acknowledged",
    "follow_up_planned",
    "follow_up_sent",
    "answered",
    "re_escalated",
    "note_added",
    "contact_logged",
    "referral",
    "closed",
)


# --- helpers ----------------------------------------------------------------------------------


def record_event(
    records: CaseRecords,
    case_id: str,
    kind: str,
    at: str,
    actor_id: str,
    detail: Mapping[str, str | int] | None = None,
) -> None:
    """Add a timeline event after the write it records. The audit chain is the proof;
    an event that could not be written is logged (no personal data), not a failed call."""
    try:
        records.add_event(case_id, kind, at, actor_id, detail)
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "timeline event not written",
            extra={"case_id": case_id, "kind": kind, "error_type": type(error).__name__},
        )


def _sealed(vault: Vault, user_id: str, item_id: str, fields: dict[str, Any]) -> dict[str, bytes]:
    return vault.seal_fields(vault.key_for_writing(user_id), user_id, item_id, fields)


def _opened(
    vault: Vault, key: bytes | None, user_id: str, item: Mapping[str, Any], name: str
) -> Any:
    if key is None:  # the member's crisis key was erased: the text is gone
        return None
    return vault.open_fields(key, user_id, str(item["id"]), dict(item), (name,))[name]


def watch_staff(identity: Identity, org_id: str) -> RosterEntry:
    try:
        return require_role(identity, org_id, CASE_ROLES)
    except (Forbidden, NotFound):
        raise NotFound("Not found.") from None


# --- what GET /cases/{id} shows ---------------------------------------------------------------


def in_order(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events by time, then by their place in a case's life, then as stored."""

    def place(event: Mapping[str, Any]) -> tuple[str, int, str]:
        kind = str(event.get("kind"))
        rank = EVENT_ORDER.index(kind) if kind in EVENT_ORDER else len(EVENT_ORDER)
        return (str(event.get("at")), rank, str(event.get("sk")))

    return sorted(events, key=place)


def timeline_view(events: list[dict[str, Any]]) -> list[TimelineEvent]:
    """The events in time order, without those shown elsewhere."""
    ordered = in_order(events)
    return [
        TimelineEvent(
            at=str(e["at"]),
            kind=str(e["kind"]),
            actor_id=str(e["actor_id"]),
            detail=e.get("detail") or None,
        )
        for e in ordered
        if e.get("kind") not in HIDDEN_EVENTS
    ]


def follow_up_view(events: list[dict[str, Any]]) -> list[FollowUpOut]:
    """Each follow-up of the schedule as far as it got: planned (with when it is due),
    sent, answered (an answer belongs to the follow-up sent last before it). A step the
    workflow retried is counted once."""
    found: dict[int, dict[str, Any]] = {}
    last_sent: int | None = None
    for event in in_order(events):
        kind, detail = event.get("kind"), event.get("detail") or {}
        if kind in ("follow_up_planned", "follow_up_sent"):
            number = int(detail.get("number") or 0)
            if number < 1:
                continue
            entry = found.setdefault(number, {"number": number, "status": "planned"})
            entry.setdefault("day", detail.get("day"))
            if kind == "follow_up_planned":
                entry.setdefault("due_at", detail.get("due_at"))
            elif "sent_at" not in entry:
                entry |= {"sent_at": event["at"], "status": "sent"}
                last_sent = number
        elif kind == "answered" and last_sent is not None:
            entry = found[last_sent]
            if "answered_at" not in entry:
                worse = bool(int(detail.get("worse") or 0))
                entry |= {"answered_at": event["at"], "worse": worse, "status": "answered"}
    return [FollowUpOut.model_validate(found[n]) for n in sorted(found)]


def records_view(items: CaseItems, user_id: str, vault: Vault) -> dict[str, Any]:
    """The timeline, follow-ups, notes (newest last), contacts and referrals of a case,
    their sealed text opened for the counsellor."""
    key = (
        vault.key_for_reading(user_id) if items.notes or items.contacts or items.referrals else None
    )
    notes = [
        NoteOut(
            note_id=str(n["id"]),
            author_id=str(n["author_id"]),
            created_at=str(n["created_at"]),
            text=_opened(vault, key, user_id, n, "text"),
        )
        for n in items.notes
    ]
    contacts = [
        ContactOut.model_validate(
            {k: c.get(k) for k in ("who", "channel", "outcome", "at", "logged_by", "logged_at")}
            | {"contact_id": c["id"], "note": _opened(vault, key, user_id, c, "note")}
        )
        for c in items.contacts
    ]
    referrals = [
        ReferralOut.model_validate(
            {k: r.get(k) for k in ("to", "kind", "on", "referred_by", "recorded_at")}
            | {"referral_id": r["id"], "note": _opened(vault, key, user_id, r, "note")}
        )
        for r in items.referrals
    ]
    return {
        "timeline": timeline_view(items.events),
        "follow_ups": follow_up_view(items.events),
        "notes": notes,
        "contacts": contacts,
        "referrals": referrals,
    }


# --- what GET /watchlist shows ----------------------------------------------------------------


def _day(stamp: str) -> dt.date:
    return dt.date.fromisoformat(stamp[:10])


def watch_view(entry: Mapping[str, Any], today: dt.date) -> WatchEntryOut:
    """One watch entry on `today` (UTC): overdue once the review date has passed; at the
    highest level, a family contact is due 14 days after the last one (at once if none
    was logged since the member was put on the list)."""
    review = dt.date.fromisoformat(str(entry["review_on"]))
    level = int(entry["level"])
    last_family = entry.get("last_family_contact")
    due_on: dt.date | None = None
    if level == HIGHEST_WATCH_LEVEL:
        if last_family:
            due_on = _day(str(last_family)) + dt.timedelta(days=FAMILY_CONTACT_DAYS)
        else:
            due_on = _day(str(entry["since"]))
    return WatchEntryOut(
        user_id=str(entry["user_id"]),
        level=level,
        case_id=str(entry["case_id"]),
        since=str(entry["since"]),
        last_contact=entry.get("last_contact"),
        last_family_contact=last_family,
        next_review=review,
        overdue=review < today,
        family_contact_due=None if due_on is None else due_on <= today,
        family_contact_due_on=due_on,
    )


def watch_order(row: WatchEntryOut) -> tuple[int, str, str]:
    """Overdue first, then by the next review, then by member (a total order for cursors)."""
    return (0 if row.overdue else 1, row.next_review.isoformat(), row.user_id)


# --- routes -----------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/notes",
    status_code=status.HTTP_201_CREATED,
    response_model=NoteOut,
    responses=ERRORS,
    summary="Add a counsellor's note to a case (sealed)",
)
def add_note(
    case_id: CaseId,
    payload: NoteIn,
    identity: Caller,
    repo: Cases,
    records: Records,
    vault: CrisisVault,
    log: Log,
    now: Now,
) -> NoteOut:
    found, staff = case_for_staff(repo, identity, case_id)
    user_id, note_id, stamp = str(found["user_id"]), records.new_id(), utc_iso(now())
    sealed = _sealed(vault, user_id, note_id, {"text": payload.text})
    records.add(
        case_id, NOTE, note_id, stamp, {"author_id": staff.user_id, "created_at": stamp} | sealed
    )
    audit(log, staff, "case.note_added", case_id)
    record_event(records, case_id, "note_added", stamp, staff.user_id)
    return NoteOut(note_id=note_id, author_id=staff.user_id, created_at=stamp, text=payload.text)


@router.post(
    "/cases/{case_id}/contacts",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactOut,
    responses=ERRORS,
    summary="Log a contact with the member, or at the highest level with their family",
)
def log_contact(
    case_id: CaseId,
    payload: ContactIn,
    identity: Caller,
    repo: Cases,
    records: Records,
    vault: CrisisVault,
    log: Log,
    now: Now,
) -> ContactOut:
    found, staff = case_for_staff(repo, identity, case_id)
    user_id, org_id = str(found["user_id"]), str(found["org_id"])
    logged = now()
    moment = payload.at or logged
    if moment > logged + CLOCK_SKEW:
        raise InvalidInput("The contact's time `at` is in the future.")
    if payload.who in FAMILY_WHO and not family_contact_allowed(
        found, records.watch_entry(org_id, user_id)
    ):
        raise InvalidInput(
            "A guardian or family contact can be logged only for a member at the highest "
            "watch level (3) or on an imminent case."
        )
    contact_id, at, logged_at = records.new_id(), utc_iso(moment), utc_iso(logged)
    plain = {
        "who": payload.who,
        "channel": payload.channel,
        "outcome": payload.outcome,
        "at": at,
        "logged_by": staff.user_id,
        "logged_at": logged_at,
    }
    sealed = _sealed(vault, user_id, contact_id, {"note": payload.note})
    records.add(case_id, CONTACT, contact_id, at, plain | sealed)
    records.contacted(case_id, org_id, user_id, at, payload.who)
    facts: dict[str, str | int] = {
        "who": payload.who,
        "channel": payload.channel,
        "outcome": payload.outcome,
    }
    audit(log, staff, "case.contact_logged", case_id, facts)
    record_event(records, case_id, "contact_logged", at, staff.user_id, facts)
    return ContactOut.model_validate(plain | {"contact_id": contact_id, "note": payload.note})


@router.post(
    "/cases/{case_id}/referral",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralOut,
    responses=ERRORS,
    summary="Record a referral to a hospital or service",
)
def refer(
    case_id: CaseId,
    payload: ReferralIn,
    identity: Caller,
    repo: Cases,
    records: Records,
    vault: CrisisVault,
    log: Log,
    now: Now,
) -> ReferralOut:
    found, staff = case_for_staff(repo, identity, case_id)
    user_id, referral_id, stamp = str(found["user_id"]), records.new_id(), utc_iso(now())
    plain = {
        "to": payload.to,
        "kind": payload.kind,
        "on": payload.on.isoformat(),
        "referred_by": staff.user_id,
        "recorded_at": stamp,
    }
    sealed = _sealed(vault, user_id, referral_id, {"note": payload.note})
    records.add(case_id, REFERRAL, referral_id, stamp, plain | sealed)
    audit(log, staff, "case.referral_made", case_id, {"kind": payload.kind})
    record_event(records, case_id, "referral", stamp, staff.user_id, {"kind": payload.kind})
    return ReferralOut.model_validate(plain | {"referral_id": referral_id, "note": payload.note})


@router.get(
    "/watchlist",
    response_model=WatchPage,
    responses=ERRORS,
    summary="The organisation's watch list: overdue reviews first, then the next review",
)
def watchlist(
    identity: Caller,
    records: Records,
    log: Log,
    keys: Keys,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=WATCH_PAGE)] = WATCH_PAGE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> WatchPage:
    org_id = identity.org_id
    if not org_id:
        raise NotFound("Not found.")
    staff = watch_staff(identity, org_id)
    scope = f"watchlist|{org_id}|{staff.user_id}"
    start = decode_cursor(cursor, scope, keys)
    today = now().astimezone(dt.UTC).date()
    rows = sorted((watch_view(e, today) for e in records.watch_entries(org_id)), key=watch_order)
    if start is not None:
        after = (int(start.get("o", 0)), str(start.get("r", "")), str(start.get("u", "")))
        rows = [r for r in rows if watch_order(r) > after]
    page, more = rows[:limit], len(rows) > limit
    last = None
    if more:
        o, r, u = watch_order(page[-1])
        last = {"o": o, "r": r, "u": u}
    audit(
        log,
        staff,
        "watchlist.read",
        org_id,
        {"count": len(page), "overdue": sum(r.overdue for r in page)},
        target_type="watchlist",
    )
    return WatchPage(items=page, next_cursor=encode_cursor(last, scope, keys))
