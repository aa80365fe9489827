"""The orgs feature's export and erase: a person's roster entry and training (no HTTP).

The handler is given only a user id: the `user#<id>` membership item names the
organisation. Erasure removes the roster entry, its training records and expiry
index item, the membership item, and the person from the supporters of any unit.
Audit records stay: they name people only by their (now pseudonymous) user id,
and the chain must stay whole (docs/decisions.md).

The export also holds the person's access log (`access_log`): every read of their data
by staff, as `GET /me/access-log` shows it (functions/orgs/access_log.py: the actor's
display name and role, the kind of data, the action, when), newest first, every page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol

from functions.orgs.access_log import ActorNames, NamedPeople, entries
from functions.orgs.repository import OrgsRepository
from shared import aws
from shared.data_rights import FeatureData, data_rights_handler, pick
from shared.orgs.keys import MEMBERSHIP, expiry_sk, member_pk, org_pk, person_sk, training_sk
from shared.settings import RosterSettings, settings

PERSON_FIELDS = (
    "user_id",
    "username",
    "display_name",
    "email",
    "phone",
    "role",
    "status",
    "unit_id",
    "supervisor_id",
    "training_valid_until",
    "created_at",
    "updated_at",
)
TRAINING_FIELDS = ("course", "completed_on", "valid_until", "trainer", "recorded_at")
ACCESS_LOG_PAGE = 100


class SubjectLog(Protocol):
    """shared/audit.py's AuditLog, as far as the export reads it."""

    def subject_page(
        self, subject_id: str, *, start_key: Mapping[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]: ...


class OrgsDataSettings(RosterSettings):
    audit_table: str


class OrgsData:
    feature = "orgs"

    def __init__(
        self,
        repo: OrgsRepository,
        audit: SubjectLog | None = None,
        people: NamedPeople | None = None,
    ) -> None:
        self._repo = repo
        self._audit = audit
        self._people = people

    def export(self, user_id: str) -> dict[str, Any]:
        org_id = self._repo.membership(user_id)
        person = self._repo.person(org_id, user_id) if org_id else None
        access_log = self.access_log(user_id)
        if org_id is None or person is None:
            return {
                "organisation": None,
                "roster": None,
                "trainings": [],
                "access_log": access_log,
            }
        person["units_supported"] = sorted(person.get("units_supported") or ())
        return {
            "organisation": org_id,
            "roster": pick(person, (*PERSON_FIELDS, "units_supported")),
            "trainings": [pick(t, TRAINING_FIELDS) for t in self._repo.trainings(org_id, user_id)],
            "access_log": access_log,
        }

    def access_log(self, user_id: str) -> list[dict[str, str]]:
        """Every entry of the person's access log, newest first (what GET /me/access-log
        shows, page after page)."""
        if self._audit is None or self._people is None:
            return []
        names = ActorNames(self._people)
        shown: list[dict[str, str]] = []
        start: dict[str, Any] | None = None
        while True:
            records, start = self._audit.subject_page(
                user_id, start_key=start, limit=ACCESS_LOG_PAGE
            )
            shown += [dict(vars(e)) for e in entries(user_id, records, names)]
            if start is None:
                return shown

    def erase(self, user_id: str) -> int:
        org_id = self._repo.membership(user_id)
        if org_id is None:
            return 0
        pk = org_pk(org_id)
        keys: list[tuple[str, str]] = []
        person = self._repo.person(org_id, user_id)
        if person is not None:
            keys.append((pk, person_sk(user_id)))
            until = person.get("training_valid_until")
            if until:
                keys.append((pk, expiry_sk(dt.date.fromisoformat(until), user_id)))
            for unit_id in person.get("units_supported") or ():
                self._leave_unit(org_id, unit_id, user_id)
        keys += [
            (pk, training_sk(user_id, t["training_id"]))
            for t in self._repo.trainings(org_id, user_id)
        ]
        keys.append((member_pk(user_id), MEMBERSHIP))  # last: a retry still finds the rest
        self._repo.delete_keys(keys)
        return len(keys)

    def _leave_unit(self, org_id: str, unit_id: str, user_id: str) -> None:
        unit = self._repo.unit(org_id, unit_id)
        if unit is None:
            return
        left = [s for s in unit.get("supporters") or () if s != user_id]
        if left:
            self._repo.update_unit(org_id, unit_id, {"supporters": left})
        else:
            self._repo.update_unit(org_id, unit_id, {}, ["supporters"])


@cache
def feature_data() -> FeatureData:
    from shared.audit import AuditLog
    from shared.orgs.roster import roster

    config = settings(OrgsDataSettings)
    db = aws.client("dynamodb")
    return OrgsData(
        OrgsRepository(db, config.orgs_table), AuditLog(db, config.audit_table), roster()
    )


handler = data_rights_handler(feature_data)
