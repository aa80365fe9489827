"""The peer network's decisions as plain functions (no AWS, no FastAPI).

- What of a shared check-in a supporter may see (`shared_view`): display name, local date,
  mood and emotions in plain, and the tags and note the check-ins feature sealed for the
  peer feature (`share_ct`, shared/peer_share.py), carried as stored for the projector to
  open; nothing else. Scores, instrument answers, risk and reasons are never read from the
  image at all (nor the check-ins feature's own `*_ct` fields, which this feature cannot
  open).
- The order of need (`need_key`): low mood first, then a falling trend, then unanswered
  before answered, then the longest waiting.
- Conversation ids, the per-sender minute window of the rate limit, and the contact
  detail filter (`contact_warnings`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.peer_share import ATTRIBUTE as SHARE_ATTRIBUTE
from shared.peer_share import blob

SHARE_FIELD = "share_with_supporter"
MAX_MESSAGE_CHARS = 2000
MESSAGES_PER_MINUTE = 30
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MOODS = range(1, 6)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def inbox_item_id(member_id: str, day: str) -> str:
    """One id for a member's shared day, the same in every supporter's inbox (32 hex)."""
    return _digest("inbox", member_id, day)


def conversation_id(org_id: str, member_id: str, supporter_id: str) -> str:
    """One conversation per member and supporter: starting it twice finds the first."""
    return _digest("conversation", org_id, member_id, supporter_id)


@dataclass(frozen=True)
class SharedCheckin:
    """What the projector takes from a check-ins stream image: whose, which day, and the
    plain fields a supporter may see, and the tags and note sealed for the peer feature
    (`share_ct`, unopened). Nothing else is copied."""

    member_id: str
    org_id: str | None
    day: str
    mood: int
    emotions: tuple[str, ...]
    shared: bool
    created_at: str
    updated_at: str
    share_ct: bytes | None = None


def checkin_key(image: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """The member and local day of a check-in image; None for the "#key" item or others."""
    user_id, day = (image or {}).get("user_id"), (image or {}).get("date")
    if not isinstance(user_id, str) or not user_id:
        return None
    if not isinstance(day, str) or _DAY.fullmatch(day) is None:
        return None
    return user_id, day


def shared_view(image: Mapping[str, Any] | None) -> SharedCheckin | None:
    """The check-in's supporter-visible fields, or None if it is not a check-in."""
    found = checkin_key(image)
    if found is None or image is None:
        return None
    mood = image.get("mood")  # a stream image's numbers are Decimals
    if isinstance(mood, bool) or not isinstance(mood, int | Decimal) or mood not in MOODS:
        return None
    emotions = image.get("emotions") or []
    org_id = image.get("org_id")
    return SharedCheckin(
        member_id=found[0],
        org_id=org_id if isinstance(org_id, str) and org_id else None,
        day=found[1],
        mood=int(mood),
        emotions=tuple(str(e) for e in emotions if isinstance(e, str)),
        shared=image.get(SHARE_FIELD) is True,
        created_at=str(image.get("created_at") or image.get("updated_at") or ""),
        updated_at=str(image.get("updated_at") or image.get("created_at") or ""),
        share_ct=blob(image.get(SHARE_ATTRIBUTE)),
    )


def falling(mood: int, earlier_moods: list[int]) -> bool:
    """A falling trend: the mood is below the member's previous shared check-in's.

    Only check-ins the member shared count: a supporter must not learn anything from the
    days the member kept to themselves.
    """
    return bool(earlier_moods) and mood < earlier_moods[0]


def need_key(mood: int, is_falling: bool, answered: bool, waiting_since: str, item_id: str) -> str:
    """The inbox index's sort key: ascending order is the order of need.

    `<mood 1-5>#<0 falling | 1 steady>#<0 unanswered | 1 answered>#<waiting since>#<id>`:
    lowest mood first; among equal moods a falling trend first; then unanswered items,
    the longest waiting first (UTC ISO stamps sort as text); the id keeps keys unique.
    """
    return f"{mood}#{0 if is_falling else 1}#{1 if answered else 0}#{waiting_since}#{item_id}"


def minute_window(now: datetime) -> tuple[str, int]:
    """The rate limit's window for `now` (`YYYYmmddHHMM`, UTC) and the seconds until the
    next one begins (for Retry-After: at least 1)."""
    start = now.replace(second=0, microsecond=0)
    left = (start + timedelta(minutes=1) - now).total_seconds()
    return start.strftime("%Y%m%d%H%M"), max(1, int(-(-left // 1)))


# Contact details a member or supporter is warned before sharing (the message still goes).
_PHONE_CN = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9](?:[\s-]?[0-9]{4}){2}(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])\+?[0-9][0-9\s()-]{5,}[0-9](?![0-9])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")  # a date, not a number to call
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_WECHAT = re.compile(
    r"(?:微信|威信|wechat|weixin|vx|wx)\s*(?:号|id)?\s*(?:是|[:：])?\s*[A-Za-z][-_A-Za-z0-9]{5,19}",
    re.IGNORECASE,
)
_QQ = re.compile(r"(?:qq|扣扣|企鹅)\s*(?:号)?\s*(?:是|[:：])?\s*[1-9][0-9]{4,11}", re.IGNORECASE)

WARNINGS = {
    "phone_number": "This looks like a phone number.",
    "wechat_id": "This looks like a WeChat id.",
    "qq_id": "This looks like a QQ number.",
    "email_address": "This looks like an e-mail address.",
}
WARNING_ADVICE = " Peer support stays in the app: think twice before sharing contact details."


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def contact_warnings(text: str) -> list[str]:
    """Codes of the contact details `text` seems to hold, in a fixed order (no duplicates)."""
    found: list[str] = []
    qq = _QQ.search(text)
    phone = _PHONE_CN.search(text) or next(
        (
            m
            for m in _PHONE.finditer(text)
            if 7 <= _digits(m.group()) <= 15 and not _DATE.fullmatch(m.group().strip())
        ),
        None,
    )
    if phone and not (qq and qq.start() <= phone.start() < qq.end()):
        found.append("phone_number")
    if _WECHAT.search(text):
        found.append("wechat_id")
    if qq:
        found.append("qq_id")
    if _EMAIL.search(text):
        found.append("email_address")
    return found
