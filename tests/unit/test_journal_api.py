"""The journal HTTP contract, in-process: the real vault over an in-memory repository and KMS."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from functions.journal import routes
from functions.journal.logic import SYNC_SETTLE_SECONDS, TOMBSTONE_DAYS
from functions.journal.repository import META
from functions.journal.routes import app, repository, vault
from functions.journal.vault import JournalVault
from shared.errors import PROBLEM_TYPE_BASE
from shared.identity import current_identity
from shared.routing import clock
from tests.support.fakes import (
    Caller,
    FakeJournalRepository,
    FakeKms,
    KmsRefused,
    MovableClock,
    fake_journal_vault,
    fake_signal_sealer,
    member,
)

START = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)  # 02:00 on 2 May in Shanghai
SETTLED = dt.timedelta(seconds=SYNC_SETTLE_SECONDS + 1)
PROBLEM_JSON = "application/problem+json"
BODY = "I told nobody about the panic attack on the bus"
RISKY_BODY = "I want to die"
CLIENT_ID = "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f"


@pytest.fixture
def repo() -> FakeJournalRepository:
    return FakeJournalRepository()


@pytest.fixture
def kms() -> FakeKms:
    return FakeKms()


@pytest.fixture
def sealer(repo: FakeJournalRepository, kms: FakeKms) -> JournalVault:
    return fake_journal_vault(repo, kms)


@pytest.fixture
def now() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def caller() -> Caller:
    return Caller(member("user-a", zoneinfo="Asia/Shanghai"))


@pytest.fixture
def api(
    repo: FakeJournalRepository,
    sealer: JournalVault,
    now: MovableClock,
    caller: Caller,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    app.dependency_overrides[current_identity] = caller
    app.dependency_overrides[repository] = lambda: repo
    app.dependency_overrides[vault] = lambda: sealer
    app.dependency_overrides[clock] = lambda: now
    monkeypatch.setattr(routes, "cursor_secret", lambda: b"k" * 32)
    try:
        yield TestClient(app)
    finally:
        app.dependency_overrides.clear()


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    """An RFC 9457 problem with the given status that does not echo the member's words."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert (body["type"], body["status"]) == (PROBLEM_TYPE_BASE + slug, status)
    assert BODY not in response.text


def write(api: TestClient, **fields: Any) -> httpx.Response:
    return api.post("/journal/entries", json={"title": "Bus", "body": BODY} | fields)


def entries_of(repo: FakeJournalRepository, user_id: str = "user-a") -> list[dict[str, Any]]:
    return [v for (u, e), v in repo.items.items() if u == user_id and e != META]


