"""DynamoDB tables for the unit tier's moto fakes, with the schemas in template.yaml (no copy)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from local.template import load_template

# What a table's shape is made of; the rest (encryption, streams, recovery) is not modelled.
_SHAPE = ("AttributeDefinitions", "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes")


@cache
def _resources() -> dict[str, Any]:
    template = load_template()
    # The decoder's nodes are dicts and strings underneath: plain JSON values from here on.
    return dict(json.loads(json.dumps(template["Resources"])))


def table_shape(logical_id: str) -> dict[str, Any]:
    """Key schema, attributes and indexes of the template's table `logical_id`."""
    resource = _resources()[logical_id]
    assert resource["Type"] == "AWS::DynamoDB::Table", logical_id
    properties = resource["Properties"]
    return {k: properties[k] for k in _SHAPE if k in properties}


def create_table(client: Any, logical_id: str, name: str) -> str:
    """Create `name` with the shape of the template's `logical_id`; returns the name."""
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **table_shape(logical_id))
    return name
