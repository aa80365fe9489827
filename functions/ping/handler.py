"""GET /ping: the floor the load benchmark measures every route against (decision 36).

API Gateway, the Cognito authorizer and one bare invocation: no framework, no AWS
client, nothing read or written. A route's latency over this one is the product's own
work; both are measured in the same run, so the machine's speed cancels out.
"""

from __future__ import annotations

from typing import Any

RESPONSE: dict[str, Any] = {
    "statusCode": 200,
    "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
    "body": '{"pong":true}',
}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return RESPONSE
