"""Opaque pagination cursors that a client cannot forge or reuse elsewhere.

A cursor is `<key id>.<base64url(JSON{key, scope})>.<HMAC-SHA256 over both>`.
`scope` binds the cursor to the caller and to the query that made it (its
filters), so a cursor is refused for another member or another query. The key
id names the signing key, so a cursor made before a key rotation is still
accepted while the previous key is (shared/signing_keys.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from shared.errors import InvalidCursor
from shared.signing_keys import SigningKeys, as_keys, key_id

MAX_CURSOR_CHARS = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signed: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, signed.encode(), hashlib.sha256).digest())


def encode_cursor(
    last_key: dict[str, Any] | None, scope: str, secret: bytes | SigningKeys
) -> str | None:
    """The cursor for the page after `last_key` (DynamoDB's LastEvaluatedKey); None at the end."""
    if not last_key:
        return None
    key = as_keys(secret).current
    payload = _b64(
        json.dumps({"k": last_key, "s": scope}, separators=(",", ":"), sort_keys=True).encode()
    )
    signed = f"{key_id(key)}.{payload}"
    return f"{signed}.{_sign(signed, key)}"


def decode_cursor(
    cursor: str | None, scope: str, secret: bytes | SigningKeys
) -> dict[str, Any] | None:
    """The ExclusiveStartKey in `cursor`; InvalidCursor if altered or made for another scope."""
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii() or cursor.count(".") != 2:
        raise InvalidCursor("The cursor is malformed.")
    kid, payload, signature = cursor.split(".")
    key = as_keys(secret).by_id(kid)
    if key is None or not hmac.compare_digest(signature, _sign(f"{kid}.{payload}", key)):
        raise InvalidCursor("The cursor was altered or was not issued by this service.")
    try:
        data = json.loads(_unb64(payload))
    except ValueError as error:
        raise InvalidCursor("The cursor is malformed.") from error
    if not isinstance(data, dict) or data.get("s") != scope or not isinstance(data.get("k"), dict):
        raise InvalidCursor("The cursor belongs to another query.")
    return dict(data["k"])
