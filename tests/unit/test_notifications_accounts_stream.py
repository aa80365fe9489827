"""The accounts stream consumer: a profile's zone and locale carried onto the member's
notification preferences (moto DynamoDB with the template's table)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from functions.notifications import accounts_stream
from functions.notifications.logic import preferences_item
from functions.notifications.models import PreferencesIn
from functions.notifications.repository import NotificationsRepository
from tests.support.calls import DynamoCalls
from tests.support.events import lambda_context
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

# Preferences saved on Tuesday 24 November 2026 at 11:00 in Shanghai; the profile changes
# an hour later, at noon there (04:00 UTC).
SAVED_AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
LONDON = "Europe/London"
_serialize = TypeSerializer().serialize


@pytest.fixture(autouse=True)
def _metrics_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Handlers flush Powertools metrics; metrics left by earlier tests need a namespace."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PeerSupportTest")


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def repo(db: Any) -> NotificationsRepository:
    return NotificationsRepository(db, create_table(db, "NotificationsTable", fresh_name("n")))


@pytest.fixture
def consumer(repo: NotificationsRepository, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The handler over `repo`, at NOW."""
    monkeypatch.setattr(accounts_stream, "store", lambda: repo)
    monkeypatch.setattr(accounts_stream, "now", lambda: NOW)
    return accounts_stream.handler


def save_preferences(
    repo: NotificationsRepository,
    user_id: str,
    *,
    reminder_time: str | None = "20:00",
    zone: str = SHANGHAI,
    locale: str = "zh-CN",
    at: datetime = SAVED_AT,
    **more: Any,
) -> dict[str, Any]:
    """Preferences as the preferences route stores them."""
    prefs = PreferencesIn.model_validate({"reminder_time": reminder_time} | more)
    item = preferences_item(user_id, prefs, zone, locale, at)
    repo.put_preferences(user_id, item)
    return item


def profile(user_id: str, time_zone: str, locale: str, **more: Any) -> dict[str, Any]:
    """A profile item's image as DynamoDB streams it (see functions/accounts/logic.py)."""
    fields = {"user_id": user_id, "time_zone": time_zone, "locale": locale} | more
    return {k: _serialize(v) for k, v in fields.items()}


