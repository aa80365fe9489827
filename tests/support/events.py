"""API Gateway events from events/ (shared with `sam local invoke`), adjusted per test."""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"


@cache
def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def api_event(
    name: str,
    *,
    claims: dict[str, Any] | None = None,
    body: Any = ...,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The event in events/<name>, with the verified claims and request parts a test needs."""
    event = copy.deepcopy(_load(name))
    if claims is not None:
        event["requestContext"]["authorizer"]["claims"].update(claims)
    if body is not ...:
        event["body"] = body if isinstance(body, str) or body is None else json.dumps(body)
    if headers:
        event["headers"].update(headers)
        event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    if query is not None:
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
        template = event["resource"]
        event["path"] = template.format(**path_parameters)
    return event


def lambda_context(name: str = "test-function") -> Any:
    return SimpleNamespace(
        function_name=name,
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: 10_000,
    )


def response_json(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None
