"""An append-only, hash-chained audit log per organisation, shared by every function.

Each organisation's records live in one partition of the audit table (`org_id`,
`seq`), numbered from 1. Every record carries the hash of the one before it
(`prev_hash`; GENESIS for record 1) and its own hash over every other field, so an
edited, reordered or deleted record breaks the chain at that point. The item with
seq 0 is the chain's head: `last_seq` and `last_hash` of the newest record, so
deleting the newest records breaks it too. Only a rewrite of the records after the
change together with the head goes unseen: anchoring the head elsewhere is the
answer to that, not this module.

A record is written together with its head in one transaction that expects the
head this container saw last: a warm, uncontended append is one DynamoDB call. A
writer in another container that moved the head first cancels the transaction;
the head is read again and the append tried again.

Plain stdlib and a low-level DynamoDB client (boto3.client("dynamodb")): no
pydantic or FastAPI, so non-HTTP functions can import it cheaply. Callers promise
`detail` holds no personal data.

**Whose data was read.** A staff read of one member's data names that member in
`subject_id`, so the member can find it (`GET /me/access-log`): the sparse index
`BySubject` (`subject_id`, `at`) holds only the records that name a subject, by time,
and projects the actor, their role, the action and the target type, never the
detail. `subject_id` is hashed with the other fields when it is given and absent
otherwise, so records written before it existed hash (and verify) as they always did,
and adding, changing or removing it on a stored record breaks the chain there.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from shared.dynamo import from_item, to_item
from shared.ttl_cache import TtlCache

GENESIS = "0" * 64
HEAD_SEQ = 0
MAX_ATTEMPTS = 5
MAX_BATCH = 99  # a transaction holds 100 items: the head and 99 records
BACKOFF_SECONDS = 0.02
# Heads remembered per container; one is a few dozen bytes. A stale head only costs a retry.
HEADS_KEPT = 1024
# The sparse index of the records that name the member whose data was read (template.yaml).
SUBJECT_INDEX = "BySubject"
# The attributes of a BySubject index entry: the index's and the table's keys, and the
# projected ones (template.yaml's NonKeyAttributes). The detail is not among them.
SUBJECT_ENTRY_FIELDS = (
    "subject_id",
    "at",
    "org_id",
    "seq",
    "actor_id",
    "actor_role",
    "action",
    "target_type",
)
# Items a filtered Query reads per page: the filter may drop most of them.
FILTERED_PAGE = 500
# The ends of what `_stamp` can write: every stored `at` sorts between them.
_EARLIEST = "0001-01-01T00:00:00.000000Z"
_LATEST = "9999-12-31T23:59:59.999999Z"


class AuditWriteFailed(Exception):
    """An append found the head moved on every attempt (or the head and records disagree)."""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str | None


class _Head(NamedTuple):
    seq: int
    hash: str
    exists: bool


_NO_HEAD = _Head(HEAD_SEQ, GENESIS, exists=False)


def _plain(value: Any) -> Any:
    """Numbers as DynamoDB's Decimals (boto3's resource API) become ints, as written."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of every field of a record but `hash`."""
    body = {k: _plain(v) for k, v in fields.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _stamp(moment: datetime) -> str:
    """UTC ISO 8601 with microseconds, always the same width, so strings sort as times."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _bound(text: str) -> str:
    """A caller's ISO 8601 bound in the stored form (a time without zone is taken as UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return _stamp(moment)
    except OverflowError:
        return _EARLIEST if moment.year == 1 else _LATEST


def _check_detail(detail: Mapping[str, Any]) -> dict[str, str | int]:
    checked: dict[str, str | int] = {}
    for key, value in detail.items():
        # bool is an int to Python but not to JSON; a float would not hash the same read back
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError("audit detail must map str to str or int")
        checked[key] = value
    return checked


def _int(value: Any) -> int:
    """A stored number as an int; -1 for anything else (an edited head, say)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class AuditEntry:
    """One record to append: who did what to which target (and whose data it showed)."""

    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    detail: Mapping[str, str | int] | None = None
    subject_id: str | None = None


def _fields(org_id: str, entry: AuditEntry, stamp: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "org_id": org_id,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
    }
    for name, value in fields.items():
        if not isinstance(value, str):
            raise ValueError(f"audit {name} must be a string")
    if entry.subject_id is not None:
        if not isinstance(entry.subject_id, str) or not entry.subject_id:
            raise ValueError("audit subject_id must be a non-empty string when given")
        fields["subject_id"] = entry.subject_id
    fields["at"] = stamp
    if entry.detail:
        fields["detail"] = _check_detail(entry.detail)
    return fields


class AuditLog:
    """Appends to organisations' audit chains; build one per container and keep it."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table
        self._heads: TtlCache[str, _Head] = TtlCache(math.inf, max_size=HEADS_KEPT)

    def append(
        self,
        org_id: str,
        *,
        actor_id: str,
        actor_role: str,
        action: str,
        target_type: str,
        target_id: str,
        detail: Mapping[str, str | int] | None = None,
        at: datetime | None = None,
        subject_id: str | None = None,
    ) -> dict[str, Any]:
        """Add one record to `org_id`'s chain; returns it as stored (with seq and hashes).

        `subject_id` names the member whose data a staff read showed (module docstring).
        """
        entry = AuditEntry(actor_id, actor_role, action, target_type, target_id, detail, subject_id)
        return self.append_all(org_id, [entry], at=at)[0]

    def append_all(
        self, org_id: str, entries: Sequence[AuditEntry], *, at: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Add `entries` to `org_id`'s chain in order, in one transaction per MAX_BATCH (a
        page that showed several members' data: one record per member, one write)."""
        if not isinstance(org_id, str):
            raise ValueError("audit org_id must be a string")
        if not org_id:
            raise ValueError("audit org_id must not be empty")
        stamp = _stamp(at if at is not None else datetime.now(UTC))
        fields = [_fields(org_id, entry, stamp) for entry in entries]
        written: list[dict[str, Any]] = []
        for start in range(0, len(fields), MAX_BATCH):
            written += self._append_batch(org_id, fields[start : start + MAX_BATCH])
        return written

    def _append_batch(self, org_id: str, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:  # writers that collided back off by a random few milliseconds
                time.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))
            head = self._heads.get(org_id, lambda: self._read_head(org_id))
            records, seq, prev = [], head.seq, head.hash
            for one in fields:
                seq += 1
                record: dict[str, Any] = {**one, "seq": seq, "prev_hash": prev}
                record["hash"] = prev = record_hash(record)
                records.append(record)
            try:
                self._write(head, records)
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                self._heads.invalidate(org_id)  # another writer moved the head: read it again
                continue
            self._heads.put(org_id, _Head(seq, prev, exists=True))
            return records
        raise AuditWriteFailed(
            f"could not append to the audit chain of {org_id} in {MAX_ATTEMPTS} attempts: "
            "its head kept moving, or the head and its newest record disagree"
        )

    def page(
        self,
        org_id: str,
        *,
        since: str | None,
        until: str | None,
        actor: str | None,
        after_seq: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """`page` over this log's table (see the module function)."""
        return page(
            self._client,
            self._table,
            org_id,
            since=since,
            until=until,
            actor=actor,
            after_seq=after_seq,
            limit=limit,
        )

    def subject_page(
        self, subject_id: str, *, start_key: Mapping[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """`subject_page` over this log's table (see the module function)."""
        return subject_page(self._client, self._table, subject_id, start_key=start_key, limit=limit)

    def _read_head(self, org_id: str) -> _Head:
        item = _head_item(self._client, self._table, org_id)
        if item is None:
            return _NO_HEAD
        return _Head(_int(item.get("last_seq")), str(item.get("last_hash", "")), exists=True)

    def _write(self, head: _Head, records: list[dict[str, Any]]) -> None:
        last = records[-1]
        values = {":seq": last["seq"], ":hash": last["hash"]}
        if head.exists:
            condition = "last_seq = :expected"
            values[":expected"] = head.seq
        else:
            condition = "attribute_not_exists(org_id)"
        # botocore fills ClientRequestToken, so its own retry of a write that did land
        # is answered as a success rather than appending the records twice.
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"org_id": last["org_id"], "seq": HEAD_SEQ}),
                        "UpdateExpression": "SET last_seq = :seq, last_hash = :hash",
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": to_item(values),
                    }
                },
                *(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(record),
                            "ConditionExpression": "attribute_not_exists(seq)",
                        }
                    }
                    for record in records
                ),
            ]
        )


