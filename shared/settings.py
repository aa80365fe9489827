"""Settings from the environment: frozen dataclasses, parsed once, on first use.

Importing a module never reads the environment (so tests and tools can import
anything); the first call to `settings(Model)` does, and caches the result.
Plain classes rather than pydantic models or dataclasses: functions that are not
HTTP never load pydantic, and no code is generated per class at import (cold start).
A field is a class annotation; its class value is the default, and one without a
default is required.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T", bound="BaseSettings")
_TRUE = ("1", "true", "yes")


def fields(model: type) -> dict[str, str]:
    """Every field of a settings class and its type (as written), base classes first."""
    found: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        found |= {k: str(v) for k, v in vars(klass).get("__annotations__", {}).items()}
    return found


class Settings:
    """Keyword-only, read-only values; equal when their fields are."""

    def __init__(self, **values: Any) -> None:
        known = fields(type(self))
        unknown = values.keys() - known.keys()
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        missing = [n for n in known if n not in values and not hasattr(type(self), n)]
        if missing:
            raise TypeError(f"missing settings: {missing}")
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in fields(type(self)))
        return f"{type(self).__name__}({shown})"


class BaseSettings(Settings):
    default_time_zone: str = "Asia/Shanghai"
    default_region: str = "CN"
    # Erased accounts' subjects; unset only where no token is ever checked (unit tests).
    revoked_table: str | None = None
    revocation_cache_seconds: float = 30.0
    # The KMS key that wraps every feature's per-member data keys (shared/envelope.py).
    sealing_key_id: str = ""
    trace_aws_calls: bool = False


class AccountsSettings(BaseSettings):
    accounts_table: str
    user_pool_id: str
    # Data-rights requests start these workflows and hand out the export's link.
    erasure_state_machine_arn: str = ""
    export_state_machine_arn: str = ""
    export_bucket: str = ""


class DataRightsSettings(BaseSettings):
    """A feature's export and erase handler: its own table, the export bucket."""

    export_bucket: str = ""


class CoordinatorSettings(BaseSettings):
    """The data-rights workflow's own steps: tokens, Cognito, the audit record, the bundle."""

    user_pool_id: str
    data_rights_audit_table: str
    export_bucket: str


class JournalSettings(BaseSettings):
    journal_table: str
    cursor_secret_arn: str = ""


class CheckinsSettings(BaseSettings):
    checkins_table: str
    idempotency_table: str = ""
    cursor_secret_arn: str = ""


class NotificationsSettings(BaseSettings):
    notifications_table: str
    cursor_secret_arn: str = ""


class RosterSettings(BaseSettings):
    """Any function that checks staff against the roster or reads the rota (shared/orgs)."""

    orgs_table: str
    # DESIGN.md §4: a role change reaches every container within this time (at most 60 s).
    roster_cache_seconds: float = 60.0


class OrgsSettings(RosterSettings):
    """The three HTTP functions of the organisations API (each uses what its routes need)."""

    audit_table: str
    user_pool_id: str = ""
    import_queue_url: str = ""
    cursor_secret_arn: str = ""
    # Local cloud only: invitations answer with the temporary password instead of mailing it.
    return_temporary_passwords: bool = False


class OrgsImportSettings(RosterSettings):
    user_pool_id: str
    audit_table: str
    return_temporary_passwords: bool = False


class ResourcesSettings(BaseSettings):
    resources_table: str
    cache_seconds: int = 60


def _parse(kind: Any, raw: str) -> Any:
    """An environment value as the field's type (annotations are strings here)."""
    kind = str(kind)
    if kind.startswith("bool"):
        return raw.strip().lower() in _TRUE
    if kind.startswith("float"):
        return float(raw)
    if kind.startswith("int"):
        return int(raw)
    return raw


@cache
def settings(model: type[T]) -> T:
    """The settings `model` reads from upper-case environment variables of the same names."""
    values = {
        name: _parse(kind, os.environ[name.upper()])
        for name, kind in fields(model).items()
        if name.upper() in os.environ
    }
    return model(**values)
