"""Deploy template.yaml to the emulator through CloudFormation, as `sam deploy` does on AWS.

Like `sam package`, the local folders named by CodeUri / ContentUri are zipped,
uploaded to the emulator's S3 and replaced by {Bucket, Key} before the stack
is created or updated. Nothing else in the template changes.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from local.package import BUILD, build_code, build_layer, zip_dir
from local.requirements import ROOT
from local.template import load_template

ARTIFACT_BUCKET = "local-deploy-artifacts"
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
FAILED_SUFFIXES = ("FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED")


def aws_client(service: str, endpoint: str, region: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # the emulator's documented placeholder pair
    )


def _upload(s3: Any, folder: Path, name: str) -> dict[str, str]:
    digest = zip_dir(folder, BUILD / f"{name}.zip")
    key = f"{name}/{digest}.zip"
    try:
        s3.head_object(Bucket=ARTIFACT_BUCKET, Key=key)
    except ClientError:
        s3.upload_file(str(BUILD / f"{name}.zip"), ARTIFACT_BUCKET, key)
    return {"Bucket": ARTIFACT_BUCKET, "Key": key}


def _upload_file(s3: Any, path: Path) -> dict[str, str]:
    body = path.read_bytes()
    key = f"statemachines/{hashlib.sha256(body).hexdigest()[:16]}-{path.name}"
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=body)
    return {"Bucket": ARTIFACT_BUCKET, "Key": key}


def packaged_template(
    endpoint: str, region: str, python_version: str, template: dict[str, Any]
) -> str:
    """`template` with its local folders and files replaced by their uploads (changed in place)."""
    s3 = aws_client("s3", endpoint, region)
    try:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    except ClientError as error:
        if error.response["Error"]["Code"] not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise
    code = _upload(s3, build_code(), "code")
    layer = _upload(s3, build_layer(python_version), "layer")
    template["Globals"]["Function"]["CodeUri"] = code
    for resource in template["Resources"].values():
        definition = resource.get("Properties", {}).get("DefinitionUri")
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(definition, str):
            # As `sam package` does: the ASL file goes to S3, its ${...} are substituted there.
            resource["Properties"]["DefinitionUri"] = _upload_file(s3, ROOT / definition)
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = layer
        elif resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource.get(
            "Properties", {}
        ):
            resource["Properties"]["CodeUri"] = code
    return json.dumps(template)


def deploy(
    endpoint: str,
    region: str,
    stack_name: str,
    python_version: str,
    parameters: dict[str, str] | None = None,
) -> dict[str, str]:
    """Create or update the stack and return its outputs."""
    cfn = aws_client("cloudformation", endpoint, region)
    template = load_template()
    body = packaged_template(endpoint, region, python_version, template)
    # As `sam deploy` does: the template goes to S3 (a request body holds at most 51,200 bytes).
    s3 = aws_client("s3", endpoint, region)
    key = f"templates/{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=body.encode())
    # The demo login and the tests sign in with a password, and invitations hand back the
    # temporary password (no mail leaves the local cloud); on AWS both stay off by default.
    parameters = {
        "AllowPasswordAuth": "true",
        "ReturnTemporaryPasswords": "true",
        **(parameters or {}),
    }
    args: dict[str, Any] = {
        "StackName": stack_name,
        "TemplateURL": f"{endpoint}/{ARTIFACT_BUCKET}/{key}",
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    }
    try:
        cfn.describe_stacks(StackName=stack_name)
        exists = True
    except ClientError:
        exists = False
    try:
        if exists:
            cfn.update_stack(**args)
        else:
            cfn.create_stack(**args)
    except ClientError as error:
        if "No updates are to be performed" not in str(error):
            raise
    outputs = _wait(cfn, stack_name)
    responses = template["Resources"]["Api"]["Properties"].get("GatewayResponses", {})
    apply_gateway_responses(endpoint, region, outputs, responses)
    return outputs


def apply_gateway_responses(
    endpoint: str, region: str, outputs: dict[str, str], responses: dict[str, Any]
) -> None:
    """The API's GatewayResponses, as AWS applies them from the imported OpenAPI body.

    The emulator ignores `x-amazon-apigateway-gateway-responses` in an imported body
    (decision 15), so the template's responses are put through the API Gateway API
    and the stage is redeployed: the same responses, the way the emulator takes them.
    """
    apigw = aws_client("apigateway", endpoint, region)
    for response_type, response in responses.items():
        headers = (response.get("ResponseParameters") or {}).get("Headers") or {}
        args: dict[str, Any] = {
            "restApiId": outputs["ApiId"],
            "responseType": response_type,
            "responseParameters": {f"gatewayresponse.header.{k}": v for k, v in headers.items()},
            "responseTemplates": dict(response.get("ResponseTemplates") or {}),
        }
        if "StatusCode" in response:
            args["statusCode"] = str(response["StatusCode"])
        apigw.put_gateway_response(**args)
    if responses:
        apigw.create_deployment(restApiId=outputs["ApiId"], stageName=outputs["StageName"])


def _wait(cfn: Any, stack_name: str, timeout: float = 300.0) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status in DONE:
            return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        if status.endswith(FAILED_SUFFIXES):
            events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
            reasons = [
                f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                for e in events
                if "FAILED" in e["ResourceStatus"]
            ]
            raise RuntimeError(f"stack {stack_name} is {status}: {reasons[:5]}")
        time.sleep(0.2)
    raise TimeoutError(f"stack {stack_name} not ready after {timeout:.0f}s")
