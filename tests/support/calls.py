"""Counting a boto3 client's DynamoDB calls in the unit tier (moto)."""

from __future__ import annotations

from typing import Any


class DynamoCalls:
    """The DynamoDB operations `client` makes while inside the block (botocore before-call)."""

    def __init__(self, client: Any) -> None:
        self.names: list[str] = []
        self._client = client

    def __enter__(self) -> DynamoCalls:
        self._client.meta.events.register("before-call.dynamodb", self._count)
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def count(self, name: str) -> int:
        return self.names.count(name)
