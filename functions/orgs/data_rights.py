"""The orgs feature's export and erase: a person's roster entry and training (no HTTP).

The handler is given only a user id: the `user#<id>` membership item names the
organisation. Erasure removes the roster entry, its training records and expiry
index item, the membership item, and the person from the supporters of any unit.
Audit records stay: they name people only by their (now pseudonymous) user id,
and the chain must stay whole (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

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


class OrgsData:
    feature = "orgs"

    def __init__(self, repo: OrgsRepository) -> None:
        self._repo = repo

    def export(self, user_id: str) -> dict[str, Any]:
        org_id = self._repo.membership(user_id)
        person = self._repo.person(org_id, user_id) if org_id else None
        if org_id is None or person is None:
            return {"organisation": None, "roster": None, "trainings": []}
        person["units_supported"] = sorted(person.get("units_supported") or ())
        return {
            "organisation": org_id,
            "roster": pick(person, (*PERSON_FIELDS, "units_supported")),
            "trainings": [pick(t, TRAINING_FIELDS) for t in self._repo.trainings(org_id, user_id)],
        }

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
    return OrgsData(OrgsRepository(aws.client("dynamodb"), settings(RosterSettings).orgs_table))


handler = data_rights_handler(feature_data)
