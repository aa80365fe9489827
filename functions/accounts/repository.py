"""The only module of the accounts function that talks to DynamoDB and Cognito."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import from_item, serialize, to_item
from shared.errors import Unauthorized


class AccountsRepository:
    def __init__(self, db: Any, table: str, cognito: Any, user_pool_id: str) -> None:
        self._db = db
        self._table = table
        self._cognito = cognito
        self._pool = user_pool_id

    def get(self, user_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(TableName=self._table, Key=to_item({"user_id": user_id})).get(
            "Item"
        )
        return from_item(item) if item else None

    def create(self, profile: dict[str, Any]) -> dict[str, Any]:
        """Store a new profile; if another request created it first, return that one."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(profile),
                ConditionExpression="attribute_not_exists(user_id)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self.get(profile["user_id"])
            if existing is not None:
                return existing
        return profile

    def update(
        self, user_id: str, changes: dict[str, Any], defaults: dict[str, Any]
    ) -> dict[str, Any]:
        """Set `changes` (None removes), filling `defaults` only where the profile lacks them."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets: list[str] = []
        removes: list[str] = []
        for i, (field, value) in enumerate(changes.items()):
            names[f"#c{i}"] = field
            if value is None:
                removes.append(f"#c{i}")
            else:
                values[f":c{i}"] = serialize(value)
                sets.append(f"#c{i} = :c{i}")
        for i, (field, value) in enumerate(defaults.items()):
            if field in changes:
                continue
            names[f"#d{i}"] = field
            values[f":d{i}"] = serialize(value)
            sets.append(f"#d{i} = if_not_exists(#d{i}, :d{i})")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        response = self._db.update_item(
            TableName=self._table,
            Key=to_item({"user_id": user_id}),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return from_item(response["Attributes"])

    def mirror_to_token(self, username: str, attributes: dict[str, str]) -> None:
        """Copy zone and locale onto the Cognito user, so the next ID token carries them."""
        if not attributes:
            return
        try:
            self._cognito.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username,
                UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
            )
        except self._cognito.exceptions.UserNotFoundException as error:
            # The account was erased while this token still looked valid.
            raise Unauthorized("This account was erased; sign in again.") from error
