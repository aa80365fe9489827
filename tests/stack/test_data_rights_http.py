"""Export and erasure over HTTP: the member's data rights across every feature.

Both run as Step Functions workflows on the local cloud, deployed with a sweep
delay of a few seconds (local/timers.py); tests poll them with deadlines.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
import zipfile
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from local.deploy import aws_client
from local.token import id_token
from shared.revocation import subject_hash
from tests.support.appointments_stack import open_hours, roster_people
from tests.support.passwords import policy_password

DEADLINE_SECONDS = 90.0


def enrol(local_cloud: dict[str, Any], cognito: Any) -> tuple[str, str, dict[str, str]]:
    username, password = f"st-{uuid.uuid4().hex[:10]}", policy_password("Rights")
    pool = local_cloud["user_pool_id"]
    created = cognito.admin_create_user(
        UserPoolId=pool,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:org_id", "Value": "demo-school"}],
    )
    sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username=username, Password=password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="member")
    auth = {"Authorization": id_token(local_cloud, username, password)}
    return username, sub, auth


def client(local_cloud: dict[str, Any], service: str) -> Any:
    return aws_client(service, local_cloud["aws_endpoint_url"], local_cloud["region"])


def owned_items(local_cloud: dict[str, Any], sub: str) -> dict[str, int]:
    """How many items each feature table holds for the member (by partition key)."""
    dynamodb = client(local_cloud, "dynamodb")
    counts = {}
    for feature in ("accounts", "checkins", "journal"):
        counts[feature] = dynamodb.query(
            TableName=local_cloud["tables"][feature],
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": sub}},
            Select="COUNT",
        )["Count"]
    return counts


def finished_erasure(local_cloud: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The erasure run's description once it has ended (polled with a deadline)."""
    sfn = client(local_cloud, "stepfunctions")
    machine = local_cloud["outputs"]["ErasureStateMachineArn"]
    arn = machine.replace(":stateMachine:", ":execution:") + ":" + request_id
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        run = sfn.describe_execution(executionArn=arn)
        if run["status"] != "RUNNING":
            return dict(run)
        time.sleep(0.25)
    raise AssertionError(f"erasure {request_id} still running after {DEADLINE_SECONDS}s")


