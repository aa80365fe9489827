"""API Gateway REST (v1) proxy events and a Lambda context, as the deployed functions get them."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "000000000000"


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = "us-east-1"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def member_claims(
    sub: str,
    username: str,
    *,
    issuer: str,
    audience: str,
    zoneinfo: str = "Asia/Shanghai",
    org_id: str = "demo-school",
) -> dict[str, str]:
    """The claims of a member's Cognito ID token, as API Gateway's authorizer passes them on."""
    return {
        "sub": sub,
        "token_use": "id",
        "cognito:username": username,
        "cognito:groups": "[member]",
        "custom:org_id": org_id,
        "zoneinfo": zoneinfo,
        "locale": "zh-CN",
        "iss": issuer,
        "aud": audience,
    }


def api_event(
    method: str,
    path: str,
    *,
    claims: dict[str, str] | None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: Any = None,
    stage: str = "v1",
) -> dict[str, Any]:
    """A REST API proxy event; `claims=None` is a route without an authorizer (GET /health)."""
    all_headers = {"Accept": "application/json", "Host": "api.example.test"}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers |= headers or {}
    request_context: dict[str, Any] = {
        "resourcePath": resource or path,
        "httpMethod": method,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "accountId": ACCOUNT_ID,
        "apiId": "benchapi01",
        "protocol": "HTTP/1.1",
        "identity": {"sourceIp": "203.0.113.10", "userAgent": "peer-support-bench/1.0"},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": request_context,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def sqs_event(
    requests: list[dict[str, Any]],
    *,
    queue_arn: str = "arn:aws:sqs:us-east-1:000000000000:notify",
    region: str = "us-east-1",
) -> dict[str, Any]:
    """An SQS event as Lambda's event source mapping delivers one batch (the bench, and
    the tests that invoke queue workers directly, use this one)."""
    now_ms = str(int(time.time() * 1000))
    records = []
    for request in requests:
        body = json.dumps(request, ensure_ascii=False, separators=(",", ":"))
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now_ms,
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": now_ms,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}
