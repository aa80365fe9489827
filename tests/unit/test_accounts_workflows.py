"""The accounts function's side of data rights: workflow runs named by the request's id, and an
export's state read from its execution, only for its own member."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.accounts.workflows import LINK_SECONDS, DataRightsWorkflows, execution_arn

MACHINES = "arn:aws:states:us-east-1:000000000000:stateMachine:"
EXPORT_ARN = MACHINES + "peer-support-export"
ERASURE_ARN = MACHINES + "peer-support-erasure"
BUCKET = "peer-support-exports"
EXPORT_ID = "0b5c3d8e-0000-4000-8000-000000000001"


class FakeStepFunctions:
    """start_execution and describe_execution over executions kept by ARN."""

    def __init__(self) -> None:
        self.executions: dict[str, dict[str, Any]] = {}
        self.started: list[dict[str, Any]] = []
        self.error: str | None = None  # answer describe_execution with this error code

    def start_execution(self, *, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        arn = execution_arn(stateMachineArn, name)
        self.started.append({"stateMachineArn": stateMachineArn, "name": name, "input": input})
        self.executions[arn] = {"executionArn": arn, "status": "RUNNING", "input": input}
        return {"executionArn": arn}

    def describe_execution(self, *, executionArn: str) -> dict[str, Any]:
        if self.error is not None:
            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, "DescribeExecution")
        if executionArn not in self.executions:
            raise ClientError(
                {"Error": {"Code": "ExecutionDoesNotExist", "Message": "no such execution"}},
                "DescribeExecution",
            )
        return dict(self.executions[executionArn])

    def finish(self, name: str, status: str, output: dict[str, Any] | None = None) -> None:
        execution = self.executions[execution_arn(EXPORT_ARN, name)]
        execution["status"] = status
        if output is not None:
            execution["output"] = json.dumps(output)


class FakeS3:
    """generate_presigned_url, remembering what it signed."""

    def __init__(self) -> None:
        self.signed: list[tuple[str, dict[str, Any], int]] = []

    def generate_presigned_url(self, method: str, *, Params: dict[str, Any], ExpiresIn: int) -> str:
        self.signed.append((method, Params, ExpiresIn))
        return f"https://{Params['Bucket']}.s3.example/{Params['Key']}?X-Amz-Expires={ExpiresIn}"


@pytest.fixture
def sfn() -> FakeStepFunctions:
    return FakeStepFunctions()


@pytest.fixture
def s3() -> FakeS3:
    return FakeS3()


@pytest.fixture
def flows(sfn: FakeStepFunctions, s3: FakeS3) -> DataRightsWorkflows:
    return DataRightsWorkflows(
        sfn, s3, erasure_arn=ERASURE_ARN, export_arn=EXPORT_ARN, export_bucket=BUCKET
    )


# --- execution_arn ---------------------------------------------------------------------------


def test_execution_arn_names_the_run_of_the_state_machine() -> None:
    # Given a state machine's ARN and a run's name
    # When the run's ARN is made
    arn = execution_arn(EXPORT_ARN, EXPORT_ID)
    # Then it is the execution ARN Step Functions gives that run
    assert arn == f"arn:aws:states:us-east-1:000000000000:execution:peer-support-export:{EXPORT_ID}"


def test_execution_arn_replaces_only_the_resource_type() -> None:
    # Given a state machine that is itself named "stateMachine"
    # When a run's ARN is made
    arn = execution_arn("arn:aws:states:r:1:stateMachine:stateMachine", "run")
    # Then only the resource type changes, not the name
    assert arn == "arn:aws:states:r:1:execution:stateMachine:run"


# --- start_erasure / start_export ------------------------------------------------------------


def test_erasure_runs_under_the_request_id_with_the_member_and_time(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions
) -> None:
    # Given / When an erasure is started
    flows.start_erasure("req-1", "user-a", "mei", "2026-05-01T18:00:00.000Z")
    # Then the erasure machine runs, named by the request, with what its steps need
    [run] = sfn.started
    assert (run["stateMachineArn"], run["name"]) == (ERASURE_ARN, "req-1")
    assert json.loads(run["input"]) == {
        "user_id": "user-a",
        "username": "mei",
        "requested_at": "2026-05-01T18:00:00.000Z",
    }


def test_export_runs_under_the_export_id_with_the_member(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions
) -> None:
    # Given / When an export is started
    flows.start_export(EXPORT_ID, "user-a")
    # Then the export machine runs, named by the export's id
    [run] = sfn.started
    assert (run["stateMachineArn"], run["name"]) == (EXPORT_ARN, EXPORT_ID)
    assert json.loads(run["input"]) == {"user_id": "user-a", "export_id": EXPORT_ID}


# --- export_state ----------------------------------------------------------------------------


def test_an_export_that_does_not_exist_is_none(flows: DataRightsWorkflows) -> None:
    # Given no export run / When its state is asked for / Then there is none
    assert flows.export_state(EXPORT_ID, "user-a") is None


def test_an_export_id_step_functions_calls_invalid_is_none(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions
) -> None:
    # Given Step Functions refuses the ARN / When the state is asked for / Then there is none
    sfn.error = "InvalidArn"
    assert flows.export_state(EXPORT_ID, "user-a") is None


def test_another_members_export_is_none(flows: DataRightsWorkflows, s3: FakeS3) -> None:
    # Given user-b's finished export
    flows.start_export(EXPORT_ID, "user-b")
    # When user-a asks for it
    # Then it looks exactly like no export at all, and nothing is signed
    assert flows.export_state(EXPORT_ID, "user-a") is None
    assert s3.signed == []


def test_a_running_export_is_running_without_a_link(flows: DataRightsWorkflows) -> None:
    # Given an export still running / When its member asks / Then it is running, no link yet
    flows.start_export(EXPORT_ID, "user-a")
    assert flows.export_state(EXPORT_ID, "user-a") == ("running", None)


def test_a_finished_export_is_ready_with_a_presigned_link(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions, s3: FakeS3
) -> None:
    # Given an export that finished with its bundle's key
    flows.start_export(EXPORT_ID, "user-a")
    sfn.finish(EXPORT_ID, "SUCCEEDED", {"key": f"{EXPORT_ID}/export.zip", "bytes": 1234})
    # When its member asks
    found = flows.export_state(EXPORT_ID, "user-a")
    # Then it is ready, with a link to that object valid for LINK_SECONDS
    assert found is not None
    state, link = found
    assert state == "ready"
    assert s3.signed == [
        ("get_object", {"Bucket": BUCKET, "Key": f"{EXPORT_ID}/export.zip"}, LINK_SECONDS)
    ]
    assert link == f"https://{BUCKET}.s3.example/{EXPORT_ID}/export.zip?X-Amz-Expires=900"


def test_a_finished_export_without_a_key_is_failed(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions, s3: FakeS3
) -> None:
    # Given an export that succeeded but names no bundle
    flows.start_export(EXPORT_ID, "user-a")
    sfn.finish(EXPORT_ID, "SUCCEEDED", {})
    # When its member asks / Then it is failed, and nothing is signed
    assert flows.export_state(EXPORT_ID, "user-a") == ("failed", None)
    assert s3.signed == []


@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED", "SOMETHING_NEW"])
def test_an_export_that_did_not_finish_is_failed(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions, status: str
) -> None:
    # Given an export run that ended without a bundle (or in a status not known here)
    flows.start_export(EXPORT_ID, "user-a")
    sfn.finish(EXPORT_ID, status)
    # When its member asks / Then it is failed
    assert flows.export_state(EXPORT_ID, "user-a") == ("failed", None)


def test_other_step_functions_errors_are_not_hidden(
    flows: DataRightsWorkflows, sfn: FakeStepFunctions
) -> None:
    # Given Step Functions throttles / When the state is asked for / Then the error surfaces
    sfn.error = "ThrottlingException"
    with pytest.raises(ClientError):
        flows.export_state(EXPORT_ID, "user-a")
