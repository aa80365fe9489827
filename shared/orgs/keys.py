"""Keys of the orgs table, known only to the orgs feature's code (functions/orgs, shared/orgs).

One partition per organisation, `org#<org_id>`, holds its settings, units, people,
training records, the expiry index of trainings, the rota and its overrides, and imports.
`user#<user_id>` / `org` points a person at their organisation, for the data-rights
handler, which is given only a user id.
"""

from __future__ import annotations

import datetime as dt

SETTINGS = "#settings"
ROTA_WEEKLY = "rota#weekly"
MEMBERSHIP = "org"
BY_UNIT = "ByUnit"


def org_pk(org_id: str) -> str:
    return f"org#{org_id}"


def unit_sk(unit_id: str) -> str:
    return f"unit#{unit_id}"


def person_sk(user_id: str) -> str:
    return f"person#{user_id}"


def training_prefix(user_id: str) -> str:
    return f"training#{user_id}#"


def training_sk(user_id: str, training_id: str) -> str:
    return f"{training_prefix(user_id)}{training_id}"


def expiry_sk(valid_until: dt.date, user_id: str) -> str:
    """A supporter's latest training by the day it lapses: `?expiring_within=` is a range."""
    return f"expiry#{valid_until.isoformat()}#{user_id}"


def override_sk(day: dt.date) -> str:
    return f"rota#override#{day.isoformat()}"


def import_sk(import_id: str) -> str:
    return f"import#{import_id}"


def member_pk(user_id: str) -> str:
    return f"user#{user_id}"


def unit_index_pk(org_id: str, unit_id: str) -> str:
    return f"{org_id}#{unit_id}"


def unit_index_sk(role: str, user_id: str) -> str:
    return f"{role}#{user_id}"
