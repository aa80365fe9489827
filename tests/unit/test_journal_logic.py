"""Journal decisions as plain functions: versions and ETags, expiry, the stored plain part,
PATCH merging, tombstones and the sync window. (day_bounds: see test_extreme_dates.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from functions.journal.logic import (
    EARLIEST,
    SYNC_SETTLE_SECONDS,
    TOMBSTONE_DAYS,
    change_seq,
    etag,
    expiry,
    merged,
    plain_item,
    settled_changes,
    to_entry,
    token_too_old,
    tombstone,
    version_from_etag,
)
from shared.clock import utc_iso
from shared.errors import InvalidInput
from shared.risk import Risk

NOW = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
WRITTEN = dt.datetime(2026, 4, 30, 9, 30, tzinfo=dt.UTC)
RISKY = Risk(level="high", reasons=["lexicon:en_want_to_die"])
WORDS = ("title", "body", "tags", "reasons")


def stored(**overrides: Any) -> dict[str, Any]:
    fields = {"title": "t", "body": "b", "mood": 2, "emotions": ["sad"], "tags": ["work"]}
    return plain_item("user-a", "e1", fields, RISKY, WRITTEN, NOW, 3, None) | overrides


# --- versions --------------------------------------------------------------------------------


def test_etag_is_the_quoted_version() -> None:
    # Given version 3 / When made into an ETag / Then it is "v3", quotes included
    assert etag(3) == '"v3"'


@pytest.mark.parametrize(
    ("header", "version"),
    [
        pytest.param('"v3"', 3, id="etag"),
        pytest.param('W/"v3"', 3, id="weak-etag"),
        pytest.param('"3"', 3, id="bare-number"),
        pytest.param('  "v12"  ', 12, id="spaces"),
        pytest.param('"v999999999"', 999_999_999, id="nine-digits"),
    ],
)
def test_version_from_etag_reads_what_etag_writes(header: str, version: int) -> None:
    # Given an If-Match header / When read / Then it names the version
    assert version_from_etag(header) == version


def test_version_from_etag_round_trips() -> None:
    # Given any version / When made into an ETag and read back / Then it is the same
    assert all(version_from_etag(etag(v)) == v for v in (1, 2, 57, 123_456_789))


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("v3", id="unquoted"),
        pytest.param('"v"', id="no-number"),
        pytest.param("*", id="star"),
        pytest.param('"v1234567890"', id="ten-digits"),
        pytest.param('"v-1"', id="negative"),
        pytest.param('"v3", "v4"', id="list"),
        pytest.param("", id="empty"),
    ],
)
def test_version_from_etag_refuses_anything_else(header: str) -> None:
    # Given a header that is not one of our ETags / When read / Then it is invalid input
    with pytest.raises(InvalidInput):
        version_from_etag(header)


# --- expiry ----------------------------------------------------------------------------------


def test_no_retention_means_no_expiry() -> None:
    # Given no retention chosen / When the expiry is worked out / Then the entry is kept
    assert expiry(WRITTEN, None) is None


def test_expiry_is_retention_days_after_writing_in_epoch_seconds() -> None:
    # Given a 30-day retention / When the expiry is worked out
    expires = expiry(WRITTEN, 30)
    # Then it is 30 days after the entry was written, in epoch seconds (DynamoDB TTL)
    assert expires == int(WRITTEN.timestamp()) + 30 * 86_400


# --- plain_item ------------------------------------------------------------------------------


def test_plain_item_holds_no_words() -> None:
    # Given an entry with a title, body and tags, and a risk with reasons
    # When its plain part is made
    item = stored()
    # Then none of the member's words nor the risk's reasons are in it
    assert not set(WORDS) & set(item)
    assert "reasons" not in item["risk"]
    assert "lexicon" not in repr(item)


def test_plain_item_keeps_the_risk_level_plain_for_the_crisis_workflow() -> None:
    # Given a high risk / When the plain part is made
    item = stored()
    # Then the level is there twice: in the risk and as risk_level
    assert item["risk"] == {"level": "high", "recommended_screener": None}
    assert item["risk_level"] == "high"


def test_plain_item_stamps_times_version_and_change_sequence() -> None:
    # Given an entry written yesterday and saved now as version 3
    item = stored()
    # Then it carries both instants, the version, and the sync order of this change
    assert (item["written_at"], item["updated_at"]) == (utc_iso(WRITTEN), utc_iso(NOW))
    assert item["version"] == 3
    assert item["change_seq"] == f"{utc_iso(NOW)}#e1" == change_seq(utc_iso(NOW), "e1")
    assert (item["user_id"], item["entry_id"]) == ("user-a", "e1")


def test_plain_item_without_emotions_stores_none_not_an_empty_list() -> None:
    # Given an entry with no emotions / When its plain part is made
    item = plain_item("user-a", "e1", {"emotions": []}, RISKY, WRITTEN, NOW, 1, None)
    # Then emotions is None (DynamoDB leaves the attribute out)
    assert item["emotions"] is None


def test_plain_item_expires_with_the_members_retention() -> None:
    # Given a member who keeps entries 7 days / When an entry's plain part is made
    item = plain_item("user-a", "e1", {}, RISKY, WRITTEN, NOW, 1, 7)
    # Then it expires 7 days after it was written (not after it was saved)
    assert item["expires_at"] == expiry(WRITTEN, 7)


def test_to_entry_puts_the_opened_reasons_back_into_the_risk() -> None:
    # Given a stored plain part and its opened words
    opened = {"title": "t", "body": "b", "tags": ["work"], "reasons": RISKY.reasons}
    # When made into the member's view
    entry = to_entry(stored(), opened)
    # Then the risk has its reasons again
    assert entry.risk == RISKY
    assert (entry.title, entry.body, entry.tags) == ("t", "b", ["work"])


# --- merged (PATCH) --------------------------------------------------------------------------


CURRENT = {"mood": 2, "emotions": ["sad"]}
OPENED = {"title": "Old title", "body": "Old body", "tags": ["work"]}


@pytest.mark.parametrize("field", ["title", "body"])
@pytest.mark.parametrize("sent", ["null", "absent"])
def test_patch_with_null_or_no_text_keeps_the_text(field: str, sent: str) -> None:
    # Given an entry / When patched with the field null, or without it
    fields = merged(CURRENT, OPENED, {field: None} if sent == "null" else {})
    # Then the text stays as written
    assert fields[field] == OPENED[field]


def test_patch_replaces_the_text_given() -> None:
    # Given an entry / When a new title and an empty body are sent
    fields = merged(CURRENT, OPENED, {"title": "New", "body": ""})
    # Then both replace the old text (empty is a value, not "keep")
    assert (fields["title"], fields["body"]) == ("New", "")


@pytest.mark.parametrize("field", ["mood", "emotions", "tags"])
def test_patch_with_null_clears_mood_emotions_and_tags(field: str) -> None:
    # Given an entry with a mood, emotions and tags / When one of them is patched to null
    fields = merged(CURRENT, OPENED, {field: None})
    # Then it is cleared
    assert fields[field] is None


def test_patch_keeps_what_it_does_not_mention() -> None:
    # Given an entry / When only the mood is patched
    fields = merged(CURRENT, OPENED, {"mood": 4})
    # Then everything else is as before
    assert fields == {
        "mood": 4,
        "emotions": ["sad"],
        "tags": ["work"],
        "title": "Old title",
        "body": "Old body",
    }


def test_patch_ignores_fields_that_are_not_the_entrys() -> None:
    # Given an entry / When the change carries something else (e.g. a version)
    fields = merged(CURRENT, OPENED, {"version": 9, "risk": "none"})
    # Then it does not reach the stored fields
    assert set(fields) == {"mood", "emotions", "tags", "title", "body"}


# --- tombstone -------------------------------------------------------------------------------


def test_tombstone_has_no_words_a_new_version_and_a_90_day_expiry() -> None:
    # Given entry e1 at version 3 / When it is deleted now
    grave = tombstone("user-a", "e1", 3, NOW)
    # Then what is left says only that it was deleted, when, and until when it is kept
    assert grave == {
        "user_id": "user-a",
        "entry_id": "e1",
        "deleted": True,
        "version": 4,
        "updated_at": utc_iso(NOW),
        "change_seq": change_seq(utc_iso(NOW), "e1"),
        "expires_at": int((NOW + dt.timedelta(days=TOMBSTONE_DAYS)).timestamp()),
    }


# --- sync window -----------------------------------------------------------------------------


def change(entry_id: str, at: dt.datetime) -> dict[str, Any]:
    stamp = utc_iso(at)
    return {"entry_id": entry_id, "updated_at": stamp, "change_seq": change_seq(stamp, entry_id)}


SETTLED = NOW - dt.timedelta(seconds=SYNC_SETTLE_SECONDS)


def test_settled_changes_are_all_handed_out_with_the_last_position() -> None:
    # Given two changes older than the settling time, and more waiting in the table
    items = [change("a", SETTLED - dt.timedelta(minutes=5)), change("b", SETTLED)]
    # When the sync window is applied
    taken, after, more = settled_changes(items, EARLIEST, True, NOW)
    # Then both go out, the position is the last one's, and more still wait
    assert taken == items
    assert after == items[-1]["change_seq"]
    assert more is True


def test_settled_changes_stop_at_the_first_unsettled_change() -> None:
    # Given a settled change, then one made a moment ago, then a settled one after it
    items = [
        change("a", SETTLED - dt.timedelta(seconds=1)),
        change("b", NOW - dt.timedelta(milliseconds=500)),
        change("c", SETTLED - dt.timedelta(seconds=1)),
    ]
    # When the sync window is applied, with more waiting in the table
    taken, after, more = settled_changes(items, "start", True, NOW)
    # Then only the first goes out, the position stops there, and has_more is False
    # (the app asks again shortly instead of at once)
    assert taken == items[:1]
    assert after == items[0]["change_seq"]
    assert more is False


def test_no_settled_change_keeps_the_position() -> None:
    # Given only a change still settling
    items = [change("a", NOW)]
    # When the sync window is applied / Then nothing goes out and the token stays where it was
    assert settled_changes(items, "start", True, NOW) == ([], "start", False)


def test_no_change_at_all_keeps_the_position() -> None:
    # Given no change / When the sync window is applied / Then nothing moves
    assert settled_changes([], "start", False, NOW) == ([], "start", False)


# --- token_too_old ---------------------------------------------------------------------------


def test_first_sync_token_is_never_too_old() -> None:
    # Given the start of time (first sync) / Then it is never too old
    assert token_too_old(EARLIEST, NOW) is False


def test_token_within_the_tombstone_period_is_accepted() -> None:
    # Given a token at a change 89 days ago / Then it is accepted
    after = change_seq(utc_iso(NOW - dt.timedelta(days=TOMBSTONE_DAYS - 1)), "e1")
    assert token_too_old(after, NOW) is False


def test_token_older_than_the_tombstones_is_refused() -> None:
    # Given a token at a change 91 days ago: a deletion since may have left no tombstone
    after = change_seq(utc_iso(NOW - dt.timedelta(days=TOMBSTONE_DAYS + 1)), "e1")
    # Then it is too old
    assert token_too_old(after, NOW) is True
