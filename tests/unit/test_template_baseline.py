"""The template's security baseline, proved on the parsed template.yaml.

The emulator ignores some of these (KMS keys on tables and logs, API Gateway
access logs and throttling, gateway responses in an imported body), so the
template itself is what these tests read (docs/decisions.md, decision 15).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from local.template import TEMPLATE, load_template

PROBLEM_JSON = "'application/problem+json'"
# What API Gateway answers by itself and what each must look like to a client.
GATEWAY_STATUSES = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "REQUEST_TOO_LARGE": 413,
    "THROTTLED": 429,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}


@cache
def template() -> dict[str, Any]:
    return dict(json.loads(json.dumps(load_template())))


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


def _branches(statement: dict[str, Any]) -> list[dict[str, Any]]:
    """A statement, or both sides of a conditional one (`!If [cond, statement, NoValue]`)."""
    if "Fn::If" not in statement:
        return [statement]
    _, *sides = statement["Fn::If"]
    return [s for s in sides if isinstance(s, dict) and "Action" in s]


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in function["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            found += _branches(statement)
    return found


@pytest.mark.parametrize("response_type", sorted(GATEWAY_STATUSES))
def test_gateway_responses_are_problem_json(response_type: str) -> None:
    # Given the API's gateway responses
    responses = resources("AWS::Serverless::Api")["Api"]["Properties"]["GatewayResponses"]

    # When the one for this type is read
    response = responses[response_type]

    # Then it answers problem+json with the status a client expects and a valid JSON body
    assert response["ResponseParameters"]["Headers"]["Content-Type"] == PROBLEM_JSON
    assert response["ResponseParameters"]["Headers"]["Cache-Control"] == "'no-store'"
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body["type"].startswith("https://problems.peer-support.dev/")
    assert {"title", "detail"} <= body.keys()
    wanted = GATEWAY_STATUSES[response_type]
    if wanted is not None:
        assert (int(response["StatusCode"]), body["status"]) == (wanted, wanted)


def test_api_logs_access_without_tokens_or_bodies_and_throttles() -> None:
    # Given the API stage
    api = resources("AWS::Serverless::Api")["Api"]["Properties"]

    # When its access log format and method settings are read
    log_format = api["AccessLogSetting"]["Format"]
    [settings] = api["MethodSettings"]

    # Then the log names no token, header, body or query, and throttling comes from parameters
    assert not re.search(r"authorizer|header|body|querystring|identity", log_format, re.I)
    assert json.loads(log_format.replace("$context.", "context."))  # one JSON line a request
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurstLimit"}


@pytest.mark.parametrize("kind", ["AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket"])
def test_data_stores_and_keys_are_retained_when_the_stack_goes(kind: str) -> None:
    # Given every table, key and bucket / Then none is deleted or replaced with the stack
    for name, resource in resources(kind).items():
        assert resource.get("DeletionPolicy") == "Retain", name
        assert resource.get("UpdateReplacePolicy") == "Retain", name


def test_every_table_is_encrypted_with_the_stacks_key_and_recoverable() -> None:
    for name, table in resources("AWS::DynamoDB::Table").items():
        sse = table["Properties"]["SSESpecification"]
        assert sse == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}
        recovery = table["Properties"]["PointInTimeRecoverySpecification"]
        assert recovery == {"PointInTimeRecoveryEnabled": True}, name


def test_every_log_group_is_encrypted_and_expires() -> None:
    groups = resources("AWS::Logs::LogGroup")
    functions = resources("AWS::Serverless::Function")
    assert len(groups) == len(functions) + 1  # one per function, and the API's access log
    for name, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}, name
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_export_bucket_is_encrypted_private_and_expires_in_7_days() -> None:
    bucket = resources("AWS::S3::Bucket")["ExportBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 7


def test_cursor_secret_is_under_the_stacks_key() -> None:
    secret = resources("AWS::SecretsManager::Secret")["CursorSigningSecret"]["Properties"]
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}


def test_password_sign_in_is_only_on_when_a_parameter_says_so() -> None:
    # Given the app client and the parameter's default
    client = resources("AWS::Cognito::UserPoolClient")["UserPoolClient"]["Properties"]
    parameter = template()["Parameters"]["AllowPasswordAuth"]

    # Then USER_PASSWORD_AUTH is in the flows only under the condition, off by default
    condition, with_password, without = client["ExplicitAuthFlows"]["Fn::If"]
    assert condition == "PasswordAuth" and parameter["Default"] == "false"
    assert "ALLOW_USER_PASSWORD_AUTH" in with_password
    assert "ALLOW_USER_PASSWORD_AUTH" not in without


# Reasons sealed for the crisis feature (shared/crisis/signal_seal.py): who may do what.
SIGNAL_PURPOSE = "crisis-signal"
SIGNAL_SEALERS = (
    "functions.checkins.",
    "functions.journal.",
    "functions.screenings.",
    "functions.peer.",
)
SIGNAL_OPENER = "functions.crisis.intake."
# A shared check-in's tags and note sealed for the peer feature (shared/peer_share.py).
SHARE_PURPOSE = "peer-share"
SHARE_SEALER = "functions.checkins.handler."
SHARE_OPENER = "functions.peer.projector."


def test_sealing_key_grants_name_the_functions_own_purpose_only() -> None:
    # Given every statement that lets a function use the sealing key
    for name, function in resources("AWS::Serverless::Function").items():
        for statement in statements(function):
            if statement.get("Resource") != {"Fn::GetAtt": ["SealingKey", "Arn"]}:
                continue
            purpose = statement["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"]
            handler = function["Properties"]["Handler"]
            actions = statement["Action"]
            actions = set(actions if isinstance(actions, list) else [actions])
            if purpose == SIGNAL_PURPOSE:
                # Then signal reasons are sealed (Encrypt only) by the features that raise
                # signals, and opened (Decrypt only) by the risk intake alone
                if handler.startswith(SIGNAL_OPENER):
                    assert actions == {"kms:Decrypt"}, (name, actions)
                else:
                    assert handler.startswith(SIGNAL_SEALERS), (name, purpose)
                    assert actions == {"kms:Encrypt"}, (name, actions)
                continue
            if purpose == SHARE_PURPOSE:
                # Then shared tags and notes are sealed (Encrypt only) by the check-ins API,
                # and opened (Decrypt only) by the inbox projector alone
                if handler.startswith(SHARE_OPENER):
                    assert actions == {"kms:Decrypt"}, (name, actions)
                else:
                    assert handler.startswith(SHARE_SEALER), (name, purpose)
                    assert actions == {"kms:Encrypt"}, (name, actions)
                continue
            # Then it is conditioned on the feature the function belongs to
            assert handler.startswith(f"functions.{purpose}."), (name, purpose)


def test_no_function_may_touch_another_features_table() -> None:
    # Given which function may use which table (the feature that owns it, and shared ones)
    owners = {
        "AccountsTable": "accounts",
        "CheckinsTable": "checkins",
        "JournalTable": "journal",
        "ResourcesTable": "resource",
        "OrgsTable": "orgs",
        "NotificationsTable": "notifications",
        "CasesTable": "crisis",
        "ScreeningsTable": "screenings",
        "PeerTable": "peer",
        "StatsTable": "stats",
        "CampaignsTable": "screenings",
        "AppointmentsTable": "appointments",
    }
    # Other functions may read the roster and the rota through shared/orgs, and only read.
    readers = {"OrgsTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}}
    for name, function in resources("AWS::Serverless::Function").items():
        handler = function["Properties"]["Handler"]
        for statement in statements(function):
            text = json.dumps(statement.get("Resource"))
            actions = statement["Action"]
            actions = set(actions if isinstance(actions, list) else [actions])
            for table, owner in owners.items():
                if f'"{table}"' in text and not handler.startswith(f"functions.{owner}"):
                    # Then only the owner's code may write it; others may only read, if at all
                    assert actions <= readers.get(table, set()), (name, table, actions)


def test_no_wildcard_actions_or_full_access_policies_on_functions() -> None:
    for name, function in resources("AWS::Serverless::Function").items():
        for statement in statements(function):
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            assert not any(a == "*" or a.endswith(":*") for a in actions), name
        for policy in function["Properties"].get("Policies", []):
            assert "FullAccess" not in json.dumps(policy), name


def test_erasure_wait_is_a_parameter_substituted_as_a_number() -> None:
    # Given the erasure workflow file and its substitutions
    machine = resources("AWS::Serverless::StateMachine")["ErasureStateMachine"]["Properties"]
    text = (TEMPLATE.parent / machine["DefinitionUri"]).read_text(encoding="utf-8")

    # Then the wait is the unquoted parameter (a string would fail the run), default > 1 h
    assert '"Seconds": ${ErasureSweepSeconds}' in text
    assert machine["DefinitionSubstitutions"]["ErasureSweepSeconds"] == {
        "Ref": "ErasureSweepSeconds"
    }
    assert template()["Parameters"]["ErasureSweepSeconds"]["Default"] >= 3600 + 300


def _stream_table(stream: Any) -> str | None:
    # `!GetAtt CheckinsTable.StreamArn` loads as {"Fn::GetAtt": ["CheckinsTable", "StreamArn"]}
    # or the dotted string form; anything else is not a table's stream.
    value = (stream or {}).get("Fn::GetAtt") if isinstance(stream, dict) else None
    if isinstance(value, str):
        value = value.split(".")
    return value[0] if isinstance(value, list) and value[1:] == ["StreamArn"] else None


def test_no_table_stream_has_more_than_two_readers() -> None:
    # AWS: more than two readers of a stream shard are throttled; the risk intake reads
    # the check-ins stream and must not wait (shared/change_events.py fans out the rest).
    readers: dict[str, list[str]] = {}
    for name, function in resources("AWS::Serverless::Function").items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "DynamoDB":
                table = _stream_table(event["Properties"]["Stream"])
                assert table, f"{name} reads a stream that is not a table's"
                readers.setdefault(table, []).append(name)
    assert sorted(readers["CheckinsTable"]) == ["CheckinEventsFunction", "RiskIntakeFunction"]
    crowded = {table: names for table, names in readers.items() if len(names) > 2}
    assert crowded == {}