def verify_chain(
    records: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None
) -> ChainReport:
    """Check records 1..N (in seq order) and the head; the report names the first broken link.

    A broken head is reported as seq 0 (the head's own seq), except when it names records
    that are not there: then the first of those, as they were deleted.
    """
    expected, prev_hash, checked = 1, GENESIS, 0
    for record in records:
        seq = _int(record.get("seq"))
        if seq > expected:
            return _broken(checked, expected, f"record {expected} is missing (deleted)")
        if seq < expected:
            return _broken(checked, seq, f"record {seq} is out of order or repeated")
        if not _hash_matches(record):
            return _broken(checked, seq, f"record {seq} was edited (its hash does not match)")
        if record.get("prev_hash") != prev_hash:
            return _broken(
                checked, seq, f"record {seq} does not follow record {seq - 1} (prev_hash differs)"
            )
        checked += 1
        prev_hash = str(record["hash"])
        expected += 1
    newest = expected - 1
    if head is None:
        if checked == 0:
            return ChainReport(ok=True, checked=0, broken_seq=None, reason=None)
        return _broken(
            checked, HEAD_SEQ, f"the head is missing (deleted) but {newest} records exist"
        )
    last_seq, last_hash = _int(head.get("last_seq")), head.get("last_hash")
    if last_seq > newest:
        return _broken(
            checked,
            newest + 1,
            f"the newest records after {newest} were deleted (the head names record {last_seq})",
        )
    if last_seq < newest:
        return _broken(
            checked, HEAD_SEQ, f"the head was edited: it names record {last_seq}, not {newest}"
        )
    if last_hash != prev_hash:
        return _broken(checked, HEAD_SEQ, f"the head was edited: its hash is not record {newest}'s")
    return ChainReport(ok=True, checked=checked, broken_seq=None, reason=None)


