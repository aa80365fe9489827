"""The appointments table's keys, and the member's appointments data key item (shared/vault.py).

AppointmentsTable: partition `pk`, sort `sk` (strings); TTL attribute `expires_at`; one
GSI `ByCounsellor` (`counsellor_id`, `starts_at`, projection ALL), sparse: only
appointment items carry both attributes.

    pk                              sk                          what
    counsellor#<counsellor>         availability                weekly hours, slot and gap minutes,
                                                                exceptions, modes, the org's zone,
                                                                org_id, version
    counsellor#<counsellor>         ics                         the calendar feed's current
                                                                token hash (`token_hash`)
    org#<org>#counsellors           <counsellor>                a copy of the availability, so the
                                                                slots of every counsellor of an
                                                                organisation are one Query
    slot#<counsellor>#<start UTC>   slot                        the hold: `appointment_id`; written
                                                                only if absent (the race guard)
    member#<member>                 appointment#<id>            the appointment: counsellor_id,
                                                                starts_at, ends_at, mode, status,
                                                                `note_ct`, case_id, zone, locale
    member#<member>                 #upcoming                   "<starts_at>|<id>" of the member's
                                                                booked appointments, `version`
                                                                (the cap on upcoming appointments)
    member#<member>                 #key                        the member's wrapped data key
    appointment#<id>                appointment                 `member_id`: finds the appointment
                                                                for the counsellor's routes
    remind#<YYYY-MM-DDTHH>          <due UTC>#<id>#<24h|1h>     a reminder due in that UTC hour
    ics#<sha256 of token>           ics                         `owner_id` (the counsellor), org_id

Kept apart from the repository so that the reminder sweep and the data-rights function
load no more than they need.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.clock import utc_iso
from shared.vault import KeyItem

PURPOSE = "appointments"  # the appointments feature's vault (shared/vault.py)
KEY_SK = "#key"
UPCOMING_SK = "#upcoming"
AVAILABILITY_SK = "availability"
ICS_SK = "ics"
SLOT_SK = "slot"
POINTER_SK = "appointment"
APPOINTMENT_PREFIX = "appointment#"
BY_COUNSELLOR = "ByCounsellor"
SEALED = ("note",)
# Reminders before the start: kind -> how long before.
REMINDERS: dict[str, timedelta] = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}


def counsellor_pk(counsellor_id: str) -> str:
    return f"counsellor#{counsellor_id}"


def listing_pk(org_id: str) -> str:
    return f"org#{org_id}#counsellors"


def member_pk(member_id: str) -> str:
    return f"member#{member_id}"


def appointment_sk(appointment_id: str) -> str:
    return f"{APPOINTMENT_PREFIX}{appointment_id}"


def pointer_pk(appointment_id: str) -> str:
    return f"appointment#{appointment_id}"


def hold_pk(counsellor_id: str, starts_at: str) -> str:
    return f"slot#{counsellor_id}#{starts_at}"


def ics_pk(token_hash: str) -> str:
    return f"ics#{token_hash}"


def remind_pk(due: datetime) -> str:
    """The reminder partition of the UTC hour `due` falls in: "remind#2026-11-25T06"."""
    return "remind#" + utc_iso(due)[:13]


def remind_sk(due: datetime, appointment_id: str, kind: str) -> str:
    return f"{utc_iso(due)}#{appointment_id}#{kind}"


def reminder_keys(appointment_id: str, starts_at: datetime) -> list[dict[str, str]]:
    """The keys of both reminders an appointment starting at `starts_at` may have."""
    dues = [(kind, starts_at - before) for kind, before in REMINDERS.items()]
    return [{"pk": remind_pk(due), "sk": remind_sk(due, appointment_id, k)} for k, due in dues]


def parse_utc(text: str) -> datetime:
    """A stored UTC ISO stamp ("...Z") as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class AppointmentKeys(KeyItem):
    """The member's wrapped appointments data key: pk "member#<id>", sk "#key"."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(client, table, key_of=lambda u: {"pk": member_pk(u), "sk": KEY_SK})
