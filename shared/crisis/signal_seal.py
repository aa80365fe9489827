"""A risky item's reason codes, sealed by the feature that wrote it for the crisis feature.

A feature's own reasons (`reasons_ct`) are sealed under that feature's data key, which
only its own functions may unwrap. So that a counsellor can read why a signal was raised
without any feature reaching into another's table or key, a write whose risk level is
above none also seals its reason codes *for the crisis feature*: one direct KMS Encrypt
of a small JSON document under the sealing key, with the encryption context

    {"purpose": "crisis-signal", "user_id": <sub>, "item_id": <the item's id>}

stored on the item as `signal_ct`, so it rides the table's stream. The writing functions
are granted only `kms:Encrypt` with that purpose (they can seal, never open); the risk
intake alone is granted `kms:Decrypt` with it. The intake opens it and seals the reasons
again with the crisis vault (purpose "crisis") on the signal it attaches to the case
(docs/decisions.md, "Signal reasons sealed for the crisis feature").

`item_id` is the item's id as the intake names it (functions/crisis/intake_logic.py,
`item_id`): the item's keys other than the member's, i.e. a check-in's date, a journal
entry's id, a screening's sort key. KMS refuses to open the blob under any other member
or item, so a `signal_ct` copied onto another item fails to open.

Plain data and the standard library only: the intake does not load pydantic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

PURPOSE = "crisis-signal"
FORMAT = 1
# KMS Encrypt takes at most 4096 bytes of plaintext.
MAX_PLAINTEXT_BYTES = 4096
LEVELS = ("watch", "high", "imminent")  # the levels above none (shared/risk.py)


class SignalUnreadable(ValueError):
    """A `signal_ct` whose document is not one this code wrote."""


def context(user_id: str, item_id: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "user_id": user_id, "item_id": item_id}


def _document(reasons: Iterable[str]) -> bytes:
    """{"v": 1, "reasons": [...]} as UTF-8 JSON; reasons past KMS's limit are left out."""
    kept = [str(r) for r in reasons]
    while True:
        plain = json.dumps({"v": FORMAT, "reasons": kept}, ensure_ascii=False).encode()
        if len(plain) <= MAX_PLAINTEXT_BYTES:
            return plain
        kept.pop()


def _reasons(plain: bytes) -> list[str]:
    try:
        document = json.loads(plain)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SignalUnreadable("not a signal document") from error
    if not isinstance(document, dict) or document.get("v") != FORMAT:
        raise SignalUnreadable("unknown signal document format")
    reasons = document.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise SignalUnreadable("a signal document without reason codes")
    return list(reasons)


class SignalSealer:
    """Seals (the features) and opens (the risk intake) a signal's reason codes."""

    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key_id = key_id

    def seal(self, user_id: str, item_id: str, reasons: Iterable[str]) -> bytes:
        """The reason codes as `signal_ct`: one KMS Encrypt."""
        return bytes(
            self._kms.encrypt(
                KeyId=self._key_id,
                Plaintext=_document(reasons),
                EncryptionContext=context(user_id, item_id),
            )["CiphertextBlob"]
        )

    def seal_if_risky(
        self, user_id: str, item_id: str, level: str, reasons: Iterable[str]
    ) -> bytes | None:
        """`signal_ct` for a write whose level is above none; None (nothing to store) else."""
        return self.seal(user_id, item_id, reasons) if level in LEVELS else None

    def open(self, user_id: str, item_id: str, sealed: bytes) -> list[str]:
        """The reason codes of a `signal_ct`: one KMS Decrypt, refused under another member
        or item (botocore's ClientError); SignalUnreadable if the document is not ours."""
        plain = self._kms.decrypt(
            CiphertextBlob=sealed, KeyId=self._key_id, EncryptionContext=context(user_id, item_id)
        )["Plaintext"]
        return _reasons(bytes(plain))


@cache
def signal_sealer() -> SignalSealer:  # pragma: no cover - production wiring
    """The deployment's sealer, on the sealing key (SEALING_KEY_ID)."""
    from shared import aws
    from shared.settings import BaseSettings, settings

    return SignalSealer(aws.client("kms"), settings(BaseSettings).sealing_key_id)
