"""DynamoDB helpers: plain-dict items in and out, and one page of a Query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo_number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo_number(v) for v in value]
    return value


def _from_dynamo_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo_number(v) for v in value]
    return value


def serialize(value: Any) -> dict[str, Any]:
    """One attribute value in DynamoDB's wire form (floats become exact decimals)."""
    return dict(_serializer.serialize(_to_dynamo_number(value)))


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: serialize(v) for k, v in data.items() if v is not None}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _from_dynamo_number(_deserializer.deserialize(v)) for k, v in item.items()}
