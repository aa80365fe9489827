"""The resources table: the only DynamoDB code of the resource directory.

The lookup function reads it, the resource-admin function writes it, and
`local/seed_resources.py` loads the bundled files into it. Partition `scope` is
"public" (the verified national and international lines, loaded from
data/resources/) or "org#<org_id>" (an organisation's own entries). Each item
keeps the validated resource as one JSON document.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import ClientError

from shared.dynamo import to_item
from shared.resources.model import Resource

PUBLIC = "public"


def org_scope(org_id: str) -> str:
    return f"org#{org_id}"


class ResourcesStore(Protocol):
    """What the routes need of the table; `ResourcesRepository` and the unit fake implement it."""

    def scope(self, scope: str) -> list[Resource]: ...

    def put(self, scope: str, resource: Resource, *, exists: bool | None = None) -> bool: ...

    def delete(self, scope: str, resource_id: str) -> bool: ...


class ResourcesRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def scope(self, scope: str) -> list[Resource]:
        """Every resource of one scope: one Query (more pages only past 1 MB)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#s = :s",
            "ExpressionAttributeNames": {"#s": "scope"},
            "ExpressionAttributeValues": to_item({":s": scope}),
        }
        found: list[Resource] = []
        while True:
            response = self._db.query(**args)
            found += [Resource.model_validate_json(i["doc"]["S"]) for i in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return found
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put(self, scope: str, resource: Resource, *, exists: bool | None = None) -> bool:
        """Write a resource; `exists` True/False makes it a replace-only/create-only write.

        Returns False when that condition did not hold (nothing was written).
        """
        args: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(
                {
                    "scope": scope,
                    "id": resource.id,
                    "doc": resource.model_dump_json(),
                    "updated_at": resource.updated_at,
                }
            ),
        }
        if exists is not None:
            args["ConditionExpression"] = (
                "attribute_exists(id)" if exists else "attribute_not_exists(id)"
            )
        try:
            self._db.put_item(**args)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, scope: str, resource_id: str) -> bool:
        """Remove a resource; False if it was not there."""
        response = self._db.delete_item(
            TableName=self._table,
            Key=to_item({"scope": scope, "id": resource_id}),
            ReturnValues="ALL_OLD",
        )
        return bool(response.get("Attributes"))


def document(resource: Resource) -> str:
    """The stored form, for comparing a data file entry with what the table holds."""
    return json.dumps(resource.model_dump(mode="json", exclude={"updated_at"}), sort_keys=True)
