"""Pagination cursors: they round-trip, and anything altered or reused elsewhere is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest

from shared.cursor import MAX_CURSOR_CHARS, decode_cursor, encode_cursor
from shared.errors import InvalidCursor
from shared.signing_keys import SigningKeys, key_id

SECRET = b"k" * 32
SCOPE = "checkins|user-a|2000-01-01|2026-05-02"
KEY = {"user_id": "user-a", "date": "2026-04-28"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(payload: str, secret: bytes = SECRET) -> str:
    """A cursor signed with the real secret whatever its payload: only the service can do this."""
    return f"{payload}.{b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())}"


def signed_json(data: Any) -> str:
    return signed(b64(json.dumps(data).encode()))


def cursor() -> str:
    made = encode_cursor(KEY, SCOPE, SECRET)
    assert made is not None
    return made


def flip(text: str, index: int) -> str:
    """`text` with the character at `index` replaced by another base64url character."""
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_cursor_round_trips_to_the_same_key() -> None:
    # Given a cursor made for a key
    made = cursor()
    # When it is decoded with the same scope and secret
    decoded = decode_cursor(made, SCOPE, SECRET)
    # Then the same key comes back
    assert decoded == KEY


@pytest.mark.parametrize("last_key", [None, {}])
def test_no_cursor_at_the_end_of_the_results(last_key: dict[str, Any] | None) -> None:
    # Given DynamoDB reported no LastEvaluatedKey / When encoded / Then there is no next cursor
    assert encode_cursor(last_key, SCOPE, SECRET) is None


def test_no_cursor_given_means_start_from_the_beginning() -> None:
    # Given no cursor on the request / When decoded / Then there is no ExclusiveStartKey
    assert decode_cursor(None, SCOPE, SECRET) is None


def test_cursor_is_opaque_base64url_with_a_signature() -> None:
    # Given a cursor
    made = cursor()
    # When its shape is inspected
    kid, payload, signature = made.split(".")
    # Then it names its key, both halves are unpadded base64url, and the date is not readable
    assert kid == key_id(SECRET)
    assert set(payload + signature) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert "2026-04-28" not in made


@pytest.mark.parametrize(
    "altered",
    [
        pytest.param(lambda c: flip(c, 0), id="payload-first-char"),
        pytest.param(lambda c: flip(c, c.index(".") - 1), id="payload-last-char"),
        pytest.param(lambda c: flip(c, c.index(".") + 1), id="signature-first-char"),
        pytest.param(lambda c: flip(c, len(c) - 1), id="signature-last-char"),
        pytest.param(lambda c: c[:-1], id="truncated-signature"),
        pytest.param(lambda c: c[: c.index(".") + 1], id="signature-removed"),
        pytest.param(lambda c: c[1:], id="truncated-payload"),
        pytest.param(
            lambda c: (
                b64(
                    json.dumps(
                        {"k": {"user_id": "user-a", "date": "2026-01-01"}, "s": SCOPE}
                    ).encode()
                )
                + c[c.index(".") :]
            ),
            id="payload-swapped-for-another-key",
        ),
    ],
)
def test_altered_cursor_is_refused(altered: Any) -> None:
    # Given a valid cursor that the client then changed
    tampered = altered(cursor())
    assert tampered != cursor()
    # When it is decoded
    # Then it is refused
    with pytest.raises(InvalidCursor):
        decode_cursor(tampered, SCOPE, SECRET)


def test_cursor_signed_with_another_secret_is_refused() -> None:
    # Given a cursor made with another secret (another stage, or a rotated secret)
    other = encode_cursor(KEY, SCOPE, b"x" * 32)
    # When decoded with this service's secret
    # Then it is refused
    with pytest.raises(InvalidCursor):
        decode_cursor(other, SCOPE, SECRET)


@pytest.mark.parametrize(
    "other_scope",
    [
        pytest.param("checkins|user-b|2000-01-01|2026-05-02", id="another-user"),
        pytest.param("checkins|user-a|2026-01-01|2026-05-02", id="another-from"),
        pytest.param("checkins|user-a|2000-01-01|2026-04-30", id="another-to"),
        pytest.param("journal|user-a|2000-01-01|2026-05-02", id="another-resource"),
    ],
)
def test_cursor_made_for_another_scope_is_refused(other_scope: str) -> None:
    # Given a genuine cursor from one member's query
    made = cursor()
    # When it is presented for another member or another query
    # Then it is refused, so it cannot page through someone else's data
    with pytest.raises(InvalidCursor, match="another query"):
        decode_cursor(made, other_scope, SECRET)


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param("", id="empty"),
        pytest.param("not-a-cursor", id="no-dot"),
        pytest.param(".", id="only-a-dot"),
        pytest.param("a.b.c", id="two-dots"),
        pytest.param("a" * MAX_CURSOR_CHARS + ".b", id="too-long"),
        pytest.param("%%%%.$$$$", id="not-base64"),
        pytest.param("eyJrIjp7fX0.AAAA", id="unsigned-json"),
    ],
)
def test_garbage_cursor_is_refused(garbage: str) -> None:
    # Given something that was never a cursor / When decoded / Then it is refused
    with pytest.raises(InvalidCursor):
        decode_cursor(garbage, SCOPE, SECRET)


@pytest.mark.parametrize(
    "signed_cursor",
    [
        pytest.param(signed(b64(b"not json")), id="not-json"),
        pytest.param(signed(b64(b"\xff\xfe")), id="not-utf8"),
        pytest.param(signed("@@@"), id="not-base64"),
        pytest.param(signed_json(["k", "s"]), id="not-an-object"),
        pytest.param(signed_json({"s": SCOPE}), id="no-key"),
        pytest.param(signed_json({"k": "2026-04-28", "s": SCOPE}), id="key-not-an-object"),
    ],
)
def test_correctly_signed_but_malformed_payload_is_refused(signed_cursor: str) -> None:
    # Given a cursor whose signature is right but whose payload is not a key and scope
    # When decoded
    # Then it is refused rather than crashing
    with pytest.raises(InvalidCursor):
        decode_cursor(signed_cursor, SCOPE, SECRET)


@pytest.mark.parametrize("garbage", ["abc.\u00e9", "abc.AAAA\u4e2d"])
def test_non_ascii_cursor_is_refused(garbage: str) -> None:
    # Given a cursor with a non-ASCII character (a query string can carry any UTF-8)
    # When decoded
    # Then it is refused as an invalid cursor like any other garbage
    with pytest.raises(InvalidCursor):
        decode_cursor(garbage, SCOPE, SECRET)


def test_cursor_made_before_a_key_rotation_is_still_accepted() -> None:
    # Given a cursor signed with the key in use before a rotation
    made = encode_cursor({"user_id": "u", "date": "2026-04-28"}, SCOPE, b"old-key" * 4)

    # When it comes back after the rotation, while the old key is still the previous one
    rotated = SigningKeys(current=b"new-key" * 4, previous=b"old-key" * 4)

    # Then it is accepted, and a new cursor is signed with the new key
    assert decode_cursor(made, SCOPE, rotated) == {"user_id": "u", "date": "2026-04-28"}
    fresh = encode_cursor({"user_id": "u"}, SCOPE, rotated)
    assert fresh is not None and fresh.startswith(key_id(b"new-key" * 4) + ".")


def test_cursor_signed_with_a_retired_key_is_refused() -> None:
    # Given a cursor signed with a key that is neither current nor previous
    made = encode_cursor({"user_id": "u"}, SCOPE, b"retired" * 4)

    # When it comes back
    keys = SigningKeys(current=b"new-key" * 4, previous=b"old-key" * 4)

    # Then it is refused as not issued by this service
    with pytest.raises(InvalidCursor):
        decode_cursor(made, SCOPE, keys)
