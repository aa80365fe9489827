"""HTTP routes of the appointments function: availability, slots, booking, the counsellor's
list and calendar feed.

Who may do what (DESIGN.md §4, MISSION.md):
- Counsellors publish availability and use /counsellors/me/*: the roster must make them an
  active counsellor of their organisation (and the token must say so), checked before the
  body is read (403 otherwise).
- Members (the roster's `member` role; anyone else gets 403) list slots and book with the
  counsellors of their own organisation only: another organisation's counsellor, or one
  no longer on the roster, is 404.
- A member's appointments are theirs: anyone else's id is 404.
- The counsellor's list shows each member's display name and the note the member wrote
  for them: a staff read of member data, audited with one record per member shown
  (`appointments.read`, the member as the subject).
- The calendar feed needs no bearer token (calendar apps cannot send one): its own
  random token, kept only as a hash and revocable, is the key. It names no member.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Path, Query, Request, Response

from functions.appointments.ics import feed
from functions.appointments.keys import PURPOSE, AppointmentKeys, parse_utc
from functions.appointments.logic import (
    DAYS,
    MAX_DAYS_AHEAD,
    MAX_RANGE_DAYS,
    Availability,
    local_iso,
    still_upcoming,
    too_late_to_change,
)
from functions.appointments.models import (
    AvailabilityIn,
    AvailabilityOut,
    BookingIn,
    CalendarToken,
    CounsellorAppointment,
    CounsellorAppointmentList,
    LinkIn,
    MemberAppointment,
    MemberAppointmentList,
    OutcomeIn,
    RescheduleIn,
    Slot,
    SlotList,
    Weekly,
)
from functions.appointments.repository import (
    ATTENDED,
    BOOKED,
    CANCELLED,
    NO_SHOW,
    AppointmentsRepository,
    Contended,
    OrgZones,
    SlotTaken,
)
from functions.appointments.settings import AppointmentsSettings
from shared import aws
from shared.audit import AuditEntry, AuditLog
from shared.clock import utc_iso
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.http import create_app, problem_responses
from shared.orgs.access import require_role
from shared.orgs.roster import RosterEntry, roster
from shared.routing import Caller, Now
from shared.settings import settings

app = create_app("Appointments API")

ERRORS = problem_responses(400, 401, 403, 404, 413, 415, 422)
BOOK_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 415, 422)
COUNSELLOR, BOOKERS = "counsellor", ("member",)
MAX_ID = 64
BOOK_ATTEMPTS = 3
FEED_BACK, FEED_AHEAD = timedelta(days=30), timedelta(days=90)
DEFAULT_DAYS = 14
TARGET = "appointment"


class SlotUnavailable(Conflict):
    type_slug = "slot-taken"
    title = "The slot is taken"


class TooManyAppointments(Conflict):
    type_slug = "too-many-appointments"
    title = "Too many upcoming appointments"


class TooLate(Conflict):
    type_slug = "too-late-to-change"
    title = "Too close to the start to change online"


class WrongState(Conflict):
    type_slug = "appointment-state"
    title = "The appointment cannot change this way now"


@dataclass(frozen=True)
class Rules:
    cancel_cutoff: timedelta
    max_upcoming: int


# ---- wiring (replaced in tests by dependency overrides) ----------------------------------


@cache
def repository() -> AppointmentsRepository:  # pragma: no cover - production wiring
    from shared.vault import vault_for

    table = settings(AppointmentsSettings).appointments_table
    vault = vault_for(PURPOSE, AppointmentKeys(aws.client("dynamodb"), table))
    return AppointmentsRepository(aws.client("dynamodb"), table, vault)


@cache
def audit_log() -> AuditLog:  # pragma: no cover - production wiring
    return AuditLog(aws.client("dynamodb"), settings(AppointmentsSettings).audit_table)


@cache
def org_zones() -> OrgZones:  # pragma: no cover - production wiring
    config = settings(AppointmentsSettings)
    return OrgZones(
        aws.client("dynamodb"),
        config.orgs_table,
        config.default_time_zone,
        config.roster_cache_seconds,
    )


def rules() -> Rules:  # pragma: no cover - production wiring
    config = settings(AppointmentsSettings)
    return Rules(timedelta(hours=config.cancel_cutoff_hours), config.max_upcoming_appointments)


def people() -> Any:
    return roster()


Repo = Annotated[AppointmentsRepository, Depends(repository)]
Log = Annotated[AuditLog, Depends(audit_log)]
Zones = Annotated[Any, Depends(org_zones)]
Limits = Annotated[Rules, Depends(rules)]
People = Annotated[Any, Depends(people)]
AppointmentId = Annotated[str, Path(alias="id", min_length=1, max_length=MAX_ID)]
FromDay = Annotated[date | None, Query(alias="from", description="First local day, YYYY-MM-DD")]
ToDay = Annotated[date | None, Query(alias="to", description="Last local day (inclusive)")]


# ---- access --------------------------------------------------------------------------


def counsellor(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them an active counsellor (before the body)."""
    if not identity.org_id:
        raise Forbidden("Only counsellors have availability and a calendar.")
    return require_role(identity, identity.org_id, (COUNSELLOR,))


