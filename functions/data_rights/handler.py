"""Lambda entry point of the data-rights workflow's own steps (no HTTP): wiring only."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.data_rights.steps import Steps
from shared import aws
from shared.clock import system_clock
from shared.observability import instrument
from shared.settings import CoordinatorSettings, settings


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    step: Literal["revoke", "finish", "bundle"]
    user_id: str = Field(min_length=1, max_length=128)
    username: str = Field(default="", max_length=128)
    requested_at: str = ""
    first_pass: list[dict[str, Any]] = Field(default_factory=list)
    second_pass: list[dict[str, Any]] = Field(default_factory=list)
    export_id: str | None = None
    parts: list[dict[str, Any]] = Field(default_factory=list)


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
    request = StepRequest.model_validate(event)
    if request.step == "revoke":
        return steps().revoke(request.user_id, request.username)
    if request.step == "finish":
        return steps().finish(
            request.user_id,
            request.username,
            request.requested_at,
            [request.first_pass, request.second_pass],
        )
    assert request.export_id is not None, "a bundle needs its export_id"
    return steps().bundle(request.export_id, [str(part["feature"]) for part in request.parts])
