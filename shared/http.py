"""The FastAPI app every HTTP function starts from: problem+json for every error.

Bad input is a 4xx with an RFC 9457 body and never echoes the input back (it may
be a journal line): not a value, not an unknown field's name. Anything unexpected
is a bare 500 problem, logged, with no stack trace for the client. Text that is
not UTF-8, or holds NUL or unpaired surrogates, is refused before any route sees
it. Every response says `X-Content-Type-Options: nosniff`, and `Cache-Control:
no-store` unless the route chose its own caching (the public directory lookups).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
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

# FastAPI imports pydantic.v1 while it registers routes only to refuse v1 models, which
# no function of ours has. That import is 0.08 G instructions, 5 % of the HTTP floor, on
# every cold start; marked absent, FastAPI's checks answer "not v1" at once. Anything
# that really needed pydantic.v1 would now fail to import: nothing in the layer does
# (docs/decisions.md 26; tests/unit/test_cold_import_hygiene.py).
if "pydantic.v1" not in sys.modules:
    sys.modules["pydantic.v1"] = None  # type: ignore[assignment]

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 16 * 1024
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}
# On every response; Cache-Control only where the route set none.
NO_STORE = "no-store"
NOSNIFF = "nosniff"
# NUL and UTF-16 surrogates: no text of ours holds them, and a lone surrogate cannot
# even be stored as UTF-8. (A valid pair in a JSON escape decodes to one character.)
# U+FFFD too: API Gateway hands a function bytes that were not UTF-8 already replaced
# by it, so it marks text that arrived broken; storing it would keep the damage.
_FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff\ufffd]")
# Pydantic codes whose message may quote what was sent: replaced by a fixed wording.
_SAFE_MESSAGES = {
    "extra_forbidden": "Unknown field",
    "uuid_parsing": "Input should be a valid UUID",
    "union_tag_invalid": "Input tag does not match any of the expected tags",
    "no_such_attribute": "Unknown attribute",
    "unexpected_keyword_argument": "Unknown argument",
}
_NOT_VALID = "The value is not valid."
_KEY = "[key]"  # pydantic's marker after a dict key that failed validation


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
    # Set here as well as by SecurityHeaders: a 500 is sent from outside every middleware.
    headers = {"Cache-Control": NO_STORE, "X-Content-Type-Options": NOSNIFF}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _as_problem(error: DomainError) -> JSONResponse:
    return problem(error.status, error.type_slug, error.title, error.detail, error.errors)


def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return _as_problem(error)


def _sent_strings(value: Any) -> Iterator[str]:
    """The strings of a rejected input: itself, or the items and values one level down."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        yield from (v for v in value.values() if isinstance(v, str))
    elif isinstance(value, list | tuple):
        yield from (v for v in value if isinstance(v, str))


def _quotes(message: str, sent: Any) -> bool:
    return any(
        repr(text) in message or (len(text) >= 8 and text in message)
        for text in _sent_strings(sent)
    )


def _issues(errors: Iterable[Any]) -> list[dict[str, Any]]:
    """Field problems to show the client: where and why, never what was sent.

    An unknown field is reported at its request part (["body"]) with a fixed message,
    a dict key that failed validation as "[key]", and a message that quotes the input
    (a custom validator's, say) is replaced by a fixed one.
    """
    errors = list(errors)
    # loc prefixes that end in a key the client made up: ("body", "instruments", "bdi2")
    made_up = {
        tuple(e["loc"][:i])
        for e in errors
        for i, part in enumerate(e.get("loc", ()))
        if part == _KEY and i > 0
    }
    issues: list[dict[str, Any]] = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        code = str(e.get("type", ""))
        if code == "extra_forbidden":
            location = [str(p) for p in loc[:1]]
        else:
            location = []
            for i, part in enumerate(loc):
                shown = _KEY if loc[: i + 1] in made_up else str(part)
                if not (shown == _KEY and location and location[-1] == _KEY):
                    location.append(shown)
        message = str(e.get("msg", ""))
        if code in _SAFE_MESSAGES:
            message = _SAFE_MESSAGES[code]
        elif _quotes(message, e.get("input")):
            message = _NOT_VALID
        issue = {"location": location, "message": message, "code": code}
        if issue not in issues:
            issues.append(issue)
    return issues


def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = _issues(error.errors())
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


def _media(content_type: bytes | None) -> str:
    return (content_type or b"").split(b";")[0].strip().lower().decode("latin-1")


