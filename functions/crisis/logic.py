"""The counsellor API's rules, apart from HTTP and DynamoDB (functions/crisis/routes.py).

- Who may see or act on a case: a counsellor (or an org admin, who may be the rota's
  duty officer and is alerted at the last tier) on the case's organisation's roster.
  Anyone else is told the case does not exist (404), never 403: a peer supporter, a
  member, another organisation's counsellor learn nothing of it.
- What a signal shows: its level, source and time, its reason codes and (`POST /help`)
  the member's own words, all sealed by the crisis vault. The intake seals a check-in's,
  journal entry's or screening's reasons again for the case from what the source feature
  sealed for the crisis feature (`signal_ct`; functions/crisis/intake.py), so this
  function never needs another feature's key. A signal without reasons the crisis vault
  can open (its `signal_ct` was missing or unreadable, the member's crisis key was
  erased, or a signal taken in before this, whose reasons its source sealed) shows
  `reasons: null`.
- `POST /help`: the signal's ids and what the member is told.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from shared.orgs.roles import DUTY_ROLES

PURPOSE = "crisis"  # the crisis vault's purpose (KMS encryption context)
CASE_ROLES = DUTY_ROLES  # counsellors, and admins who may be on duty
HELP_SOURCE = "help"
HELP_SEVERITY = "imminent"
HELP_REASONS = ["help_requested"]  # shared/crisis/signals.py: the help row's reason
SEALED_FIELDS = ("reasons", "text")
# How a run answers a token it no longer waits on (the tier timed out, the run ended).
GONE_TOKEN_ERRORS = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def help_item_id(user_id: str, idempotency_key: str | None) -> str:
    """The help request's id: from the member's Idempotency-Key (a retry is the same
    request: the intake's `seen#` marker makes it change nothing), else fresh."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{user_id}|{idempotency_key}".encode()).hexdigest()[:32]


def help_source_id(item_id: str) -> str:
    return f"{HELP_SOURCE}#{item_id}"


def outcome_item(outcome: Any) -> dict[str, Any]:
    """The closing outcome as stored: {"kind": "resolved" | "referred"} or
    {"kind": "watch", "watch_level": 1-3, "review_on": "YYYY-MM-DD"}."""
    if isinstance(outcome, str):
        return {"kind": outcome}
    return {
        "kind": "watch",
        "watch_level": int(outcome.watch_level),
        "review_on": outcome.review_on.isoformat(),
    }


Opener = Callable[[str, str, Mapping[str, Any]], dict[str, Any]]


def signal_view(item: Mapping[str, Any], user_id: str, open_sealed: Opener) -> dict[str, Any]:
    """One signal for the counsellor. `open_sealed(user_id, item_id, item)` opens the
    crisis vault's fields (`reasons`, `text`) of the signal item."""
    from cryptography.exceptions import InvalidTag

    from shared.envelope import SealedFormatError

    view: dict[str, Any] = {
        "source": item.get("source"),
        "level": item.get("severity"),
        "received_at": item.get("received_at"),
        "reasons": None,
        "text": None,
    }
    if item.get("reasons_ct") is None and item.get("text_ct") is None:
        return view
    try:
        opened = open_sealed(user_id, str(item.get("item_id") or ""), item)
    except (InvalidTag, SealedFormatError):
        # Not the crisis vault's: reasons its source sealed, taken in before the intake
        # sealed them again for the case. They stay closed to this function.
        return view
    view["reasons"] = opened.get("reasons")
    view["text"] = opened.get("text")
    return view


# --- contacts and the watch list (functions/crisis/case_records_routes.py) -----------------

HIGHEST_WATCH_LEVEL = 3
FAMILY_CONTACT_DAYS = 14  # MISSION.md: the highest level's family at least every two weeks
FAMILY_WHO = frozenset({"guardian", "family"})


def family_contact_allowed(case: Mapping[str, Any], watch: Mapping[str, Any] | None) -> bool:
    """A guardian or the family may be contacted (and logged) only for the highest watch
    level: the case closed at level 3, the member is on the watch list at level 3 now,
    or the case is imminent."""
    outcome = case.get("outcome") or {}
    return (
        case.get("severity") == "imminent"
        or outcome.get("watch_level") == HIGHEST_WATCH_LEVEL
        or (watch is not None and watch.get("level") == HIGHEST_WATCH_LEVEL)
    )
