"""The tags and note of a check-in a member shared, sealed by the check-ins feature for
the peer feature.

The check-ins feature seals a check-in's tags and note under its own data key, which only
its own functions may unwrap. So that the member's supporters can read what the member
chose to share without the peer feature reaching into the check-ins table or key, a
check-in saved with `share_with_supporter` true that has tags or a note also carries them
sealed *for the peer feature*: one direct KMS Encrypt of a small JSON document under the
sealing key, with the encryption context

    {"purpose": "peer-share", "user_id": <sub>, "item_id": <the check-in's date>}

stored on the check-in as `share_ct`, so it rides the table's stream. The check-ins
function is granted only `kms:Encrypt` with that purpose (it can seal, never open); the
supporter inbox projector alone is granted `kms:Decrypt` with it. The projector opens it
and seals the tags and note again with the peer vault (purpose "peer", the member's peer
key) on the inbox items (the same pattern as shared/crisis/signal_seal.py,
docs/decisions.md 28). KMS refuses to open the blob under any other member or day.

KMS Encrypt takes at most 4096 bytes: the document is UTF-8 JSON; one that does not fit
is compressed (zlib, marked by a leading "z"), and one that still does not fit keeps the
tags and as much of the note as fits, ending in "…".

Plain data and the standard library only: the projector does not load pydantic.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

PURPOSE = "peer-share"
FORMAT = 1
ATTRIBUTE = "share_ct"
# KMS Encrypt takes at most 4096 bytes of plaintext.
MAX_PLAINTEXT_BYTES = 4096
_COMPRESSED = b"z"
_ELLIPSIS = "…"


class ShareUnreadable(ValueError):
    """A `share_ct` whose document is not one this code wrote."""


@dataclass(frozen=True)
class Shared:
    """What the member shared beyond the plain fields: tags and the note."""

    tags: tuple[str, ...] = ()
    note: str | None = None


def context(user_id: str, item_id: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "user_id": user_id, "item_id": item_id}


def _encoded(tags: list[str], note: str | None) -> bytes:
    plain = json.dumps({"v": FORMAT, "tags": tags, "note": note}, ensure_ascii=False).encode()
    if len(plain) <= MAX_PLAINTEXT_BYTES:
        return plain
    return _COMPRESSED + zlib.compress(plain, 9)


def _document(tags: Iterable[str], note: str | None) -> bytes:
    """The document as KMS takes it (≤ 4096 bytes); a note too long is cut short."""
    kept = [str(t) for t in tags]
    encoded = _encoded(kept, note)
    while len(encoded) > MAX_PLAINTEXT_BYTES and note:
        note = note[: max(0, len(note) * 9 // 10 - 1)].rstrip() + _ELLIPSIS
        if note == _ELLIPSIS:
            note = None
        encoded = _encoded(kept, note)
    return encoded  # tags alone (10 × 32 characters) always fit


def _shared(plain: bytes) -> Shared:
    try:
        if plain.startswith(_COMPRESSED):
            plain = zlib.decompress(plain[len(_COMPRESSED) :])
        document = json.loads(plain)
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ShareUnreadable("not a shared check-in document") from error
    if not isinstance(document, dict) or document.get("v") != FORMAT:
        raise ShareUnreadable("unknown shared check-in document format")
    tags, note = document.get("tags"), document.get("note")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ShareUnreadable("a shared check-in document without tags")
    if note is not None and not isinstance(note, str):
        raise ShareUnreadable("a shared check-in document with a note that is not text")
    return Shared(tuple(tags), note)


def blob(value: Any) -> bytes | None:
    """`share_ct` as stored: bytes, or the base64 text a Lambda stream event carries."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


class ShareSealer:
    """Seals (the check-ins feature) and opens (the inbox projector) a shared check-in's
    tags and note."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def seal(self, user_id: str, item_id: str, tags: Iterable[str], note: str | None) -> bytes:
        """The tags and note as `share_ct`: one KMS Encrypt."""
        return bytes(
            self._kms.encrypt(
                KeyId=self._key_id,
                Plaintext=_document(tags, note),
                EncryptionContext=context(user_id, item_id),
            )["CiphertextBlob"]
        )

    def seal_if_shared(
        self, user_id: str, item_id: str, shared: bool, tags: Iterable[str], note: str | None
    ) -> bytes | None:
        """`share_ct` for a shared check-in with tags or a note; None (nothing to store,
        or remove an earlier one) else."""
        tags = [t for t in tags if t]
        if not shared or not (tags or note):
            return None
        return self.seal(user_id, item_id, tags, note or None)

    def open(self, user_id: str, item_id: str, sealed: bytes) -> Shared:
        """The tags and note of a `share_ct`: one KMS Decrypt, refused under another member
        or day (botocore's ClientError); ShareUnreadable if the document is not ours."""
        plain = self._kms.decrypt(
            CiphertextBlob=sealed, KeyId=self._key_id, EncryptionContext=context(user_id, item_id)
        )["Plaintext"]
        return _shared(bytes(plain))


@cache
def share_sealer() -> ShareSealer:  # pragma: no cover - production wiring
    """The deployment's sealer, on the sealing key (SEALING_KEY_ID)."""
    from shared import aws
    from shared.settings import BaseSettings, settings

    return ShareSealer(aws.client("kms"), settings(BaseSettings).sealing_key_id)
