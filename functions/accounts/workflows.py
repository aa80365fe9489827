"""The accounts function's side of data rights: start the workflows, read an export's state.

Erasure and export run as Step Functions workflows (statemachines/); the HTTP
request only starts one (202) and, for an export, later reads its execution
and hands out a presigned link to the result. No table of requests is kept:
the execution is the record, named by the request's id.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

LINK_SECONDS = 15 * 60
ExportState = Literal["running", "ready", "failed"]
_STATES: dict[str, ExportState] = {
    "RUNNING": "running",
    "PENDING_REDRIVE": "running",
    "SUCCEEDED": "ready",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "failed",
}


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:...:stateMachine:<machine> -> arn:...:execution:<machine>:<name>."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name


class Workflows(Protocol):
    """What the routes need; the unit tier's fake implements the same."""

    def start_erasure(self, request_id: str, user_id: str, username: str, at: str) -> None: ...

    def start_export(self, export_id: str, user_id: str) -> None: ...

    def export_state(
        self, export_id: str, user_id: str
    ) -> tuple[ExportState, str | None] | None: ...


class DataRightsWorkflows:
    def __init__(
        self, sfn: Any, s3: Any, *, erasure_arn: str, export_arn: str, export_bucket: str
    ) -> None:
        self._sfn = sfn
        self._s3 = s3
        self._erasure = erasure_arn
        self._export = export_arn
        self._bucket = export_bucket

    def start_erasure(self, request_id: str, user_id: str, username: str, at: str) -> None:
        payload = {"user_id": user_id, "username": username, "requested_at": at}
        self._sfn.start_execution(
            stateMachineArn=self._erasure, name=request_id, input=json.dumps(payload)
        )

    def start_export(self, export_id: str, user_id: str) -> None:
        payload = {"user_id": user_id, "export_id": export_id}
        self._sfn.start_execution(
            stateMachineArn=self._export, name=export_id, input=json.dumps(payload)
        )

    def export_state(self, export_id: str, user_id: str) -> tuple[ExportState, str | None] | None:
        """(state, presigned link when ready) of the member's own export; None if not theirs."""
        try:
            execution = self._sfn.describe_execution(
                executionArn=execution_arn(self._export, export_id)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ExecutionDoesNotExist", "InvalidArn"):
                return None
            raise
        if json.loads(execution.get("input") or "{}").get("user_id") != user_id:
            return None  # another member's export looks exactly like none at all
        state = _STATES.get(execution["status"], "failed")
        if state != "ready":
            return state, None
        key = json.loads(execution.get("output") or "{}").get("key")
        if not key:
            return "failed", None
        link = self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=LINK_SECONDS
        )
        return state, str(link)
