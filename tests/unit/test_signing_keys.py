"""Cursor keys read through Powertools parameters: rotation reaches warm containers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared import signing_keys as module
from shared.signing_keys import SigningKeys, key_id
from tests.support.moto_cloud import fresh_name, moto_clients


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("secretsmanager") as made:
        yield made


@pytest.fixture
def providers(clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Powertools providers on the moto client, fresh for each test."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    made: dict[str, Any] = {}

    def provider(stage: str) -> Any:
        return made.setdefault(stage, SecretsProvider(boto3_client=clients["secretsmanager"]))

    monkeypatch.setattr(module, "_provider", provider)
    module._KEYS.clear()


@pytest.mark.usefixtures("providers")
def test_a_secret_never_rotated_has_no_previous_key(clients: dict[str, Any]) -> None:
    # Given a secret with one version
    arn = clients["secretsmanager"].create_secret(Name=fresh_name("c"), SecretString="one")["ARN"]

    # When the keys are read / Then there is the current one only
    assert module._read(arn, 300) == SigningKeys(current=b"one", previous=None)


@pytest.mark.usefixtures("providers")
def test_after_a_rotation_the_previous_key_is_still_offered(clients: dict[str, Any]) -> None:
    # Given a secret that was rotated once
    sm = clients["secretsmanager"]
    arn = sm.create_secret(Name=fresh_name("c"), SecretString="old")["ARN"]
    sm.put_secret_value(SecretId=arn, SecretString="new")

    # When the keys are read
    keys = module._read(arn, 300)

    # Then new cursors are signed with the new key and old ones still verify
    assert keys == SigningKeys(current=b"new", previous=b"old")
    assert keys.by_id(key_id(b"old")) == b"old"


def test_keys_are_read_once_per_max_age_even_when_there_is_no_previous(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a reader that counts its calls
    reads: list[str] = []

    def read(secret_id: str, max_age: int) -> SigningKeys:
        reads.append(secret_id)
        return SigningKeys(current=b"k")

    monkeypatch.setattr(module, "_read", read)
    module._KEYS.clear()

    # When a warm container asks for the keys on every request
    for _ in range(5):
        module.signing_keys("arn:secret")

    # Then Secrets Manager was asked once
    assert reads == ["arn:secret"]
