"""Settings from the environment: frozen dataclasses, parsed once, on first use.

Importing a module never reads the environment (so tests and tools can import
anything); the first call to `settings(Model)` does, and caches the result.
Plain dataclasses rather than pydantic: functions that are not HTTP do not load
pydantic at all (their cold-start floor is boto3 and Powertools).
"""

from __future__ import annotations

import dataclasses
import os
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T", bound="BaseSettings")
_TRUE = ("1", "true", "yes")


@dataclasses.dataclass(frozen=True, kw_only=True)
class BaseSettings:
    default_time_zone: str = "Asia/Shanghai"
    default_region: str = "CN"
    # Erased accounts' subjects; unset only where no token is ever checked (unit tests).
    revoked_table: str | None = None
    revocation_cache_seconds: float = 30.0
    # The KMS key that wraps every feature's per-member data keys (shared/envelope.py).
    sealing_key_id: str = ""
    trace_aws_calls: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class AccountsSettings(BaseSettings):
    accounts_table: str
    user_pool_id: str
    # Data-rights requests start these workflows and hand out the export's link.
    erasure_state_machine_arn: str = ""
    export_state_machine_arn: str = ""
    export_bucket: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataRightsSettings(BaseSettings):
    """A feature's export and erase handler: its own table, the export bucket."""

    export_bucket: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoordinatorSettings(BaseSettings):
    """The data-rights workflow's own steps: tokens, Cognito, the audit record, the bundle."""

    user_pool_id: str
    data_rights_audit_table: str
    export_bucket: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class JournalSettings(BaseSettings):
    journal_table: str
    cursor_secret_arn: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CheckinsSettings(BaseSettings):
    checkins_table: str
    idempotency_table: str = ""
    cursor_secret_arn: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
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
        field.name: _parse(field.type, os.environ[field.name.upper()])
        for field in dataclasses.fields(model)
        if field.name.upper() in os.environ
    }
    return model(**values)
