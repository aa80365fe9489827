"""`.local/stack.json`: what a client, a test or a benchmark needs to reach the local cloud."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from local.emulator import LOCAL_DIR

STACK_FILE = LOCAL_DIR / "stack.json"
STACK_NAME = "peer-support-local"
TABLE_OUTPUTS = {
    "accounts": "AccountsTableName",
    "checkins": "CheckinsTableName",
    "idempotency": "IdempotencyTableName",
    "resources": "ResourcesTableName",
    "journal": "JournalTableName",
    "revoked": "RevokedTableName",
    "data_rights_audit": "DataRightsAuditTableName",
    "orgs": "OrgsTableName",
    "audit": "AuditTableName",
    "notifications": "NotificationsTableName",
    "screenings": "ScreeningsTableName",
    "cases": "CasesTableName",
    "peer": "PeerTableName",
    "stats": "StatsTableName",
    "campaigns": "CampaignsTableName",
    "appointments": "AppointmentsTableName",
}


STATE_MACHINE_OUTPUTS = {
    "erasure": "ErasureStateMachineArn",
    "export": "ExportStateMachineArn",
    "crisis_followup": "CrisisFollowUpStateMachineArn",
}
DATA_RIGHTS_SUFFIX = "DataRightsFunctionName"


def describe(
    endpoint: str,
    region: str,
    outputs: dict[str, str],
    demo_users: list[dict[str, str]],
    *,
    timers: dict[str, str] | None = None,
    sfn_wait_scale: float | None = None,
) -> dict[str, Any]:
    """What stack.json records; `timers` are the timer parameter values in force."""
    stack: dict[str, Any] = {
        "api_url": f"{endpoint}/_aws/execute-api/{outputs['ApiId']}/{outputs['StageName']}",
        "aws_endpoint_url": endpoint,
        "region": region,
        "stack_name": STACK_NAME,
        "user_pool_id": outputs["UserPoolId"],
        "user_pool_client_id": outputs["UserPoolClientId"],
        "tables": {feature: outputs[key] for feature, key in TABLE_OUTPUTS.items()},
        "functions": {
            "accounts": outputs["AccountsFunctionName"],
            "checkins": outputs["CheckinsFunctionName"],
            "resources": outputs["ResourcesFunctionName"],
            "ping": outputs["PingFunctionName"],
            "resource_admin": outputs["ResourceAdminFunctionName"],
            "journal": outputs["JournalFunctionName"],
            "journal_retention": outputs["JournalRetentionFunctionName"],
            "data_rights_steps": outputs["DataRightsStepsFunctionName"],
            "orgs": outputs["OrgsFunctionName"],
            "orgs_roster": outputs["OrgsRosterFunctionName"],
            "orgs_rota": outputs["OrgsRotaFunctionName"],
            "orgs_import": outputs["OrgsImportFunctionName"],
            "notifications": outputs["NotificationsFunctionName"],
            "notification_sender": outputs["NotificationSenderFunctionName"],
            "reminders": outputs["ReminderFunctionName"],
            "screenings": outputs["ScreeningsFunctionName"],
            "risk_intake": outputs["RiskIntakeFunctionName"],
            "crisis_steps": outputs["CrisisStepsFunctionName"],
            "crisis": outputs["CrisisApiFunctionName"],
            "crisis_members": outputs["CrisisMembersFunctionName"],
            "crisis_help": outputs["CrisisHelpFunctionName"],
            "peer": outputs["PeerFunctionName"],
            "peer_projector": outputs["PeerInboxProjectorFunctionName"],
            "stats": outputs["StatsFunctionName"],
            "stats_aggregator": outputs["StatsAggregatorFunctionName"],
            "campaigns": outputs["CampaignsFunctionName"],
            "campaign_announcer": outputs["CampaignAnnouncerFunctionName"],
            "appointments": outputs["AppointmentsFunctionName"],
            "appointment_reminders": outputs["AppointmentRemindersFunctionName"],
        },
        "notify_queues": {
            "requests": outputs["NotifyQueueUrl"],
            "alerts": outputs["NotifyAlertsQueueUrl"],
        },
        "push_platform_apps": {
            "apns": outputs["ApnsPlatformAppArn"],
            "apns_sandbox": outputs["ApnsSandboxPlatformAppArn"],
            "fcm": outputs["FcmPlatformAppArn"],
        },
        "cursor_secret_arn": outputs["CursorSecretArn"],
        "sealing_key_id": outputs["SealingKeyId"],
        "demo_users": demo_users,
        "timers": dict(timers or {}),
        "sfn_wait_scale": sfn_wait_scale,
        "outputs": outputs,
    }
    # Outputs a template may not have yet (or any more): recorded when present.
    machines = {name: outputs[key] for name, key in STATE_MACHINE_OUTPUTS.items() if key in outputs}
    if machines:
        stack["state_machines"] = machines
    if outputs.get("ExportBucketName"):
        stack["export_bucket"] = outputs["ExportBucketName"]
    data_rights = {
        _snake(key.removesuffix(DATA_RIGHTS_SUFFIX)): value
        for key, value in sorted(outputs.items())
        if key.endswith(DATA_RIGHTS_SUFFIX) and key != DATA_RIGHTS_SUFFIX
    }
    if data_rights:
        stack["data_rights_functions"] = data_rights
    return stack


def _snake(name: str) -> str:
    """AccountsDataRights -> accounts, ResourceAdmin -> resource_admin."""
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def write(stack: dict[str, Any], path: Path = STACK_FILE) -> Path:
    """Write stack.json readable by its owner only (it holds the demo passwords).

    The file is written beside its final place with mode 0600 and moved over it, so
    a reader never sees half a file and no moment exists where it is world-readable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # mkstemp makes it 0600 already; say so whatever the platform
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(stack, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path: Path = STACK_FILE) -> dict[str, Any]:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: start the local cloud with `make run` first.")
    return dict(json.loads(path.read_text()))
