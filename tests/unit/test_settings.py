"""Settings read from the environment once, typed, read-only, without pydantic."""

from __future__ import annotations

import pytest

from shared.settings import AccountsSettings, BaseSettings, settings


@pytest.fixture(autouse=True)
def fresh() -> None:
    settings.cache_clear()


def test_values_come_typed_from_upper_case_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the variables a template sets
    monkeypatch.setenv("REVOCATION_CACHE_SECONDS", "2")
    monkeypatch.setenv("TRACE_AWS_CALLS", "true")
    monkeypatch.setenv("REVOKED_TABLE", "revoked")

    # When the settings are read
    read = settings(BaseSettings)

    # Then each has its field's type, and unset ones keep their defaults
    assert (read.revocation_cache_seconds, read.trace_aws_calls) == (2.0, True)
    assert (read.revoked_table, read.default_region) == ("revoked", "CN")


def test_a_required_setting_left_unset_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function whose table variable is missing
    monkeypatch.delenv("ACCOUNTS_TABLE", raising=False)
    monkeypatch.setenv("USER_POOL_ID", "pool")

    # When its settings are read / Then it fails loudly, naming what is missing
    with pytest.raises(TypeError, match="accounts_table"):
        settings(AccountsSettings)


def test_settings_are_read_only_and_refuse_unknown_names() -> None:
    made = AccountsSettings(accounts_table="a", user_pool_id="p")
    with pytest.raises(AttributeError):
        made.accounts_table = "b"
    with pytest.raises(TypeError, match="unknown"):
        AccountsSettings(accounts_table="a", user_pool_id="p", acounts_table="typo")
    assert made == AccountsSettings(accounts_table="a", user_pool_id="p")
