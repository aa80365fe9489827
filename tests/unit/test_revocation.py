"""Erased accounts' tokens: the list refreshes on its ttl, knows local erasures at once,
and the revoked table holds hashes of subjects, never the subjects."""

from __future__ import annotations

from typing import Any

from shared.revocation import (
    KEEP_SECONDS,
    RevocationList,
    read_revoked,
    revoke,
    subject_hash,
)

TABLE = "revoked"


class FakeRevokedTable:
    """The two DynamoDB client calls the revocation code makes, over one partition."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.queries = 0

    def put_item(self, *, TableName: str, Item: dict[str, Any]) -> dict[str, Any]:
        assert TableName == TABLE
        self.items[(Item["scope"]["S"], Item["subject"]["S"])] = Item
        return {}

    def query(self, **args: Any) -> dict[str, Any]:
        assert args["TableName"] == TABLE
        self.queries += 1
        scope = args["ExpressionAttributeValues"][":s"]["S"]
        items = [{"subject": i["subject"]} for (s, _), i in self.items.items() if s == scope]
        return {"Items": items}


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def revocation_list(table: FakeRevokedTable, clock: Ticker, ttl: float = 30) -> RevocationList:
    return RevocationList(lambda: read_revoked(table, TABLE), ttl, monotonic=clock)


def test_only_a_hash_of_the_subject_is_stored() -> None:
    # Given an erased member
    table = FakeRevokedTable()

    # When their subject is revoked
    revoke(table, TABLE, "0b6e-sub-of-mei", now_epoch=1_000)

    # Then the table holds its hash and the expiry, and the subject appears nowhere
    [item] = table.items.values()
    assert item["subject"] == {"S": subject_hash("0b6e-sub-of-mei")}
    assert item["expires_at"] == {"N": str(1_000 + KEEP_SECONDS)}
    assert "0b6e-sub-of-mei" not in repr(item)


def test_subject_hash_is_stable_prefixed_and_separates_subjects() -> None:
    # Given two subjects
    # When hashed
    first, again, other = subject_hash("a"), subject_hash("a"), subject_hash("b")

    # Then the same subject gives the same tagged hash, another subject another
    assert first == again != other
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64


def test_revoked_subject_is_refused_and_others_are_not() -> None:
    # Given one revoked subject in the table
    table = FakeRevokedTable()
    revoke(table, TABLE, "erased", now_epoch=0)
    revoked = revocation_list(table, Ticker())

    # When subjects are checked
    # Then only that one is revoked
    assert revoked.is_revoked("erased")
    assert not revoked.is_revoked("still-here")


def test_list_is_not_read_again_before_the_ttl() -> None:
    # Given a list loaded at t=0
    table, clock = FakeRevokedTable(), Ticker()
    revoked = revocation_list(table, clock, ttl=30)
    revoked.is_revoked("someone")

    # When another container revokes a subject and this one checks it before the ttl
    revoke(table, TABLE, "erased-elsewhere", now_epoch=0)
    clock.now = 29.9
    seen = revoked.is_revoked("erased-elsewhere")

    # Then no further read happened, so it is not seen yet
    assert (seen, table.queries) == (False, 1)


def test_list_is_read_again_after_the_ttl() -> None:
    # Given a list loaded at t=0 and a subject revoked since by another container
    table, clock = FakeRevokedTable(), Ticker()
    revoked = revocation_list(table, clock, ttl=30)
    revoked.is_revoked("someone")
    revoke(table, TABLE, "erased-elsewhere", now_epoch=0)

    # When the ttl has passed
    clock.now = 30.0
    seen = revoked.is_revoked("erased-elsewhere")

    # Then the list was read again and the subject is refused
    assert (seen, table.queries) == (True, 2)


def test_added_subject_is_seen_at_once_without_a_read() -> None:
    # Given a loaded list
    table, clock = FakeRevokedTable(), Ticker()
    revoked = revocation_list(table, clock)
    revoked.is_revoked("someone")

    # When this container erases a member
    revoked.add("erased-here")

    # Then their token is refused at once, with no read of the table
    assert revoked.is_revoked("erased-here")
    assert table.queries == 1


def test_added_subject_survives_a_refresh_that_does_not_list_it_yet() -> None:
    # Given a subject erased here whose revocation a refresh does not return (not written,
    # or not yet visible to an eventually consistent read)
    table, clock = FakeRevokedTable(), Ticker()
    revoked = revocation_list(table, clock, ttl=30)
    revoked.add("erased-here")

    # When the list is refreshed
    clock.now = 31.0
    seen = revoked.is_revoked("erased-here")

    # Then the subject is still refused
    assert seen
