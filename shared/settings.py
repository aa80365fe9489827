"""Settings from the environment: pydantic models, parsed once, on first use.

Importing a module never reads the environment (so tests and tools can import
anything); the first call to `settings(Model)` does, and caches the result.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T", bound="BaseSettings")


class BaseSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

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


class ResourcesSettings(BaseSettings):
    resources_table: str
    cache_seconds: int = 60


@cache
def settings(model: type[T]) -> T:
    """The settings `model` reads from upper-case environment variables of the same names."""
    values = {
        name: os.environ[name.upper()] for name in model.model_fields if name.upper() in os.environ
    }
    return model.model_validate(values)
