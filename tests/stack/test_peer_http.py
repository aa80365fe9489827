"""The peer network over HTTP (issue 11's acceptance): shared check-ins reach the
assigned supporter only, without scores; replies become messages; a risky message and
a concern reach counsellors; the member sees who read their data; contact details are
warned about; a sender is slowed at 30 a minute; statistics hide small units.

One organisation for the module (invitations and first sign-ins are slow); each test
uses its own members within it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from functions.stats.keys import member_pk
from tests.support.crisis_stack import client, until
from tests.support.peer_stack import Org, Person, add_unit, assign_supporters, invite, new_org

SCORES = ("scores", "instruments", "risk", "phq9", "gad7", "reasons")


@pytest.fixture(scope="module")
def world(
    local_cloud: dict[str, Any], login: Callable[..., dict[str, str]], api: httpx.Client
) -> dict[str, Any]:
    org = new_org(local_cloud, login, api)
    grade = add_unit(api, org.org_id, org.admin, "Grade 8", "grade", org.school)
    class_a = add_unit(api, org.org_id, org.admin, "Class 8-1", "class", grade)
    class_b = add_unit(api, org.org_id, org.admin, "Class 8-2", "class", grade)
    counsellor = invite(local_cloud, api, org, "counsellor", org.school)
    supporter = invite(local_cloud, api, org, "peer_supporter", class_a)
    other_supporter = invite(local_cloud, api, org, "peer_supporter", class_b)
    assign_supporters(api, org, class_a, [supporter], counsellor)
    assign_supporters(api, org, class_b, [other_supporter], counsellor)
    org.units = {"grade": grade, "a": class_a, "b": class_b}
    return {
        "org": org,
        "counsellor": counsellor,
        "supporter": supporter,
        "other_supporter": other_supporter,
        "member": lambda: invite(local_cloud, api, org, "member", class_a),
    }


def inbox(api: httpx.Client, supporter: Person) -> list[dict[str, Any]]:
    answer = api.get("peer/inbox", headers=supporter.headers, params={"status": "open"})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


def mine(items: list[dict[str, Any]], member: Person) -> list[dict[str, Any]]:
    return [i for i in items if i["member_id"] == member.user_id]


def conversation_with(api: httpx.Client, member: Person, supporter: Person) -> str:
    answer = api.post("conversations", headers=member.headers, json={"with": supporter.user_id})
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["conversation_id"])


def send(api: httpx.Client, sender: Person, conversation: str, text: str) -> httpx.Response:
    return api.post(
        f"conversations/{conversation}/messages",
        headers=sender.headers,
        json={"text": text, "client_id": str(uuid.uuid4())},
    )


def test_a_shared_check_in_reaches_the_assigned_supporter_only_and_the_reply_the_member(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a member of class A who shares a check-in with answers that score
    member: Person = world["member"]()
    supporter: Person = world["supporter"]
    checkin = {
        "mood": 2,
        "emotions": ["anxious"],
        "tags": ["exams"],
        "note": "Mock exams all week, can't sleep",
        "share_with_supporter": True,
        "instruments": {"phq9": [1, 1, 1, 1, 0, 0, 0, 0, 0]},
    }
    assert api.post("checkins", headers=member.headers, json=checkin).status_code in (200, 201)
    # When the class's supporter opens the inbox
    (item,) = until(lambda: mine(inbox(api, supporter), member), "the shared check-in arrives")
    # Then it shows the member, the mood and the emotions, and no score, answer or risk
    assert item["display_name"] == member.display_name
    assert (item["mood"], item["emotions"]) == (2, ["anxious"])
    assert (item["tags"], item["note"]) == (["exams"], "Mock exams all week, can't sleep")
    assert not any(word in str(item).lower() for word in SCORES)
    # And the other class's supporter does not see it
    assert mine(inbox(api, world["other_supporter"]), member) == []
    # When the supporter replies
    reply = api.post(
        f"peer/inbox/{item['id']}/reply",
        headers=supporter.headers,
        json={"text": "Thinking of you. Want to talk at lunch?", "client_id": str(uuid.uuid4())},
    )
    assert reply.status_code in (200, 201), reply.text
    # Then the member reads it in their conversation with the supporter
    (conversation,) = api.get("conversations", headers=member.headers).json()["items"]
    assert conversation["other_id"] == supporter.user_id and conversation["unread"] == 1
    page = api.get(
        f"conversations/{conversation['conversation_id']}/messages", headers=member.headers
    ).json()
    assert [m["text"] for m in page["items"]] == ["Thinking of you. Want to talk at lunch?"]
    # And the member's access log lists the supporter's read of the shared check-in
    log = api.get("me/access-log", headers=member.headers)
    assert log.status_code == 200, log.text
    reads = [e for e in log.json()["items"] if e["kind"] == "checkin_shared"]
    assert reads and reads[0]["actor_display_name"] == supporter.display_name
    assert reads[0]["actor_role"] == "peer_supporter"


def test_a_check_in_not_shared_never_reaches_an_inbox(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a member who checks in without sharing, then shares the next day's check-in
    member: Person = world["member"]()
    private = {"mood": 1, "emotions": ["sad"], "date": "2026-01-10"}
    shared = {"mood": 4, "emotions": ["calm"], "share_with_supporter": True}
    assert api.post("checkins", headers=member.headers, json=private).status_code < 300
    assert api.post("checkins", headers=member.headers, json=shared).status_code < 300
    # When the supporter's inbox has the shared one
    found = until(lambda: mine(inbox(api, world["supporter"]), member), "the shared one")
    # Then only the shared one is there
    assert [i["mood"] for i in found] == [4]


def test_a_risky_message_opens_a_case_the_supporter_cannot_see(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a member in a conversation with their supporter
    member: Person = world["member"]()
    supporter: Person = world["supporter"]
    conversation = conversation_with(api, member, supporter)
    # When the member writes something risky
    sent = send(api, member, conversation, "最近很累，我不想活了。")
    assert sent.status_code == 201, sent.text
    # Then the member is shown crisis resources and told a counsellor will reach out
    body = sent.json()
    assert body["crisis_resources"] and body["support_requested"] is True
    # And the counsellor gets a case for the member
    counsellor: Person = world["counsellor"]
    case = until(
        lambda: next(
            (
                c
                for c in api.get(
                    "cases", headers=counsellor.headers, params={"status": "open", "limit": 100}
                ).json()["items"]
                if c["user_id"] == member.user_id
            ),
            None,
        ),
        "the risky message opens a case",
    )
    assert case["severity"] in ("high", "imminent")
    # And the supporter sees the message with only "offered help", and no case at all
    page = api.get(f"conversations/{conversation}/messages", headers=supporter.headers).json()
    (message,) = page["items"]
    assert message["offered_help"] is True
    assert "risk" not in str(message) and "severity" not in str(message)
    denied = api.get(f"cases/{case['case_id']}", headers=supporter.headers)
    assert denied.status_code in (403, 404)
    assert api.get("cases", headers=supporter.headers).status_code in (403, 404)


def test_a_concern_opens_a_watch_case_and_the_supporter_only_gets_an_acknowledgement(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a member of the supporter's class
    member: Person = world["member"]()
    supporter: Person = world["supporter"]
    # When the supporter raises a concern
    raised = api.post(
        "peer/concerns",
        headers=supporter.headers,
        json={"member_id": member.user_id, "note": "Quiet all week, skipped lunch."},
    )
    # Then they get an acknowledgement without any case
    assert raised.status_code == 202, raised.text
    assert "case" not in str(raised.json()).lower().replace("in case", "")
    # And a counsellor sees a watch case for the member
    counsellor: Person = world["counsellor"]

    def watch_case() -> dict[str, Any] | None:
        page = api.get(
            "cases", headers=counsellor.headers, params={"status": "open", "limit": 100}
        ).json()
        return next((c for c in page["items"] if c["user_id"] == member.user_id), None)

    case = until(watch_case, "the concern opens a case")
    assert case["severity"] == "watch"
    # And a concern about someone outside the supporter's class is refused
    stranger = world["other_supporter"]
    refused = api.post(
        "peer/concerns",
        headers=stranger.headers,
        json={"member_id": member.user_id, "note": "?"},
    )
    assert refused.status_code in (403, 404)


def test_contact_details_are_warned_about_and_the_31st_message_in_a_minute_waits(
    api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given a member in a conversation with their supporter
    member: Person = world["member"]()
    conversation = conversation_with(api, member, world["supporter"])
    # When they send their WeChat id and phone number
    sent = send(api, member, conversation, "加我微信 wxid_abc12345 或打 13812345678")
    # Then the message is sent with a warning for each
    assert sent.status_code == 201, sent.text
    assert {w["code"] for w in sent.json()["warnings"]} >= {"wechat_id", "phone_number"}
    # When they send 29 more within the minute, all go through
    for n in range(29):
        answer = send(api, member, conversation, f"message {n}")
        assert answer.status_code == 201, (n, answer.text)
    # Then the 31st answers 429 with Retry-After and a problem body, and is not stored
    refused = send(api, member, conversation, "one too many")
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = api.get(
        f"conversations/{conversation}/messages", headers=member.headers, params={"limit": 100}
    ).json()
    texts = [m["text"] for m in page["items"]]
    assert len(texts) == 30 and "one too many" not in texts


def test_statistics_hide_a_unit_of_4_and_show_a_unit_of_12(
    local_cloud: dict[str, Any], api: httpx.Client, world: dict[str, Any]
) -> None:
    # Given two new classes, of 4 and of 12 members, each of whom checks in today
    org: Org = world["org"]
    small = add_unit(api, org.org_id, org.admin, "Class 8-3", "class", org.units["grade"])
    large = add_unit(api, org.org_id, org.admin, "Class 8-4", "class", org.units["grade"])
    members: dict[str, list[str]] = {small: [], large: []}
    for unit, size in ((small, 4), (large, 12)):
        for n in range(size):
            member = invite(local_cloud, api, org, "member", unit)
            answer = api.post("checkins", headers=member.headers, json={"mood": 3 + n % 2})
            assert answer.status_code in (200, 201), answer.text
            members[unit].append(member.user_id)

    def unit_stats(unit: str) -> dict[str, Any]:
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        answer = api.get(
            f"orgs/{org.org_id}/stats",
            headers=org.admin,
            params={"unit": unit, "from": today, "to": today},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["unit"])

    # When every check-in has been counted (each member's day has its item; the small
    # unit's count cannot be read over the API, which is the point)
    db, table = client(local_cloud, "dynamodb"), local_cloud["tables"]["stats"]

    def counted(user_id: str) -> bool:
        key = {":pk": {"S": member_pk(user_id)}}
        found = db.query(
            TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=key
        )
        return bool(found["Items"])

    until(lambda: all(counted(u) for u in members[small] + members[large]), "all 16 counted")
    shown, hidden = unit_stats(large), unit_stats(small)
    # Then the class of 12 shows its participation and moods
    assert shown["participation"]["members"] == {**shown["participation"]["members"], "value": 12}
    assert shown["mood"]["3"]["value"] == 6 and shown["mood"]["4"]["value"] == 6
    # And the class of 4 shows nothing that counts its people
    members = hidden["participation"]["members"]
    assert members["value"] is None and members["suppressed"] is True
    assert all(c["value"] is None and c["suppressed"] for c in hidden["mood"].values())
