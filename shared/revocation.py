"""Erased accounts: their ID tokens stay signed until they expire, so we refuse them here.

API Gateway only checks a token's signature and expiry (on AWS as on the emulator).
`DELETE /me` records the subject in the revoked table; every function keeps that
small list in memory, refreshed at most every `revocation_cache_seconds`, so a
warm request makes no call and an erased member's token is refused everywhere
within that time. Entries expire with the longest token lifetime.

The table keeps a hash of each subject (`subject_hash`), never the subject: an
erased member leaves no identifier behind. Callers pass plain subjects.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import to_item
from shared.settings import BaseSettings, settings
from shared.ttl_cache import TtlCache

SCOPE = "sub"
KEEP_SECONDS = 2 * 3600  # longer than any ID token lives (60 minutes)
HASH_PREFIX = "sha256:"
# Domain separation: these hashes match no hash of the same subject made elsewhere.
_DOMAIN = b"peer-support/revoked-subject/v1\x00"
# Erasures made in this container, known at once (the table has them too).
_ERASED_HERE_MAX = 1000


def subject_hash(subject: str) -> str:
    """What the revoked table stores for `subject`: "sha256:" + 64 hex digits."""
    return HASH_PREFIX + hashlib.sha256(_DOMAIN + subject.encode()).hexdigest()


class RevocationList:
    """The revoked subjects' hashes: read whole, kept for `ttl` seconds."""

    def __init__(
        self,
        reader: Callable[[], set[str]],
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._hashes: TtlCache[str, frozenset[str]] = TtlCache(ttl, monotonic=monotonic)
        self._erased_here: TtlCache[str, bool] = TtlCache(
            KEEP_SECONDS, max_size=_ERASED_HERE_MAX, monotonic=monotonic
        )

    def _load(self) -> frozenset[str]:
        return frozenset(self._reader())

    def is_revoked(self, subject: str) -> bool:
        hashed = subject_hash(subject)
        if self._erased_here.peek(hashed):
            return True
        return hashed in self._hashes.get(SCOPE, self._load)

    def add(self, subject: str) -> None:
        """Known at once in this container (the one that erased the account)."""
        self._erased_here.put(subject_hash(subject), True)


def read_revoked(client: Any, table: str) -> set[str]:
    """Every subject hash in the table."""
    args: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "scope", "#j": "subject"},
        "ExpressionAttributeValues": to_item({":s": SCOPE}),
        "ProjectionExpression": "#j",
    }
    hashes: set[str] = set()
    while True:
        response = client.query(**args)
        hashes |= {item["subject"]["S"] for item in response["Items"]}
        if "LastEvaluatedKey" not in response:
            return hashes
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke(client: Any, table: str, subject: str, now_epoch: int) -> None:
    """Record that `subject` was erased (as its hash), until every token of theirs has expired."""
    client.put_item(
        TableName=table,
        Item=to_item(
            {
                "scope": SCOPE,
                "subject": subject_hash(subject),
                "expires_at": now_epoch + KEEP_SECONDS,
            }
        ),
    )


@cache
def revocations() -> RevocationList | None:
    """This container's list, or None where no revoked table is configured."""
    config = settings(BaseSettings)
    if not config.revoked_table:
        return None
    table = config.revoked_table
    return RevocationList(
        lambda: read_revoked(aws.client("dynamodb"), table), config.revocation_cache_seconds
    )
