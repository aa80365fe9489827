"""The data-rights workflow's own steps over moto (DynamoDB, S3) and an in-memory Cognito:
revoke keeps only a hash, finish leaves a pseudonymous audit record, bundle zips an export."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.data_rights.steps import Steps, bundle_key
from shared.data_rights import part_key
from shared.dynamo import from_item
from shared.revocation import KEEP_SECONDS, SCOPE, subject_hash
from tests.support.fakes import MovableClock
from tests.support.moto_cloud import fresh_name, moto_clients
from tests.support.tables import create_table

NOW = dt.datetime(2026, 5, 1, 18, 0, tzinfo=dt.UTC)
POOL = "us-east-1_TestPool"
USER_ID = "0b6e2f4a-sub-of-mei"
USERNAME = "mei"
EXPORT_ID = "0b5c3d8e-0000-4000-8000-000000000001"


class UserNotFound(ClientError):
    """What Cognito raises for a user that is not (or no longer) in the pool."""


class FakeCognito:
    """The Cognito admin calls the steps make, over users kept in a dict.

    (moto's cognito-idp needs `joserfc`, which the dev dependencies do not include.)
    """

    class exceptions:  # named as on a boto3 client
        UserNotFoundException = UserNotFound

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []

    def add(self, username: str) -> None:
        self.users[username] = {"enabled": True, "sessions": 2}

    def _user(self, pool: str, username: str, operation: str) -> dict[str, Any]:
        assert pool == POOL
        self.calls.append(operation)
        if username not in self.users:
            error = {"Error": {"Code": "UserNotFoundException", "Message": "User does not exist."}}
            raise UserNotFound(error, operation)
        return self.users[username]

    def admin_disable_user(self, *, UserPoolId: str, Username: str) -> dict[str, Any]:
        self._user(UserPoolId, Username, "AdminDisableUser")["enabled"] = False
        return {}

    def admin_user_global_sign_out(self, *, UserPoolId: str, Username: str) -> dict[str, Any]:
        self._user(UserPoolId, Username, "AdminUserGlobalSignOut")["sessions"] = 0
        return {}

    def admin_delete_user(self, *, UserPoolId: str, Username: str) -> dict[str, Any]:
        self._user(UserPoolId, Username, "AdminDeleteUser")
        del self.users[Username]
        return {}


class Cloud:
    """This test's tables and bucket (fresh names) in the module's moto, and the steps on them."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.db = clients["dynamodb"]
        self.s3 = clients["s3"]
        self.cognito = FakeCognito()
        self.revoked = create_table(self.db, "RevokedTable", fresh_name("revoked"))
        self.audit = create_table(self.db, "DataRightsAuditTable", fresh_name("audit"))
        self.bucket = fresh_name("exports")
        self.s3.create_bucket(Bucket=self.bucket)
        self.cognito.add(USERNAME)
        self.steps = Steps(
            self.db,
            self.cognito,
            self.s3,
            user_pool_id=POOL,
            revoked_table=self.revoked,
            audit_table=self.audit,
            export_bucket=self.bucket,
            clock=MovableClock(NOW),
        )

    def items(self, table: str) -> list[dict[str, Any]]:
        return [from_item(i) for i in self.db.scan(TableName=table)["Items"]]

    def keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return sorted(str(o["Key"]) for o in listed)


@pytest.fixture(scope="module")
def clients() -> Iterator[dict[str, Any]]:
    with moto_clients("dynamodb", "s3") as made:
        yield made


@pytest.fixture
def cloud(clients: dict[str, Any]) -> Cloud:
    return Cloud(clients)


PASSES = [
    [{"feature": "journal", "erased": 12}, {"feature": "checkins", "erased": 30}],
    [{"feature": "journal", "erased": 0}, {"feature": "checkins", "erased": 1}],
]


# --- revoke ----------------------------------------------------------------------------------


def test_revoke_stores_only_a_hash_of_the_subject(cloud: Cloud) -> None:
    # Given a member who asked to be erased
    # When their tokens are revoked
    answer = cloud.steps.revoke(USER_ID, USERNAME)
    # Then the revoked table holds the subject's hash until every token has expired,
    # and neither the subject nor the username appears in it
    [item] = cloud.items(cloud.revoked)
    assert item == {
        "scope": SCOPE,
        "subject": subject_hash(USER_ID),
        "expires_at": int(NOW.timestamp()) + KEEP_SECONDS,
    }
    assert USER_ID not in repr(item) and USERNAME not in repr(item)
    assert answer == {"revoked_at": "2026-05-01T18:00:00.000Z"}


def test_revoke_disables_the_user_and_signs_out_every_session(cloud: Cloud) -> None:
    # Given a member with live sessions / When revoked
    cloud.steps.revoke(USER_ID, USERNAME)
    # Then they can get no new token and their refresh tokens stop working
    assert cloud.cognito.users[USERNAME] == {"enabled": False, "sessions": 0}


def test_revoke_again_after_the_user_was_deleted_still_records_the_hash(cloud: Cloud) -> None:
    # Given a re-run of the workflow after the Cognito user was deleted
    del cloud.cognito.users[USERNAME]
    # When revoked / Then no error, and the hash is recorded
    cloud.steps.revoke(USER_ID, USERNAME)
    assert [i["subject"] for i in cloud.items(cloud.revoked)] == [subject_hash(USER_ID)]


# --- finish ----------------------------------------------------------------------------------


def test_finish_deletes_the_cognito_user(cloud: Cloud) -> None:
    # Given an erased member's data / When the erasure finishes
    cloud.steps.finish(USER_ID, USERNAME, "2026-05-01T17:00:00.000Z", PASSES)
    # Then the Cognito user is gone
    assert USERNAME not in cloud.cognito.users


def test_finish_writes_a_pseudonymous_audit_record_with_per_pass_counts(cloud: Cloud) -> None:
    # Given two erasure passes with their per-feature counts
    # When the erasure finishes
    answer = cloud.steps.finish(USER_ID, USERNAME, "2026-05-01T17:00:00.000Z", PASSES)
    # Then one audit record holds the hashed subject, the times and each pass's counts
    [record] = cloud.items(cloud.audit)
    counts = [{"journal": 12, "checkins": 30}, {"journal": 0, "checkins": 1}]
    assert record == {
        "subject": subject_hash(USER_ID),
        "finished_at": "2026-05-01T18:00:00.000Z",
        "kind": "erasure",
        "requested_at": "2026-05-01T17:00:00.000Z",
        "passes": counts,
    }
    assert answer == {"finished_at": "2026-05-01T18:00:00.000Z", "passes": counts}


def test_the_audit_record_names_neither_the_subject_nor_the_username(cloud: Cloud) -> None:
    # Given / When the erasure finishes
    cloud.steps.finish(USER_ID, USERNAME, "2026-05-01T17:00:00.000Z", PASSES)
    # Then the record cannot be traced back by a plain identifier
    [record] = cloud.items(cloud.audit)
    assert USER_ID not in repr(record) and USERNAME not in repr(record)


def test_finish_tolerates_a_user_already_deleted(cloud: Cloud) -> None:
    # Given a re-run after the Cognito user was deleted
    cloud.steps.finish(USER_ID, USERNAME, "2026-05-01T17:00:00.000Z", PASSES)
    # When the erasure finishes again
    cloud.steps.finish(USER_ID, USERNAME, "2026-05-01T17:00:00.000Z", PASSES)
    # Then there is no error, and the delete was attempted both times
    assert cloud.cognito.calls == ["AdminDeleteUser", "AdminDeleteUser"]


# --- bundle ----------------------------------------------------------------------------------


def put_part(cloud: Cloud, feature: str, data: dict[str, Any]) -> bytes:
    body = json.dumps(data, ensure_ascii=False).encode()
    cloud.s3.put_object(Bucket=cloud.bucket, Key=part_key(EXPORT_ID, feature), Body=body)
    return body


def test_bundle_zips_every_part_into_one_file(cloud: Cloud) -> None:
    # Given the journal's and the check-ins' parts of an export
    journal = put_part(cloud, "journal", {"journal_entries": [{"title": "今天"}]})
    checkins = put_part(cloud, "checkins", {"checkins": [{"mood": 3}]})
    # When they are bundled
    answer = cloud.steps.bundle(EXPORT_ID, ["journal", "checkins"])
    # Then <id>/export.zip holds each part as <feature>.json, byte for byte
    assert answer["key"] == bundle_key(EXPORT_ID) == f"{EXPORT_ID}/export.zip"
    stored = cloud.s3.get_object(Bucket=cloud.bucket, Key=answer["key"])
    assert stored["ContentType"] == "application/zip"
    data = stored["Body"].read()
    assert answer["bytes"] == len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["checkins.json", "journal.json"]
        assert archive.read("journal.json") == journal
        assert archive.read("checkins.json") == checkins


def test_bundle_deletes_the_parts(cloud: Cloud) -> None:
    # Given two parts of an export
    put_part(cloud, "journal", {})
    put_part(cloud, "accounts", {"profile": None})
    # When bundled / Then only the bundle is left
    cloud.steps.bundle(EXPORT_ID, ["journal", "accounts"])
    assert cloud.keys() == [f"{EXPORT_ID}/export.zip"]


def test_bundle_leaves_other_exports_alone(cloud: Cloud) -> None:
    # Given a part of another export beside this one's
    other = "0b5c3d8e-0000-4000-8000-000000000002"
    cloud.s3.put_object(Bucket=cloud.bucket, Key=part_key(other, "journal"), Body=b"{}")
    put_part(cloud, "journal", {})
    # When this export is bundled / Then the other export's part is still there
    cloud.steps.bundle(EXPORT_ID, ["journal"])
    assert cloud.keys() == [f"{EXPORT_ID}/export.zip", part_key(other, "journal")]