def downloaded_export(api: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    """Ask for an export, wait until it is ready, download it: {feature: document}."""
    started = api.post("me/exports", headers=auth)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        status = api.get(f"me/exports/{started.json()['id']}", headers=auth).json()
        if status["status"] != "running":
            break
        assert time.monotonic() < deadline, "the export did not finish in time"
        time.sleep(0.25)
    assert status["status"] == "ready", status
    archive = httpx.get(status["url"], timeout=60)
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as bundle:
        return {
            name.removesuffix(".json"): json.loads(bundle.read(name)) for name in bundle.namelist()
        }


def every_table_dump(local_cloud: dict[str, Any]) -> bytes:
    """Every item of every table of the stack, text and binary values alike, as bytes."""
    dynamodb = client(local_cloud, "dynamodb")
    dump = io.BytesIO()

    def walk(value: Any) -> None:
        if isinstance(value, bytes | bytearray):
            dump.write(bytes(value))
        elif isinstance(value, dict):
            for key, inner in value.items():
                dump.write(str(key).encode())
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            dump.write(str(value).encode())

    for table in dynamodb.list_tables()["TableNames"]:
        if not table.startswith(local_cloud["stack_name"]):
            continue
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            walk(page["Items"])
    return dump.getvalue()


def test_export_holds_what_was_written_and_only_allowlisted_fields(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with a profile, a check-in and two journal entries (one deleted)
    _, sub, auth = enrol(local_cloud, cognito)
    api.put("me", headers=auth, json={"display_name": "Lan"})
    api.post("checkins", headers=auth, json={"mood": 3, "note": "ok day", "tags": ["exam"]})
    kept = api.post(
        "journal/entries", headers=auth, json={"title": "日记", "body": "写给自己", "tags": ["me"]}
    ).json()
    gone = api.post("journal/entries", headers=auth, json={"body": "delete me"}).json()
    api.delete(f"journal/entries/{gone['id']}", headers=auth)
    # and a phone registered for push, with a reminder at 20:00
    push_token = "fcm-" + uuid.uuid4().hex
    phone = api.put(
        "devices/export-phone-1",
        headers=auth,
        json={"platform": "android", "provider": "fcm", "token": push_token},
    )
    assert phone.status_code == 200, phone.text
    api.put("me/notification-preferences", headers=auth, json={"reminder_time": "20:00"})

    # When they export their data and download it
    export = downloaded_export(api, auth)

    # Then each feature's file holds what they wrote, opened, and nothing deleted or internal
    assert sorted(export) == [
        "accounts",
        "appointments",
        "checkins",
        "crisis",
        "journal",
        "notifications",
        "orgs",
        "peer",
        "screenings",
        "stats",
    ]
    notifications = export["notifications"]
    assert [d["platform"] for d in notifications["devices"]] == ["android"]
    assert notifications["preferences"]["reminder_time"] == "20:00"
    assert push_token not in json.dumps(notifications)
    assert "endpoint_arn" not in json.dumps(notifications)
    assert export["accounts"]["profile"]["display_name"] == "Lan"
    assert [(c["note"], c["tags"]) for c in export["checkins"]["checkins"]] == [
        ("ok day", ["exam"])
    ]
    entries = [
        (e["id"], e["title"], e["body"], e["tags"]) for e in export["journal"]["journal_entries"]
    ]
    assert entries == [(kept["id"], "日记", "写给自己", ["me"])]
    text = json.dumps(export)
    for internal in ("edk", "_ct", "change_seq", "org_id", "risk_level", "expires_at"):
        assert internal not in text
    assert sub in text  # the member's own id is theirs to see


def test_export_larger_than_a_lambda_response_downloads_every_entry(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with more than 6 MB of journal text (120 entries of 20,000 Chinese characters)
    _, _, auth = enrol(local_cloud, cognito)
    written = set()
    for n in range(120):
        body = f"{n:04d}" + "心" * 19_996
        created = api.post("journal/entries", headers=auth, json={"body": body})
        assert created.status_code == 201, created.text
        written.add(created.json()["id"])

    # When they export
    export = downloaded_export(api, auth)

    # Then every entry arrives whole: the export does not pass through a Lambda response
    entries = export["journal"]["journal_entries"]
    assert {e["id"] for e in entries} == written
    assert all(len(e["body"]) == 20_000 for e in entries)
    assert len(json.dumps(export, ensure_ascii=False).encode()) > 6 * 1024 * 1024


def test_erasure_leaves_no_data_no_id_and_no_account(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with data in every feature
    username, sub, auth = enrol(local_cloud, cognito)
    api.get("me", headers=auth)
    api.post("checkins", headers=auth, json={"mood": 2, "note": "bye"})
    api.post("journal/entries", headers=auth, json={"body": "private"})
    phone = api.put(
        "devices/erase-phone-1",
        headers=auth,
        json={
            "platform": "ios",
            "provider": "apns",
            "token": uuid.uuid4().hex * 2,
            "apns_environment": "production",
        },
    )
    assert phone.status_code == 200, phone.text
    sns = client(local_cloud, "sns")
    device = client(local_cloud, "dynamodb").get_item(
        TableName=local_cloud["tables"]["notifications"],
        Key={"pk": {"S": f"user#{sub}"}, "sk": {"S": "device#erase-phone-1"}},
    )["Item"]
    endpoint = device["endpoint_arn"]["S"]
    assert sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["Enabled"] == "true"
    assert all(count > 0 for count in owned_items(local_cloud, sub).values())

    # When they erase their account and the workflow ends
    started = api.delete("me", headers=auth)
    run = finished_erasure(local_cloud, started.json()["id"])

    # Then nothing of them remains, the user is gone, the token is refused, and only
    # hashes of their id are kept (the revocation and the audit record)
    assert started.status_code == 202
    assert run["status"] == "SUCCEEDED", run
    assert owned_items(local_cloud, sub) == {"accounts": 0, "checkins": 0, "journal": 0}
    users = cognito.list_users(
        UserPoolId=local_cloud["user_pool_id"], Filter=f'username = "{username}"'
    )
    assert users["Users"] == []
    assert api.get("me", headers=auth).status_code == 401
    with pytest.raises(ClientError) as gone:  # the push token went too
        sns.get_endpoint_attributes(EndpointArn=endpoint)
    assert gone.value.response["Error"]["Code"] == "NotFound"
    dump = every_table_dump(local_cloud)
    assert sub.encode() not in dump and username.encode() not in dump
    audit = client(local_cloud, "dynamodb").query(
        TableName=local_cloud["tables"]["data_rights_audit"],
        KeyConditionExpression="subject = :s",
        ExpressionAttributeValues={":s": {"S": subject_hash(sub)}},
    )["Items"]
    assert len(audit) == 1
    # the first pass erased the check-in and the "#key" item that held its data key
    assert audit[0]["passes"]["L"][0]["M"]["checkins"] == {"N": "2"}


def test_a_write_with_the_old_token_on_a_warm_container_is_gone_after_the_sweep(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member whose check-ins and profile containers are warm (their revocation
    # list was just read)
    _, sub, auth = enrol(local_cloud, cognito)
    api.get("checkins", headers=auth)
    api.get("me", headers=auth)

    # When they erase their account and, at once, write again with the same token
    started = api.delete("me", headers=auth)
    slipped = api.post("checkins", headers=auth, json={"mood": 1, "note": "still here"})
    run = finished_erasure(local_cloud, started.json()["id"])

    # Then whatever slipped through before the containers refreshed their list is gone
    # after the second pass, and the token is refused now
    assert slipped.status_code in (201, 401), slipped.text
    assert run["status"] == "SUCCEEDED", run
    assert owned_items(local_cloud, sub) == {"accounts": 0, "checkins": 0, "journal": 0}
    assert api.post("checkins", headers=auth, json={"mood": 1}).status_code == 401
    assert b"still here" not in every_table_dump(local_cloud)


def test_delete_me_twice_runs_twice_and_both_succeed(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member who asked to be erased
    _, sub, auth = enrol(local_cloud, cognito)
    api.post("checkins", headers=auth, json={"mood": 3})
    first = api.delete("me", headers=auth)

    # When the app repeats the request (the token is still signed)
    again = api.delete("me", headers=auth)

    # Then a second run starts, and both end well with nothing left
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["id"] != again.json()["id"]
    for response in (first, again):
        assert finished_erasure(local_cloud, response.json()["id"])["status"] == "SUCCEEDED"
    assert owned_items(local_cloud, sub) == {"accounts": 0, "checkins": 0, "journal": 0}


def test_marker_text_is_in_no_table_in_any_form(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a marker in a check-in's note and tags (sent with an Idempotency-Key), a
    # journal entry's title, body and tags, and a risky journal text the lexicon flags
    _, _, auth = enrol(local_cloud, cognito)
    marker = f"mk{uuid.uuid4().hex[:12]}"
    checkin = {"mood": 2, "note": f"note {marker}", "tags": [f"t{marker}"]}
    saved = api.post("checkins", headers=auth | {"Idempotency-Key": marker}, json=checkin)
    entry = {"title": f"title {marker}", "body": f"body {marker}", "tags": [f"j{marker}"]}
    written = api.post("journal/entries", headers=auth, json=entry)
    risky = api.post("journal/entries", headers=auth, json={"body": "I want to die"})

    # When every table of the stack is read, text and binary attributes alike
    dump = every_table_dump(local_cloud)

    # Then the marker and the lexicon's finding appear nowhere, though the member reads them back
    assert (saved.status_code, written.status_code, risky.status_code) == (201, 201, 201)
    assert risky.json()["risk"]["reasons"] == ["lexicon:en_want_to_die"]
    assert marker.encode() not in dump
    assert b"want_to_die" not in dump
    listed = api.get("journal/entries", headers=auth).json()["items"]
    assert {e["title"] for e in listed} == {"", f"title {marker}"}


def test_retention_reaches_existing_entries_through_the_profile_stream(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member with one journal entry and no retention
    _, sub, auth = enrol(local_cloud, cognito)
    entry = api.post("journal/entries", headers=auth, json={"body": "keep a while"}).json()
    dynamodb = client(local_cloud, "dynamodb")

    def expires() -> str | None:
        item = dynamodb.get_item(
            TableName=local_cloud["tables"]["journal"],
            Key={"user_id": {"S": sub}, "entry_id": {"S": entry["id"]}},
        )["Item"]
        return item.get("expires_at", {}).get("N")

    def eventually(wanted: Any) -> Any:
        deadline = time.monotonic() + 30
        while (found := expires()) is not wanted and not (wanted is ... and found is not None):
            assert time.monotonic() < deadline, f"expiry still {found!r}"
            time.sleep(0.2)
        return found

    # When they choose to keep journal entries for 30 days, then for ever
    set_30 = api.put("me", headers=auth, json={"journal_retention_days": 30})
    after_30 = eventually(...)
    api.put("me", headers=auth, json={"journal_retention_days": None})

    # Then the entry gains a TTL 30 days after it was written, and loses it again
    assert set_30.json()["journal_retention_days"] == 30
    written = int(dt.datetime.fromisoformat(entry["written_at"].replace("Z", "+00:00")).timestamp())
    assert int(after_30) == written + 30 * 86_400
    assert eventually(None) is None


def test_others_are_untouched_by_an_erasure(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given two members with check-ins
    _, _, leaving = enrol(local_cloud, cognito)
    _, staying_sub, staying = enrol(local_cloud, cognito)
    api.post("checkins", headers=leaving, json={"mood": 3})
    api.post("checkins", headers=staying, json={"mood": 4})

    # When one erases their account and the workflow ends
    finished_erasure(local_cloud, api.delete("me", headers=leaving).json()["id"])

    # Then the other's data and access are as they were
    assert owned_items(local_cloud, staying_sub)["checkins"] == 1
    assert api.get("checkins", headers=staying).status_code == 200


def test_the_old_synchronous_export_is_gone(
    api: httpx.Client, cognito: Any, local_cloud: dict[str, Any]
) -> None:
    # Given a member
    _, _, auth = enrol(local_cloud, cognito)

    # When they call the removed route
    response = api.get("me/export", headers=auth)

    # Then it is an unknown route, answered as problem+json
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_rostered_members_export_and_erasure_cover_their_roster_entry(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any
) -> None:
    # Given a member the school's admin invited into Class 7-2
    admin = {"Authorization": id_token(local_cloud, "admin-li")}
    invited = api.post(
        "orgs/demo-school/invitations",
        headers=admin,
        json={
            "display_name": "Rostered",
            "email": f"{uuid.uuid4().hex[:12]}@example.com",
            "role": "member",
            "unit_id": "class-7-2",
        },
    )
    assert invited.status_code == 201, invited.text
    person = invited.json()["person"]
    password = policy_password("Chosen")
    auth = {
        "Authorization": id_token(
            local_cloud, person["username"], invited.json()["temporary_password"], password
        )
    }
    # and who booked an appointment with a note and answered a campaign for their class
    member_id = person["user_id"]
    appointment = book_with_note(api, local_cloud, cognito, auth, "see you then")
    campaign_id = answer_a_campaign(api, admin, auth)

    # When they export their data, then the orgs part holds their roster entry
    export = downloaded_export(api, auth)
    assert export["orgs"]["organisation"] == "demo-school"
    assert export["orgs"]["roster"]["display_name"] == "Rostered"
    assert export["orgs"]["roster"]["unit_id"] == "class-7-2"
    # And the appointment with its note opened, the consent and the answers
    (booked,) = export["appointments"]["appointments"]
    assert booked["appointment_id"] == appointment["id"]
    assert booked["note"] == "see you then"
    taken = json.dumps(
        [c for c in export["screenings"]["campaigns"] if c["campaign_id"] == campaign_id]
    )
    assert "accept" in taken and "phq9" in taken

    # When they erase their account, then the roster no longer has them
    run = finished_erasure(local_cloud, api.delete("me", headers=auth).json()["id"])
    assert run["status"] == "SUCCEEDED", run
    gone = api.get(f"orgs/demo-school/people/{member_id}", headers=admin)
    assert gone.status_code == 404
    # And neither their appointments (the slot is free again) nor their campaign marks remain
    db = client(local_cloud, "dynamodb")
    tables = local_cloud["tables"]
    left = db.query(
        TableName=tables["appointments"],
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"member#{member_id}"}},
    )["Items"]
    assert left == []
    hold = db.get_item(
        TableName=tables["appointments"],
        Key={
            "pk": {"S": f"slot#{appointment['counsellor_id']}#{appointment['starts_at']}"},
            "sk": {"S": "slot"},
        },
    )
    assert "Item" not in hold
    campaign_items = db.query(
        TableName=tables["campaigns"],
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"campaign#{campaign_id}"}},
    )["Items"]
    assert member_id not in json.dumps(campaign_items)


def book_with_note(
    api: httpx.Client, local_cloud: dict[str, Any], cognito: Any, member: dict[str, str], note: str
) -> dict[str, Any]:
    """A fresh counsellor of the school opens hours; the member books the first slot."""

    def login(username: str, password: str) -> dict[str, str]:
        return {"Authorization": id_token(local_cloud, username, password)}

    ((counsellor_id, _, counsellor),) = roster_people(local_cloud, cognito, login, "counsellor", 1)
    open_hours(api, counsellor)
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date().isoformat()
    slots = api.get(
        "appointments/slots",
        headers=member,
        params={"from": day, "to": day, "counsellor": counsellor_id},
    )
    assert slots.status_code == 200, slots.text
    first = slots.json()["slots"][0]
    booked = api.post(
        "appointments",
        headers=member,
        json={
            "counsellor_id": counsellor_id,
            "starts_at": first["starts_at"],
            "mode": "phone",
            "note": note,
        },
    )
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


def answer_a_campaign(api: httpx.Client, admin: dict[str, str], member: dict[str, str]) -> str:
    """The admin opens a campaign for Class 7-2; the member consents and answers."""
    now = dt.datetime.now(dt.UTC)
    created = api.post(
        "orgs/demo-school/campaigns",
        headers=admin,
        json={
            "title": {"zh-CN": "问卷", "en": "Questionnaire"},
            "instruments": ["phq9"],
            "units": ["class-7-2"],
            "opens_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "closes_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "consent_text": {"zh-CN": "我同意。", "en": "I agree."},
            "kind": "routine",
        },
    )
    assert created.status_code == 201, created.text
    campaign = created.json()
    consent = api.post(
        f"me/campaigns/{campaign['campaign_id']}/consent",
        headers=member,
        json={"decision": "accept", "consent_version": campaign["consent_version"]},
    )
    assert consent.status_code == 201, consent.text
    answered = api.post(
        f"me/campaigns/{campaign['campaign_id']}/responses",
        headers=member,
        json={"answers": {"phq9": [1, 0, 0, 1, 0, 0, 0, 0, 0]}},
    )
    assert answered.status_code == 201, answered.text
    return str(campaign["campaign_id"])
