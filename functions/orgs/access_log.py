"""A member's access log: who (display name and role) read which kind of their data, when.

Every staff read of one member's data is an audit record naming that member in
`subject_id` (shared/audit.py), found through the audit table's sparse `BySubject`
index: one Query a page, newest first, only the member's own records. What a member
sees of a record:

- `at`, the actor's role then (`actor_role`, as recorded), and the actor's display name
  now, from their organisation's roster. A removed staff member keeps their roster entry
  (status "removed"), so their name still shows; an entry that is gone (erased) or has
  no name shows as "a staff member". Names are looked up once per actor per request,
  on top of the roster's own per-container cache.
- `kind`, the kind of data, from the action's first part (KINDS); `action`, its second
  ("read", "versions_read"). An action this table does not know shows as kind "other".

Never the detail, the target id, another member, the actor's id, or the organisation.
A member's own reads of their own data (an admin opening their own roster entry) are not
shown: the log answers "who else looked".

Plain functions over plain records; the HTTP route is access_log_routes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

# The action's first part -> the kind of data the member sees. The peer feature's
# supporter-inbox reads are "peer_inbox.read" (and ".reply"), a counsellor's read of a
# reported message "peer_report.read"; staff exports, "export.<what>"; a counsellor's
# read of a campaign's follow-up list "campaign_followups.read", of their appointments
# "appointments.read".
KINDS: dict[str, str] = {
    "case": "case",
    "safety_plan": "safety_plan",
    "care_plan": "care_plan",
    "guardians": "guardians",
    "people": "roster_entry",
    "peer_inbox": "checkin_shared",
    "peer_report": "reported_message",
    "campaign_followups": "screening_followup",
    "campaign_guardian_consent": "guardian_consent",
    "appointments": "appointment",
    "export": "export",
}
OTHER_KIND = "other"
UNNAMED = "a staff member"


class NamedPeople(Protocol):
    """shared/orgs/roster.py's Roster, as far as the access log uses it."""

    def entry(self, org_id: str, user_id: str) -> Any: ...


@dataclass(frozen=True)
class AccessEntry:
    at: str
    actor_display_name: str
    actor_role: str
    kind: str
    action: str


def kind_and_action(action: str) -> tuple[str, str]:
    """("case", "read") for "case.read"; ("other", ...) for a family KINDS does not name."""
    family, _, verb = action.partition(".")
    return KINDS.get(family, OTHER_KIND), verb or action


class ActorNames:
    """Display names of actors, each looked up on the roster at most once (one request)."""

    def __init__(self, people: NamedPeople) -> None:
        self._people = people
        self._known: dict[tuple[str, str], str] = {}

    def __call__(self, org_id: str, user_id: str) -> str:
        key = (org_id, user_id)
        if key not in self._known:
            entry = self._people.entry(org_id, user_id)
            name = str(getattr(entry, "display_name", "") or "").strip() if entry else ""
            self._known[key] = name or UNNAMED
        return self._known[key]


def entries(
    subject_id: str, records: Iterable[Mapping[str, Any]], name_of: Callable[[str, str], str]
) -> list[AccessEntry]:
    """What the member sees of their records (in the order given); never another member's."""
    shown = []
    for record in records:
        actor = str(record.get("actor_id", ""))
        if record.get("subject_id") != subject_id or actor == subject_id:
            continue
        kind, action = kind_and_action(str(record.get("action", "")))
        shown.append(
            AccessEntry(
                at=str(record["at"]),
                actor_display_name=name_of(str(record.get("org_id", "")), actor),
                actor_role=str(record.get("actor_role", "")),
                kind=kind,
                action=action,
            )
        )
    return shown
