"""The supporter inbox: the projector on the check-ins stream and GET/POST /peer/inbox
(moto DynamoDB, KMS in memory, roster and units in dicts)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from functions.peer.logic import inbox_item_id
from tests.support.moto_cloud import moto_clients
from tests.unit.peer_world import (
    ADMIN,
    CLASSMATE,
    COUNSELLOR,
    ELSEWHERE,
    MEMBER,
    NOW,
    OTHER_SUPPORTER,
    SUPPORTER,
    THIRD,
    World,
    checkin_image,
)

# What an inbox item may hold: keys, the plain fields a supporter may see, its state.
ALLOWED = {
    "pk", "sk", "need_pk", "need_sk", "item_id", "supporter_id", "member_id", "org_id",
    "unit_id", "display_name", "date", "mood", "emotions", "falling", "status",
    "waiting_since", "updated_at", "replied_at", "handled_at", "tags_ct", "note_ct",
}  # fmt: skip
TAGS = ["考试", "sleep"]
NOTE = "今天考试没考好，睡不着"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def test_a_shared_checkin_reaches_the_units_supporter_with_plain_fields_only(
    world: World,
) -> None:
    # Given a member of class c71 shares a check-in
    assert world.share(checkin_image()) == "projected"
    # When the supporter of c71 opens the inbox
    response = world.http.get("/peer/inbox")
    # Then the day is there: name, date, mood, emotions, nothing clinical
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    assert item["id"] == inbox_item_id(MEMBER.user_id, "2026-11-24")
    assert (item["display_name"], item["date"], item["mood"]) == ("Xiao Ming", "2026-11-24", 2)
    assert item["emotions"] == ["anxious", "tired"]
    assert (item["tags"], item["note"]) == ([], None)  # none shared
    assert not {"scores", "risk", "instruments", "energy", "reasons"} & set(item)


def test_stored_inbox_items_hold_no_scores_risk_or_sealed_fields(world: World) -> None:
    world.share(checkin_image())
    (stored,) = world.inbox_items()
    assert set(stored) <= ALLOWED, set(stored) - ALLOWED
    assert "severe" not in repr(world.items()) and "sealed" not in repr(world.items())


def test_a_checkin_rewritten_with_sharing_off_leaves_the_inbox(world: World) -> None:
    world.share(checkin_image())
    assert world.share(checkin_image(share=False), event="MODIFY") == "unshared"
    assert world.inbox_items() == []
    assert world.http.get("/peer/inbox").json()["items"] == []


def test_a_removed_checkin_leaves_the_inbox(world: World) -> None:
    world.share(checkin_image())
    world.projector.apply("REMOVE", None, checkin_image(), world.clock())
    assert world.inbox_items() == []


def test_an_unshared_checkin_never_reaches_an_inbox(world: World) -> None:
    assert world.share(checkin_image(share=False)) == "unshared"
    assert world.inbox_items() == []


def test_a_supporter_of_another_unit_sees_nothing_and_gets_404_on_the_item(
    world: World,
) -> None:
    world.share(checkin_image())
    item_id = inbox_item_id(MEMBER.user_id, "2026-11-24")
    world.as_(OTHER_SUPPORTER)
    assert world.http.get("/peer/inbox").json()["items"] == []
    body = {"text": "hi", "client_id": "2f1c8c8e-8f3e-4c55-9a55-0d8c1b2a3b4c"}
    assert world.http.post(f"/peer/inbox/{item_id}/reply", json=body).status_code == 404
    assert world.http.post(f"/peer/inbox/{item_id}/handled").status_code == 404


def test_a_supporter_taken_off_the_unit_no_longer_sees_its_items(world: World) -> None:
    world.share(checkin_image())
    world.roster.put(replace(SUPPORTER, units_supported=("c72",)))
    assert world.http.get("/peer/inbox").json()["items"] == []


def test_a_new_supporter_of_the_unit_gets_the_next_write_and_the_old_one_loses_it(
    world: World,
) -> None:
    world.share(checkin_image())
    world.units.by_unit[("school", "c71")] = (OTHER_SUPPORTER.user_id,)
    world.roster.put(replace(OTHER_SUPPORTER, units_supported=("c71", "c72")))
    world.share(checkin_image(mood=3), event="MODIFY")
    assert {i["supporter_id"] for i in world.inbox_items()} == {OTHER_SUPPORTER.user_id}


def test_a_supporter_whose_training_lapsed_is_sent_nothing_new(world: World) -> None:
    # Given the unit's supporter's training lapsed the day before the check-in
    lapsed = (NOW.date() - dt.timedelta(days=1)).isoformat()
    world.roster.put(replace(SUPPORTER, training_valid_until=lapsed))
    # When a member shares a check-in
    world.share(checkin_image())
    # Then no inbox gets it; renewed (valid today), the next write reaches them
    assert world.inbox_items() == []
    world.roster.put(replace(SUPPORTER, training_valid_until=NOW.date().isoformat()))
    world.share(checkin_image(mood=3), event="MODIFY")
    assert {i["supporter_id"] for i in world.inbox_items()} == {SUPPORTER.user_id}


def test_members_and_counsellors_have_no_inbox(world: World) -> None:
    world.as_(MEMBER)
    assert world.http.get("/peer/inbox").status_code == 403


@pytest.mark.parametrize("caller", [MEMBER, COUNSELLOR, ADMIN], ids=lambda e: e.role)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/peer/inbox/{item}/reply", {}),
        ("post", "/peer/inbox/{item}/reply", {"text": "", "client_id": "not-a-uuid", "x": 1}),
        ("post", "/peer/inbox/{item}/reply", None),
        ("post", "/peer/inbox/{item}/handled", None),
        ("get", "/peer/inbox?status=everything&limit=0", None),
    ],
    ids=["empty-body", "bad-body", "no-body", "handled", "bad-query"],
)
def test_a_non_supporter_is_refused_before_the_request_is_validated(
    world: World, caller: Any, method: str, path: str, body: Any
) -> None:
    # Given a shared check-in, and someone who is not a peer supporter
    world.share(checkin_image())
    world.as_(caller)
    # When they call an inbox route with a body or query that is not valid either
    url = path.format(item=inbox_item_id(MEMBER.user_id, "2026-11-24"))
    response = world.http.request(method.upper(), url, json=body)
    # Then they learn only that they may not (403), not what the route expects (422)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "errors" not in response.json()
    assert world.audit.records == [] and world.notified == []


def test_a_supporter_the_roster_no_longer_lists_is_refused_before_the_body(
    world: World,
) -> None:
    # Given a supporter whose token still says supporter, but the roster says removed
    world.roster.put(replace(SUPPORTER, active=False))
    # When they reply with an empty body / Then 403, not 422
    item_id = inbox_item_id(MEMBER.user_id, "2026-11-24")
    assert world.http.post(f"/peer/inbox/{item_id}/reply", json={}).status_code == 403


def test_a_supporter_still_gets_422_for_a_bad_reply(world: World) -> None:
    world.share(checkin_image())
    item_id = inbox_item_id(MEMBER.user_id, "2026-11-24")
    assert world.http.post(f"/peer/inbox/{item_id}/reply", json={}).status_code == 422


def test_the_inbox_is_ordered_by_need(world: World) -> None:
    # Given: Xiao Ming mood 3 long waiting; Xiao Fang mood 2, was 4 (falling);
    # Xiao Gang mood 2 steady, waiting longest; and Xiao Ming's earlier mood-1 day
    world.share(checkin_image(MEMBER, "2026-11-20", 3, created_at="2026-11-20T01:00:00.000Z"))
    world.share(checkin_image(CLASSMATE, "2026-11-22", 4, created_at="2026-11-22T01:00:00.000Z"))
    world.share(checkin_image(CLASSMATE, "2026-11-24", 2, created_at="2026-11-24T01:00:00.000Z"))
    world.share(checkin_image(THIRD, "2026-11-21", 2, created_at="2026-11-21T01:00:00.000Z"))
    world.share(checkin_image(MEMBER, "2026-11-23", 1, created_at="2026-11-23T01:00:00.000Z"))
    # When the supporter reads the inbox
    items = world.http.get("/peer/inbox").json()["items"]
    # Then low mood first, then falling, then the longest waiting, with higher moods last
    order = [(i["display_name"], i["date"]) for i in items]
    assert order == [
        ("Xiao Ming", "2026-11-23"),
        ("Xiao Fang", "2026-11-24"),
        ("Xiao Gang", "2026-11-21"),
        ("Xiao Ming", "2026-11-20"),
        ("Xiao Fang", "2026-11-22"),
    ]
    assert [i["falling"] for i in items] == [True, True, False, False, False]


def test_pages_follow_the_order_with_a_signed_cursor(world: World) -> None:
    for day, mood in (("2026-11-20", 4), ("2026-11-21", 1), ("2026-11-22", 3)):
        world.share(checkin_image(day=day, mood=mood, created_at=f"{day}T01:00:00.000Z"))
    first = world.http.get("/peer/inbox?limit=2").json()
    second = world.http.get(f"/peer/inbox?limit=2&cursor={first['next_cursor']}").json()
    moods = [i["mood"] for i in first["items"] + second["items"]]
    assert moods == [1, 3, 4]
    world.as_(OTHER_SUPPORTER)
    assert world.http.get(f"/peer/inbox?limit=2&cursor={first['next_cursor']}").status_code == 400


def test_every_inbox_read_is_audited_naming_the_member(world: World) -> None:
    world.share(checkin_image())
    world.share(checkin_image(ELSEWHERE))  # another unit: not shown, not audited
    world.http.get("/peer/inbox")
    (record,) = world.audit.records
    assert record["subject_id"] == MEMBER.user_id
    assert (record["actor_id"], record["action"]) == (SUPPORTER.user_id, "peer_inbox.read")


def test_a_reply_becomes_a_message_the_member_reads(world: World) -> None:
    # Given a shared check-in in the supporter's inbox
    world.share(checkin_image())
    item_id = inbox_item_id(MEMBER.user_id, "2026-11-24")
    # When the supporter replies
    body = {
        "text": "看到你今天很累，要不要聊聊？",
        "client_id": "2f1c8c8e-8f3e-4c55-9a55-0d8c1b2a3b4c",
    }
    response = world.http.post(f"/peer/inbox/{item_id}/reply", json=body)
    assert response.status_code == 201, response.text
    # Then the member has one conversation with one unread message, and reads it
    world.as_(MEMBER)
    (conversation,) = world.http.get("/conversations").json()["items"]
    assert (conversation["other_name"], conversation["unread"]) == ("Li Wei", 1)
    page = world.http.get(f"/conversations/{conversation['conversation_id']}/messages").json()
    assert [m["text"] for m in page["items"]] == [body["text"]]
    # and was notified with the generic category, no words of the message
    assert world.notified == [(MEMBER.user_id, "peer_message", {"sender_name": "Li Wei"})]
    # and the item counts as answered
    world.as_(SUPPORTER)
    (item,) = world.http.get("/peer/inbox").json()["items"]
    assert item["replied_at"] is not None


def test_handled_items_move_to_the_handled_list(world: World) -> None:
    world.share(checkin_image())
    item_id = inbox_item_id(MEMBER.user_id, "2026-11-24")
    assert world.http.post(f"/peer/inbox/{item_id}/handled").json()["status"] == "handled"
    assert world.http.get("/peer/inbox?status=open").json()["items"] == []
    (item,) = world.http.get("/peer/inbox?status=handled").json()["items"]
    assert item["id"] == item_id
    # And marking it handled is in the member's access log like a read
    handled = [r for r in world.audit.records if r["action"] == "peer_inbox.handled"]
    assert [(r["subject_id"], r["target_id"]) for r in handled] == [(MEMBER.user_id, item_id)]


def test_a_bad_status_is_422_problem_json(world: World) -> None:
    response = world.http.get("/peer/inbox?status=everything")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_projector_handles_a_batch_of_stream_records(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boto3.dynamodb.types import TypeSerializer

    from functions.peer import projector

    serializer = TypeSerializer()

    def record(image: dict[str, Any], n: int) -> dict[str, Any]:
        keys = {"user_id": image["user_id"], "date": image["date"]}
        return {
            "eventID": str(n),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {k: serializer.serialize(v) for k, v in keys.items()},
                "NewImage": {k: serializer.serialize(v) for k, v in image.items()},
                "SequenceNumber": str(n),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }

    monkeypatch.setattr(projector, "projector", lambda: world.projector)
    event = {
        "Records": [
            record(checkin_image(MEMBER), 1),
            record(checkin_image(CLASSMATE), 2),
            record({"user_id": MEMBER.user_id, "date": "#key", "edk": b"x"}, 3),
        ]
    }
    result = projector.record_handler  # the handler's unit
    for each in event["Records"]:
        from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
            DynamoDBRecord,
        )

        result(DynamoDBRecord(each))
    assert {i["member_id"] for i in world.inbox_items()} == {MEMBER.user_id, CLASSMATE.user_id}


# --- the tags and note the member shared (share_ct, shared/peer_share.py) -----------------


def test_the_tags_and_note_the_member_shared_reach_the_inbox(world: World) -> None:
    # Given a member shares a check-in with tags and a note, sealed for the peer feature
    image = checkin_image(share_ct=world.sealed_share(TAGS, NOTE))
    assert world.share(image) == "projected"
    # When the supporter opens the inbox
    (item,) = world.http.get("/peer/inbox").json()["items"]
    # Then they read the tags and the note, and still nothing clinical
    assert (item["tags"], item["note"]) == (TAGS, NOTE)
    assert not {"scores", "risk", "instruments", "energy", "reasons"} & set(item)
    text = repr(item)
    for clinical in ("severe", "phq9", "high", "cssrs"):
        assert clinical not in text
    # and marking it handled shows them too
    handled = world.http.post(f"/peer/inbox/{item['id']}/handled").json()
    assert (handled["tags"], handled["note"]) == (TAGS, NOTE)


def test_shared_tags_and_note_are_stored_sealed_under_the_members_peer_key(
    world: World,
) -> None:
    world.share(checkin_image(share_ct=world.sealed_share(TAGS, NOTE)))
    (stored,) = world.inbox_items()
    # Then the inbox item holds them only sealed, beside the plain fields
    assert set(stored) <= ALLOWED, set(stored) - ALLOWED
    assert {"tags_ct", "note_ct"} <= set(stored)
    assert "share_ct" not in repr(world.items())
    everything = json.dumps(world.items(), default=lambda v: bytes(v).decode("latin-1"))
    for plain in (NOTE, *TAGS):
        assert plain not in everything
    # and they open with the member's peer key (item id: the shared day), for no one else
    key = world.vault.key_for_reading(MEMBER.user_id)
    assert key is not None
    opened = world.vault.open_fields(
        key, MEMBER.user_id, "shared#2026-11-24", stored, ["tags", "note"]
    )
    assert opened == {"tags": TAGS, "note": NOTE}
    assert world.vault.key_for_reading(CLASSMATE.user_id) is None


def test_a_share_sealed_for_another_member_does_not_open_and_the_day_still_projects(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.peer import projector

    warnings: list[tuple[str, Any]] = []
    counted: list[str] = []
    monkeypatch.setattr(
        projector.logger, "warning", lambda msg, **kw: warnings.append((msg, kw.get("extra")))
    )
    monkeypatch.setattr(projector.metrics, "add_metric", lambda **kw: counted.append(kw["name"]))
    # Given a check-in whose share_ct was sealed for a classmate (copied onto this item)
    foreign = world.sealed_share(TAGS, NOTE, member=CLASSMATE)
    # When it is projected
    assert world.share(checkin_image(share_ct=foreign)) == "projected"
    # Then the day is in the inbox without tags and note
    (item,) = world.http.get("/peer/inbox").json()["items"]
    assert (item["mood"], item["tags"], item["note"]) == (2, [], None)
    (stored,) = world.inbox_items()
    assert not {"tags_ct", "note_ct"} & set(stored)
    # and a warning without personal data was logged
    ((message, extra),) = warnings
    assert message == "shared tags and note could not be opened"
    assert extra == {"error": "InvalidCiphertextException"}
    assert counted == ["PeerShareUnreadable"]


def test_a_share_for_another_day_does_not_open(world: World) -> None:
    other_day = world.sealed_share(TAGS, NOTE, day="2026-11-23")
    assert world.share(checkin_image(share_ct=other_day)) == "projected"
    (item,) = world.http.get("/peer/inbox").json()["items"]
    assert (item["tags"], item["note"]) == ([], None)


def test_a_rewrite_without_tags_or_note_removes_them_from_the_inbox(world: World) -> None:
    world.share(checkin_image(share_ct=world.sealed_share(TAGS, NOTE)))
    world.share(checkin_image(mood=3), event="MODIFY")
    (stored,) = world.inbox_items()
    assert not {"tags_ct", "note_ct"} & set(stored)
    (item,) = world.http.get("/peer/inbox").json()["items"]
    assert (item["mood"], item["tags"], item["note"]) == (3, [], None)


def test_a_warm_inbox_page_with_notes_reads_nothing_but_its_query(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two members' shared days with notes, and an inbox read once (keys cached)
    world.share(checkin_image(share_ct=world.sealed_share(TAGS, NOTE)))
    classmate = world.sealed_share([], "ok", member=CLASSMATE)
    world.share(checkin_image(CLASSMATE, share_ct=classmate))
    assert len(world.http.get("/peer/inbox").json()["items"]) == 2
    calls: list[str] = []

    def counting(name: str, real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    for name in ("get_item", "query", "batch_get_item"):
        monkeypatch.setattr(world.db, name, counting(name, getattr(world.db, name)))
    decrypts = world.kms.calls.get("decrypt", 0)
    # When it is read again
    items = world.http.get("/peer/inbox").json()["items"]
    # Then one Query, no key read, no KMS call
    assert {i["note"] for i in items} == {NOTE, "ok"}
    assert calls == ["query"]
    assert world.kms.calls.get("decrypt", 0) == decrypts


def test_a_lambda_event_carries_share_ct_as_base64_and_it_opens(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
        DynamoDBRecord,
    )
    from boto3.dynamodb.types import TypeSerializer

    from functions.peer import projector

    monkeypatch.setattr(projector, "projector", lambda: world.projector)
    image = checkin_image(share_ct=world.sealed_share(TAGS, NOTE))
    image = {k: v for k, v in image.items() if not isinstance(v, bytes)}
    new_image = {k: TypeSerializer().serialize(v) for k, v in image.items()}
    sealed = world.sealed_share(TAGS, NOTE)
    new_image["share_ct"] = {"B": base64.b64encode(sealed).decode()}
    projector.record_handler(
        DynamoDBRecord(
            {
                "eventID": "1",
                "eventName": "INSERT",
                "dynamodb": {
                    "Keys": {"user_id": {"S": MEMBER.user_id}, "date": {"S": "2026-11-24"}},
                    "NewImage": new_image,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
    )
    (item,) = world.http.get("/peer/inbox").json()["items"]
    assert (item["tags"], item["note"]) == (TAGS, NOTE)