def _is_json(content_type: bytes | None) -> bool:
    media = _media(content_type)
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _too_large(limit: int) -> str:
    return f"The body must be at most {limit} bytes."


def _text_problem(where: str) -> MalformedRequest:
    return MalformedRequest(
        "The request holds text that is not UTF-8, or a NUL, unpaired surrogate or "
        "replacement character.",
        errors=[
            {
                "location": [where],
                "message": "Not UTF-8, or holds a NUL, unpaired surrogate or replacement character",
                "code": "invalid_characters",
            }
        ],
    )


def _query_is_clean(query: bytes) -> bool:
    """Every name and value of the query string is UTF-8 without NUL once percent-decoded."""
    for pair in query.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                text = unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return False
            if "\x00" in text:
                return False
    return True


def _holds_forbidden_text(document: Any) -> bool:
    """Any string of a parsed JSON document (keys too) with NUL, a lone surrogate or U+FFFD."""
    pending = [document]
    while pending:  # no recursion: the nesting depth is the client's choice
        item = pending.pop()
        if isinstance(item, str):
            if _FORBIDDEN_CHARACTERS.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _body_problem(body: bytes) -> MalformedRequest | None:
    """Why a JSON body must be refused before parsing, or None to let the route read it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _text_problem("body")
    if "\x00" in text:
        return _text_problem("body")
    try:  # parsed twice (here and by the route): bodies are small, the check is exact
        document = json.loads(text)
    except RecursionError:
        return MalformedRequest("The body is nested too deeply.")
    except ValueError:
        return None  # the route answers malformed-request with where the JSON breaks
    return _text_problem("body") if _holds_forbidden_text(document) else None


def _text_body_problem(body: bytes) -> MalformedRequest | None:
    """A text body (a CSV) must be UTF-8 without NUL, surrogates or replacement characters."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _text_problem("body")
    return _text_problem("body") if _FORBIDDEN_CHARACTERS.search(text) else None


class RequestGuard:
    """Before any parsing: bodies over `limit` bytes get 413, bodies that are not JSON 415,
    and a path, query string or body that is not clean UTF-8 text 400 (malformed-request).
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        text_bodies: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        # Text media types a route of this app reads itself (text/csv), each with its limit.
        self.text_bodies = {k.lower(): v for k, v in (text_bodies or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type")
        text_limit = self.text_bodies.get(_media(content_type))
        limit = self.limit if text_limit is None else text_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, PayloadTooLarge(_too_large(limit)))
            return
        chunks: list[Message] = []
        size = 0
        while True:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, PayloadTooLarge(_too_large(limit)))
                return
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if size and text_limit is None and not _is_json(content_type):
            error = UnsupportedMediaType(
                "Send the body as JSON with Content-Type: application/json."
            )
            await self._refuse(scope, receive, send, error)
            return
        body = b"".join(m.get("body", b"") for m in chunks)
        problem = self._unclean_text(scope, body, json_body=text_limit is None)
        if problem is not None:
            await self._refuse(scope, receive, send, problem)
            return

        async def replay() -> Message:
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        await self.app(scope, replay, send)

    @staticmethod
    def _unclean_text(scope: Scope, body: bytes, *, json_body: bool) -> MalformedRequest | None:
        if _FORBIDDEN_CHARACTERS.search(str(scope.get("path", ""))):
            return _text_problem("path")
        if not _query_is_clean(scope.get("query_string") or b""):
            return _text_problem("query")
        if not body:
            return None
        return _body_problem(body) if json_body else _text_body_problem(body)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: DomainError) -> None:
        await _as_problem(error)(scope, receive, send)


class SecurityHeaders:
    """Personal data stays out of caches and is never content-sniffed.

    Adds `X-Content-Type-Options: nosniff` to every response, and `Cache-Control:
    no-store` to every response whose route did not set its own Cache-Control.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = NOSNIFF
                if "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    title: str,
    version: str = "1.0.0",
    max_body_bytes: int = MAX_BODY_BYTES,
    dependencies: Sequence[Any] | None = None,
    text_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """The app of one HTTP function. `dependencies` (`Depends(...)`) run before every route's
    parameters and body are validated: a role check there answers 403 before any 422.
    `text_bodies` names text media types (text/csv) some route reads itself, with a limit each.
    """
    app = FastAPI(
        title=title,
        version=version,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=dependencies,
    )
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(RequestGuard, limit=max_body_bytes, text_bodies=text_bodies)
    app.add_middleware(SecurityHeaders)  # added last: outermost, sees the guard's answers too
    return app
