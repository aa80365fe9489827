"""The audit log: hash-chained appends with one DynamoDB call when warm, retries after
another container's write, tamper detection, newest-first pages and the verify command
(moto DynamoDB, the table shaped as template.yaml's AuditTable)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local import audit_verify
from shared.audit import (
    GENESIS,
    MAX_ATTEMPTS,
    SUBJECT_INDEX,
    AuditEntry,
    AuditLog,
    AuditWriteFailed,
    ChainReport,
    page,
    read_chain,
    record_hash,
    subject_page,
    verify_chain,
    verify_org,
)
from shared.dynamo import from_item, to_item
from tests.support.calls import DynamoCalls
from tests.support.moto_cloud import REGION, fresh_name, moto_clients
from tests.support.tables import create_table, table_shape

ORG = "org-7"
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def table(db: Any) -> str:
    return create_table(db, "AuditTable", fresh_name("audit"))


class SmallQueryPages:
    """Makes every Query read at most `size` items, so paging across Query pages is exercised."""

    def __init__(self, client: Any, size: int) -> None:
        self._client, self._size = client, size

    def __enter__(self) -> None:
        self._client.meta.events.register("provide-client-params.dynamodb.Query", self._limit)

    def __exit__(self, *exc: object) -> None:
        self._client.meta.events.unregister("provide-client-params.dynamodb.Query", self._limit)

    def _limit(self, params: dict[str, Any], **_: Any) -> None:
        params["Limit"] = min(params.get("Limit", self._size), self._size)


def append(log: AuditLog, n: int = 1, *, actor: str = "u-lead", at: datetime | None = None) -> Any:
    records = [
        log.append(
            ORG,
            actor_id=actor,
            actor_role="lead",
            action="roster.invite",
            target_type="person",
            target_id=f"p-{i}",
            detail={"unit": "u-3", "count": i},
            at=at,
        )
        for i in range(n)
    ]
    return records[-1]


def stored(db: Any, table: str, seq: int) -> dict[str, Any]:
    item = db.get_item(TableName=table, Key=to_item({"org_id": ORG, "seq": seq}))["Item"]
    return from_item(item)


def put(db: Any, table: str, item: dict[str, Any]) -> None:
    db.put_item(TableName=table, Item=to_item(item))


def delete(db: Any, table: str, seq: int) -> None:
    db.delete_item(TableName=table, Key=to_item({"org_id": ORG, "seq": seq}))


# --- record_hash ------------------------------------------------------------------------------


def test_record_hash_is_sha256_of_canonical_json_without_the_hash_field() -> None:
    # Given a record whose fields come in no particular order, with its hash set
    import hashlib

    fields = {"seq": 1, "org_id": "o", "detail": {"b": 2, "a": "é"}, "hash": "ignored"}
    # When hashed / Then it is the hex SHA-256 of sorted, compact, UTF-8 JSON without `hash`
    canonical = '{"detail":{"a":"é","b":2},"org_id":"o","seq":1}'
    assert record_hash(fields) == hashlib.sha256(canonical.encode()).hexdigest()


# --- append ------------------------------------------------------------------------------------


def test_first_append_creates_the_head_and_links_to_genesis(db: Any, table: str) -> None:
    # Given an organisation with no audit records
    log = AuditLog(db, table)
    # When one record is appended
    record = log.append(
        ORG,
        actor_id="u-lead",
        actor_role="lead",
        action="roster.invite",
        target_type="person",
        target_id="p-1",
        at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
    )
    # Then it is record 1 after the genesis, stored as returned, and the head names it
    assert (record["seq"], record["prev_hash"]) == (1, GENESIS)
    assert record["at"] == "2026-11-24T04:00:00.000000Z"
    assert record["hash"] == record_hash(record)
    assert stored(db, table, 1) == record
    assert stored(db, table, 0) == {
        "org_id": ORG,
        "seq": 0,
        "last_seq": 1,
        "last_hash": record["hash"],
    }


def test_several_appends_form_a_chain_that_verifies(db: Any, table: str) -> None:
    # Given five appends, one with unicode and int detail
    log = AuditLog(db, table)
    append(log, 4)
    log.append(
        ORG,
        actor_id="u-2",
        actor_role="admin",
        action="people.list",
        target_type="people",
        target_id=ORG,
        detail={"filter": "支援者", "n": 12},
    )
    # When the chain is verified
    report = verify_org(db, table, ORG)
    # Then all five records check out and each links to the one before
    assert report == ChainReport(ok=True, checked=5, broken_seq=None, reason=None)
    records, _ = read_chain(db, table, ORG)
    assert [r["prev_hash"] for r in records[1:]] == [r["hash"] for r in records[:-1]]


def test_append_takes_the_current_utc_time_when_not_given(db: Any, table: str) -> None:
    # Given no time from the caller
    before = datetime.now(UTC)
    # When a record is appended
    record = append(AuditLog(db, table))
    # Then its `at` is now, in UTC
    at = datetime.fromisoformat(record["at"])
    assert before <= at <= datetime.now(UTC)
    assert record["at"].endswith("Z")


def test_warm_append_makes_exactly_one_dynamodb_call(db: Any, table: str) -> None:
    # Given a container that has appended to the organisation before
    log = AuditLog(db, table)
    append(log)
    # When it appends again
    with DynamoCalls(db) as calls:
        append(log)
    # Then one TransactWriteItems was all it took
    assert calls.names == ["TransactWriteItems"]


def test_cold_append_reads_the_head_first(db: Any, table: str) -> None:
    # Given an organisation with records and a container that has not seen it
    append(AuditLog(db, table), 2)
    log = AuditLog(db, table)
    # When the new container appends
    with DynamoCalls(db) as calls:
        record = append(log)
    # Then it read the head once, then wrote record 3
    assert calls.names == ["GetItem", "TransactWriteItems"]
    assert record["seq"] == 3


def test_stale_container_rereads_the_head_and_keeps_the_chain_valid(db: Any, table: str) -> None:
    # Given two containers, the second with a head the first has since moved on
    first, second = AuditLog(db, table), AuditLog(db, table)
    append(second)
    append(first, 2)
    # When the stale container appends
    with DynamoCalls(db) as calls:
        record = append(second)
    # Then its first write is refused, it rereads the head, and its record is the 4th
    assert calls.names == ["TransactWriteItems", "GetItem", "TransactWriteItems"]
    assert record["seq"] == 4
    assert verify_org(db, table, ORG) == ChainReport(True, 4, None, None)


def test_append_gives_up_with_audit_write_failed_after_max_attempts(db: Any, table: str) -> None:
    # Given records whose head was deleted, so record 1 can never be written again
    append(AuditLog(db, table), 2)
    delete(db, table, 0)
    log = AuditLog(db, table)
    # When a record is appended
    with DynamoCalls(db) as calls, pytest.raises(AuditWriteFailed, match=ORG):
        append(log)
    # Then it tried MAX_ATTEMPTS times and left the table as it was
    assert calls.names.count("TransactWriteItems") == MAX_ATTEMPTS
    assert (
        db.query(
            TableName=table,
            KeyConditionExpression="org_id = :o",
            ExpressionAttributeValues=to_item({":o": ORG}),
        )["Count"]
        == 2
    )


def test_append_refuses_detail_values_that_are_not_str_or_int(db: Any, table: str) -> None:
    # Given a detail with a float (it would not hash the same once read back)
    log = AuditLog(db, table)
    # When appended / Then refused, and nothing is written
    with pytest.raises(ValueError, match="detail"):
        log.append(
            ORG,
            actor_id="u",
            actor_role="lead",
            action="rota.edit",
            target_type="rota",
            target_id="r",
            detail={"hours": 1.5},  # type: ignore[dict-item]
        )
    assert "Item" not in db.get_item(TableName=table, Key=to_item({"org_id": ORG, "seq": 0}))


def test_append_refuses_a_time_without_a_zone(db: Any, table: str) -> None:
    # Given / When a naive time is passed / Then it is refused
    with pytest.raises(ValueError, match="timezone"):
        append(AuditLog(db, table), at=datetime(2026, 11, 24, 4, 0))


# --- tampering --------------------------------------------------------------------------------


def test_editing_a_record_is_named_as_edited(db: Any, table: str) -> None:
    # Given a chain of four whose record 2 has its target changed in the table
    append(AuditLog(db, table), 4)
    put(db, table, stored(db, table, 2) | {"target_id": "p-someone-else"})
    # When verified
    report = verify_org(db, table, ORG)
    # Then record 2 is named as edited, after one good record
    assert (report.ok, report.broken_seq, report.checked) == (False, 2, 1)
    assert report.reason is not None and "record 2 was edited" in report.reason


def test_deleting_a_middle_record_is_named_as_missing(db: Any, table: str) -> None:
    # Given a chain of four whose record 3 was deleted
    append(AuditLog(db, table), 4)
    delete(db, table, 3)
    # When verified
    report = verify_org(db, table, ORG)
    # Then record 3 is named as missing
    assert (report.ok, report.broken_seq) == (False, 3)
    assert report.reason == "record 3 is missing (deleted)"


def test_deleting_the_newest_record_is_caught_by_the_head(db: Any, table: str) -> None:
    # Given a chain of four whose newest record was deleted
    append(AuditLog(db, table), 4)
    delete(db, table, 4)
    # When verified
    report = verify_org(db, table, ORG)
    # Then the head names the deleted record
    assert (report.ok, report.broken_seq, report.checked) == (False, 4, 3)
    assert report.reason is not None and "newest records after 3 were deleted" in report.reason


def test_rewritten_prev_hash_with_a_fresh_hash_is_named_as_not_following(
    db: Any, table: str
) -> None:
    # Given record 3 relinked to another predecessor, its own hash recomputed to match
    append(AuditLog(db, table), 4)
    forged = stored(db, table, 3) | {"prev_hash": "f" * 64}
    put(db, table, forged | {"hash": record_hash(forged)})
    # When verified
    report = verify_org(db, table, ORG)
    # Then record 3 is named as not following record 2
    assert (report.ok, report.broken_seq) == (False, 3)
    assert report.reason is not None and "record 3 does not follow record 2" in report.reason


def test_editing_the_heads_hash_is_named_as_head_edited(db: Any, table: str) -> None:
    # Given a chain of two whose head hash was changed
    append(AuditLog(db, table), 2)
    put(db, table, stored(db, table, 0) | {"last_hash": "e" * 64})
    # When verified
    report = verify_org(db, table, ORG)
    # Then the head (seq 0) is named
    assert (report.ok, report.broken_seq) == (False, 0)
    assert report.reason is not None and "head was edited" in report.reason


def test_records_without_a_head_are_broken(db: Any, table: str) -> None:
    # Given a chain whose head was deleted
    append(AuditLog(db, table), 2)
    delete(db, table, 0)
    # When verified / Then the missing head is named
    report = verify_org(db, table, ORG)
    assert (report.ok, report.broken_seq) == (False, 0)
    assert report.reason is not None and "head is missing" in report.reason


def test_an_empty_chain_without_a_head_is_intact() -> None:
    # Given / When nothing is verified / Then it is intact with nothing checked
    assert verify_chain([], None) == ChainReport(ok=True, checked=0, broken_seq=None, reason=None)


def test_verify_reads_a_chain_spread_over_several_query_pages(db: Any, table: str) -> None:
    # Given seven records read back three at a time
    append(AuditLog(db, table), 7)
    # When verified
    with SmallQueryPages(db, 3):
        report = verify_org(db, table, ORG)
    # Then every record was checked
    assert report == ChainReport(ok=True, checked=7, broken_seq=None, reason=None)


def test_records_appended_while_verifying_are_not_taken_for_tampering(db: Any, table: str) -> None:
    # Given a chain of two, and another container that appends while the records are read
    append(AuditLog(db, table), 2)
    other = AuditLog(db, table)

    def append_meanwhile(**_: Any) -> None:
        db.meta.events.unregister("before-call.dynamodb.Query", append_meanwhile)
        append(other)

    db.meta.events.register("before-call.dynamodb.Query", append_meanwhile)
    # When verified
    report = verify_org(db, table, ORG)
    # Then the chain as the head first named it is intact; the new record waits for next time
    assert report == ChainReport(ok=True, checked=2, broken_seq=None, reason=None)
    assert verify_org(db, table, ORG).checked == 3


# --- page -------------------------------------------------------------------------------------


@pytest.fixture
def six(db: Any, table: str) -> str:
    """Records 1..6, an hour apart from 01:00 UTC, by actors a, b, a, b, a, b."""
    log = AuditLog(db, table)
    for i in range(6):
        append(log, actor="a" if i % 2 == 0 else "b", at=T0 + timedelta(hours=i))
    return table


def seqs(records: list[dict[str, Any]]) -> list[int]:
    return [r["seq"] for r in records]


def test_page_lists_newest_first_and_continues_after_seq(db: Any, six: str) -> None:
    # Given six records
    # When read two at a time, each page continuing after the last
    pages = []
    after: int | None = None
    for _ in range(3):
        records, after = page(
            db, six, ORG, since=None, until=None, actor=None, after_seq=after, limit=2
        )
        pages.append((seqs(records), after))
    # Then newest first, each continuing where the last stopped, with no next after record 1
    assert pages == [([6, 5], 5), ([4, 3], 3), ([2, 1], None)]


def test_page_never_returns_the_head(db: Any, six: str) -> None:
    # Given / When every record is asked for
    records, after = page(
        db, six, ORG, since=None, until=None, actor=None, after_seq=None, limit=50
    )
    # Then the six records and not the head item, and no next page
    assert (seqs(records), after) == ([6, 5, 4, 3, 2, 1], None)


def test_page_since_is_inclusive_and_until_exclusive(db: Any, six: str) -> None:
    # Given records at 01:00..06:00 UTC
    # When asked for 02:00 (a bound in another zone's notation) up to 04:00
    records, _ = page(
        db,
        six,
        ORG,
        since="2026-11-24T10:00:00+08:00",
        until="2026-11-24T04:00:00Z",
        actor=None,
        after_seq=None,
        limit=10,
    )
    # Then the records at 02:00 and 03:00
    assert seqs(records) == [3, 2]


def test_page_filters_by_actor(db: Any, six: str) -> None:
    # Given / When only actor b's records are asked for
    records, after = page(db, six, ORG, since=None, until=None, actor="b", after_seq=None, limit=10)
    # Then b's three, newest first
    assert (seqs(records), after) == ([6, 4, 2], None)
    assert {r["actor_id"] for r in records} == {"b"}


def test_filtered_page_collects_across_query_pages_and_continues(db: Any, six: str) -> None:
    # Given Query pages of two items, and actor a's records wanted two at a time
    with SmallQueryPages(db, 2):
        # When two pages are read
        first, after = page(
            db, six, ORG, since=None, until=None, actor="a", after_seq=None, limit=2
        )
        second, last = page(
            db, six, ORG, since=None, until=None, actor="a", after_seq=after, limit=2
        )
    # Then a's records 5, 3 and then 1, with nothing skipped
    assert (seqs(first), after) == ([5, 3], 3)
    assert (seqs(second), last) == ([1], None)


def test_filtered_page_stopping_inside_a_query_page_continues_from_its_last_record(
    db: Any, six: str
) -> None:
    # Given a filter every record passes, so one Query page holds more than a page's worth
    since = "2026-11-24T00:00:00Z"
    # When read four at a time
    first, after = page(db, six, ORG, since=since, until=None, actor=None, after_seq=None, limit=4)
    rest, last = page(db, six, ORG, since=since, until=None, actor=None, after_seq=after, limit=4)
    # Then the first page stops at four and the next starts right after them
    assert (seqs(first), after) == ([6, 5, 4, 3], 3)
    assert (seqs(rest), last) == ([2, 1], None)


def test_page_refuses_a_bound_that_is_not_a_time(db: Any, six: str) -> None:
    # Given / When since is not ISO 8601 / Then refused
    with pytest.raises(ValueError, match="ISO 8601"):
        page(db, six, ORG, since="yesterday", until=None, actor=None, after_seq=None, limit=5)


# --- subject_id: whose data a read showed ------------------------------------------------------


def read_of(log: AuditLog, subject: str | None, *, at: datetime, action: str = "case.read") -> Any:
    return log.append(
        ORG,
        actor_id="u-counsellor",
        actor_role="counsellor",
        action=action,
        target_type="case",
        target_id="case-1",
        detail={"signals": 2},
        at=at,
        subject_id=subject,
    )


def test_subject_id_is_stored_and_hashed_with_the_record(db: Any, table: str) -> None:
    # Given a counsellor's read of member m-1's case
    record = read_of(AuditLog(db, table), "m-1", at=T0)
    # Then the record names the member, and its hash covers that name
    assert stored(db, table, 1)["subject_id"] == "m-1"
    assert record["hash"] == record_hash(record)
    assert record["hash"] != record_hash({k: v for k, v in record.items() if k != "subject_id"})
    assert verify_org(db, table, ORG).ok


def test_a_record_without_subject_id_has_no_such_field(db: Any, table: str) -> None:
    # Given an append that names no subject (a change, not a read of one member)
    append(AuditLog(db, table))
    # Then nothing is stored under subject_id (not even null): the record hashes as before
    assert "subject_id" not in stored(db, table, 1)


@pytest.mark.parametrize("change", ["edited", "removed", "added"])
def test_changing_a_records_subject_breaks_the_chain_there(
    db: Any, table: str, change: str
) -> None:
    # Given three records, the second a read of m-1's data (or of no one's, to have one added)
    log = AuditLog(db, table)
    append(log)
    read_of(log, None if change == "added" else "m-1", at=T0)
    append(log)
    # When its subject is rewritten, taken off or put on
    record = stored(db, table, 2)
    if change == "edited":
        record["subject_id"] = "m-2"
    elif change == "removed":
        del record["subject_id"]
    else:
        record["subject_id"] = "m-1"
    put(db, table, record)
    # Then the chain breaks at record 2, as edited
    report = verify_org(db, table, ORG)
    assert (report.ok, report.broken_seq) == (False, 2)
    assert report.reason == "record 2 was edited (its hash does not match)"


def test_records_written_before_subject_id_still_verify_beside_new_ones(
    db: Any, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given record 1 exactly as the code before subject_id wrote it (its hash pinned from the
    # canonical JSON of those fields), its head, and then a new read naming a member
    import hashlib

    old = {
        "org_id": ORG,
        "actor_id": "u-lead",
        "actor_role": "org_admin",
        "action": "people.read",
        "target_type": "person",
        "target_id": "p-1",
        "at": "2026-11-01T00:00:00.000000Z",
        "seq": 1,
        "prev_hash": GENESIS,
    }
    canonical = (
        '{"action":"people.read","actor_id":"u-lead","actor_role":"org_admin",'
        f'"at":"2026-11-01T00:00:00.000000Z","org_id":"{ORG}","prev_hash":"{GENESIS}",'
        '"seq":1,"target_id":"p-1","target_type":"person"}'
    )
    old["hash"] = hashlib.sha256(canonical.encode()).hexdigest()
    put(db, table, old)
    put(db, table, {"org_id": ORG, "seq": 0, "last_seq": 1, "last_hash": old["hash"]})
    read_of(AuditLog(db, table), "m-1", at=T0)
    # When the chain is checked, in code and by `make audit-verify`
    report = verify_org(db, table, ORG)
    code = audit_verify.main([ORG, "--table", table, "--region", REGION])
    # Then both records verify
    assert report == ChainReport(ok=True, checked=2, broken_seq=None, reason=None)
    assert code == 0
    assert capsys.readouterr().out == f"audit chain of {ORG}: 2 records, intact\n"


def test_append_refuses_an_empty_or_non_string_subject(db: Any, table: str) -> None:
    log = AuditLog(db, table)
    for bad in ("", 7):
        with pytest.raises(ValueError, match="subject_id"):
            read_of(log, bad, at=T0)  # type: ignore[arg-type]


def test_template_indexes_records_by_subject_and_time_without_their_detail() -> None:
    # Given the audit table as template.yaml shapes it
    shape = table_shape("AuditTable")
    # Then BySubject is keyed (subject_id, at), strings, and projects no detail
    (index,) = [i for i in shape["GlobalSecondaryIndexes"] if i["IndexName"] == SUBJECT_INDEX]
    assert index["KeySchema"] == [
        {"AttributeName": "subject_id", "KeyType": "HASH"},
        {"AttributeName": "at", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in shape["AttributeDefinitions"]}
    assert (types["subject_id"], types["at"]) == ("S", "S")
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert set(index["Projection"]["NonKeyAttributes"]) == {
        "actor_id",
        "actor_role",
        "action",
        "target_type",
    }


@pytest.fixture
def reads(db: Any, table: str) -> str:
    """Five reads of m-1's data an hour apart, one of m-2's, and a change naming no one."""
    log = AuditLog(db, table)
    for hour in range(5):
        read_of(log, "m-1", at=T0 + timedelta(hours=hour))
    read_of(log, "m-2", at=T0 + timedelta(hours=9))
    append(log, at=T0 + timedelta(hours=10))
    return table


def test_subject_page_is_one_query_of_the_index_newest_first(db: Any, reads: str) -> None:
    # Given reads of two members' data
    # When m-1's first page of two is read
    seen: list[dict[str, Any]] = []
    db.meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: seen.append(params)
    )
    try:
        records, last = subject_page(db, reads, "m-1", start_key=None, limit=2)
    finally:
        db.meta.events.unregister("provide-client-params.dynamodb.Query")
    # Then it is one Query of BySubject on the member's key, newest first, limited
    (query,) = seen
    assert query["IndexName"] == "BySubject"
    assert query["KeyConditionExpression"] == "subject_id = :s"
    assert query["ExpressionAttributeValues"] == {":s": {"S": "m-1"}}
    assert (query["ScanIndexForward"], query["Limit"]) == (False, 2)
    assert "FilterExpression" not in query
    # And it holds m-1's two newest reads, without their detail or hashes
    assert [r["at"] for r in records] == [
        "2026-11-24T05:00:00.000000Z",
        "2026-11-24T04:00:00.000000Z",
    ]
    assert {r["subject_id"] for r in records} == {"m-1"}
    assert all("detail" not in r and "hash" not in r for r in records)
    assert last == {"subject_id": "m-1", "at": records[-1]["at"], "org_id": ORG, "seq": 4}


def test_subject_page_continues_to_the_oldest_and_ends(db: Any, reads: str) -> None:
    # Given m-1's five reads, paged two at a time
    seen, start = [], None
    while True:
        records, start = subject_page(db, reads, "m-1", start_key=start, limit=2)
        seen += [r["seq"] for r in records]
        if start is None:
            break
    # Then every read shows once, newest first, and no other member's
    assert seen == [5, 4, 3, 2, 1]


def test_subject_page_refuses_another_subjects_start_key(db: Any, reads: str) -> None:
    # Given the key m-2's page would continue from
    key = {"subject_id": "m-2", "at": "2026-11-24T09:00:00.000000Z", "org_id": ORG, "seq": 6}
    # When m-1's page is asked to continue from it / Then refused
    with pytest.raises(ValueError, match="subject"):
        subject_page(db, reads, "m-1", start_key=key, limit=2)


# --- python -m local.audit_verify ------------------------------------------------------------


def test_verify_command_exits_0_for_an_intact_chain(
    db: Any, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an intact chain of three
    append(AuditLog(db, table), 3)
    # When the command checks it
    code = audit_verify.main([ORG, "--table", table, "--region", REGION])
    # Then it says so and exits 0
    assert code == 0
    assert capsys.readouterr().out == f"audit chain of {ORG}: 3 records, intact\n"


def test_verify_command_exits_1_and_names_the_broken_record(
    db: Any, table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a chain of three whose record 2 was deleted
    append(AuditLog(db, table), 3)
    delete(db, table, 2)
    # When the command checks it
    code = audit_verify.main([ORG, "--table", table, "--region", REGION])
    # Then it names record 2 on stderr and exits 1
    assert code == 1
    assert capsys.readouterr().err == (
        f"audit chain of {ORG}: BROKEN at record 2: record 2 is missing (deleted)\n"
    )


def test_verify_command_refuses_a_stack_without_an_audit_table(tmp_path: Any) -> None:
    # Given a stack file from before the audit table
    stack = tmp_path / "stack.json"
    stack.write_text('{"tables": {}, "aws_endpoint_url": "http://localhost:1", "region": "r"}')
    # When / Then the command stops with a message that names the file
    with pytest.raises(SystemExit, match="no audit table"):
        audit_verify.main([ORG, "--stack", str(stack)])


def test_append_all_writes_many_records_in_one_call_and_the_chain_verifies(
    db: Any, table: str
) -> None:
    # Given a container that has appended before, and a page that showed 130 members
    log = AuditLog(db, table)
    append(log)
    entries = [
        AuditEntry(
            "u-peer", "peer_supporter", "peer_inbox.read", "checkin", f"i-{n}", None, f"m{n}"
        )
        for n in range(130)
    ]
    # When their reads are appended together
    with DynamoCalls(db) as calls:
        written = log.append_all(ORG, entries)
    # Then two transactions (99 + 31 records) did it, in order, and the chain verifies
    assert calls.names == ["TransactWriteItems", "TransactWriteItems"]
    assert [r["seq"] for r in written] == list(range(2, 132))
    assert [r["subject_id"] for r in written] == [f"m{n}" for n in range(130)]
    intact = ChainReport(ok=True, checked=131, broken_seq=None, reason=None)
    assert verify_org(db, table, ORG) == intact
