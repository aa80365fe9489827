"""The peer feature's export and erasure (functions/peer/data_rights.py) on moto's DynamoDB
(the template's PeerTable), the data made through the peer HTTP app as a member and their
supporter make it (tests/unit/peer_world.py): the export opens what the person may have
and nothing sealed; erasing a member takes their conversations whole, so the supporter
keeps nothing of them; erasing a supporter leaves their messages as tombstones in the
member's history (decision 31); afterwards no item names the erased id, and a second
erasure changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from functions.peer.concerns import ConcernsRepository, new_concern
from functions.peer.data_rights import ERASED, PeerData
from tests.support.moto_cloud import moto_clients
from tests.unit.peer_world import CLASSMATE, MEMBER, NOW, SUPPORTER, World, checkin_image

HELLO = "看到你今天很累，要不要聊聊？"
MEMBERS_WORDS = "谢谢，我考试压力很大"
SUPPORTERS_WORDS = "我们周五一起去操场走走吧"
MEMBERS_REASON = "this made me uncomfortable"
SUPPORTERS_REASON = "worried about this one"
NOTE = "seemed very withdrawn in class today"
CLASSMATES_WORDS = "classmate says hi"
SHARED_TAGS = ["考试", "family"]
SHARED_NOTE = "今天考试没考好，很难过"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def send(world: World, cid: str, text: str) -> dict[str, Any]:
    world.clock.now += dt.timedelta(minutes=1)  # one message a minute: a stable order
    body = {"text": text, "client_id": str(uuid.uuid4())}
    return dict(ok(world.http.post(f"/conversations/{cid}/messages", json=body)))


def dump(world: World) -> str:
    """Every item of the table, keys and values, binary ones too, as one text."""
    return json.dumps(world.items(), default=lambda v: bytes(v).decode("latin-1"))


def data(world: World) -> PeerData:
    return PeerData(world.db, world.table, world.vault)


def a_conversation_with_everything(world: World) -> str:
    """The member shares a day (with tags and a note); the supporter replies from the inbox;
    they write to each other; each reports one of the other's messages; the member mutes;
    the supporter raises a concern. A classmate has a conversation with the same
    supporter. The id."""
    world.share(checkin_image(share_ct=world.sealed_share(SHARED_TAGS, SHARED_NOTE)))
    world.share(checkin_image(CLASSMATE))
    world.as_(SUPPORTER)
    items = world.http.get("/peer/inbox").json()["items"]
    (item,) = [i for i in items if i["member_id"] == MEMBER.user_id]
    ok(
        world.http.post(
            f"/peer/inbox/{item['id']}/reply", json={"text": HELLO, "client_id": str(uuid.uuid4())}
        )
    )
    world.as_(MEMBER)
    (side,) = world.http.get("/conversations").json()["items"]
    cid = str(side["conversation_id"])
    mine = send(world, cid, MEMBERS_WORDS)
    world.as_(SUPPORTER)
    theirs = send(world, cid, SUPPORTERS_WORDS)
    report = {"message_id": mine["message_id"], "reason": SUPPORTERS_REASON}
    ok(world.http.post(f"/conversations/{cid}/report", json=report), 202)
    world.as_(MEMBER)
    report = {"message_id": theirs["message_id"], "reason": MEMBERS_REASON}
    ok(world.http.post(f"/conversations/{cid}/report", json=report), 202)
    ok(world.http.post(f"/conversations/{cid}/mute", json={"on": True}), 200)
    concerns = ConcernsRepository(world.db, world.table, world.vault, world.sealer)
    concerns.add(new_concern(SUPPORTER, MEMBER, NOTE, False, NOW))
    world.as_(CLASSMATE)
    other = ok(world.http.post("/conversations", json={"with": SUPPORTER.user_id}))
    send(world, other["conversation_id"], CLASSMATES_WORDS)
    return cid


def test_a_members_export_holds_their_conversations_both_ways_and_nothing_sealed(
    world: World,
) -> None:
    # Given a member's conversation with everything in it
    cid = a_conversation_with_everything(world)
    # When the member's data is exported
    exported = data(world).export(MEMBER.user_id)
    # Then it holds the conversation with every message opened, both ways, in order
    (conversation,) = exported["conversations"]
    assert conversation["conversation_id"] == cid
    assert (conversation["role"], conversation["with"]) == ("member", SUPPORTER.display_name)
    assert (conversation["muted"], conversation["blocked"]) == (True, False)
    assert [(m["from"], m["text"]) for m in conversation["messages"]] == [
        ("them", HELLO),
        ("you", MEMBERS_WORDS),
        ("them", SUPPORTERS_WORDS),
    ]
    # and the report they made with its reason, their shared day with the tags and note
    # they shared (opened), the concern counted
    assert [(r["reason"], r["status"]) for r in exported["reports"]] == [(MEMBERS_REASON, "open")]
    assert exported["shared_checkins"] == [
        {
            "date": "2026-11-24",
            "mood": 2,
            "updated_at": exported["shared_checkins"][0]["updated_at"],
            "supporters": 1,
            "tags": SHARED_TAGS,
            "note": SHARED_NOTE,
        }
    ]
    assert exported["concerns_about_you"] == 1
    assert exported["concerns_raised"] == []
    # and neither the supporter's concern note and report reason nor anything internal
    text = json.dumps(exported, ensure_ascii=False)
    for hidden in (
        NOTE,
        SUPPORTERS_REASON,
        CLASSMATES_WORDS,
        "_ct",
        "edk",
        "org_id",
        "risk_level",
        "expires_at",
        SUPPORTER.user_id,
    ):
        assert hidden not in text


def test_a_supporters_export_holds_only_what_they_wrote(world: World) -> None:
    # Given the conversation, and the classmate's
    a_conversation_with_everything(world)
    # When the supporter's data is exported
    exported = data(world).export(SUPPORTER.user_id)
    # Then each conversation holds their own messages and counts the ones received
    by_with = {c["with"]: c for c in exported["conversations"]}
    assert set(by_with) == {MEMBER.display_name, CLASSMATE.display_name}
    member = by_with[MEMBER.display_name]
    assert member["role"] == "supporter"
    assert [(m["from"], m["text"]) for m in member["messages"]] == [
        ("you", HELLO),
        ("you", SUPPORTERS_WORDS),
    ]
    assert member["messages_received"] == 1
    assert by_with[CLASSMATE.display_name]["messages"] == []
    # and the report and the concern they made, with their own words
    assert [r["reason"] for r in exported["reports"]] == [SUPPORTERS_REASON]
    (concern,) = exported["concerns_raised"]
    assert (concern["about"], concern["note"], concern["urgent"]) == (MEMBER.user_id, NOTE, False)
    text = json.dumps(exported, ensure_ascii=False)
    for hidden in (
        MEMBERS_WORDS,
        MEMBERS_REASON,
        CLASSMATES_WORDS,
        SHARED_NOTE,
        *SHARED_TAGS,
        "_ct",
        "org_id",
    ):
        assert hidden not in text


def test_erasing_a_member_leaves_no_item_naming_them_and_the_supporter_nothing_of_them(
    world: World,
) -> None:
    # Given the conversation (the member also sent messages: rate counters)
    cid = a_conversation_with_everything(world)
    assert MEMBER.user_id in dump(world)
    # When the member is erased
    erased = data(world).erase(MEMBER.user_id)
    # Then no item of the table names them, nor holds their words in any form
    assert erased > 0
    assert MEMBER.user_id not in dump(world)
    assert not [i for i in world.items() if i["pk"] == f"conv#{cid}"]
    # And the supporter has nothing of them: no conversation, no inbox item, no concern
    world.as_(SUPPORTER)
    (left,) = world.http.get("/conversations").json()["items"]
    assert left["other_id"] == CLASSMATE.user_id
    assert world.http.get(f"/conversations/{cid}/messages").status_code == 404
    assert [i["member_id"] for i in world.http.get("/peer/inbox").json()["items"]] == [
        CLASSMATE.user_id
    ]
    # And the classmate's conversation is untouched
    world.as_(CLASSMATE)
    (side,) = world.http.get("/conversations").json()["items"]
    page = world.http.get(f"/conversations/{side['conversation_id']}/messages").json()
    assert [m["text"] for m in page["items"]] == [CLASSMATES_WORDS]
    # And a second erasure finds nothing more
    assert data(world).erase(MEMBER.user_id) == 0


def test_erasing_a_supporter_leaves_their_messages_as_tombstones_in_the_members_history(
    world: World,
) -> None:
    # Given the conversation
    cid = a_conversation_with_everything(world)
    # When the supporter is erased (and gone from the roster)
    erased = data(world).erase(SUPPORTER.user_id)
    world.roster.entries.pop((SUPPORTER.org_id, SUPPORTER.user_id))
    # Then no item of the table names them, nor holds their words
    assert erased > 0
    assert SUPPORTER.user_id not in dump(world)
    # And the member still reads the conversation: their words, and tombstones for the
    # supporter's, newest first
    world.as_(MEMBER)
    (side,) = world.http.get("/conversations").json()["items"]
    assert (side["conversation_id"], side["other_id"], side["other_name"]) == (cid, ERASED, "")
    page = ok(world.http.get(f"/conversations/{cid}/messages"), 200)
    assert [(m["mine"], m["text"], m["sender_id"]) for m in page["items"]] == [
        (False, None, ERASED),
        (True, MEMBERS_WORDS, MEMBER.user_id),
        (False, None, ERASED),
    ]
    # and their export says which were deleted
    exported = data(world).export(MEMBER.user_id)
    (conversation,) = exported["conversations"]
    assert [(m["from"], m.get("deleted", False)) for m in conversation["messages"]] == [
        ("them", True),
        ("you", False),
        ("them", True),
    ]
    assert (conversation["with"], conversation["blocked"]) == ("", True)
    # and the member's report keeps its reason; the supporter's report keeps none
    reports = [i for i in world.items() if str(i["sk"]).startswith("report#")]
    assert sorted((r["reporter_id"], "reason_ct" in r) for r in reports) == sorted(
        [(MEMBER.user_id, True), (ERASED, False)]
    )
    # And nothing more can be sent into the closed conversation
    response = world.http.post(
        f"/conversations/{cid}/messages", json={"text": "hello?", "client_id": str(uuid.uuid4())}
    )
    assert response.status_code == 403
    # And the member's shared day no longer names the supporter; their concern is gone
    shared = [i for i in world.items() if str(i["sk"]).startswith("shared#")]
    assert all(SUPPORTER.user_id not in (i.get("supporters") or []) for i in shared)
    assert not [i for i in world.items() if str(i["sk"]).startswith("concern#")]
    # And a second erasure finds nothing more
    assert data(world).erase(SUPPORTER.user_id) == 0


def test_erasing_someone_the_peer_table_never_knew_erases_nothing(world: World) -> None:
    assert data(world).erase("0b6e2f4a-nobody") == 0
    assert data(world).export("0b6e2f4a-nobody") == {
        "conversations": [],
        "reports": [],
        "shared_checkins": [],
        "concerns_about_you": 0,
        "concerns_raised": [],
    }
