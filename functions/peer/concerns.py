"""A peer supporter's concern about a member: who may raise one, and the item it leaves.

A supporter raises a concern about a member of a unit they support (the roster decides:
the supporter active with the role, the member active, a member, in one of the
supporter's `units_supported`); for anyone else the member does not exist (404), so a
supporter learns nothing of members outside their units.

The concern is a crisis signal riding on its own item in the peer table, as a check-in's
risk rides on the check-in (DESIGN.md §1, docs/decisions.md 28):

    pk "member#<member id>", sk "concern#<concern id>"
    user_id      the member (the risk intake reads whose signal it is from here)
    org_id, raised_by (the supporter), urgent, created_at
    risk_level   "watch", or "high" when urgent (plain: the intake's stream filter reads it)
    signal_ct    the reason code sealed for the crisis feature (shared/crisis/signal_seal.py):
                 "peer_concern", or "peer_concern_urgent" (shared/crisis/signals.py)
    note_ct      the supporter's note, sealed under the member's peer key (purpose "peer")

The intake names this item `concern#<concern id>` (its sort key; the partition names the
member: functions/crisis/intake_logic.py), and the seals are made under that id, so
neither opens on another item. The supporter hears only that the concern was received:
never a case, its severity or whether one exists.

Plain functions and a small repository; the HTTP route is concerns_routes.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.peer.keys import member_pk
from shared.clock import utc_iso
from shared.crisis.signals import severity_of
from shared.dynamo import to_item
from shared.errors import NotFound
from shared.orgs.roster import RosterEntry

SUPPORTER = "peer_supporter"
MEMBER = "member"
MAX_NOTE_CHARS = 500
# shared/crisis/signals.py's rows for a supporter's concern, and the level each raises.
CONCERN = "peer_concern"
URGENT_CONCERN = "peer_concern_urgent"
LEVELS = {code: severity_of(code) for code in (CONCERN, URGENT_CONCERN)}
ACKNOWLEDGEMENT = (
    "Thank you for looking out for them. Your concern has been passed on to the people "
    "who can help. If they are in danger right now, call emergency services or a crisis line."
)


def concern_sk(concern_id: str) -> str:
    return f"concern#{concern_id}"


class People(Protocol):
    """shared/orgs/roster.py's Roster, as far as concerns use it."""

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None: ...


class Sealer(Protocol):
    """shared/crisis/signal_seal.py's SignalSealer, as far as concerns use it."""

    def seal(self, user_id: str, item_id: str, reasons: list[str]) -> bytes: ...


class NoteVault(Protocol):
    """shared/vault.py's Vault, as far as concerns use it."""

    def key_for_writing(self, user_id: str) -> bytes: ...

    def seal_fields(
        self, key: bytes, user_id: str, item_id: str, fields: dict[str, Any]
    ) -> dict[str, bytes]: ...


@dataclass(frozen=True)
class Concern:
    concern_id: str
    member_id: str
    org_id: str
    raised_by: str
    urgent: bool
    note: str | None
    created_at: datetime

    @property
    def item_id(self) -> str:
        """The id the intake and both seals know the item by (its sort key)."""
        return concern_sk(self.concern_id)

    @property
    def reason(self) -> str:
        return URGENT_CONCERN if self.urgent else CONCERN

    @property
    def risk_level(self) -> str:
        return LEVELS[self.reason]


def assigned_member(supporter: RosterEntry, people: People, member_id: str) -> RosterEntry:
    """The member's roster entry if `supporter` supports their unit; NotFound for anyone else
    (another unit's member, a removed member, staff, someone of no or another organisation)."""
    if supporter.role != SUPPORTER or not supporter.active or member_id == supporter.user_id:
        raise NotFound("No such member.")
    member = people.entry(supporter.org_id, member_id)
    if (
        member is None
        or not member.active
        or member.role != MEMBER
        or member.unit_id is None
        or member.unit_id not in supporter.units_supported
    ):
        raise NotFound("No such member.")
    return member


def new_concern(
    supporter: RosterEntry,
    member: RosterEntry,
    note: str | None,
    urgent: bool,
    now: datetime,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Concern:
    return Concern(
        concern_id=new_id(),
        member_id=member.user_id,
        org_id=member.org_id,
        raised_by=supporter.user_id,
        urgent=urgent,
        note=note or None,
        created_at=now,
    )


class ConcernsRepository:
    """Writes concern items to the peer table (the only place concerns touch DynamoDB)."""

    def __init__(self, client: Any, table: str, vault: NoteVault, signals: Sealer) -> None:
        self._db = client
        self._table = table
        self._vault = vault
        self._signals = signals

    def item(self, concern: Concern) -> dict[str, Any]:
        """The stored item (module docstring): plain level, sealed reason and note."""
        item: dict[str, Any] = {
            "pk": member_pk(concern.member_id),
            "sk": concern.item_id,
            "user_id": concern.member_id,
            "org_id": concern.org_id,
            "raised_by": concern.raised_by,
            "urgent": concern.urgent,
            "risk_level": concern.risk_level,
            "created_at": utc_iso(concern.created_at),
            "signal_ct": self._signals.seal(concern.member_id, concern.item_id, [concern.reason]),
        }
        if concern.note:
            key = self._vault.key_for_writing(concern.member_id)
            item |= self._vault.seal_fields(
                key, concern.member_id, concern.item_id, {"note": concern.note}
            )
        return item

    def add(self, concern: Concern) -> dict[str, Any]:
        """Store a new concern (never over another); returns the item as stored."""
        item = self.item(concern)
        self._db.put_item(
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(sk)",
        )
        return item