def accounts_event(*changes: tuple[str, dict[str, Any] | None, dict[str, Any] | None]) -> Any:
    """An accounts stream batch: (event name, old image, new image) per record."""
    records = []
    for n, (name, old, new) in enumerate(changes, start=1):
        image = new or old or {}
        change: dict[str, Any] = {
            "Keys": {"user_id": image["user_id"]},
            "SequenceNumber": str(n),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        if old is not None:
            change["OldImage"] = old
        if new is not None:
            change["NewImage"] = new
        records.append(
            {
                "eventID": str(n),
                "eventName": name,
                "eventSource": "aws:dynamodb",
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/accounts/stream/x",
                "dynamodb": change,
            }
        )
    return {"Records": records}


def moved(user_id: str, old_zone: str, new_zone: str, locale: str = "zh-CN") -> Any:
    return accounts_event(
        ("MODIFY", profile(user_id, old_zone, locale), profile(user_id, new_zone, locale))
    )


# --- zone and locale ---------------------------------------------------------------------


def test_moving_zone_moves_the_reminder_to_the_slot_of_the_new_zone(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given a reminder at 20:00 in Shanghai (the 12:00 UTC slot)
    saved = save_preferences(repo, "ada")
    # When the member's profile moves to London
    result = consumer(moved("ada", SHANGHAI, LONDON), lambda_context())
    # Then the reminder fires at 20:00 London time, in that slot, and nothing else changed
    assert result == {"batchItemFailures": []}
    prefs = repo.preferences("ada")
    assert prefs is not None
    assert (prefs["time_zone"], prefs["next_due"]) == (LONDON, "2026-11-24T20:00:00.000Z")
    assert (prefs["due_pk"], prefs["due_sk"]) == ("2026-11-24T20:00Z", "ada")
    assert list(repo.due_reminders(saved["due_pk"])) == []
    assert prefs["updated_at"] == saved["updated_at"]
    assert prefs["reminder_time"] == "20:00"


def test_a_new_locale_alone_is_taken_and_the_reminder_stays(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given a reminder at 20:00 in Shanghai, in zh-CN
    saved = save_preferences(repo, "ada")
    # When the profile switches to English
    event = accounts_event(
        ("MODIFY", profile("ada", SHANGHAI, "zh-CN"), profile("ada", SHANGHAI, "en-GB"))
    )
    consumer(event, lambda_context())
    # Then the preferences read English, with the reminder where it was
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["locale"] == "en-GB"
    assert (prefs["next_due"], prefs["due_pk"]) == (saved["next_due"], saved["due_pk"])


def test_moving_zone_with_reminders_off_puts_no_one_in_the_index(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given reminders turned off (a time set, but the category opted out)
    save_preferences(repo, "ada", opt_outs=["reminders"])
    # When the profile moves to London
    consumer(moved("ada", SHANGHAI, LONDON), lambda_context())
    # Then the zone is taken and there is still no reminder due
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["time_zone"] == LONDON
    assert not {"next_due", "due_pk", "due_sk"} & prefs.keys()


def test_a_new_profile_brings_its_zone_to_preferences_saved_before_it(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given preferences saved in Shanghai
    save_preferences(repo, "ada")
    # When the member's profile is first created, in London
    consumer(accounts_event(("INSERT", None, profile("ada", LONDON, "zh-CN"))), lambda_context())
    # Then the preferences follow it
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["due_pk"] == "2026-11-24T20:00Z"


# --- what is left alone ------------------------------------------------------------------


def test_a_member_without_preferences_gets_none(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given a member who never saved preferences
    # When their profile moves to London
    result = consumer(moved("kit", SHANGHAI, LONDON), lambda_context())
    # Then no preferences appear (the route's defaults follow the token)
    assert result == {"batchItemFailures": []}
    assert repo.preferences("kit") is None


def test_a_profile_change_of_other_fields_makes_no_write(
    consumer: Any, repo: NotificationsRepository, db: Any
) -> None:
    # Given a member with preferences
    save_preferences(repo, "ada")
    # When their profile changes something other than zone and locale
    event = accounts_event(
        (
            "MODIFY",
            profile("ada", SHANGHAI, "zh-CN", display_name="Ada"),
            profile("ada", SHANGHAI, "zh-CN", display_name="A."),
        )
    )
    with DynamoCalls(db) as calls:
        consumer(event, lambda_context())
    # Then nothing is read or written
    assert calls.names == []


def test_a_replayed_change_makes_no_second_write(
    consumer: Any, repo: NotificationsRepository, db: Any
) -> None:
    # Given a move to London already followed
    save_preferences(repo, "ada")
    consumer(moved("ada", SHANGHAI, LONDON), lambda_context())
    # When the stream delivers it again
    with DynamoCalls(db) as calls:
        consumer(moved("ada", SHANGHAI, LONDON), lambda_context())
    # Then the preferences are read and found in agreement: no write
    assert calls.names == ["GetItem"]


def test_an_erased_profile_changes_nothing(consumer: Any, repo: NotificationsRepository) -> None:
    # Given a member with preferences
    saved = save_preferences(repo, "ada")
    # When their profile is removed
    consumer(accounts_event(("REMOVE", profile("ada", LONDON, "en"), None)), lambda_context())
    # Then the preferences are as they were
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["time_zone"] == saved["time_zone"]


def test_a_zone_this_function_does_not_know_is_skipped_not_retried(
    consumer: Any, repo: NotificationsRepository
) -> None:
    # Given a member with preferences
    save_preferences(repo, "ada")
    # When their profile names a zone unknown here
    result = consumer(moved("ada", SHANGHAI, "Mars/Olympus_Mons"), lambda_context())
    # Then the record does not fail, and the preferences keep their zone
    assert result == {"batchItemFailures": []}
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["time_zone"] == SHANGHAI


# --- races and failures ------------------------------------------------------------------


class SavedMeanwhile:
    """The store, with the member saving preferences just before the first update lands."""

    def __init__(self, repo: NotificationsRepository) -> None:
        self.repo = repo
        self.updates = 0

    def preferences(self, user_id: str) -> dict[str, Any] | None:
        return self.repo.preferences(user_id)

    def update_preferences_if_unchanged(
        self, user_id: str, fields: dict[str, Any], seen_updated_at: str | None
    ) -> bool:
        self.updates += 1
        if self.updates == 1:
            later = datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
            save_preferences(self.repo, user_id, reminder_time="21:00", at=later)
        return self.repo.update_preferences_if_unchanged(user_id, fields, seen_updated_at)


def test_preferences_saved_meanwhile_are_read_again_and_followed(
    repo: NotificationsRepository,
) -> None:
    # Given a reminder at 20:00, changed to 21:00 while the move to London is followed
    save_preferences(repo, "ada")
    store = SavedMeanwhile(repo)
    change = accounts_stream.ProfileChange("ada", LONDON, "zh-CN")
    # When the move is followed
    followed = accounts_stream.follow(change, store, NOW)
    # Then the first write is refused and the second follows the new time in the new zone
    prefs = repo.preferences("ada")
    assert (followed, store.updates) == (True, 2)
    assert prefs is not None
    assert (prefs["reminder_time"], prefs["due_pk"]) == ("21:00", "2026-11-24T21:00Z")


class Failing:
    """A store that fails for one member."""

    def __init__(self, repo: NotificationsRepository, failing: str) -> None:
        self.repo = repo
        self.failing = failing

    def preferences(self, user_id: str) -> dict[str, Any] | None:
        if user_id == self.failing:
            raise RuntimeError("throttled")
        return self.repo.preferences(user_id)

    def update_preferences_if_unchanged(
        self, user_id: str, fields: dict[str, Any], seen_updated_at: str | None
    ) -> bool:
        return self.repo.update_preferences_if_unchanged(user_id, fields, seen_updated_at)


def test_a_failing_record_is_reported_alone(
    repo: NotificationsRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two members with preferences, the first of whom cannot be read
    save_preferences(repo, "bob")
    save_preferences(repo, "ada")
    monkeypatch.setattr(accounts_stream, "store", lambda: Failing(repo, "bob"))
    monkeypatch.setattr(accounts_stream, "now", lambda: NOW)
    event = accounts_event(
        ("MODIFY", profile("bob", SHANGHAI, "en"), profile("bob", LONDON, "en")),
        ("MODIFY", profile("ada", SHANGHAI, "en"), profile("ada", LONDON, "en")),
    )
    # When both moves arrive in one batch
    result = accounts_stream.handler(event, lambda_context())
    # Then only the first (by its sequence number) is reported failed; the second was followed
    assert result == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    prefs = repo.preferences("ada")
    assert prefs is not None and prefs["time_zone"] == LONDON


def test_the_consumer_loads_neither_fastapi_nor_pydantic() -> None:
    # Given the accounts stream consumer, which is no HTTP function
    script = (
        "import json, sys\n"
        "import functions.notifications.accounts_stream\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'fastapi', 'pydantic', 'starlette'})))\n"
    )
    root = Path(__file__).resolve().parents[2]
    # When a fresh interpreter imports it
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    # Then none of the HTTP stack was loaded
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
