"""Domain errors. One place (shared/http.py) maps them to RFC 9457 problem+json.

Each error has a stable `type` slug: clients branch on it, never on the message.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_TYPE_BASE = "https://problems.peer-support.dev/"


class DomainError(Exception):
    """Base of every error a client may see. `detail` must never hold personal data."""

    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    @property
    def type_uri(self) -> str:
        return PROBLEM_TYPE_BASE + self.type_slug


class InvalidInput(DomainError):
    status = 422
    type_slug = "invalid-input"
    title = "The request is not valid"


class MalformedRequest(DomainError):
    status = 400
    type_slug = "malformed-request"
    title = "The request could not be read"


class InvalidCursor(DomainError):
    status = 400
    type_slug = "invalid-cursor"
    title = "The cursor is not valid for this request"


class Unauthorized(DomainError):
    status = 401
    type_slug = "unauthorized"
    title = "A valid token is required"


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class IdempotencyKeyReused(DomainError):
    status = 422
    type_slug = "idempotency-key-reused"
    title = "The Idempotency-Key was already used with a different request"


class RequestInProgress(DomainError):
    status = 409
    type_slug = "request-in-progress"
    title = "A request with this Idempotency-Key is still being processed"


class PayloadTooLarge(DomainError):
    status = 413
    type_slug = "payload-too-large"
    title = "The request body is too large"


class UnsupportedMediaType(DomainError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "The request body must be application/json"


class PreconditionFailed(DomainError):
    status = 412
    type_slug = "precondition-failed"
    title = "The resource changed since you read it"


class PreconditionRequired(DomainError):
    status = 428
    type_slug = "precondition-required"
    title = "Say which version you are changing"


class Gone(DomainError):
    status = 410
    type_slug = "sync-expired"
    title = "The sync token is too old"
