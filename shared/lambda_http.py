"""Turn a FastAPI app into an instrumented Lambda handler behind API Gateway."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from shared.observability import Handler, instrument

# Mangum base64-encodes any type it does not know as text; API Gateway would then
# hand problem bodies to the client still encoded.
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]


def lambda_handler(app: FastAPI) -> Handler:
    asgi = Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)

    @instrument
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(asgi(event, context))

    return handler