def list_ids(api: TestClient, **params: Any) -> list[str]:
    response = api.get("/journal/entries", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


# --- POST /journal/entries -------------------------------------------------------------------


def test_new_entry_is_201_with_its_version_as_etag(api: TestClient) -> None:
    # Given a member / When they write an entry
    response = write(api, mood=2, emotions=["anxious"], tags=["bus"])
    # Then it is created at version 1 and returned as written
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert (body["title"], body["body"], body["mood"], body["emotions"], body["tags"]) == (
        "Bus",
        BODY,
        2,
        ["anxious"],
        ["bus"],
    )
    assert body["version"] == 1
    assert body["written_at"] == body["updated_at"] == "2026-05-01T18:00:00.000Z"
    assert uuid.UUID(body["id"])


def test_resending_a_client_id_is_200_with_the_first_entry(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given an entry written with a client_id
    first = write(api, client_id=CLIENT_ID)
    # When the app resends it (say, after a timeout), even with other words
    again = write(api, client_id=CLIENT_ID, body="a retry that changed")
    # Then the answer is 200 with the entry made first, and there is still one entry
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] == CLIENT_ID
    assert again.json()["body"] == BODY
    assert again.headers["etag"] == '"v1"'
    assert len(entries_of(repo)) == 1


def test_a_client_id_of_a_deleted_entry_is_409(api: TestClient) -> None:
    # Given an entry written with a client_id, then deleted
    write(api, client_id=CLIENT_ID)
    assert api.delete(f"/journal/entries/{CLIENT_ID}").status_code == 204
    # When the same client_id is sent again
    response = write(api, client_id=CLIENT_ID)
    # Then it is a conflict: the app must use a new id
    assert_problem(response, 409, "conflict")


def test_the_same_client_id_for_another_member_is_their_own_entry(
    api: TestClient, caller: Caller, repo: FakeJournalRepository
) -> None:
    # Given user-a's entry with a client_id
    write(api, client_id=CLIENT_ID)
    # When user-b sends an entry with the same client_id
    caller.identity = member("user-b")
    response = write(api, client_id=CLIENT_ID, body="user-b's words")
    # Then it is a new entry of theirs, and user-a's is untouched
    assert response.status_code == 201
    assert response.json()["body"] == "user-b's words"
    assert [e["entry_id"] for e in entries_of(repo, "user-a")] == [CLIENT_ID]


def test_stored_entry_holds_only_ciphertext_of_the_words(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given an entry with a title, a risky body and tags
    write(api, title="Private title", body=RISKY_BODY, tags=["secret-tag"])
    # When the stored item is looked at
    [item] = entries_of(repo)
    # Then title, body, tags and the risk's reasons are only there as *_ct bytes
    assert not {"title", "body", "tags", "reasons"} & set(item)
    assert not {"reasons"} & set(item["risk"])
    for name in ("title_ct", "body_ct", "tags_ct", "reasons_ct"):
        assert isinstance(item[name], bytes) and item[name][:1] == b"\x01"
    text = repr(item)
    for words in ("Private title", RISKY_BODY, "secret-tag", "want_to_die"):
        assert words not in text
    assert item["risk_level"] == "high"


def test_stored_entry_without_tags_has_no_tags_ciphertext(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given an entry without tags, with no risk / When stored
    write(api, body="A calm walk by the river")
    [item] = entries_of(repo)
    # Then there is nothing sealed for tags or reasons
    assert {"title_ct", "body_ct"} <= set(item)
    assert not {"tags_ct", "reasons_ct"} & set(item)


def test_a_risky_entry_carries_its_reasons_sealed_for_the_crisis_feature(
    api: TestClient, repo: FakeJournalRepository, kms: FakeKms
) -> None:
    # Given a risky entry
    entry_id = write(api, body=RISKY_BODY).json()["id"]
    [item] = entries_of(repo)
    # Then `signal_ct` opens, for this member and entry only, to the lexicon's reason codes
    signals = fake_signal_sealer(kms)
    reasons = signals.open("user-a", entry_id, item["signal_ct"])
    assert reasons and all(r.startswith("lexicon:") for r in reasons)
    with pytest.raises(KmsRefused):
        signals.open("user-b", entry_id, item["signal_ct"])
    # and the reasons are nowhere in plain
    assert not any(r in repr(item) for r in reasons)


def test_an_entry_without_risk_carries_no_signal_reasons(
    api: TestClient, repo: FakeJournalRepository, kms: FakeKms
) -> None:
    write(api, body="A calm walk by the river")
    [item] = entries_of(repo)
    assert "signal_ct" not in item
    assert "encrypt" not in kms.calls


def test_an_edit_that_removes_the_risk_removes_the_signal_reasons(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given a risky entry edited into a calm one
    entry_id = write(api, body=RISKY_BODY).json()["id"]
    response = api.patch(
        f"/journal/entries/{entry_id}",
        json={"body": "A calm walk by the river"},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.text
    # Then the stored version holds no signal reasons
    [item] = entries_of(repo)
    assert item["risk_level"] == "none" and "signal_ct" not in item


def test_a_risky_entry_answers_with_crisis_lines(api: TestClient) -> None:
    # Given a member in a crisis / When they write that they want to die
    response = write(api, body=RISKY_BODY)
    # Then the risk is high, with its reason, and the answer carries crisis lines
    assert response.status_code == 201
    body = response.json()
    assert body["risk"]["level"] == "high"
    assert body["risk"]["reasons"] == ["lexicon:en_want_to_die"]
    assert body["crisis_resources"]["resources"]


def test_an_ordinary_entry_has_no_risk_and_no_crisis_lines(api: TestClient) -> None:
    # Given / When an everyday entry is written
    body = write(api, body="A calm walk by the river").json()
    # Then there is no risk and no crisis block
    assert body["risk"] == {"level": "none", "reasons": [], "recommended_screener": None}
    assert body["crisis_resources"] is None


def test_a_risky_entry_read_back_keeps_its_reasons_but_not_the_crisis_lines(
    api: TestClient,
) -> None:
    # Given a risky entry
    entry_id = write(api, body=RISKY_BODY).json()["id"]
    # When it is read back
    body = api.get(f"/journal/entries/{entry_id}").json()
    # Then its risk and reasons are there (opened), the crisis lines are not (never stored)
    assert body["risk"]["reasons"] == ["lexicon:en_want_to_die"]
    assert body["crisis_resources"] is None


def test_member_retention_sets_the_entrys_expiry(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given a member who keeps entries 30 days
    repo.set_retention("user-a", 30)
    # When they write an entry
    write(api)
    # Then it expires 30 days after it was written
    [item] = entries_of(repo)
    assert item["expires_at"] == int((START + dt.timedelta(days=30)).timestamp())


def test_without_retention_the_entry_never_expires(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given a member with no retention choice / When they write / Then the entry has no expiry
    write(api)
    [item] = entries_of(repo)
    assert "expires_at" not in item


# A write reads the retention afresh: the profile stream updates only the entries that
# already exist, so an entry written just after a change must see it itself.


def test_an_entry_written_just_after_retention_is_set_expires(
    api: TestClient, repo: FakeJournalRepository, now: MovableClock
) -> None:
    # Given a member who wrote an entry (their key item is now cached), then chose 30 days
    write(api)
    repo.set_retention("user-a", 30)  # what the profile stream records on "#meta"
    # When they write again ten seconds later
    now.now = START + dt.timedelta(seconds=10)
    entry_id = write(api).json()["id"]
    # Then the new entry expires 30 days after it was written
    stored = repo.items[("user-a", entry_id)]
    assert stored.get("expires_at") == int(now.now.timestamp()) + 30 * 86_400


def test_an_entry_written_just_after_retention_is_cleared_is_kept(
    api: TestClient, repo: FakeJournalRepository, now: MovableClock
) -> None:
    # Given a member who kept entries 30 days and wrote one, then chose to keep them for ever
    repo.set_retention("user-a", 30)
    write(api)
    repo.set_retention("user-a", None)  # what the profile stream records on "#meta"
    # When they write again ten seconds later
    now.now = START + dt.timedelta(seconds=10)
    entry_id = write(api).json()["id"]
    # Then the new entry does not expire (it would be deleted against their choice)
    assert "expires_at" not in repo.items[("user-a", entry_id)]


def test_one_data_key_serves_every_write_of_a_member(api: TestClient, kms: FakeKms) -> None:
    # Given a member / When they write three entries
    for _ in range(3):
        write(api)
    # Then one data key was made for them, and it was never unwrapped again (kept warm)
    assert kms.calls == {"generate_data_key": 1}


# --- GET /journal/entries/{id} ---------------------------------------------------------------


def test_get_entry_returns_it_opened_with_its_etag(api: TestClient) -> None:
    # Given an entry
    created = write(api, tags=["bus"]).json()
    # When it is read
    response = api.get(f"/journal/entries/{created['id']}")
    # Then it comes back as written, with its version as ETag
    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    assert response.json() == created


def test_get_entry_that_does_not_exist_is_404(api: TestClient) -> None:
    # Given / When an unknown id is read / Then it is not found
    assert_problem(api.get(f"/journal/entries/{uuid.uuid4()}"), 404, "not-found")


def test_get_entry_of_another_member_is_404(api: TestClient, caller: Caller) -> None:
    # Given user-a's entry
    entry_id = write(api).json()["id"]
    # When user-b asks for it
    caller.identity = member("user-b")
    # Then there is no such entry for them
    assert_problem(api.get(f"/journal/entries/{entry_id}"), 404, "not-found")


def test_get_entry_with_an_id_that_is_not_a_uuid_is_422(api: TestClient) -> None:
    # Given / When an id that is not a UUID is read / Then it is invalid input
    assert_problem(api.get("/journal/entries/not-a-uuid"), 422, "invalid-input")


# --- PATCH /journal/entries/{id} -------------------------------------------------------------


def test_patch_with_the_current_etag_changes_the_entry(api: TestClient, now: MovableClock) -> None:
    # Given an entry at version 1
    entry_id = write(api, mood=2).json()["id"]
    # When it is patched an hour later with If-Match "v1"
    now.now = START + dt.timedelta(hours=1)
    response = api.patch(
        f"/journal/entries/{entry_id}", json={"mood": 4}, headers={"If-Match": '"v1"'}
    )
    # Then it is at version 2 with the new mood; written_at stays, updated_at moves
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    body = response.json()
    assert (body["version"], body["mood"], body["body"]) == (2, 4, BODY)
    assert (body["written_at"], body["updated_at"]) == (
        "2026-05-01T18:00:00.000Z",
        "2026-05-01T19:00:00.000Z",
    )


def test_patch_with_a_stale_etag_is_412(api: TestClient) -> None:
    # Given an entry patched once (now at version 2)
    entry_id = write(api).json()["id"]
    api.patch(f"/journal/entries/{entry_id}", json={"mood": 3}, headers={"If-Match": '"v1"'})
    # When another device patches it with the ETag it read before
    response = api.patch(
        f"/journal/entries/{entry_id}", json={"mood": 5}, headers={"If-Match": '"v1"'}
    )
    # Then the precondition fails and the entry keeps the first change
    assert_problem(response, 412, "precondition-failed")
    assert api.get(f"/journal/entries/{entry_id}").json()["mood"] == 3


def test_patch_with_a_stale_version_is_409(api: TestClient) -> None:
    # Given an entry now at version 2
    entry_id = write(api).json()["id"]
    api.patch(f"/journal/entries/{entry_id}", json={"mood": 3, "version": 1})
    # When patched with version 1 in the body
    response = api.patch(f"/journal/entries/{entry_id}", json={"mood": 5, "version": 1})
    # Then it is a conflict
    assert_problem(response, 409, "conflict")


def test_patch_with_the_current_version_in_the_body_succeeds(api: TestClient) -> None:
    # Given an entry at version 1 / When patched with version 1 in the body
    entry_id = write(api).json()["id"]
    response = api.patch(f"/journal/entries/{entry_id}", json={"title": "New", "version": 1})
    # Then it changes
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["version"]) == ("New", 2)


def test_patch_without_if_match_or_version_is_428(api: TestClient) -> None:
    # Given an entry / When patched without saying which version it changes
    entry_id = write(api).json()["id"]
    response = api.patch(f"/journal/entries/{entry_id}", json={"mood": 5})
    # Then a precondition is required, and nothing changed
    assert_problem(response, 428, "precondition-required")
    assert api.get(f"/journal/entries/{entry_id}").json()["version"] == 1


def test_patch_with_a_malformed_if_match_is_422(api: TestClient) -> None:
    # Given an entry / When patched with an If-Match that is not one of its ETags
    entry_id = write(api).json()["id"]
    response = api.patch(f"/journal/entries/{entry_id}", json={}, headers={"If-Match": "*"})
    # Then it is invalid input
    assert_problem(response, 422, "invalid-input")


def test_patch_with_null_title_keeps_the_text(api: TestClient) -> None:
    # Given an entry with a title and a body
    entry_id = write(api, title="Bus").json()["id"]
    # When patched with title and body null and a new mood
    response = api.patch(
        f"/journal/entries/{entry_id}",
        json={"title": None, "body": None, "mood": 1, "version": 1},
    )
    # Then the words are kept as written
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["body"]) == ("Bus", BODY)
    assert api.get(f"/journal/entries/{entry_id}").json()["title"] == "Bus"


def test_patch_with_null_clears_mood_emotions_and_tags(api: TestClient) -> None:
    # Given an entry with a mood, emotions and tags
    entry_id = write(api, mood=2, emotions=["sad"], tags=["bus"]).json()["id"]
    # When they are patched to null
    api.patch(
        f"/journal/entries/{entry_id}",
        json={"mood": None, "emotions": None, "tags": None, "version": 1},
    )
    # Then they are cleared
    body = api.get(f"/journal/entries/{entry_id}").json()
    assert (body["mood"], body["emotions"], body["tags"]) == (None, [], [])


def test_patch_that_makes_an_entry_risky_answers_with_crisis_lines(api: TestClient) -> None:
    # Given an ordinary entry
    entry_id = write(api, body="A calm walk").json()["id"]
    # When its body is changed to say the member wants to die
    response = api.patch(f"/journal/entries/{entry_id}", json={"body": RISKY_BODY, "version": 1})
    # Then the risk is assessed again and the crisis lines come with the answer
    assert response.json()["risk"]["level"] == "high"
    assert response.json()["crisis_resources"]["resources"]


def test_patch_of_a_deleted_entry_is_404(api: TestClient) -> None:
    # Given a deleted entry / When patched / Then it is not found
    entry_id = write(api).json()["id"]
    api.delete(f"/journal/entries/{entry_id}")
    response = api.patch(f"/journal/entries/{entry_id}", json={"mood": 1, "version": 1})
    assert_problem(response, 404, "not-found")


# --- DELETE /journal/entries/{id} ------------------------------------------------------------


def test_delete_leaves_a_tombstone_without_words(
    api: TestClient, repo: FakeJournalRepository
) -> None:
    # Given an entry
    entry_id = write(api).json()["id"]
    # When it is deleted
    response = api.delete(f"/journal/entries/{entry_id}")
    # Then it is gone for reads, and what is stored holds no ciphertext, only the tombstone
    assert response.status_code == 204
    assert_problem(api.get(f"/journal/entries/{entry_id}"), 404, "not-found")
    [grave] = entries_of(repo)
    assert grave["deleted"] is True
    assert grave["version"] == 2
    assert not [k for k in grave if k.endswith("_ct")]


def test_delete_twice_is_204_both_times(api: TestClient) -> None:
    # Given a deleted entry / When deleted again / Then it is still 204
    entry_id = write(api).json()["id"]
    assert api.delete(f"/journal/entries/{entry_id}").status_code == 204
    assert api.delete(f"/journal/entries/{entry_id}").status_code == 204


def test_delete_of_an_unknown_entry_is_404(api: TestClient) -> None:
    # Given / When an unknown id is deleted / Then it is not found
    assert_problem(api.delete(f"/journal/entries/{uuid.uuid4()}"), 404, "not-found")


def test_deleted_entry_is_not_listed(api: TestClient) -> None:
    # Given two entries, one deleted
    kept = write(api).json()["id"]
    gone = write(api).json()["id"]
    api.delete(f"/journal/entries/{gone}")
    # When listed / Then only the other one is there
    assert list_ids(api) == [kept]


# --- GET /journal/entries --------------------------------------------------------------------


def write_at(api: TestClient, now: MovableClock, at: dt.datetime, **fields: Any) -> str:
    now.now = at
    response = write(api, **fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_list_is_newest_first(api: TestClient, now: MovableClock) -> None:
    # Given three entries written an hour apart
    ids = [write_at(api, now, START + dt.timedelta(hours=h)) for h in range(3)]
    # When listed / Then the newest comes first
    assert list_ids(api) == ids[::-1]


def test_list_pages_follow_the_cursor_without_duplicates(
    api: TestClient, now: MovableClock
) -> None:
    # Given five entries
    ids = [write_at(api, now, START + dt.timedelta(minutes=m)) for m in range(5)]
    # When listed two at a time, following next_cursor
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = api.get("/journal/entries", params=params).json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Then the pages hold every entry once, newest first
    assert pages == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]


def test_list_filters_by_tag_after_opening(api: TestClient, now: MovableClock) -> None:
    # Given entries with different (sealed) tags
    work = write_at(api, now, START, tags=["work", "sleep"])
    write_at(api, now, START + dt.timedelta(minutes=1), tags=["family"])
    write_at(api, now, START + dt.timedelta(minutes=2))
    # When listed by the tag "work" / Then only the entry with that tag comes back
    assert list_ids(api, tag="work") == [work]


def test_list_filters_by_mood(api: TestClient, now: MovableClock) -> None:
    # Given entries with moods 2, 4 and 2
    low = [write_at(api, now, START + dt.timedelta(minutes=m), mood=2) for m in (0, 2)]
    write_at(api, now, START + dt.timedelta(minutes=1), mood=4)
    # When listed by mood 2 / Then only those, newest first
    assert list_ids(api, mood=2) == low[::-1]


def test_list_by_local_days(api: TestClient, now: MovableClock) -> None:
    # Given entries at 23:30 on 1 May and 00:30 on 2 May, Shanghai time
    late = write_at(api, now, dt.datetime(2026, 5, 1, 15, 30, tzinfo=dt.UTC))
    early = write_at(api, now, dt.datetime(2026, 5, 1, 16, 30, tzinfo=dt.UTC))
    # When each local day is listed / Then each entry falls on its own local day
    assert list_ids(api, **{"from": "2026-05-01", "to": "2026-05-01"}) == [late]
    assert list_ids(api, **{"from": "2026-05-02", "to": "2026-05-02"}) == [early]


def test_list_shows_only_the_callers_entries(api: TestClient, caller: Caller) -> None:
    # Given an entry of user-a
    write(api)
    # When user-b lists theirs / Then there are none
    caller.identity = member("user-b")
    assert list_ids(api) == []


def test_list_with_a_cursor_from_another_query_is_400(api: TestClient, now: MovableClock) -> None:
    # Given a cursor from the mood-2 listing
    for m in range(3):
        write_at(api, now, START + dt.timedelta(minutes=m), mood=2)
    cursor = api.get("/journal/entries", params={"limit": 1, "mood": 2}).json()["next_cursor"]
    # When it is used for the unfiltered listing / Then it is refused
    response = api.get("/journal/entries", params={"limit": 1, "cursor": cursor})
    assert_problem(response, 400, "invalid-cursor")


# --- GET /journal/sync -----------------------------------------------------------------------


def sync(api: TestClient, since: str | None = None) -> dict[str, Any]:
    response = api.get("/journal/sync", params={"since": since} if since else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_first_sync_hands_out_every_settled_entry_oldest_first(
    api: TestClient, now: MovableClock
) -> None:
    # Given two entries, a minute apart
    first = write_at(api, now, START)
    second = write_at(api, now, START + dt.timedelta(minutes=1))
    # When the app syncs a few seconds later
    now.now = START + dt.timedelta(minutes=1) + SETTLED
    page = sync(api)
    # Then both come, oldest first, opened, and nothing more waits
    assert [(c["id"], c["deleted"]) for c in page["changes"]] == [
        (first, False),
        (second, False),
    ]
    assert page["changes"][0]["entry"]["body"] == BODY
    assert page["has_more"] is False


def test_sync_reports_a_deleted_entry_as_a_tombstone(api: TestClient, now: MovableClock) -> None:
    # Given an entry the app has synced
    entry_id = write_at(api, now, START)
    now.now = START + SETTLED
    token = sync(api)["next_token"]
    # When it is deleted, and the app syncs again
    now.now = START + dt.timedelta(minutes=5)
    api.delete(f"/journal/entries/{entry_id}")
    now.now += SETTLED
    page = sync(api, token)
    # Then the change is a deletion, with no entry
    assert page["changes"] == [{"id": entry_id, "deleted": True, "entry": None}]


def test_sync_with_the_latest_token_hands_out_nothing(api: TestClient, now: MovableClock) -> None:
    # Given an app that has synced everything
    write_at(api, now, START)
    now.now = START + SETTLED
    token = sync(api)["next_token"]
    # When it syncs again with nothing new / Then there are no changes
    assert sync(api, token)["changes"] == []


def test_sync_waits_for_a_change_to_settle(api: TestClient, now: MovableClock) -> None:
    # Given an entry written this very moment
    entry_id = write_at(api, now, START)
    # When the app syncs at once, and again a few seconds later with the token it got
    early = sync(api)
    now.now = START + SETTLED
    later = sync(api, early["next_token"])
    # Then the change comes only once settled, and is not lost in between
    assert early["changes"] == []
    assert [c["id"] for c in later["changes"]] == [entry_id]


def test_sync_pages_with_has_more(api: TestClient, now: MovableClock) -> None:
    # Given three settled entries
    ids = [write_at(api, now, START + dt.timedelta(minutes=m)) for m in range(3)]
    now.now = START + dt.timedelta(minutes=3)
    # When synced two at a time
    first = api.get("/journal/sync", params={"limit": 2}).json()
    second = api.get("/journal/sync", params={"limit": 2, "since": first["next_token"]}).json()
    # Then the first page says more wait, the second finishes
    assert ([c["id"] for c in first["changes"]], first["has_more"]) == (ids[:2], True)
    assert ([c["id"] for c in second["changes"]], second["has_more"]) == (ids[2:], False)


def test_sync_token_older_than_the_tombstones_is_410(api: TestClient, now: MovableClock) -> None:
    # Given a token from a sync long ago
    write_at(api, now, START)
    now.now = START + SETTLED
    token = sync(api)["next_token"]
    # When it is used after the tombstones of that time are gone
    now.now = START + dt.timedelta(days=TOMBSTONE_DAYS + 1)
    response = api.get("/journal/sync", params={"since": token})
    # Then the app is told to sync fully
    assert_problem(response, 410, "sync-expired")


def test_sync_token_of_another_member_is_refused(
    api: TestClient, now: MovableClock, caller: Caller
) -> None:
    # Given user-a's sync token
    write_at(api, now, START)
    now.now = START + SETTLED
    token = sync(api)["next_token"]
    # When user-b sends it / Then it is refused as an invalid cursor
    caller.identity = member("user-b")
    assert_problem(api.get("/journal/sync", params={"since": token}), 400, "invalid-cursor")


def test_a_risky_entry_tells_the_member_in_their_language_a_counsellor_will_reach_out(
    api: TestClient, caller: Caller
) -> None:
    # Given a member whose app is in Chinese
    caller.identity = member("user-a", locale="zh-CN")
    # When they write a risky entry, and then an ordinary one
    risky = write(api, body=RISKY_BODY).json()
    calm = write(api, body="A calm walk by the river").json()
    # Then only the risky one requests support, worded in Chinese
    assert risky["support_requested"] is True and "心理老师" in risky["support_message"]
    assert (calm["support_requested"], calm["support_message"]) == (False, None)
