"""Whether a feature table's stream record is a risk signal, and which (pure; no AWS).

A check-in (partition `user_id`, sort `date`), a journal entry (`user_id`, `entry_id`),
a screening (`user_id`, `sk`) or a peer item (`pk`, `sk`: a supporter's concern, a
member's risky message) carries its risk on its own item: `risk.level` plain (also
`risk_level`), the reason codes sealed beside it for the crisis feature (`signal_ct`,
shared/crisis/signal_seal.py; the member's own features also keep `reasons_ct` under
their vault), a plain `mood` where the feature has one, and whose it is in `user_id`
(for a concern, the member it is about, not the supporter who raised it).

A record is a signal when its new image's level is watch, high or imminent and, on a
MODIFY, higher than the old image's: a rewrite at the same or a lower level adds nothing.
REMOVE records, items without a risk (the "#key" and "#meta" items, tombstones) and
levels below watch are not signals.

**The source id** names the write that carried the signal, so a replayed record is
recognised (functions/crisis/cases.py): `<source>:<item id>:<revision>`, where `source`
is the feature whose table the stream belongs to ("checkins", "journal", "screenings",
"peer"; the intake's settings name the tables), `item id` the item's keys other than
the member's (a check-in's date, an entry's id), or for a table keyed `pk`/`sk` (the
peer table) its sort key alone (`concern#<id>`; the partition names the member or the
conversation, and the sort key is unique within the table), and `revision` the new image's
`version`, else its `updated_at`, else its `created_at`, else its level. Every write of
an item changes its revision, so a later raise of the same item is a new signal, while a
replay carries the same image and the same id. The stream's `eventID` is not used: it
names a stream record rather than the write, cannot be rebuilt from the item (to show
which check-in or entry a signal came from), and a write brought back another way (a
restored table's items, a re-put image) would arrive under a new one.

**An answer** is any check-in written (INSERT or MODIFY, risky or not): the member's next
check-in answers the follow-up their case's workflow waits on, with its plain level ("none"
below watch) and its mood. A risky check-in is both a signal and an answer. The "#key"
item and anything without a mood are not check-ins; journal and screening writes answer
nothing.

**A mood day** is any check-in written (INSERT or MODIFY) with a mood: its member-local
day is its sort key `date`, and its `updated_at` orders two writes of that day. The
intake keeps it in the member's mood history for the sustained low mood signal
(functions/crisis/moods.py, shared/crisis/signals.py).

The reasons are never in plain text here: a signal carries the item's `signal_ct` as
stored, for the intake to open and seal again with the crisis vault
(functions/crisis/intake.py); the source feature's own `reasons_ct` is left on its item.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

SEVERITIES = ("watch", "high", "imminent")
_REVISION_FIELDS = ("version", "updated_at", "created_at")


@dataclass(frozen=True)
class Signal:
    user_id: str
    severity: str
    source: str
    item_id: str
    source_id: str
    # The reasons as the crisis vault sealed them (purpose "crisis"): what the case keeps.
    sealed_reasons: bytes | None
    mood: int | None
    # The reasons as the source feature sealed them for the crisis feature (KMS direct).
    signal_ct: bytes | None = None


@dataclass(frozen=True)
class MoodDay:
    user_id: str
    day: date
    mood: int
    revision: str


@dataclass(frozen=True)
class Answer:
    user_id: str
    level: str
    mood: int | None

    @property
    def output(self) -> dict[str, Any]:
        """The waiting step's output, as the definition's `evaluate_answer` reads it."""
        return {"level": self.level, "mood": self.mood}


def rank(level: Any) -> int:
    """1 watch, 2 high, 3 imminent; 0 for none and anything unknown."""
    return SEVERITIES.index(level) + 1 if level in SEVERITIES else 0


def level(image: Mapping[str, Any] | None) -> str:
    """The item's plain risk level: `risk.level`, else `risk_level`, else "none"."""
    image = image or {}
    risk = image.get("risk")
    found = risk.get("level") if isinstance(risk, Mapping) else None
    found = found if found is not None else image.get("risk_level")
    return str(found) if rank(found) else "none"


def _plain(value: Any) -> str:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)


def revision(image: Mapping[str, Any]) -> str:
    for name in _REVISION_FIELDS:
        if image.get(name) not in (None, ""):
            return _plain(image[name])
    return level(image)


def item_id(keys: Mapping[str, Any]) -> str:
    """The item's keys other than the member's, in key-name order, joined by '#'; the sort
    key alone for a table keyed `pk`/`sk` (the peer table: module docstring)."""
    if set(keys) == {"pk", "sk"}:
        return _plain(keys["sk"])
    return "#".join(_plain(keys[name]) for name in sorted(keys) if name != "user_id")


def source_id(source: str, item: str, rev: str) -> str:
    return f"{source}:{item}:{rev}"


def sealed_blob(value: Any) -> bytes | None:
    """The sealed reasons as stored: bytes, or the base64 text a Lambda event carries."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def mood(image: Mapping[str, Any]) -> int | None:
    value = image.get("mood")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None  # bool is an int; True is no mood
    return int(value) if value == int(value) else None


def source_of(table_arn: str | None, sources: Mapping[str, str]) -> str:
    """The feature whose table a stream belongs to (ARN `...:table/<name>/stream/...`);
    the table's own name when it is not one of `sources` (table name -> feature)."""
    name = (table_arn or "").split(":table/", 1)[-1].split("/", 1)[0]
    return sources.get(name, name)


def signal(
    event_name: str,
    source: str,
    keys: Mapping[str, Any] | None,
    old_image: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
) -> Signal | None:
    """The signal a stream record carries, or None (see the module docstring)."""
    if event_name not in ("INSERT", "MODIFY") or not new_image:
        return None
    new_level = level(new_image)
    if rank(new_level) == 0:
        return None
    if event_name == "MODIFY" and rank(new_level) <= rank(level(old_image)):
        return None
    user_id = new_image.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return None
    item = item_id(keys or {})
    return Signal(
        user_id=user_id,
        severity=new_level,
        source=source,
        item_id=item,
        source_id=source_id(source, item, revision(new_image)),
        sealed_reasons=None,
        mood=mood(new_image),
        signal_ct=sealed_blob(new_image.get("signal_ct")),
    )


def answer(
    event_name: str,
    source: str,
    keys: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
) -> Answer | None:
    """The follow-up answer a stream record carries, or None (see the module docstring)."""
    if source != "checkins" or event_name not in ("INSERT", "MODIFY") or not new_image:
        return None
    if item_id(keys or {}).startswith("#") or "mood" not in new_image:
        return None
    user_id = new_image.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        return None
    return Answer(user_id=user_id, level=level(new_image), mood=mood(new_image))


def mood_day(
    event_name: str,
    source: str,
    keys: Mapping[str, Any] | None,
    new_image: Mapping[str, Any] | None,
) -> MoodDay | None:
    """The member's mood of a local day a stream record carries, or None (module docstring)."""
    if source != "checkins" or event_name not in ("INSERT", "MODIFY") or not new_image:
        return None
    user_id, found = new_image.get("user_id"), mood(new_image)
    if not isinstance(user_id, str) or not user_id or found is None:
        return None
    try:
        day = date.fromisoformat(str((keys or {}).get("date")))
    except ValueError:
        return None  # the "#key" item, or no date
    return MoodDay(user_id=user_id, day=day, mood=found, revision=revision(new_image))
