"""Lambda entry point of the data-rights workflow's own steps (no HTTP): wiring only."""

from __future__ import annotations

from functools import cache
from typing import Any

from functions.data_rights.steps import Steps
from shared import aws
from shared.clock import system_clock
from shared.observability import instrument
from shared.settings import CoordinatorSettings, settings


@cache
def steps() -> Steps:
    config = settings(CoordinatorSettings)
    assert config.revoked_table, "REVOKED_TABLE is set by the template"
    return Steps(
        aws.client("dynamodb"),
        aws.client("cognito-idp"),
        aws.client("s3"),
        user_pool_id=config.user_pool_id,
        revoked_table=config.revoked_table,
        audit_table=config.data_rights_audit_table,
        export_bucket=config.export_bucket,
        clock=system_clock,
    )


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # The workflow's own input (statemachines/): checked by hand, no pydantic at cold start.
    step, user_id = event.get("step"), event.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise ValueError("a step needs the member's id")
    if step == "revoke":
        return steps().revoke(user_id, str(event["username"]))
    if step == "finish":
        passes = [list(event.get("first_pass") or []), list(event.get("second_pass") or [])]
        return steps().finish(user_id, str(event["username"]), str(event["requested_at"]), passes)
    if step == "bundle":
        parts = event.get("parts") or []
        return steps().bundle(str(event["export_id"]), [str(p["feature"]) for p in parts])
    raise ValueError("unknown step")
