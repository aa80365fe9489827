"""What every feature's export and erase share: the export allowlist, and erasing a member's
partition page by page in batches (moto DynamoDB, tables shaped as in template.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from shared.data_rights import BATCH, delete_partition, part_key, pick, query_partition
from shared.dynamo import to_item
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# --- pick ------------------------------------------------------------------------------------


def test_pick_keeps_only_allowlisted_fields() -> None:
    # Given a stored item with storage details beside the member's data
    item = {"title": "Bus", "mood": 2, "edk": b"wrapped", "change_seq": "x", "org_id": "org-1"}
    # When picked for export / Then only the allowlisted fields leave
    assert pick(item, ("title", "mood")) == {"title": "Bus", "mood": 2}


def test_pick_leaves_out_allowlisted_fields_that_are_not_set() -> None:
    # Given an item without a title and with a null mood
    # When picked / Then neither appears
    assert pick({"mood": None, "body": "b"}, ("title", "mood", "body")) == {"body": "b"}


def test_pick_keeps_falsy_values_that_are_set() -> None:
    # Given fields set to 0, false, an empty list and an empty string
    item = {"energy": 0, "share_with_supporter": False, "tags": [], "note": ""}
    # When picked / Then they are kept: only None means "not set"
    assert pick(item, tuple(item)) == item


def test_pick_follows_the_allowlists_order() -> None:
    # Given / When picked / Then the fields come in the allowlist's order
    assert list(pick({"b": 1, "a": 2}, ("a", "b"))) == ["a", "b"]


def test_part_key_is_the_features_file_under_the_export() -> None:
    # Given / Then each feature's part of an export is <export_id>/<feature>.json
    assert part_key("0b5c3d8e", "journal") == "0b5c3d8e/journal.json"


# --- delete_partition (moto DynamoDB) ---------------------------------------------------------


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def journal(db: Any) -> str:
    """A table shaped as the journal's: partition user_id, sort entry_id, two LSIs."""
    return create_table(db, "JournalTable", fresh_name("journal"))


@pytest.fixture
def accounts(db: Any) -> str:
    """A table shaped as the accounts': partition user_id, no sort key."""
    return create_table(db, "AccountsTable", fresh_name("accounts"))


def put_entries(db: Any, table: str, user_id: str, count: int) -> None:
    for n in range(count):
        item = {"user_id": user_id, "entry_id": f"e{n:03}", "written_at": f"2026-05-01T{n:03}"}
        db.put_item(TableName=table, Item=to_item(item))


def count(db: Any, table: str, user_id: str) -> int:
    return sum(1 for _ in query_partition(db, table, "user_id", user_id))


def test_delete_partition_erases_more_than_one_batch(db: Any, journal: str) -> None:
    # Given a member with more items than one BatchWriteItem can delete (25), and "#meta"
    put_entries(db, journal, "user-a", 2 * BATCH + 7)
    db.put_item(TableName=journal, Item=to_item({"user_id": "user-a", "entry_id": "#meta"}))
    # When their partition is deleted
    erased = delete_partition(db, journal, "user_id", "entry_id", "user-a")
    # Then every item went, and the count says so
    assert erased == 2 * BATCH + 8
    assert count(db, journal, "user-a") == 0


def test_delete_partition_leaves_other_members_alone(db: Any, journal: str) -> None:
    # Given two members' entries
    put_entries(db, journal, "user-a", 30)
    put_entries(db, journal, "user-b", 3)
    # When user-a's partition is deleted / Then user-b's entries are all there
    delete_partition(db, journal, "user_id", "entry_id", "user-a")
    assert count(db, journal, "user-b") == 3


def test_delete_partition_again_deletes_nothing(db: Any, journal: str) -> None:
    # Given a partition already deleted
    put_entries(db, journal, "user-a", 3)
    delete_partition(db, journal, "user_id", "entry_id", "user-a")
    # When deleted again (the workflow's second pass) / Then it is safe and counts 0
    assert delete_partition(db, journal, "user_id", "entry_id", "user-a") == 0


def test_delete_partition_in_a_table_without_sort_key(db: Any, accounts: str) -> None:
    # Given two profiles in a table keyed by user_id only
    for user_id in ("user-a", "user-b"):
        db.put_item(TableName=accounts, Item=to_item({"user_id": user_id, "locale": "zh-CN"}))
    # When user-a's partition is deleted (no sort key)
    erased = delete_partition(db, accounts, "user_id", None, "user-a")
    # Then their profile is gone and the other is not
    assert erased == 1
    assert count(db, accounts, "user-a") == 0
    assert count(db, accounts, "user-b") == 1


class Throttled:
    """A DynamoDB client whose BatchWriteItem leaves the first request unprocessed `times`."""

    def __init__(self, db: Any, times: int) -> None:
        self._db = db
        self._left = times
        self.batch_calls = 0

    def query(self, **args: Any) -> Any:
        return self._db.query(**args)

    def batch_write_item(self, *, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        self.batch_calls += 1
        [(table, requests)] = RequestItems.items()
        if self._left > 0:
            self._left -= 1
            if requests[1:]:
                self._db.batch_write_item(RequestItems={table: requests[1:]})
            return {"UnprocessedItems": {table: requests[:1]}}
        response: dict[str, Any] = self._db.batch_write_item(RequestItems=RequestItems)
        return response


def test_delete_partition_retries_unprocessed_items(db: Any, journal: str) -> None:
    # Given a member's entries and a table that throttles twice
    put_entries(db, journal, "user-a", 5)
    throttled = Throttled(db, times=2)
    # When their partition is deleted
    erased = delete_partition(throttled, journal, "user_id", "entry_id", "user-a")
    # Then the unprocessed items were sent again until none was left
    assert erased == 5
    assert throttled.batch_calls == 3
    assert count(db, journal, "user-a") == 0


def test_delete_partition_that_never_finishes_raises_for_the_workflow_to_retry(
    db: Any, journal: str
) -> None:
    # Given a table that throttles every attempt
    put_entries(db, journal, "user-a", 2)
    throttled = Throttled(db, times=1_000)
    # When the partition is deleted / Then it fails loudly instead of reporting success
    with pytest.raises(RuntimeError):
        delete_partition(throttled, journal, "user_id", "entry_id", "user-a")
