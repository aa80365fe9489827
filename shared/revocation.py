"""Erased accounts: their ID tokens stay signed until they expire, so we refuse them here.

API Gateway only checks a token's signature and expiry (on AWS as on the emulator).
`DELETE /me` records the subject in the revoked table; every function keeps that
small list in memory, refreshed at most every `ttl` seconds, so a warm request
makes no call and an erased member's token is refused everywhere within `ttl`.
Entries expire with the longest token lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from shared import aws
from shared.dynamo import to_item
from shared.settings import BaseSettings, settings

SCOPE = "sub"
KEEP_SECONDS = 2 * 3600  # longer than any ID token lives (60 minutes)


class RevocationList:
    def __init__(
        self,
        reader: Callable[[], set[str]],
        ttl: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._reader = reader
        self._ttl = ttl
        self._monotonic = monotonic
        self._loaded_at: float | None = None
        self._subjects: set[str] = set()

    def is_revoked(self, subject: str) -> bool:
        now = self._monotonic()
        if self._loaded_at is None or now - self._loaded_at >= self._ttl:
            self._subjects = self._reader()
            self._loaded_at = now
        return subject in self._subjects

    def add(self, subject: str) -> None:
        """Known at once in this container (the one that erased the account)."""
        self._subjects.add(subject)


def read_revoked(client: Any, table: str) -> set[str]:
    args: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#s = :s",
        "ExpressionAttributeNames": {"#s": "scope", "#j": "subject"},
        "ExpressionAttributeValues": to_item({":s": SCOPE}),
        "ProjectionExpression": "#j",
    }
    subjects: set[str] = set()
    while True:
        response = client.query(**args)
        subjects |= {item["subject"]["S"] for item in response["Items"]}
        if "LastEvaluatedKey" not in response:
            return subjects
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def revoke(client: Any, table: str, subject: str, now_epoch: int) -> None:
    client.put_item(
        TableName=table,
        Item=to_item({"scope": SCOPE, "subject": subject, "expires_at": now_epoch + KEEP_SECONDS}),
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
