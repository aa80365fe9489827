"""The one place that creates Logger, Metrics and Tracer; every function imports them.

The X-Ray SDK behind Powertools Tracer costs ~110 ms of cold start (a third of
the framework floor), so it is built only when TRACE_AWS_CALLS is true; Lambda
active tracing (template `Tracing: Active`) records every invocation either way.
See docs/decisions.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

logger = Logger(log_uncaught_exceptions=True)
metrics = Metrics()
METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@functools.cache
def tracer() -> Any | None:
    if os.environ.get("TRACE_AWS_CALLS", "false").lower() != "true":
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


def instrument(handler: Handler) -> Handler:
    """Logger context (correlation id from API Gateway) -> metrics -> tracer -> the call."""

    @functools.cache
    def traced() -> Handler:
        # Built on the first call, once: the Tracer (if enabled) wraps the handler a single time.
        active = tracer()
        return active.capture_lambda_handler(handler) if active else handler

    @functools.wraps(handler)
    def call(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # Powertools reads the namespace when Metrics() is built; a module imported
        # before the environment was set (tests, tools) picks it up here instead.
        metrics.namespace = metrics.namespace or os.environ.get(METRICS_NAMESPACE_ENV)
        return traced()(event, context)

    with_metrics = metrics.log_metrics(call)
    return logger.inject_lambda_context(
        with_metrics, correlation_id_path=correlation_paths.API_GATEWAY_REST
    )


def error_code(error: BaseException) -> str:
    """What a log line may say of a failure: the AWS error code (botocore's ClientError),
    else the exception's type; never its message, which can carry the data it was about."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__
