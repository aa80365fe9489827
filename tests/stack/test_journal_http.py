"""The mood journal over HTTP: encrypted at rest, versioned, resendable, syncable."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from local.deploy import aws_client

Enrol = Callable[..., dict[str, str]]
SECRET_LINE = "今天在图书馆哭了 — the exam went badly"


@pytest.fixture
def member(new_member: Enrol) -> dict[str, str]:
    return new_member()


def write(api: httpx.Client, auth: dict[str, str], **fields: Any) -> httpx.Response:
    return api.post("journal/entries", headers=auth, json={"title": "t", "body": "b"} | fields)


def test_entry_is_written_read_and_listed(api: httpx.Client, member: dict[str, str]) -> None:
    # Given a member writes an entry
    created = write(api, member, title="Exam week", body=SECRET_LINE, mood=2, tags=["exams"])

    # When they read it back and list their journal
    read = api.get(f"journal/entries/{created.json()['id']}", headers=member)
    listed = api.get("journal/entries", headers=member).json()

    # Then the text is theirs as written, with version 1 and an ETag
    assert created.status_code == 201
    assert (read.json()["title"], read.json()["body"]) == ("Exam week", SECRET_LINE)
    assert read.json()["version"] == 1
    assert read.headers["etag"] == '"v1"'
    assert [e["id"] for e in listed["items"]] == [created.json()["id"]]


def test_the_table_holds_no_plaintext(
    api: httpx.Client, member: dict[str, str], local_cloud: dict[str, Any]
) -> None:
    # Given an entry with a recognisable title and body
    entry = write(api, member, title="Private title 私密", body=SECRET_LINE).json()

    # When the raw item is read straight from DynamoDB
    dynamodb = aws_client("dynamodb", local_cloud["aws_endpoint_url"], local_cloud["region"])
    items = dynamodb.query(
        TableName=local_cloud["tables"]["journal"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": entry_owner(member)}},
    )["Items"]
    raw = json.dumps(items, default=lambda b: base64.b64encode(b).decode())

    # Then neither text appears in any form the table holds
    assert any(i["entry_id"]["S"] == entry["id"] for i in items)
    for text in ("Private title", "私密", "图书馆", "exam went badly"):
        assert text not in raw
        assert base64.b64encode(text.encode()).decode() not in raw
    assert "title_ct" in items[0] or "title_ct" in items[-1]


def entry_owner(auth: dict[str, str]) -> str:
    payload = auth["Authorization"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


def test_resending_the_same_client_id_creates_one_entry(
    api: httpx.Client, member: dict[str, str]
) -> None:
    # Given an app that was offline sends an entry with its own id
    client_id = str(uuid.uuid4())
    first = write(api, member, body="offline thoughts", client_id=client_id)

    # When it resends the same entry
    again = write(api, member, body="offline thoughts", client_id=client_id)

    # Then one entry exists, with the app's id
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == client_id
    assert len(api.get("journal/entries", headers=member).json()["items"]) == 1


def test_filters_and_pages(api: httpx.Client, member: dict[str, str]) -> None:
    # Given five entries, two tagged "sleep" with mood 2
    for i in range(5):
        tags = ["sleep"] if i % 2 else ["work"]
        write(api, member, body=f"entry {i}", tags=tags, mood=2 if i % 2 else 4)

    # When the app pages through two at a time, and filters by tag and mood
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        page = api.get("journal/entries", headers=member, params=params).json()
        seen += [e["body"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    tagged = api.get("journal/entries", headers=member, params={"tag": "sleep"}).json()
    low = api.get("journal/entries", headers=member, params={"mood": "2"}).json()

    # Then every entry appears once, newest first, and the filters keep the right two
    assert seen == [f"entry {i}" for i in reversed(range(5))]
    assert sorted(e["body"] for e in tagged["items"]) == ["entry 1", "entry 3"]
    assert sorted(e["body"] for e in low["items"]) == ["entry 1", "entry 3"]


def test_update_with_if_match_then_stale_update_is_refused(
    api: httpx.Client, member: dict[str, str]
) -> None:
    # Given an entry read by two devices at version 1
    entry = write(api, member, body="draft").json()
    path = f"journal/entries/{entry['id']}"

    # When the phone saves first and the tablet saves on top of version 1
    phone = api.patch(path, headers=member | {"If-Match": '"v1"'}, json={"body": "phone edit"})
    tablet = api.patch(path, headers=member | {"If-Match": '"v1"'}, json={"body": "tablet edit"})
    by_version = api.patch(path, headers=member, json={"body": "old app", "version": 1})
    unversioned = api.patch(path, headers=member, json={"body": "no version"})

    # Then the phone's edit stands and the stale saves are refused, not merged
    assert phone.status_code == 200
    assert phone.json()["version"] == 2
    assert (tablet.status_code, by_version.status_code, unversioned.status_code) == (412, 409, 428)
    assert api.get(path, headers=member).json()["body"] == "phone edit"


def test_concurrent_updates_let_exactly_one_win(api: httpx.Client, member: dict[str, str]) -> None:
    # Given an entry at version 1
    entry = write(api, member, body="start").json()
    path = f"journal/entries/{entry['id']}"
    statuses: list[int] = []

    def save(text: str) -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            response = client.patch(
                path, headers=member | {"If-Match": '"v1"'}, json={"body": text}
            )
            statuses.append(response.status_code)

    # When four devices save on top of version 1 at the same moment
    threads = [threading.Thread(target=save, args=(f"device {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one succeeds and the others get 412
    assert sorted(statuses) == [200, 412, 412, 412]
    assert api.get(path, headers=member).json()["version"] == 2


def test_sync_reports_changes_and_deletions_since_a_token(
    api: httpx.Client, member: dict[str, str]
) -> None:
    # Given a full sync after two entries
    kept = write(api, member, body="kept").json()
    doomed = write(api, member, body="doomed").json()
    first = drain(api, member, None)

    # When one entry is edited, one deleted, one added, and the app syncs from its token
    api.patch(
        f"journal/entries/{kept['id']}", headers=member | {"If-Match": '"v1"'}, json={"mood": 5}
    )
    assert api.delete(f"journal/entries/{doomed['id']}", headers=member).status_code == 204
    added = write(api, member, body="new").json()
    second = drain(api, member, first["token"])

    # Then the first sync saw both, the second exactly the three changes, with a tombstone
    assert {c["id"] for c in first["changes"]} == {kept["id"], doomed["id"]}
    by_id = {c["id"]: c for c in second["changes"]}
    assert set(by_id) == {kept["id"], doomed["id"], added["id"]}
    assert by_id[doomed["id"]] == {"id": doomed["id"], "deleted": True, "entry": None}
    assert by_id[kept["id"]]["entry"]["mood"] == 5
    assert api.get(f"journal/entries/{doomed['id']}", headers=member).status_code == 404


def drain(api: httpx.Client, auth: dict[str, str], token: str | None) -> dict[str, Any]:
    """Sync until caught up; changes newer than the settle window come on a later call."""
    import time

    changes: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while True:
        params = {"since": token} if token else {}
        page = api.get("journal/sync", headers=auth, params=params).json()
        changes += page["changes"]
        token = page["next_token"]
        if not page["has_more"] and not page["changes"] and changes:
            return {"changes": changes, "token": token}
        if time.monotonic() > deadline:
            return {"changes": changes, "token": token}
        time.sleep(0.5)


def test_tampered_sync_token_is_refused(api: httpx.Client, member: dict[str, str]) -> None:
    # Given a sync token
    token = api.get("journal/sync", headers=member).json()["next_token"]

    # When its payload is altered
    forged = "A" + token[1:]

    # Then the API refuses it
    assert api.get("journal/sync", headers=member, params={"since": forged}).status_code == 400


def test_member_cannot_read_anothers_entry(api: httpx.Client, new_member: Enrol) -> None:
    # Given member B's entry
    owner, other = new_member(), new_member()
    entry = write(api, owner, body=SECRET_LINE).json()

    # When member A asks for it, edits it, deletes it
    path = f"journal/entries/{entry['id']}"
    answers = [
        api.get(path, headers=other).status_code,
        api.patch(path, headers=other | {"If-Match": '"v1"'}, json={"body": "x"}).status_code,
        api.delete(path, headers=other).status_code,
    ]

    # Then A gets 404 every time and B's entry is untouched
    assert answers == [404, 404, 404]
    assert api.get(path, headers=owner).json()["body"] == SECRET_LINE


def test_risky_entry_is_flagged_with_crisis_lines(
    api: httpx.Client, member: dict[str, str]
) -> None:
    # Given a member who writes that they do not want to live
    # When the entry is saved
    body = write(api, member, title="", body="最近很累，我不想活了。").json()

    # Then the response carries the risk and crisis lines at once
    assert body["risk"]["level"] in ("high", "imminent")
    assert body["crisis_resources"]["resources"]


def test_negated_mention_is_not_flagged(api: httpx.Client, member: dict[str, str]) -> None:
    # Given a member who writes that they would never hurt themselves
    # When the entry is saved
    body = write(api, member, body="I would never kill myself, I just feel tired.").json()

    # Then no crisis flag is raised
    assert body["risk"]["level"] == "none"
    assert body["crisis_resources"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"body": "x" * 20_001}, 422),
        ({"title": "t" * 201, "body": "x"}, 422),
        ({"body": "x", "mood": 6}, 422),
        ({"body": "x", "client_id": "not-a-uuid"}, 422),
        ({"body": "x", "secret": True}, 422),
        ({"title": "no body"}, 422),
    ],
)
def test_bad_entries_are_problems(
    api: httpx.Client, member: dict[str, str], body: dict[str, Any], status: int
) -> None:
    # Given a bad entry
    # When it is posted
    response = api.post("journal/entries", headers=member, json=body)

    # Then it is a problem and nothing was stored
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert api.get("journal/entries", headers=member).json()["items"] == []


def test_patch_changes_only_what_it_names(api: httpx.Client, member: dict[str, str]) -> None:
    # Given an entry with a title, body, mood and tags
    entry = write(api, member, title="Sunday", body="walked by the river", mood=3, tags=["walk"])
    path = f"journal/entries/{entry.json()['id']}"

    # When the mood is changed, the tags cleared, and the title sent as null
    changed = api.patch(
        path,
        headers=member | {"If-Match": '"v1"'},
        json={"mood": 4, "tags": [], "title": None},
    ).json()

    # Then the text stays as written and only those fields moved
    assert (changed["title"], changed["body"]) == ("Sunday", "walked by the river")
    assert (changed["mood"], changed["tags"], changed["version"]) == (4, [], 2)