def booker(identity: Caller) -> RosterEntry:
    """The caller, if the roster makes them a member (before the body)."""
    if not identity.org_id:
        raise Forbidden("Only members of an organisation book appointments.")
    return require_role(identity, identity.org_id, BOOKERS)


Counsellor = Annotated[RosterEntry, Depends(counsellor)]
Booker = Annotated[RosterEntry, Depends(booker)]


def _active_counsellor(names: Any, org_id: str, counsellor_id: str) -> RosterEntry | None:
    entry = names.entry(org_id, counsellor_id)
    if entry is None or not entry.active or entry.role != COUNSELLOR:
        return None
    return entry


def _bookable(names: Any, caller: RosterEntry, availability: Availability | None) -> Availability:
    """The availability if its counsellor is an active counsellor of the caller's org."""
    if (
        availability is None
        or availability.org_id != caller.org_id
        or _active_counsellor(names, caller.org_id, availability.counsellor_id) is None
    ):
        raise NotFound("No such counsellor.")
    return availability


# ---- helpers -------------------------------------------------------------------------


def _days(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    first = first or today
    last = last or first + timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidInput("`to` must not be before `from`.")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
    return first, last


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _entry(item: dict[str, Any]) -> str:
    return f"{item['starts_at']}|{item['appointment_id']}"


def _without(entries: Iterable[str], appointment_id: str) -> list[str]:
    return [e for e in entries if not e.endswith(f"|{appointment_id}")]


def _shown(item: dict[str, Any], note: str | None) -> dict[str, Any]:
    """What both views of an appointment show: its times (UTC and on the stored zone's
    wall clock), mode, status, the note and when it was made or cancelled."""
    zone = str(item["zone"])
    return {
        "id": item["appointment_id"],
        "starts_at": item["starts_at"],
        "ends_at": item["ends_at"],
        "local_start": local_iso(parse_utc(item["starts_at"]), zone),
        "local_end": local_iso(parse_utc(item["ends_at"]), zone),
        "time_zone": zone,
        "mode": item["mode"],
        "status": item["status"],
        "note": note,
        "created_at": item["created_at"],
        "cancelled_at": item.get("cancelled_at"),
    }


def _member_view(item: dict[str, Any], names: Any, note: str | None) -> MemberAppointment:
    who = names.entry(str(item["org_id"]), str(item["counsellor_id"]))
    return MemberAppointment(
        **_shown(item, note),
        counsellor_id=item["counsellor_id"],
        counsellor_name=who.display_name if who is not None else "",
    )


def _counsellor_view(item: dict[str, Any], names: Any, note: str | None) -> CounsellorAppointment:
    who = names.entry(str(item["org_id"]), str(item["member_id"]))
    return CounsellorAppointment(
        **_shown(item, note),
        member_id=item["member_id"],
        member_name=who.display_name if who is not None else "",
        case_id=item.get("case_id"),
        outcome_at=item.get("outcome_at"),
    )


def _slot_for(availability: Availability, starts_at: datetime, mode: str, now: datetime) -> tuple:
    """The slot (start, end) a booking or move asks for; InvalidInput unless it is one."""
    start = starts_at.astimezone(UTC)
    if start <= now:
        raise InvalidInput("The slot has already started or is in the past.")
    if start > now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(f"Slots can be booked at most {MAX_DAYS_AHEAD} days ahead.")
    slot = availability.slot_at(start)
    if slot is None:
        raise InvalidInput("starts_at is not the start of one of the counsellor's slots.")
    if mode not in availability.modes:
        raise InvalidInput("The counsellor does not offer this mode.")
    return slot


def _own(repo: AppointmentsRepository, caller: RosterEntry, appointment_id: str) -> dict:
    item = repo.appointment(caller.user_id, appointment_id)
    if item is None or item.get("org_id") != caller.org_id:
        raise NotFound("No such appointment.")
    return item


def _counsellors(
    repo: AppointmentsRepository, counsellor: RosterEntry, appointment_id: str
) -> dict[str, Any]:
    item = repo.appointment_by_id(appointment_id)
    if (
        item is None
        or item.get("counsellor_id") != counsellor.user_id
        or item.get("org_id") != counsellor.org_id
    ):
        raise NotFound("No such appointment.")
    return item


def _availability_out(availability: Availability) -> AvailabilityOut:
    return AvailabilityOut.model_validate(
        {
            "counsellor_id": availability.counsellor_id,
            "time_zone": availability.zone,
            "weekly": {d: list(availability.weekly.get(d) or []) for d in DAYS},
            "slot_minutes": availability.slot_minutes,
            "gap_minutes": availability.gap_minutes,
            "exceptions": list(availability.exceptions),
            "modes": list(availability.modes),
            "version": availability.version,
            "updated_at": availability.updated_at,
        }
    )


# ---- availability (counsellors) ------------------------------------------------------


@app.put(
    "/counsellors/me/availability",
    response_model=AvailabilityOut,
    responses=ERRORS,
    summary="Publish your weekly hours (in the organisation's time zone) and exceptions",
    description=(
        "Replaces the whole availability. Slots are laid out from the start of each range: "
        "`slot_minutes` (default 50) then `gap_minutes` (default 10). An exception replaces "
        "the weekday's hours on its local date (`closed: true`, or other `hours`). Booked "
        "appointments stay booked when the hours change."
    ),
)
def put_availability(
    me: Counsellor, body: AvailabilityIn, repo: Repo, zones: Zones, now: Now
) -> AvailabilityOut:
    previous = repo.availability(me.user_id)
    availability = Availability(
        counsellor_id=me.user_id,
        org_id=me.org_id,
        zone=zones.zone(me.org_id),
        weekly={d: [r.model_dump() for r in getattr(body.weekly, d)] for d in DAYS},
        slot_minutes=body.slot_minutes,
        gap_minutes=body.gap_minutes,
        exceptions=[
            {"date": e.date.isoformat(), "closed": True}
            if e.closed
            else {"date": e.date.isoformat(), "hours": [r.model_dump() for r in e.hours or ()]}
            for e in sorted(body.exceptions, key=lambda e: e.date)
        ],
        modes=list(body.modes),
        version=(previous.version + 1) if previous else 1,
        updated_at=utc_iso(now()),
    )
    repo.put_availability(availability, previous.org_id if previous else None)
    return _availability_out(availability)


@app.get(
    "/counsellors/me/availability",
    response_model=AvailabilityOut,
    responses=ERRORS,
    summary="Your published availability",
    description=(
        "Before the first `PUT` (or after moving organisation): an empty week with the "
        "defaults, `version` 0 and `updated_at` null, so no member can book you yet."
    ),
)
def get_availability(me: Counsellor, repo: Repo, zones: Zones) -> AvailabilityOut:
    availability = repo.availability(me.user_id)
    if availability is None or availability.org_id != me.org_id:
        empty = AvailabilityIn(weekly=Weekly())
        return AvailabilityOut(
            counsellor_id=me.user_id,
            time_zone=zones.zone(me.org_id),
            weekly={d: [] for d in DAYS},
            slot_minutes=empty.slot_minutes,
            gap_minutes=empty.gap_minutes,
            exceptions=[],
            modes=list(empty.modes),
            version=0,
            updated_at=None,
        )
    return _availability_out(availability)


# ---- slots and bookings (members) ----------------------------------------------------


@app.get(
    "/appointments/slots",
    response_model=SlotList,
    responses=ERRORS,
    summary="Free slots of your organisation's counsellors (or of one), by local day",
    description=(
        "`from` and `to` are local days (YYYY-MM-DD) in the organisation's zone, at most "
        f"{MAX_RANGE_DAYS} days (defaults: today and {DEFAULT_DAYS} days). Slots already "
        "booked, and slots that have started, are left out."
    ),
)
def list_slots(
    me: Booker,
    repo: Repo,
    names: People,
    zones: Zones,
    now: Now,
    first: FromDay = None,
    last: ToDay = None,
    counsellor_id: Annotated[str | None, Query(alias="counsellor", max_length=128)] = None,
) -> SlotList:
    moment = now()
    zone = zones.zone(me.org_id)
    first, last = _days(first, last, moment.astimezone(ZoneInfo(zone)).date())
    if counsellor_id is not None:
        availabilities = [_bookable(names, me, repo.availability(counsellor_id))]
    else:
        availabilities = [
            a
            for a in repo.org_availabilities(me.org_id)
            if a.org_id == me.org_id and _active_counsellor(names, me.org_id, a.counsellor_id)
        ]
    found: list[Slot] = []
    for availability in availabilities:
        slots = [s for s in availability.slots_between(first, last) if s[0] > moment]
        if not slots:
            continue
        busy = [
            (parse_utc(i["starts_at"]), parse_utc(i["ends_at"]))
            for i in repo.counsellor_appointments(
                availability.counsellor_id, slots[0][0], slots[-1][1]
            )
            if i.get("status") != CANCELLED
        ]
        who = names.entry(me.org_id, availability.counsellor_id)
        for start, end in slots:
            if any(b_start < end and start < b_end for b_start, b_end in busy):
                continue
            found.append(
                Slot(
                    counsellor_id=availability.counsellor_id,
                    counsellor_name=who.display_name if who is not None else "",
                    starts_at=utc_iso(start),
                    ends_at=utc_iso(end),
                    local_start=local_iso(start, availability.zone),
                    local_end=local_iso(end, availability.zone),
                    time_zone=availability.zone,
                    modes=list(availability.modes),
                )
            )
    found.sort(key=lambda s: (s.starts_at, s.counsellor_id))
    return SlotList(slots=found)


@app.get(
    "/appointments",
    response_model=MemberAppointmentList,
    responses=ERRORS,
    summary="Your appointments: upcoming ones (booked), or all with ?all=true",
)
def my_appointments(
    me: Booker,
    repo: Repo,
    names: People,
    now: Now,
    everything: Annotated[bool, Query(alias="all")] = False,
) -> MemberAppointmentList:
    stamp = utc_iso(now())
    items = [
        i
        for i in repo.member_appointments(me.user_id)
        if i.get("org_id") == me.org_id
        and (everything or (i.get("status") == BOOKED and str(i["ends_at"]) > stamp))
    ]
    items.sort(key=lambda i: (str(i["starts_at"]), str(i["appointment_id"])))
    return MemberAppointmentList(items=[_member_view(i, names, repo.open_note(i)) for i in items])


@app.post(
    "/appointments",
    status_code=201,
    response_model=MemberAppointment,
    responses=BOOK_ERRORS,
    summary="Book a slot (409 if someone else holds it)",
    description=(
        "`starts_at` must be the start of one of the counsellor's free slots (UTC or with an "
        "offset), `mode` one the counsellor offers. The optional note (at most 2000 "
        "characters) is for the counsellor and is stored sealed. 409 `slot-taken` if the slot "
        "is held, 409 `too-many-appointments` beyond the cap on upcoming appointments."
    ),
)
def book(
    me: Booker,
    body: BookingIn,
    identity: Caller,
    response: Response,
    repo: Repo,
    names: People,
    limits: Limits,
    now: Now,
) -> MemberAppointment:
    moment = now()
    appointment_id = uuid.uuid4().hex
    sealed: dict[str, Any] | None = None
    for attempt in range(BOOK_ATTEMPTS):
        state = repo.booking_state(body.counsellor_id, me.user_id, with_key=bool(body.note))
        availability = _bookable(names, me, state.availability)
        start, end = _slot_for(availability, body.starts_at, body.mode, moment)
        upcoming = still_upcoming(state.upcoming, moment)
        if len(upcoming) >= limits.max_upcoming:
            raise TooManyAppointments(
                f"You can hold at most {limits.max_upcoming} upcoming appointments; "
                "cancel one first."
            )
        if body.note and sealed is None:
            sealed = repo.seal_note(me.user_id, appointment_id, body.note, state.edk)
        item: dict[str, Any] = (sealed or {}) | {
            "appointment_id": appointment_id,
            "member_id": me.user_id,
            "org_id": me.org_id,
            "counsellor_id": availability.counsellor_id,
            "starts_at": utc_iso(start),
            "ends_at": utc_iso(end),
            "mode": body.mode,
            "status": BOOKED,
            "zone": availability.zone,
            "locale": identity.locale,
            "created_at": utc_iso(moment),
            "updated_at": utc_iso(moment),
        }
        try:
            repo.book(item, sorted([*upcoming, _entry(item)]), state.version, moment)
        except SlotTaken:
            raise SlotUnavailable("Someone else has just booked this slot; pick another.") from None
        except Contended:
            if attempt + 1 < BOOK_ATTEMPTS:
                continue
            raise Conflict("Your appointments changed meanwhile; try again.") from None
        response.headers["Location"] = f"/appointments/{appointment_id}"
        return _member_view(item, names, body.note)
    raise AssertionError("unreachable")  # pragma: no cover


@app.patch(
    "/appointments/{id}",
    response_model=MemberAppointment,
    responses=BOOK_ERRORS,
    summary="Move the appointment to another slot (atomically) and/or change its mode",
    description=(
        "A move takes the new slot and frees the old one in one step (409 `slot-taken` if "
        "the new one is held, and the appointment stays as it was). Moving within the "
        "cancellation cut-off before the start is refused (409 `too-late-to-change`)."
    ),
)
def reschedule(
    me: Booker,
    appointment_id: AppointmentId,
    body: RescheduleIn,
    repo: Repo,
    names: People,
    limits: Limits,
    now: Now,
) -> MemberAppointment:
    moment = now()
    for attempt in range(BOOK_ATTEMPTS):
        item = _own(repo, me, appointment_id)
        if item["status"] != BOOKED:
            raise WrongState("Only a booked appointment can be changed.")
        was = parse_utc(item["starts_at"])
        if was <= moment:
            raise WrongState("The appointment has already started.")
        mode = body.mode or item["mode"]
        new_start = body.starts_at.astimezone(UTC) if body.starts_at else was
        try:
            if new_start == was:
                if mode == item["mode"]:
                    return _member_view(item, names, repo.open_note(item))
                availability = repo.availability(str(item["counsellor_id"]))
                if availability is None or mode not in availability.modes:
                    raise InvalidInput("The counsellor does not offer this mode.")
                repo.change_mode(item, mode, moment)
                moved = item | {"mode": mode, "updated_at": utc_iso(moment)}
            else:
                if too_late_to_change(was, moment, limits.cancel_cutoff):
                    raise TooLate(_too_late(limits))
                state = repo.booking_state(str(item["counsellor_id"]), me.user_id, False)
                availability = _bookable(names, me, state.availability)
                start, end = _slot_for(availability, new_start, mode, moment)
                moved = item | {
                    "starts_at": utc_iso(start),
                    "ends_at": utc_iso(end),
                    "mode": mode,
                    "zone": availability.zone,
                    "updated_at": utc_iso(moment),
                }
                upcoming = still_upcoming(_without(state.upcoming, appointment_id), moment)
                repo.move(item, moved, sorted([*upcoming, _entry(moved)]), state.version, moment)
        except SlotTaken:
            raise SlotUnavailable("Someone else holds that slot; pick another.") from None
        except Contended:
            if attempt + 1 < BOOK_ATTEMPTS:
                continue
            raise Conflict("The appointment changed meanwhile; try again.") from None
        return _member_view(moved, names, repo.open_note(moved))
    raise AssertionError("unreachable")  # pragma: no cover


def _too_late(limits: Rules) -> str:
    hours = limits.cancel_cutoff.total_seconds() / 3600
    shown = f"{hours:g}"
    return (
        f"Appointments can be cancelled or moved online up to {shown} hours before they "
        "start; please contact your counsellor."
    )


@app.delete(
    "/appointments/{id}",
    response_model=MemberAppointment,
    responses=BOOK_ERRORS,
    summary="Cancel the appointment (up to the cut-off before it starts); frees the slot",
    description=(
        "Answers the appointment with status `cancelled` (again, if it already was). Within "
        "the cut-off before the start: 409 `too-late-to-change` (contact the counsellor)."
    ),
)
def cancel(
    me: Booker,
    appointment_id: AppointmentId,
    repo: Repo,
    names: People,
    limits: Limits,
    now: Now,
) -> MemberAppointment:
    moment = now()
    for attempt in range(BOOK_ATTEMPTS):
        item, upcoming, version = repo.appointment_with_upcoming(me.user_id, appointment_id)
        if item is None or item.get("org_id") != me.org_id:
            raise NotFound("No such appointment.")
        if item["status"] == CANCELLED:
            return _member_view(item, names, repo.open_note(item))
        if item["status"] != BOOKED:
            raise WrongState("The appointment has taken place; it cannot be cancelled.")
        if too_late_to_change(parse_utc(item["starts_at"]), moment, limits.cancel_cutoff):
            raise TooLate(_too_late(limits))
        left = still_upcoming(_without(upcoming, appointment_id), moment)
        try:
            repo.cancel(item, left, version, moment)
        except Contended:
            if attempt + 1 < BOOK_ATTEMPTS:
                continue
            raise Conflict("The appointment changed meanwhile; try again.") from None
        cancelled = item | {"status": CANCELLED, "cancelled_at": utc_iso(moment)}
        return _member_view(cancelled, names, repo.open_note(cancelled))
    raise AssertionError("unreachable")  # pragma: no cover


# ---- the counsellor's appointments ---------------------------------------------------


@app.get(
    "/counsellors/me/appointments",
    response_model=CounsellorAppointmentList,
    responses=ERRORS,
    summary="Your appointments by start, with each member's name and note (audited)",
    description=(
        "`from` and `to` are local days in the organisation's zone (defaults: today and "
        f"{DEFAULT_DAYS} days; at most {MAX_RANGE_DAYS}). Cancelled ones are listed with "
        "their status. Each member shown gets a record in their access log."
    ),
)
def counsellor_appointments(
    me: Counsellor,
    repo: Repo,
    names: People,
    zones: Zones,
    log: Log,
    now: Now,
    first: FromDay = None,
    last: ToDay = None,
) -> CounsellorAppointmentList:
    moment = now()
    zone = zones.zone(me.org_id)
    first, last = _days(first, last, moment.astimezone(ZoneInfo(zone)).date())
    items = [
        i
        for i in repo.counsellor_appointments(
            me.user_id, _day_start(first, zone), _day_start(last + timedelta(days=1), zone)
        )
        if i.get("org_id") == me.org_id
    ]
    shown = [_counsellor_view(i, names, repo.open_note(i)) for i in items]
    entries = [
        AuditEntry(
            me.user_id,
            me.role,
            "appointments.read",
            TARGET,
            ",".join(a.id for a in shown if a.member_id == member_id)[:256],
            subject_id=member_id,
        )
        for member_id in dict.fromkeys(a.member_id for a in shown)
    ]
    if entries:
        log.append_all(me.org_id, entries, at=moment)
    return CounsellorAppointmentList(items=shown)


def _record(log: AuditLog, me: RosterEntry, action: str, item: dict, detail: dict, at: Any) -> None:
    log.append(
        me.org_id,
        actor_id=me.user_id,
        actor_role=me.role,
        action=action,
        target_type=TARGET,
        target_id=str(item["appointment_id"]),
        subject_id=str(item["member_id"]),
        detail=detail,
        at=at,
    )


@app.post(
    "/counsellors/me/appointments/{id}/outcome",
    response_model=CounsellorAppointment,
    responses=BOOK_ERRORS,
    summary="Mark an appointment attended or no_show (once it has started)",
)
def outcome(
    me: Counsellor,
    appointment_id: AppointmentId,
    body: OutcomeIn,
    repo: Repo,
    names: People,
    log: Log,
    now: Now,
) -> CounsellorAppointment:
    moment = now()
    item = _counsellors(repo, me, appointment_id)
    if item["status"] not in (BOOKED, ATTENDED, NO_SHOW):
        raise WrongState("A cancelled appointment has no outcome.")
    if parse_utc(item["starts_at"]) > moment:
        raise WrongState("An outcome can be recorded once the appointment has started.")
    updated = repo.update_counsellor_fields(
        item, {"status": body.outcome, "outcome_at": utc_iso(moment)}, (), moment
    )
    _record(log, me, "appointments.outcome", item, {"outcome": body.outcome}, moment)
    return _counsellor_view(updated, names, None)


@app.put(
    "/counsellors/me/appointments/{id}/link",
    response_model=CounsellorAppointment,
    responses=ERRORS,
    summary='Link the appointment to a crisis case ({"case_id": null} removes the link)',
)
def link(
    me: Counsellor,
    appointment_id: AppointmentId,
    body: LinkIn,
    repo: Repo,
    names: People,
    log: Log,
    now: Now,
) -> CounsellorAppointment:
    moment = now()
    item = _counsellors(repo, me, appointment_id)
    if body.case_id is None:
        updated = repo.update_counsellor_fields(item, {}, ("case_id",), moment)
    else:
        updated = repo.update_counsellor_fields(item, {"case_id": body.case_id}, (), moment)
    detail = {"case_id": body.case_id} if body.case_id else {"unlinked": 1}
    _record(log, me, "appointments.link", item, detail, moment)
    return _counsellor_view(updated, names, None)


# ---- the calendar feed ---------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _feed_url(request: Request, path: str) -> str:
    """The feed's full URL as the caller reached this API (stage prefix included)."""
    event = request.scope.get("aws.event") or {}
    called = str((event.get("requestContext") or {}).get("path") or request.url.path)
    base = called.rsplit("/counsellors/me/", 1)[0]
    host = request.headers.get("host") or request.url.netloc
    scheme = request.headers.get("x-forwarded-proto") or request.url.scheme
    return f"{scheme}://{host}{base}{path}"


@app.post(
    "/counsellors/me/calendar-token",
    status_code=201,
    response_model=CalendarToken,
    responses=ERRORS,
    summary="Make (or replace) your calendar feed's token; the old one stops working",
    description="The token is shown once. Subscribe your calendar app to `url`.",
)
def new_calendar_token(
    me: Counsellor, request: Request, repo: Repo, log: Log, now: Now
) -> CalendarToken:
    import secrets  # only this route needs it: kept off the cold start

    moment = now()
    token = secrets.token_urlsafe(32)
    old = repo.feed_token(me.user_id)
    repo.set_feed_token(
        me.user_id, me.org_id, token_hash(token), old.get("token_hash") if old else None, moment
    )
    log.append(
        me.org_id,
        actor_id=me.user_id,
        actor_role=me.role,
        action="appointments.calendar_token.created",
        target_type="calendar_feed",
        target_id=me.user_id,
        at=moment,
    )
    path = f"/counsellors/me/calendar.ics?token={token}"
    return CalendarToken(token=token, path=path, url=_feed_url(request, path))


@app.delete(
    "/counsellors/me/calendar-token",
    status_code=204,
    responses=ERRORS,
    summary="Revoke your calendar feed's token (the feed then answers 404)",
)
def revoke_calendar_token(me: Counsellor, repo: Repo, log: Log, now: Now) -> Response:
    old = repo.feed_token(me.user_id)
    if old is not None:
        repo.revoke_feed_token(me.user_id, str(old.get("token_hash") or "") or None)
        log.append(
            me.org_id,
            actor_id=me.user_id,
            actor_role=me.role,
            action="appointments.calendar_token.revoked",
            target_type="calendar_feed",
            target_id=me.user_id,
            at=now(),
        )
    return Response(status_code=204)


@app.get(
    "/counsellors/me/calendar.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar (RFC 5545)"},
        **problem_responses(404, 422),
    },
    summary="Your appointments as an iCalendar feed (no bearer token: the feed's own token)",
    description=(
        "Booked and attended appointments from 30 days back to 90 days ahead, in UTC. "
        "Events say only when and how (`Appointment (video)`): never who."
    ),
)
def calendar_feed(
    token: Annotated[str, Query(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")],
    repo: Repo,
    names: People,
    now: Now,
) -> Response:
    owner = repo.token_owner(token_hash(token))
    if owner is None:
        raise NotFound("No such calendar feed.")
    counsellor_id, org_id = str(owner["owner_id"]), str(owner["org_id"])
    if _active_counsellor(names, org_id, counsellor_id) is None:
        raise NotFound("No such calendar feed.")
    moment = now()
    items = [
        i
        for i in repo.counsellor_appointments(
            counsellor_id, moment - FEED_BACK, moment + FEED_AHEAD
        )
        if i.get("org_id") == org_id
    ]
    return Response(
        content=feed(items, moment).encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="appointments.ics"'},
    )
