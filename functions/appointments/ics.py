"""The counsellor's calendar feed as iCalendar text (RFC 5545), built by hand.

Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 character); TEXT
values escape backslash, semicolon, comma and newlines. Each event says only when and
how ("Appointment (video)"): never a member's name, id or note, which a calendar app
would copy to other devices and services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from functions.appointments.keys import parse_utc

UID_DOMAIN = "appointments.peer-support.dev"
PRODID = "-//peer-support//appointments 1.0//EN"
MODE_WORDS = {"in_person": "in person", "phone": "phone", "video": "video"}
FEED_STATUSES = ("booked", "attended")
_LIMIT = 75


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """`line` cut into lines of at most 75 octets, each continuation starting with a space."""
    parts: list[str] = []
    current, size = "", 0
    limit = _LIMIT
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = _LIMIT - 1  # a continuation line begins with one space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def feed(appointments: Iterable[Mapping[str, Any]], now: datetime) -> str:
    """The VCALENDAR of the appointments whose status is booked or attended."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + escape_text("Appointments"),
    ]
    stamp = _stamp(now)
    for item in appointments:
        if item.get("status") not in FEED_STATUSES:
            continue
        mode = MODE_WORDS.get(str(item.get("mode")), "")
        summary = f"Appointment ({mode})" if mode else "Appointment"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item['appointment_id']}@{UID_DOMAIN}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_stamp(parse_utc(str(item['starts_at'])))}",
            f"DTEND:{_stamp(parse_utc(str(item['ends_at'])))}",
            "SUMMARY:" + escape_text(summary),
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
