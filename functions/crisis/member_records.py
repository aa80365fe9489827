"""A member's records in the cases table: the only code that knows their keys.

All of them live in the member's partition (`member#<user_id>`, beside the `open` case
pointer and the crisis vault's `key`), so the member's export and erasure find them
with the rest (functions/crisis/cases.py has the whole key layout):

| sk                 | what                                                                  |
|--------------------|-----------------------------------------------------------------------|
| `safety-plan`      | the member's safety plan: `version`, `updated_at`, the whole plan     |
|                    | sealed as one `plan_ct` (item id `safety-plan#v<version>`)            |
| `plan`             | the care plan's head: `version` (the current one), `updated_by`,     |
|                    | `updated_at`, `org_id`                                                |
| `plan#v<000001>`   | one version of the care plan, never changed: `version`, `updated_by`,|
|                    | `updated_at`, `org_id`, `review_on` (plain), `goals_ct`, `supports_ct`,|
|                    | `people_involved_ct` (item id `plan#v<000001>`)                       |
| `guardians`        | guardian contacts: `version`, `updated_by`, `updated_at`, `org_id`,  |
|                    | `member_under_14`, `guardian_count`, every guardian sealed as one   |
|                    | `guardians_ct` (item id `guardians#v<version>`)                       |

Every write is conditional on the version it replaces (absent for the first), so of two
writers from the same version one wins and the other is told (False). A care plan's
new version and its head are written in one transaction: the version item only if
absent, the head only at the version the writer read. Sealed fields are bound to their
item id, which names the version: a ciphertext moved to another version does not open.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import from_item, to_item

SAFETY_PLAN = "safety-plan"
CARE_PLAN = "plan"
CARE_PLAN_VERSION = "plan#v"
GUARDIANS = "guardians"
VERSION_FIELDS = ("version", "updated_by", "updated_at", "review_on")  # metadata only


def member_pk(user_id: str) -> str:
    return f"member#{user_id}"


def safety_plan_item_id(version: int) -> str:
    return f"{SAFETY_PLAN}#v{version}"


def care_plan_sk(version: int) -> str:
    """`plan#v000001`: versions sort by number (up to 999999)."""
    return f"{CARE_PLAN_VERSION}{version:06d}"


def guardians_item_id(version: int) -> str:
    return f"{GUARDIANS}#v{version}"


def _failed_condition(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons") or []
    return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)


class MemberRecords:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _get(self, user_id: str, sk: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": member_pk(user_id), "sk": sk}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(item) if item else None

    def _versioned_put(self, item: dict[str, Any], expected: int | None) -> dict[str, Any]:
        """A Put of `item` only over the version `expected` (None: only if absent)."""
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(item)}
        if expected is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :expected"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = to_item({":expected": expected})
        return put

    def _put(self, item: dict[str, Any], expected: int | None) -> bool:
        try:
            self._db.put_item(**self._versioned_put(item, expected))
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    # --- the safety plan ------------------------------------------------------------------

    def safety_plan(self, user_id: str) -> dict[str, Any] | None:
        return self._get(user_id, SAFETY_PLAN)

    def put_safety_plan(
        self, user_id: str, version: int, sealed_plan: bytes, at: str, expected: int | None
    ) -> bool:
        """Write version `version` over `expected`; False if another write got there first."""
        item = {
            "pk": member_pk(user_id),
            "sk": SAFETY_PLAN,
            "user_id": user_id,
            "version": version,
            "updated_at": at,
            "plan_ct": sealed_plan,
        }
        return self._put(item, expected)

    # --- the care plan ----------------------------------------------------------------------

    def care_plan_head(self, user_id: str) -> dict[str, Any] | None:
        return self._get(user_id, CARE_PLAN)

    def care_plan_version(self, user_id: str, version: int) -> dict[str, Any] | None:
        return self._get(user_id, care_plan_sk(version))

    def put_care_plan(self, user_id: str, version: dict[str, Any], expected: int | None) -> bool:
        """A new version (its plain fields and the sealed `*_ct`) and the head pointing to
        it, in one transaction; False if the head moved on from `expected` meanwhile."""
        number = int(version["version"])
        item = version | {"pk": member_pk(user_id), "sk": care_plan_sk(number), "user_id": user_id}
        head = {
            "pk": member_pk(user_id),
            "sk": CARE_PLAN,
            "user_id": user_id,
            "version": number,
            "updated_by": version["updated_by"],
            "updated_at": version["updated_at"],
            "org_id": version.get("org_id"),
        }
        fresh = {
            "TableName": self._table,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        try:
            self._db.transact_write_items(
                TransactItems=[{"Put": fresh}, {"Put": self._versioned_put(head, expected)}]
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def care_plan_versions(
        self, user_id: str, limit: int, before: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Up to `limit` versions' metadata, newest first, older than `before` if given; and
        the `before` of the next page (None at the oldest)."""
        values: dict[str, Any] = {":p": member_pk(user_id)}
        if before is None:
            condition = "pk = :p AND begins_with(sk, :prefix)"
            values[":prefix"] = CARE_PLAN_VERSION
        else:
            if before <= 1:
                return [], None
            condition = "pk = :p AND sk BETWEEN :first AND :last"
            values |= {":first": care_plan_sk(0), ":last": care_plan_sk(before - 1)}
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            ProjectionExpression=", ".join(f"#f{i}" for i in range(len(VERSION_FIELDS))),
            ExpressionAttributeNames={f"#f{i}": name for i, name in enumerate(VERSION_FIELDS)},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        items = [from_item(i) for i in response.get("Items", [])]
        oldest = int(items[-1]["version"]) if items else 0
        more = "LastEvaluatedKey" in response and oldest > 1
        return items, (oldest if more else None)

    # --- guardians --------------------------------------------------------------------------

    def guardians(self, user_id: str) -> dict[str, Any] | None:
        return self._get(user_id, GUARDIANS)

    def put_guardians(self, user_id: str, item: dict[str, Any], expected: int | None) -> bool:
        """Write the guardians item (plain fields and `guardians_ct`) over `expected`."""
        whole = item | {"pk": member_pk(user_id), "sk": GUARDIANS, "user_id": user_id}
        return self._put(whole, expected)
