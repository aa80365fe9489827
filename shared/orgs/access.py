"""Staff checks against the roster: the organisation first (404), then the role (403).

Another organisation's ids answer 404, so nothing says whether they exist. In the
caller's own organisation the roster decides: a person who is not on it, was removed,
or does not hold the role gets 403, whatever the token's groups say. The token must
hold the role too (the first gate), so a promotion waits for a fresh token.
"""

from __future__ import annotations

from collections.abc import Collection

from shared.errors import Forbidden, NotFound
from shared.identity import Identity
from shared.orgs.roster import RosterEntry, roster


def roster_entry(identity: Identity, org_id: str) -> RosterEntry:
    """The caller's active roster entry in `org_id` (their own organisation), any role."""
    if identity.org_id != org_id:
        raise NotFound("No such organisation.")
    entry = roster().entry(org_id, identity.user_id)
    if entry is None or not entry.active:
        raise Forbidden("You are not on this organisation's roster.")
    return entry


def require_role(identity: Identity, org_id: str, allowed: Collection[str]) -> RosterEntry:
    """The caller's roster entry if the roster and the token both give them an allowed role."""
    entry = roster_entry(identity, org_id)
    if entry.role not in allowed or entry.role not in identity.roles:
        raise Forbidden("Your role in this organisation does not allow this.")
    return entry
