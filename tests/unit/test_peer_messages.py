"""Conversations between a member and their unit's supporters: start, send (sealed, rate
limited, through the lexicon and the contact filter), read, report, block, mute."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from functions.peer.logic import contact_warnings
from tests.support.moto_cloud import moto_clients
from tests.unit.peer_world import (
    ADMIN,
    COUNSELLOR,
    CRISIS_LINES,
    ELSEWHERE,
    MEMBER,
    OTHER_SUPPORTER,
    SUPPORTER,
    World,
)

RISKY = "Some days I want to die"


@pytest.fixture(scope="module")
def db() -> Iterator[Any]:
    with moto_clients("dynamodb") as clients:
        yield clients["dynamodb"]


@pytest.fixture
def world(db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    return World(db, monkeypatch)


def start(world: World) -> str:
    world.as_(MEMBER)
    response = world.http.post("/conversations", json={"with": SUPPORTER.user_id})
    assert response.status_code == 201, response.text
    return str(response.json()["conversation_id"])


def send(world: World, cid: str, text: str, client_id: str | None = None) -> Any:
    body = {"text": text, "client_id": client_id or str(uuid.uuid4())}
    return world.http.post(f"/conversations/{cid}/messages", json=body)


def messages(world: World) -> list[dict[str, Any]]:
    return [i for i in world.items() if str(i["sk"]).startswith("msg#")]


def test_a_member_starts_a_conversation_with_their_units_supporter_once(world: World) -> None:
    cid = start(world)
    again = world.http.post("/conversations", json={"with": SUPPORTER.user_id})
    assert again.status_code == 200 and again.json()["conversation_id"] == cid


@pytest.mark.parametrize(
    ("caller", "other"),
    [
        pytest.param(MEMBER, OTHER_SUPPORTER, id="supporter-of-another-unit"),
        pytest.param(MEMBER, ELSEWHERE, id="another-member"),
        pytest.param(SUPPORTER, ELSEWHERE, id="member-of-another-unit"),
        pytest.param(MEMBER, COUNSELLOR, id="a-counsellor"),
    ],
)
def test_no_conversation_outside_the_unit(world: World, caller: Any, other: Any) -> None:
    world.as_(caller)
    response = world.http.post("/conversations", json={"with": other.user_id})
    assert response.status_code == 404


def test_outsiders_get_404_for_a_conversation_they_are_not_in(world: World) -> None:
    cid = start(world)
    for outsider in (OTHER_SUPPORTER, ELSEWHERE, COUNSELLOR):
        world.as_(outsider)
        assert world.http.get(f"/conversations/{cid}/messages").status_code == 404
        assert send(world, cid, "hello").status_code == 404


def test_a_resend_with_the_same_client_id_returns_the_first_message(world: World) -> None:
    cid = start(world)
    client_id = str(uuid.uuid4())
    first = send(world, cid, "hello", client_id)
    again = send(world, cid, "hello", client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["message_id"] == first.json()["message_id"]
    assert len(messages(world)) == 1 and len(world.notified) == 1


def test_the_31st_message_in_a_minute_is_429_with_retry_after(world: World) -> None:
    cid = start(world)
    for n in range(30):
        assert send(world, cid, f"message {n}").status_code == 201
    response = send(world, cid, "one too many")
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["Retry-After"] == "50"  # NOW is 10 s into its minute
    assert len(messages(world)) == 30


def test_a_risky_member_message_is_a_signal_and_offers_help(world: World) -> None:
    cid = start(world)
    response = send(world, cid, RISKY)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["crisis_resources"] == CRISIS_LINES and body["support_requested"] is True
    (item,) = messages(world)
    assert (item["risk_level"], item["user_id"]) == ("high", MEMBER.user_id)
    reasons = world.sealer.open(MEMBER.user_id, item["sk"], bytes(item["signal_ct"]))
    assert reasons == ["lexicon:en_want_to_die"]


def test_the_supporter_sees_only_that_help_was_offered(world: World) -> None:
    cid = start(world)
    send(world, cid, RISKY)
    world.as_(SUPPORTER)
    (message,) = world.http.get(f"/conversations/{cid}/messages").json()["items"]
    assert message["offered_help"] is True and message["text"] == RISKY
    assert not {"risk_level", "risk", "reasons", "signal_ct"} & set(message)


def test_a_supporters_words_are_never_assessed_as_the_members_risk(world: World) -> None:
    cid = start(world)
    world.as_(SUPPORTER)
    body = send(world, cid, "Have you ever felt you want to die?").json()
    assert body["crisis_resources"] is None and body["support_requested"] is False
    assert "risk_level" not in messages(world)[0]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("call me 138 1234 5678", ["phone_number"]),
        ("+86 13812345678", ["phone_number"]),
        ("my number is 010-6552 9988", ["phone_number"]),
        ("加我微信：xiaoming_2010", ["wechat_id"]),
        ("vx abc12345", ["wechat_id"]),
        ("QQ号 123456789", ["qq_id"]),
        ("mail me at ming@example.com", ["email_address"]),
        ("I slept 8 hours, mood 3 of 5", []),
        ("see you at 3:30 on 2026-11-24", []),
    ],
)
def test_contact_details_are_recognised(text: str, codes: list[str]) -> None:
    assert contact_warnings(text) == codes


def test_contact_details_warn_and_the_message_is_still_sent(world: World) -> None:
    cid = start(world)
    response = send(world, cid, "加我微信 xiaoming_2010 或者打 13812345678")
    assert response.status_code == 201
    assert [w["code"] for w in response.json()["warnings"]] == ["phone_number", "wechat_id"]
    assert len(messages(world)) == 1


def test_no_message_text_is_stored_in_plain(world: World) -> None:
    cid = start(world)
    send(world, cid, "只有我们知道的话")
    world.as_(SUPPORTER)
    send(world, cid, "supporter words stay sealed")
    stored = repr(world.items())
    assert "只有我们知道的话" not in stored and "supporter words" not in stored
    assert all("body_ct" in m and "text" not in m and "body" not in m for m in messages(world))


def test_read_clears_unread_and_gives_a_read_receipt(world: World) -> None:
    cid = start(world)
    send(world, cid, "hi")
    world.as_(SUPPORTER)
    (side,) = world.http.get("/conversations").json()["items"]
    assert side["unread"] == 1
    assert world.http.post(f"/conversations/{cid}/read").status_code == 204
    assert world.http.get("/conversations").json()["items"][0]["unread"] == 0
    world.as_(MEMBER)
    assert world.http.get(f"/conversations/{cid}/messages").json()["other_read_at"]


def test_a_blocked_conversation_takes_no_messages(world: World) -> None:
    cid = start(world)
    assert world.http.post(f"/conversations/{cid}/block").json()["on"] is True
    world.as_(SUPPORTER)
    assert send(world, cid, "hello?").status_code == 403


def test_a_muted_conversation_sends_no_notification(world: World) -> None:
    cid = start(world)
    world.as_(SUPPORTER)
    world.http.post(f"/conversations/{cid}/mute")
    world.as_(MEMBER)
    send(world, cid, "hi")
    assert world.notified == []


def test_a_report_is_stored_for_counsellors_sealed_and_audited(world: World) -> None:
    cid = start(world)
    world.as_(SUPPORTER)
    message_id = send(world, cid, "rude words").json()["message_id"]
    world.as_(MEMBER)
    body = {"message_id": message_id, "reason": "this upset me"}
    response = world.http.post(f"/conversations/{cid}/report", json=body)
    assert response.status_code == 202, response.text
    (report,) = [i for i in world.items() if str(i["sk"]).startswith("report#")]
    assert report["need_pk"] == "reports#school#open" and "reason_ct" in report
    assert "this upset me" not in repr(world.items())
    assert world.audit.records[-1]["action"] == "peer_message.reported"


def test_a_message_over_2000_characters_is_422(world: World) -> None:
    cid = start(world)
    assert send(world, cid, "x" * 2001).status_code == 422


@pytest.mark.parametrize("caller", [COUNSELLOR, ADMIN], ids=lambda e: e.role)
@pytest.mark.parametrize("body", [{}, {"with": ""}, None], ids=["empty", "bad", "none"])
def test_staff_may_not_start_a_conversation_whatever_the_body(
    world: World, caller: Any, body: Any
) -> None:
    world.as_(caller)
    response = world.http.post("/conversations", json=body)
    assert response.status_code == 403, response.text
    assert "errors" not in response.json()


@pytest.mark.parametrize("caller", [COUNSELLOR, ADMIN], ids=lambda e: e.role)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("messages", {}),
        ("messages", {"text": "x" * 2001, "client_id": "nope"}),
        ("report", {}),
        ("report", {"message_id": "", "reason": 5}),
        ("block", {"on": "maybe"}),
        ("mute", {"on": "maybe"}),
        ("read", None),
    ],
)
def test_no_conversation_for_staff_before_the_body_is_read(
    world: World, caller: Any, path: str, body: Any
) -> None:
    # Given a conversation, and staff who can never be in one
    cid = start(world)
    world.as_(caller)
    # When they post to it with a body that is not valid either
    response = world.http.post(f"/conversations/{cid}/{path}", json=body)
    # Then no such conversation (404), not what the route expects (422)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "errors" not in response.json()


def test_a_member_the_roster_no_longer_lists_finds_no_conversation_before_the_body(
    world: World,
) -> None:
    cid = start(world)
    world.roster.put(replace(MEMBER, active=False))
    assert world.http.post(f"/conversations/{cid}/messages", json={}).status_code == 404


def test_a_party_still_gets_422_for_a_bad_message(world: World) -> None:
    cid = start(world)
    assert world.http.post(f"/conversations/{cid}/messages", json={}).status_code == 422
    assert world.http.post("/conversations", json={}).status_code == 422
