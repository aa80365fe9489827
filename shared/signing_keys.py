"""HMAC keys for cursors and sync tokens, read so that a rotation reaches warm containers.

The key is a Secrets Manager secret read through Powertools parameters with a
`max_age`: a warm container picks up a rotated key within that time, with no
redeploy. A token names the key that signed it (`key_id`), and the previous
version of the secret (stage AWSPREVIOUS) stays accepted, so tokens handed out
before a rotation keep working for their lifetime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from shared.ttl_cache import TtlCache

KEY_MAX_AGE_SECONDS = 300


def key_id(key: bytes) -> str:
    """A short public name for a key (not the key: a hash of it)."""
    return hashlib.sha256(b"peer-support/signing-key-id\x00" + key).hexdigest()[:8]


@dataclass(frozen=True)
class SigningKeys:
    current: bytes
    previous: bytes | None = None

    def by_id(self, wanted: str) -> bytes | None:
        for key in (self.current, self.previous):
            if key is not None and key_id(key) == wanted:
                return key
        return None


def as_keys(keys: bytes | SigningKeys) -> SigningKeys:
    return keys if isinstance(keys, SigningKeys) else SigningKeys(current=keys)


@cache
def _provider(stage: str) -> Any:
    # One provider per stage: Powertools caches by name, not by version stage.
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from shared import aws

    return SecretsProvider(boto3_client=aws.client("secretsmanager"))


# Both versions together, for max_age: a secret never rotated has no previous version,
# and that absence is remembered too (it would otherwise be asked for on every request).
_KEYS: TtlCache[str, SigningKeys] = TtlCache(KEY_MAX_AGE_SECONDS)


def signing_keys(secret_id: str) -> SigningKeys:
    """The current key and, when the secret was rotated, the previous one."""
    return _KEYS.get(secret_id, lambda: _read(secret_id, KEY_MAX_AGE_SECONDS))


def _read(secret_id: str, max_age: int) -> SigningKeys:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    current = _provider("AWSCURRENT").get(secret_id, max_age=max_age)
    try:
        previous = _provider("AWSPREVIOUS").get(
            secret_id, max_age=max_age, VersionStage="AWSPREVIOUS"
        )
    except GetParameterError:  # never rotated: there is no previous version
        previous = None
    return SigningKeys(
        current=str(current).encode(), previous=str(previous).encode() if previous else None
    )