def _hash_matches(record: Mapping[str, Any]) -> bool:
    try:
        return record.get("hash") == record_hash(record)
    except (TypeError, ValueError):  # a value JSON cannot hold: not what append wrote
        return False


def _broken(checked: int, seq: int, reason: str) -> ChainReport:
    return ChainReport(ok=False, checked=checked, broken_seq=seq, reason=reason)


def _query(client: Any, args: dict[str, Any]) -> Iterable[tuple[list[dict[str, Any]], bool]]:
    """Each Query page's records, and whether more pages follow."""
    args = dict(args)
    while True:
        response = client.query(**args)
        more = "LastEvaluatedKey" in response
        yield [from_item(i) for i in response["Items"]], more
        if not more:
            return
        args["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def read_chain(
    client: Any, table: str, org_id: str
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Every record of `org_id` (seq 1 up) and the head, for `verify_chain`.

    The head is read first. Records a writer added while they were being read are left
    for the next check (the head read again covers them); records past a head that does
    not cover them are kept, for `verify_chain` to report.
    """
    head = _head_item(client, table, org_id)
    records = [
        record
        for page, _ in _query(
            client,
            {
                "TableName": table,
                "KeyConditionExpression": "org_id = :o AND seq >= :first",
                "ExpressionAttributeValues": to_item({":o": org_id, ":first": 1}),
                "ConsistentRead": True,
            },
        )
        for record in page
    ]
    first_seen = _int(head.get("last_seq")) if head is not None else HEAD_SEQ
    if records and int(records[-1]["seq"]) > first_seen:
        later = _head_item(client, table, org_id)
        if later is not None and _int(later.get("last_seq")) >= int(records[-1]["seq"]):
            records = [r for r in records if int(r["seq"]) <= first_seen]
    return records, head


def _head_item(client: Any, table: str, org_id: str) -> dict[str, Any] | None:
    """The head item of `org_id`'s chain (a consistent read), or None before the first record."""
    response = client.get_item(
        TableName=table,
        Key=to_item({"org_id": org_id, "seq": HEAD_SEQ}),
        ConsistentRead=True,
    )
    return from_item(response["Item"]) if "Item" in response else None


def verify_org(client: Any, table: str, org_id: str) -> ChainReport:
    """Read and check `org_id`'s whole chain."""
    records, head = read_chain(client, table, org_id)
    return verify_chain(records, head)


def page(
    client: Any,
    table: str,
    org_id: str,
    *,
    since: str | None,
    until: str | None,
    actor: str | None,
    after_seq: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` records of `org_id`, newest first, and the `after_seq` of the next page.

    `since` (inclusive) and `until` (exclusive) are ISO 8601 times compared with `at`
    (a bound without a zone is UTC); `actor` is an actor_id. `after_seq` continues a
    previous page: only records older than it. The next `after_seq` is None at the end.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if after_seq is not None and after_seq <= 1:
        return [], None
    names: dict[str, str] = {}
    values: dict[str, Any] = {":o": org_id, ":first": 1}
    if after_seq is None:
        key = "org_id = :o AND seq >= :first"
    else:
        key = "org_id = :o AND seq BETWEEN :first AND :last"
        values[":last"] = after_seq - 1
    filters = []
    if since is not None:
        names["#at"] = "at"
        values[":since"] = _bound(since)
        filters.append("#at >= :since")
    if until is not None:
        names["#at"] = "at"
        values[":until"] = _bound(until)
        filters.append("#at < :until")
    if actor is not None:
        names["#actor"] = "actor_id"
        values[":actor"] = actor
        filters.append("#actor = :actor")
    args: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": key,
        "ExpressionAttributeValues": to_item(values),
        "ScanIndexForward": False,
        "Limit": max(limit, FILTERED_PAGE) if filters else limit,
    }
    if filters:
        args["FilterExpression"] = " AND ".join(filters)
        args["ExpressionAttributeNames"] = names
    collected: list[dict[str, Any]] = []
    for records, more in _query(client, args):
        room = limit - len(collected)
        collected.extend(records[:room])
        if len(collected) == limit:
            last = int(collected[-1]["seq"])
            rest = more or len(records) > room
            return collected, last if rest and last > 1 else None
    return collected, None


def subject_page(
    client: Any,
    table: str,
    subject_id: str,
    *,
    start_key: Mapping[str, Any] | None,
    limit: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Up to `limit` records that name `subject_id`, newest first, from the BySubject index
    (one Query), and the key to continue from (plain values; None at the end).

    Entries hold SUBJECT_ENTRY_FIELDS only. `start_key` is a previous page's key; one that
    names another subject is refused (ValueError), whatever signed it.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    args: dict[str, Any] = {
        "TableName": table,
        "IndexName": SUBJECT_INDEX,
        "KeyConditionExpression": "subject_id = :s",
        "ExpressionAttributeValues": to_item({":s": subject_id}),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key is not None:
        args["ExclusiveStartKey"] = to_item(_subject_key(subject_id, start_key))
    response = client.query(**args)
    records = [
        {k: v for k, v in from_item(i).items() if k in SUBJECT_ENTRY_FIELDS}
        for i in response["Items"]
    ]
    last = response.get("LastEvaluatedKey")
    return records, _subject_key(subject_id, from_item(last)) if last else None


def _subject_key(subject_id: str, key: Mapping[str, Any]) -> dict[str, Any]:
    """A BySubject key (index and table keys) of `subject_id`'s records; ValueError else."""
    seq, at, org_id = key.get("seq"), key.get("at"), key.get("org_id")
    if (
        set(key) != {"subject_id", "at", "org_id", "seq"}
        or key.get("subject_id") != subject_id
        or not isinstance(at, str)
        or not isinstance(org_id, str)
        or isinstance(seq, bool)
        or not isinstance(seq, int)
    ):
        raise ValueError("not a key of this subject's audit records")
    return {"subject_id": subject_id, "at": at, "org_id": org_id, "seq": seq}
