"""The supporter inbox projector: the check-ins stream into supporters' inboxes (no HTTP).

The peer function never reads the check-ins table: the check-ins stream's records
(NEW_AND_OLD_IMAGES), through the check-in events topic and this feature's FIFO queue
(shared/change_events.py), are how a shared check-in reaches it. For each check-in image
(partition `user_id`, sort `date`; the "#key" item and anything else is ignored):

- shared (`share_with_supporter` true) by a member of an organisation: the member's unit
  is on their roster entry (shared/orgs/roster.py; an inactive member or one without a
  unit has no supporters), the unit's supporters on its orgs item (shared/orgs/units.py),
  each kept only while the roster says they are an active peer supporter of that unit.
  The day goes into each one's inbox (functions/peer/repository.py) and out of any inbox
  it was in before and no longer belongs to: a new unit or new supporters move it.
- not shared (a rewrite with sharing off), removed, or no supporters: the day leaves
  every inbox it was in.

What an inbox item holds is logic.shared_view's: the display name (from the roster),
the local day, the mood, the emotions, and the tags and note the member shared. The
check-ins feature seals those for the peer feature (`share_ct`, shared/peer_share.py: a
direct KMS Encrypt with the purpose "peer-share" that only this function may decrypt);
the projector opens it and seals the tags and note again under the member's peer key
(repository.py), never keeping them in plain. A `share_ct` that cannot be opened never
holds the day back: it is projected without tags and note, counted
(`PeerShareUnreadable`) and logged without personal data. Never scores, instrument
answers, risk or reasons: they are never read from the image.

A failed record comes back alone (with its member's later ones, in order), never the
batch; the whole batch runs in one invocation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)
from botocore.exceptions import BotoCoreError, ClientError

from functions.peer.logic import SharedCheckin, checkin_key, shared_view
from functions.peer.repository import PeerRepository
from shared.change_events import queue_handler
from shared.observability import error_code, instrument, logger, metrics
from shared.orgs.roster import RosterEntry
from shared.peer_share import Shared, ShareSealer, ShareUnreadable

SUPPORTER = "peer_supporter"
MEMBER = "member"


class People(Protocol):
    def entry(self, org_id: str, user_id: str) -> RosterEntry | None: ...


class Units(Protocol):
    def supporters(self, org_id: str, unit_id: str) -> tuple[str, ...]: ...


class Projector:
    def __init__(
        self,
        repo: PeerRepository,
        people: People,
        units: Units,
        shares: ShareSealer | None = None,
    ) -> None:
        self._repo = repo
        self._people = people
        self._units = units
        self._shares = shares  # None: days are projected without tags and note

    def shared_extras(self, view: SharedCheckin) -> Shared:
        """The tags and note the member shared, opened from `share_ct`; none if there is
        none or it cannot be opened (the day must not wait for them)."""
        if view.share_ct is None or self._shares is None:
            return Shared()
        try:
            return self._shares.open(view.member_id, view.day, view.share_ct)
        except (ClientError, BotoCoreError, ShareUnreadable) as error:
            metrics.add_metric(name="PeerShareUnreadable", unit="Count", value=1)
            logger.warning(
                "shared tags and note could not be opened", extra={"error": error_code(error)}
            )
            return Shared()

    def supporters_of(self, org_id: str, unit_id: str, today: date | None = None) -> list[str]:
        """The unit's supporters the roster confirms: active, the role, the unit theirs,
        and a training not lapsed by `today` (a lapsed supporter keeps what they have
        but is sent nothing new until it is renewed)."""
        found = []
        for user_id in self._units.supporters(org_id, unit_id):
            entry = self._people.entry(org_id, user_id)
            if (
                entry is not None
                and entry.active
                and entry.role == SUPPORTER
                and unit_id in entry.units_supported
                and not _lapsed(entry.training_valid_until, today)
            ):
                found.append(user_id)
        return found

    def apply(
        self,
        event_name: str,
        new_image: dict[str, Any] | None,
        old_image: dict[str, Any] | None,
        now: datetime,
    ) -> str:
        """Bring the inboxes in line with one stream record; what was done, for the log."""
        key = checkin_key(new_image) or checkin_key(old_image)
        if key is None:
            return "ignored"
        view = shared_view(new_image) if event_name != "REMOVE" else None
        if view is None or not view.shared or view.org_id is None:
            self._repo.unshare(*key)
            return "unshared"
        member = self._people.entry(view.org_id, view.member_id)
        if member is None or not member.active or member.role != MEMBER or not member.unit_id:
            self._repo.unshare(*key)
            return "unshared"
        supporters = self.supporters_of(view.org_id, member.unit_id, now.date())
        if not supporters:
            self._repo.unshare(*key)
            return "unshared"
        extras = self.shared_extras(view)
        self._repo.project(view, member.unit_id, member.display_name, supporters, now, extras)
        return "projected"


def _lapsed(valid_until: str | None, today: date | None) -> bool:
    return valid_until is not None and today is not None and valid_until < today.isoformat()


@cache
def projector() -> Projector:  # pragma: no cover - production wiring
    from functions.peer.keys import PURPOSE, PeerKeys
    from functions.peer.settings import PeerSettings
    from shared import aws
    from shared.orgs.roster import roster
    from shared.orgs.units import unit_supporters
    from shared.peer_share import share_sealer
    from shared.settings import settings
    from shared.vault import vault_for

    table = settings(PeerSettings).peer_table
    vault = vault_for(PURPOSE, PeerKeys(aws.client("dynamodb"), table))
    return Projector(
        PeerRepository(aws.client("dynamodb"), table, vault),
        roster(),
        unit_supporters(),
        share_sealer(),
    )


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    if change is None or record.event_name is None:
        return
    done = projector().apply(
        record.event_name.name, change.new_image, change.old_image, datetime.now(UTC)
    )
    metrics.add_metric(name=f"PeerInbox_{done}", unit="Count", value=1)
    logger.debug("peer inbox", extra={"done": done})


handler = instrument(queue_handler(record_handler))
