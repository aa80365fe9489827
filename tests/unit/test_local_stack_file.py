"""`.local/stack.json` and the emulator's state: their owner's only, and what they record."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from local.emulator import make_private
from local.stack import describe, read, write

OUTPUTS = {
    "ApiId": "abc123",
    "StageName": "v1",
    "UserPoolId": "pool",
    "UserPoolClientId": "client",
    "AccountsTableName": "accounts",
    "CheckinsTableName": "checkins",
    "IdempotencyTableName": "idempotency",
    "ResourcesTableName": "resources",
    "JournalTableName": "journal",
    "RevokedTableName": "revoked",
    "DataRightsAuditTableName": "audit",
    "OrgsTableName": "orgs",
    "AuditTableName": "org-audit",
    "AccountsFunctionName": "accounts-fn",
    "CheckinsFunctionName": "checkins-fn",
    "ResourcesFunctionName": "resources-fn",
    "PingFunctionName": "ping-fn",
    "ResourceAdminFunctionName": "resource-admin-fn",
    "JournalFunctionName": "journal-fn",
    "JournalRetentionFunctionName": "retention-fn",
    "DataRightsStepsFunctionName": "steps-fn",
    "OrgsFunctionName": "orgs-fn",
    "OrgsRosterFunctionName": "orgs-roster-fn",
    "OrgsRotaFunctionName": "orgs-rota-fn",
    "OrgsImportFunctionName": "orgs-import-fn",
    "NotificationsTableName": "notifications",
    "ScreeningsTableName": "screenings",
    "CasesTableName": "cases",
    "ScreeningsFunctionName": "screenings-fn",
    "RiskIntakeFunctionName": "intake-fn",
    "CrisisStepsFunctionName": "steps-fn",
    "CrisisApiFunctionName": "crisis-fn",
    "CrisisMembersFunctionName": "crisis-members-fn",
    "CrisisHelpFunctionName": "crisis-help-fn",
    "PeerTableName": "peer",
    "StatsTableName": "stats",
    "PeerFunctionName": "peer-fn",
    "PeerInboxProjectorFunctionName": "peer-projector-fn",
    "StatsFunctionName": "stats-fn",
    "StatsAggregatorFunctionName": "stats-aggregator-fn",
    "CampaignsTableName": "campaigns",
    "AppointmentsTableName": "appointments",
    "CampaignsFunctionName": "campaigns-fn",
    "CampaignAnnouncerFunctionName": "campaign-announcer-fn",
    "AppointmentsFunctionName": "appointments-fn",
    "AppointmentRemindersFunctionName": "appointment-reminders-fn",
    "NotificationsFunctionName": "notifications-fn",
    "NotificationSenderFunctionName": "sender-fn",
    "ReminderFunctionName": "reminders-fn",
    "NotifyQueueUrl": "http://queue/notify",
    "NotifyAlertsQueueUrl": "http://queue/alerts",
    "ApnsPlatformAppArn": "arn:apns",
    "ApnsSandboxPlatformAppArn": "arn:apns-sandbox",
    "FcmPlatformAppArn": "",
    "CursorSecretArn": "arn:secret",
    "SealingKeyId": "key",
}
USERS = [{"username": "mei", "password": "DemoPass-2026", "role": "member", "org_id": "demo"}]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stack_json_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    # Given a stack description holding the demo passwords
    stack = describe("http://127.0.0.1:4566", "us-east-1", OUTPUTS, USERS)
    # When it is written where nothing was before, under a permissive umask
    old = os.umask(0o022)
    try:
        path = write(stack, tmp_path / ".local" / "stack.json")
    finally:
        os.umask(old)
    # Then only its owner may read it, and it reads back whole
    assert mode(path) == 0o600
    assert read(path)["demo_users"][0]["password"] == "DemoPass-2026"
    # And no temporary file is left beside it
    assert sorted(p.name for p in path.parent.iterdir()) == ["stack.json"]


def test_rewriting_a_world_readable_stack_json_makes_it_private(tmp_path: Path) -> None:
    # Given a stack.json an older version left readable by everyone
    path = tmp_path / "stack.json"
    path.write_text("{}")
    path.chmod(0o644)
    # When it is written again
    write(describe("http://127.0.0.1:4566", "us-east-1", OUTPUTS, USERS), path)
    # Then it is its owner's only
    assert mode(path) == 0o600


def test_state_folder_is_made_private_with_what_it_holds(tmp_path: Path) -> None:
    # Given emulator state an older version wrote with default permissions
    state = tmp_path / "state"
    (state / "s3" / "bucket").mkdir(parents=True)
    (state / "kms.json").write_text("{}")
    (state / "s3" / "bucket" / "object").write_text("x")
    for path in (state, state / "s3", state / "s3" / "bucket"):
        path.chmod(0o755)
    # When the emulator is about to use it
    make_private(state)
    # Then folders are 0700 and files 0600
    assert {mode(p) for p in (state, state / "s3", state / "s3" / "bucket")} == {0o700}
    assert {mode(state / "kms.json"), mode(state / "s3" / "bucket" / "object")} == {0o600}


def test_a_new_state_folder_is_created_private(tmp_path: Path) -> None:
    make_private(tmp_path / "state")
    assert mode(tmp_path / "state") == 0o700


def test_stack_records_timers_and_leaves_out_what_the_template_lacks() -> None:
    # Given outputs of a template without workflows
    stack = describe("http://x", "us-east-1", OUTPUTS, USERS, timers={"A": "5"}, sfn_wait_scale=1)
    # Then the timers are recorded and no workflow keys appear
    assert (stack["timers"], stack["sfn_wait_scale"]) == ({"A": "5"}, 1)
    assert {"state_machines", "export_bucket", "data_rights_functions"}.isdisjoint(stack)


def test_stack_records_workflows_export_bucket_and_data_rights_functions() -> None:
    # Given outputs of a template with the data-rights workflows
    outputs = {
        **OUTPUTS,
        "ErasureStateMachineArn": "arn:erasure",
        "ExportStateMachineArn": "arn:export",
        "ExportBucketName": "exports",
        "AccountsDataRightsFunctionName": "a-dr",
        "CheckinsDataRightsFunctionName": "c-dr",
        "JournalDataRightsFunctionName": "j-dr",
    }
    # When they are described
    stack = describe("http://x", "us-east-1", outputs, USERS)
    # Then each is under its own key
    assert stack["state_machines"] == {"erasure": "arn:erasure", "export": "arn:export"}
    assert stack["export_bucket"] == "exports"
    assert stack["data_rights_functions"] == {
        "accounts": "a-dr",
        "checkins": "c-dr",
        "journal": "j-dr",
    }


def test_json_written_is_plain_json(tmp_path: Path) -> None:
    path = write({"a": 1}, tmp_path / "s.json")
    assert json.loads(path.read_text()) == {"a": 1}


@pytest.mark.parametrize("name", ["stack.json", "other.json"])
def test_write_replaces_without_leaving_temporaries(tmp_path: Path, name: str) -> None:
    for n in range(3):
        write({"n": n}, tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert read(tmp_path / name) == {"n": 2}
