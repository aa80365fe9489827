"""The FastAPI app every HTTP function starts from: problem+json for every error.

Bad input is a 4xx with an RFC 9457 body and never echoes the input back (it may
be a journal line); anything unexpected is a bare 500 problem, logged, with no
stack trace for the client.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import (
    PROBLEM_TYPE_BASE,
    DomainError,
    InvalidInput,
    MalformedRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from shared.observability import logger

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 16 * 1024
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route can answer."""
    body = {"content": {PROBLEM_JSON: {}}, "description": "Problem (RFC 9457)"}
    return dict.fromkeys(statuses, body)


def problem(
    status: int, type_slug: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _as_problem(error: DomainError) -> JSONResponse:
    return problem(error.status, error.type_slug, error.title, error.detail, error.errors)


def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return _as_problem(error)


def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = [
        {
            "location": [str(p) for p in e.get("loc", ())],
            "message": e.get("msg", ""),
            "code": e.get("type", ""),
        }
        for e in error.errors()
    ]
    if any(i["code"] == "json_invalid" for i in issues):
        return _as_problem(MalformedRequest("The body is not valid JSON.", errors=issues))
    return _as_problem(InvalidInput("One or more fields are not valid.", errors=issues))


def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug = _HTTP_SLUGS.get(error.status_code, "http-error")
    return problem(error.status_code, slug, str(error.detail), str(error.detail))


def _unexpected_error(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return problem(
        500,
        "internal-error",
        "Internal error",
        "Something went wrong on our side; nothing was lost. Try again.",
    )


def _is_json(content_type: bytes | None) -> bool:
    media = (content_type or b"").split(b";")[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class RequestGuard:
    """Before any parsing: bodies over `limit` bytes get 413, bodies that are not JSON 415."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send, PayloadTooLarge(self._too_large))
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(scope, receive, send, PayloadTooLarge(self._too_large))
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if size and not _is_json(headers.get(b"content-type")):
            error = UnsupportedMediaType(
                "Send the body as JSON with Content-Type: application/json."
            )
            await self._refuse(scope, receive, send, error)
            return

        async def replay() -> Message:
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        await self.app(scope, replay, send)

    @property
    def _too_large(self) -> str:
        return f"The body must be at most {self.limit} bytes."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: DomainError) -> None:
        await _as_problem(error)(scope, receive, send)


def create_app(title: str, version: str = "1.0.0", max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    app = FastAPI(title=title, version=version, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(RequestGuard, limit=max_body_bytes)
    return app
