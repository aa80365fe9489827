"""`.local/stack.json`: what a client, a test or a benchmark needs to reach the local cloud."""

from __future__ import annotations

import json
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
}


def describe(
    endpoint: str, region: str, outputs: dict[str, str], demo_users: list[dict[str, str]]
) -> dict[str, Any]:
    return {
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
            "resource_admin": outputs["ResourceAdminFunctionName"],
            "journal": outputs["JournalFunctionName"],
            "journal_retention": outputs["JournalRetentionFunctionName"],
            "data_rights_steps": outputs["DataRightsStepsFunctionName"],
        },
        "cursor_secret_arn": outputs["CursorSecretArn"],
        "sealing_key_id": outputs["SealingKeyId"],
        "demo_users": demo_users,
        "outputs": outputs,
    }


def write(stack: dict[str, Any], path: Path = STACK_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stack, indent=2) + "\n")
    return path


def read(path: Path = STACK_FILE) -> dict[str, Any]:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: start the local cloud with `make run` first.")
    return dict(json.loads(path.read_text()))
