"""The only module of the orgs function that writes the orgs table (keys: shared/orgs/keys.py).

Items are plain dicts in and out. A person item carries `unit_pk`/`unit_sk` while
active and placed in a unit, so the ByUnit index lists a unit's people by role and
tells whether a unit is empty in one Query. No pydantic here: the import worker and
the data-rights handler use this module too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from shared.dynamo import from_item, serialize, to_item
from shared.orgs.keys import (
    BY_UNIT,
    MEMBERSHIP,
    ROTA_WEEKLY,
    SETTINGS,
    expiry_sk,
    import_sk,
    member_pk,
    org_pk,
    override_sk,
    person_sk,
    training_prefix,
    training_sk,
    unit_index_pk,
    unit_index_sk,
    unit_sk,
)

BATCH_WRITE = 25  # BatchWriteItem's limit
BATCH_GET = 100  # BatchGetItem's limit
_KEYS = ("pk", "sk")


class Exists(Exception):
    """A conditional write found the item already there (or already changed)."""


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _KEYS}


def _is_conditional(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def person_index(item: dict[str, Any]) -> dict[str, Any]:
    """ByUnit attributes for an active person in a unit; empty otherwise."""
    if item.get("status") != "active" or not item.get("unit_id"):
        return {}
    return {
        "unit_pk": unit_index_pk(item["org_id"], item["unit_id"]),
        "unit_sk": unit_index_sk(item["role"], item["user_id"]),
    }


class OrgsRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    # ------------------------------------------------------------ plumbing
    def _key(self, org_id: str, sk: str) -> dict[str, Any]:
        return to_item({"pk": org_pk(org_id), "sk": sk})

    def _get(self, org_id: str, sk: str, consistent: bool = False) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table, Key=self._key(org_id, sk), ConsistentRead=consistent
        ).get("Item")
        return _strip(from_item(found)) if found else None

    def _query_prefix(self, org_id: str, prefix: str, **extra: Any) -> list[dict[str, Any]]:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": org_pk(org_id), ":s": prefix}),
            **extra,
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._db.query(**args)
            items.extend(_strip(from_item(i)) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return items
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _update(
        self,
        org_id: str,
        sk: str,
        sets: dict[str, Any],
        removes: Sequence[str] = (),
        condition: str = "attribute_exists(pk)",
        condition_values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """SET `sets`, REMOVE `removes`, if `condition` holds (its values named `:c…`)."""
        names = {f"#n{i}": n for i, n in enumerate([*sets, *removes])}
        values = {f":v{i}": v for i, v in enumerate(sets.values())} | (condition_values or {})
        parts = []
        if sets:
            parts.append("SET " + ", ".join(f"#n{i} = :v{i}" for i in range(len(sets))))
        if removes:
            parts.append("REMOVE " + ", ".join(f"#n{len(sets) + i}" for i in range(len(removes))))
        args: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(org_id, sk),
            "UpdateExpression": " ".join(parts),
            "ExpressionAttributeNames": names,
            "ConditionExpression": condition,
            "ReturnValues": "ALL_NEW",
        }
        if values:
            args["ExpressionAttributeValues"] = {k: serialize(v) for k, v in values.items()}
        try:
            response = self._db.update_item(**args)
        except ClientError as error:
            if _is_conditional(error):
                raise Exists from error
            raise
        return _strip(from_item(response["Attributes"]))

    def _transact(self, actions: list[dict[str, Any]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _is_conditional(error):
                raise Exists from error
            raise

    # ------------------------------------------------------------ settings
    def settings(self, org_id: str) -> dict[str, Any] | None:
        return self._get(org_id, SETTINGS)

    def save_settings(
        self, org_id: str, sets: dict[str, Any], removes: Sequence[str] = ()
    ) -> dict[str, Any]:
        return self._update(org_id, SETTINGS, sets, removes, condition="attribute_exists(pk)")

    def create_settings(self, org_id: str, values: dict[str, Any]) -> None:
        """A new organisation (operators and the demo seed); refused if it exists."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item({"pk": org_pk(org_id), "sk": SETTINGS, "org_id": org_id, **values}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_conditional(error):
                raise Exists from error
            raise

    # ------------------------------------------------------------ units
    def units(self, org_id: str) -> list[dict[str, Any]]:
        return self._query_prefix(org_id, "unit#")

    def unit(self, org_id: str, unit_id: str) -> dict[str, Any] | None:
        return self._get(org_id, unit_sk(unit_id))

    def create_unit(self, org_id: str, unit: dict[str, Any]) -> None:
        item = {"pk": org_pk(org_id), "sk": unit_sk(unit["unit_id"]), **unit}
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_conditional(error):
                raise Exists from error
            raise

    def update_unit(
        self, org_id: str, unit_id: str, sets: dict[str, Any], removes: Sequence[str] = ()
    ) -> dict[str, Any]:
        return self._update(org_id, unit_sk(unit_id), sets, removes)

    def delete_unit(self, org_id: str, unit_id: str) -> None:
        """Deleted only while it has no supporters (checked again here, atomically)."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key=self._key(org_id, unit_sk(unit_id)),
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(supporters)",
            )
        except ClientError as error:
            if _is_conditional(error):
                raise Exists from error
            raise

    def unit_has_people(self, org_id: str, unit_id: str) -> bool:
        response = self._db.query(
            TableName=self._table,
            IndexName=BY_UNIT,
            KeyConditionExpression="unit_pk = :u",
            ExpressionAttributeValues=to_item({":u": unit_index_pk(org_id, unit_id)}),
            Limit=1,
        )
        return bool(response["Items"])

    def set_supporters(
        self, org_id: str, unit_id: str, new: Sequence[str], old: Sequence[str], stamp: str
    ) -> None:
        """The unit's supporters and each supporter's `units_supported`, in one transaction."""
        unit_key = self._key(org_id, unit_sk(unit_id))
        values: dict[str, Any] = {":t": stamp}
        if new:
            expression = "SET supporters = :s, updated_at = :t"
            values[":s"] = list(new)
        else:
            expression = "SET updated_at = :t REMOVE supporters"
        # Only over the list this request read: two admins at once cannot mix their lists.
        if old:
            condition = "attribute_exists(pk) AND supporters = :old"
            values[":old"] = list(old)
        else:
            condition = "attribute_exists(pk) AND attribute_not_exists(supporters)"
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": unit_key,
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_item(values),
                }
            }
        ]
        for user_id in set(new) - set(old):
            actions.append(self._units_supported(org_id, user_id, "ADD", unit_id, stamp))
        for user_id in set(old) - set(new):
            actions.append(self._units_supported(org_id, user_id, "DELETE", unit_id, stamp))
        self._transact(actions)

    def _units_supported(
        self, org_id: str, user_id: str, verb: str, unit_id: str, stamp: str
    ) -> dict[str, Any]:
        # A new supporter must still be an active peer supporter when the write lands.
        condition = "attribute_exists(pk)"
        values = {":u": {"SS": [unit_id]}, **to_item({":t": stamp})}
        names: dict[str, str] = {}
        if verb == "ADD":
            condition += " AND #st = :active AND #ro = :supporter"
            values |= to_item({":active": "active", ":supporter": "peer_supporter"})
            names = {"#st": "status", "#ro": "role"}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(org_id, person_sk(user_id)),
            "UpdateExpression": f"SET updated_at = :t {verb} units_supported :u",
            "ExpressionAttributeValues": values,
            "ConditionExpression": condition,
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

    # ------------------------------------------------------------ people
    def person(self, org_id: str, user_id: str) -> dict[str, Any] | None:
        return self._get(org_id, person_sk(user_id), consistent=True)

    def people(self, org_id: str, user_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Person items by user id (BatchGetItem, 100 keys a call); missing ids are left out."""
        wanted = sorted(set(user_ids))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), BATCH_GET):
            keys = [self._key(org_id, person_sk(u)) for u in wanted[start : start + BATCH_GET]]
            # Consistent and complete: enrolment decides from this who is new, and a person
            # missed here would be written over.
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for _ in range(8):
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = _strip(from_item(raw))
                    found[item["user_id"]] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed; the caller retries")
        return found

    def enrol(self, people: Sequence[dict[str, Any]]) -> None:
        """Write new person items and their membership pointers, 25 items a BatchWriteItem."""
        puts: list[dict[str, Any]] = []
        for person in people:
            item = {
                "pk": org_pk(person["org_id"]),
                "sk": person_sk(person["user_id"]),
                **person,
                **person_index(person),
            }
            pointer = {
                "pk": member_pk(person["user_id"]),
                "sk": MEMBERSHIP,
                "org_id": person["org_id"],
            }
            puts += [
                {"PutRequest": {"Item": to_item(item)}},
                {"PutRequest": {"Item": to_item(pointer)}},
            ]
        for start in range(0, len(puts), BATCH_WRITE):
            self._batch_write(puts[start : start + BATCH_WRITE])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for _ in range(8):  # throttled items come back unprocessed: send them again
            response = self._db.batch_write_item(RequestItems={self._table: requests})
            requests = response.get("UnprocessedItems", {}).get(self._table, [])
            if not requests:
                return
        raise RuntimeError("DynamoDB kept items unprocessed; the caller retries")

    def update_person(
        self, org_id: str, user_id: str, sets: dict[str, Any], removes: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Change a person and keep their ByUnit attributes true to role, unit and status."""
        current = self.person(org_id, user_id)
        if current is None:
            raise Exists("no such person")
        merged = {**current, **sets}
        for name in removes:
            merged.pop(name, None)
        index = person_index(merged)
        drop = [n for n in ("unit_pk", "unit_sk") if n not in index and n in current]
        return self._update_guarded(org_id, user_id, {**sets, **index}, [*removes, *drop], current)

    def _update_guarded(
        self,
        org_id: str,
        user_id: str,
        sets: dict[str, Any],
        removes: Sequence[str],
        current: dict[str, Any],
    ) -> dict[str, Any]:
        # Guarded by the version read: two admins editing at once cannot mix role and index.
        return self._update(
            org_id,
            person_sk(user_id),
            sets,
            removes,
            condition="updated_at = :cwas",
            condition_values={":cwas": current["updated_at"]},
        )

    def people_page(
        self,
        org_id: str,
        *,
        unit_id: str | None,
        role: str | None,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of up to `limit` people: a unit's (ByUnit, by role) or the whole roster's.

        The whole roster filtered by role reads on until the page is full: DynamoDB applies
        `Limit` before the filter, and a short page would look like the end to a client.
        """
        if unit_id is not None:
            values = {":u": unit_index_pk(org_id, unit_id)}
            condition = "unit_pk = :u"
            if role is not None:
                values[":r"] = f"{role}#"
                condition += " AND begins_with(unit_sk, :r)"
            args: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": BY_UNIT,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
                "Limit": limit,
            }
            if start_key:
                args["ExclusiveStartKey"] = start_key
            response = self._db.query(**args)
            items = [_strip(from_item(i)) for i in response["Items"]]
            return items, response.get("LastEvaluatedKey")
        args = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": org_pk(org_id), ":s": "person#"}),
            "Limit": limit,
        }
        if role is not None:
            args["FilterExpression"] = "#r = :r"
            args["ExpressionAttributeNames"] = {"#r": "role"}
            args["ExpressionAttributeValues"] |= to_item({":r": role})
        if start_key:
            args["ExclusiveStartKey"] = start_key
        found: list[dict[str, Any]] = []
        while True:
            response = self._db.query(**args)
            found.extend(_strip(from_item(i)) for i in response["Items"])
            last = response.get("LastEvaluatedKey")
            if len(found) >= limit:
                page = found[:limit]
                if len(found) == limit and last is None:
                    return page, None
                end = page[-1]
                return page, to_item({"pk": org_pk(org_id), "sk": person_sk(end["user_id"])})
            if last is None:
                return found, None
            args["ExclusiveStartKey"] = last

    def membership(self, user_id: str) -> str | None:
        """The organisation a person belongs to (for data rights, given only the user id)."""
        found = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": member_pk(user_id), "sk": MEMBERSHIP})
        ).get("Item")
        return str(from_item(found)["org_id"]) if found else None

    # ------------------------------------------------------------ training
    def trainings(self, org_id: str, user_id: str) -> list[dict[str, Any]]:
        return self._query_prefix(org_id, training_prefix(user_id))

    def add_training(
        self,
        org_id: str,
        user_id: str,
        training: dict[str, Any],
        person: dict[str, Any],
        stamp: str,
    ) -> None:
        """The record, and when it lasts longer, the person's `training_valid_until` and the
        expiry index item, in one transaction guarded by the person's version."""
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "pk": org_pk(org_id),
                            "sk": training_sk(user_id, training["training_id"]),
                            **training,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        old = person.get("training_valid_until")
        new = training["valid_until"]
        if old is None or new > old:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._key(org_id, person_sk(user_id)),
                        "UpdateExpression": "SET training_valid_until = :n, updated_at = :t",
                        "ConditionExpression": "updated_at = :was",
                        "ExpressionAttributeValues": to_item(
                            {":n": new, ":t": stamp, ":was": person["updated_at"]}
                        ),
                    }
                }
            )
            if old is not None:
                actions.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": self._key(
                                org_id, expiry_sk(dt.date.fromisoformat(old), user_id)
                            ),
                        }
                    }
                )
            actions.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": to_item(
                            {
                                "pk": org_pk(org_id),
                                "sk": expiry_sk(dt.date.fromisoformat(new), user_id),
                                "user_id": user_id,
                                "valid_until": new,
                            }
                        ),
                    }
                }
            )
        self._transact(actions)

    def expiring(self, org_id: str, until: dt.date) -> list[dict[str, Any]]:
        """Supporters whose latest training lapses on or before `until` (lapsed ones too)."""
        return self._query_prefix(
            org_id,
            "expiry#",
            KeyConditionExpression="pk = :p AND sk BETWEEN :s AND :e",
            ExpressionAttributeValues=to_item(
                {":p": org_pk(org_id), ":s": "expiry#", ":e": f"expiry#{until.isoformat()}#~"}
            ),
        )

    # ------------------------------------------------------------ rota
    def rota(self, org_id: str) -> dict[str, Any] | None:
        return self._get(org_id, ROTA_WEEKLY, consistent=True)

    def save_rota(self, org_id: str, rota: dict[str, Any]) -> None:
        self._db.put_item(
            TableName=self._table, Item=to_item({"pk": org_pk(org_id), "sk": ROTA_WEEKLY, **rota})
        )

    def overrides(self, org_id: str, since: dt.date) -> list[dict[str, Any]]:
        return self._query_prefix(
            org_id,
            "rota#override#",
            KeyConditionExpression="pk = :p AND sk BETWEEN :s AND :e",
            ExpressionAttributeValues=to_item(
                {":p": org_pk(org_id), ":s": override_sk(since), ":e": "rota#override#~"}
            ),
        )

    def override(self, org_id: str, day: dt.date) -> dict[str, Any] | None:
        return self._get(org_id, override_sk(day), consistent=True)

    def save_override(self, org_id: str, day: dt.date, override: dict[str, Any]) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item({"pk": org_pk(org_id), "sk": override_sk(day), **override}),
        )

    def delete_override(self, org_id: str, day: dt.date) -> bool:
        response = self._db.delete_item(
            TableName=self._table, Key=self._key(org_id, override_sk(day)), ReturnValues="ALL_OLD"
        )
        return bool(response.get("Attributes"))

    # ------------------------------------------------------------ imports
    def create_import(self, org_id: str, record: dict[str, Any]) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=to_item({"pk": org_pk(org_id), "sk": import_sk(record["import_id"]), **record}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def fail_import(self, org_id: str, import_id: str, stamp: str) -> None:
        self._update(org_id, import_sk(import_id), {"failed": True, "updated_at": stamp})

    def import_record(self, org_id: str, import_id: str) -> dict[str, Any] | None:
        return self._get(org_id, import_sk(import_id), consistent=True)

    def finish_chunk(
        self,
        org_id: str,
        import_id: str,
        chunk: int,
        counts: dict[str, int],
        rejected: list[list[Any]],
        stamp: str,
    ) -> bool:
        """Count one chunk's rows once (a redelivered chunk changes nothing); False if it had
        been counted already."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(org_id, import_sk(import_id)),
                UpdateExpression=(
                    "ADD chunks_done :c, done :d, enrolled :e, already_enrolled :a "
                    "SET rejected = list_append(rejected, :r), updated_at = :t"
                ),
                ConditionExpression="attribute_exists(pk) AND NOT contains(chunks_done, :n)",
                ExpressionAttributeValues={
                    ":c": {"NS": [str(chunk)]},
                    ":n": {"N": str(chunk)},
                    **to_item(
                        {
                            ":d": counts["done"],
                            ":e": counts["enrolled"],
                            ":a": counts["already_enrolled"],
                            ":r": rejected,
                            ":t": stamp,
                        }
                    ),
                },
            )
        except ClientError as error:
            if _is_conditional(error):
                return False
            raise
        return True

    # ------------------------------------------------------------ data rights
    def delete_keys(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete items by (pk, sk), 25 a BatchWriteItem."""
        requests = [{"DeleteRequest": {"Key": to_item({"pk": p, "sk": s})}} for p, s in keys]
        for start in range(0, len(requests), BATCH_WRITE):
            self._batch_write(requests[start : start + BATCH_WRITE])
