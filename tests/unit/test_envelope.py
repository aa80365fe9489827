"""Envelope encryption: sealed fields open only where they were sealed; data keys come from
KMS (moto) wrapped under the member's context, and are unwrapped once per cache period."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag

from shared.envelope import FORMAT_V1, NONCE_BYTES, KeyRing, SealedFormatError, open_sealed, seal
from tests.support.moto_cloud import moto_clients

KEY = bytes(range(32))
WHERE = ("journal", "user-a", "entry-1", "body")  # purpose, member, item, field


class CountingKms:
    """The moto KMS client, counting the calls that reach it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        operation = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append(name)
            return operation(**kwargs)

        return call


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def moto_kms() -> Iterator[Any]:
    with moto_clients("kms") as clients:
        yield clients["kms"]


@pytest.fixture
def kms(moto_kms: Any) -> CountingKms:
    return CountingKms(moto_kms)


def new_kms_key(kms: CountingKms) -> str:
    """A sealing key of this test's own (the module's moto KMS is shared)."""
    return str(kms.create_key(Description="sealing key")["KeyMetadata"]["KeyId"])


# --- seal / open_sealed --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("I told nobody about the panic attack", id="text"),
        pytest.param(["work", "sleep", "family"], id="list"),
        pytest.param("今天很难过 — but I went for a walk 🌧️", id="unicode"),
        pytest.param("", id="empty-text"),
        pytest.param({"level": "high", "reasons": ["lexicon:en_want_to_die"]}, id="object"),
    ],
)
def test_sealed_value_opens_to_the_same_value(value: Any) -> None:
    # Given a value sealed for one member's field
    sealed = seal(KEY, *WHERE, value)
    # When it is opened in the same place
    opened = open_sealed(KEY, *WHERE, sealed)
    # Then it is the value as written, and the plain text is not in the ciphertext
    assert opened == value
    if isinstance(value, str) and value:
        assert value.encode() not in sealed


def test_first_byte_is_the_format_version_then_a_fresh_nonce() -> None:
    # Given the same value sealed twice
    first = seal(KEY, *WHERE, "same words")
    second = seal(KEY, *WHERE, "same words")
    # Then each starts with the version byte 0x01, and the nonces (so the ciphertexts) differ
    assert first[:1] == second[:1] == FORMAT_V1 == b"\x01"
    assert first[1 : 1 + NONCE_BYTES] != second[1 : 1 + NONCE_BYTES]
    assert first != second


@pytest.mark.parametrize(
    "version",
    [pytest.param(b"\x00", id="v0"), pytest.param(b"\x02", id="v2"), pytest.param(b"", id="empty")],
)
def test_unknown_format_version_is_refused(version: bytes) -> None:
    # Given a ciphertext whose first byte names a format this code does not know
    sealed = seal(KEY, *WHERE, "words")
    altered = version + sealed[1:] if version else b""
    # When it is opened / Then it is refused as an unknown format, not guessed at
    with pytest.raises(SealedFormatError):
        open_sealed(KEY, *WHERE, altered)


@pytest.mark.parametrize(
    "elsewhere",
    [
        pytest.param(("checkins", "user-a", "entry-1", "body"), id="another-purpose"),
        pytest.param(("journal", "user-b", "entry-1", "body"), id="another-member"),
        pytest.param(("journal", "user-a", "entry-2", "body"), id="another-item"),
        pytest.param(("journal", "user-a", "entry-1", "title"), id="another-field"),
    ],
)
def test_ciphertext_moved_elsewhere_does_not_open(elsewhere: tuple[str, str, str, str]) -> None:
    # Given a body sealed for user-a's entry-1 in the journal
    sealed = seal(KEY, *WHERE, "my own words")
    # When it is opened as another feature's, member's, item's or field's
    # Then authentication fails
    with pytest.raises(InvalidTag):
        open_sealed(KEY, *elsewhere, sealed)


def test_ciphertext_does_not_open_under_another_key() -> None:
    # Given a value sealed under one member's key
    sealed = seal(KEY, *WHERE, "my own words")
    # When opened with another key / Then authentication fails
    with pytest.raises(InvalidTag):
        open_sealed(os.urandom(32), *WHERE, sealed)


def test_altered_ciphertext_does_not_open() -> None:
    # Given a sealed value with one bit of its ciphertext flipped
    sealed = bytearray(seal(KEY, *WHERE, "my own words"))
    sealed[-1] ^= 0x01
    # When opened / Then authentication fails
    with pytest.raises(InvalidTag):
        open_sealed(KEY, *WHERE, bytes(sealed))


# --- KeyRing over KMS (moto) ---------------------------------------------------------------


def test_new_key_unwraps_to_the_same_plain_key(kms: CountingKms) -> None:
    # Given a data key made for a member
    key_id = new_kms_key(kms)
    plain, edk = KeyRing(kms, key_id, "journal").new_key("user-a")
    # When another container (a fresh key ring) unwraps the stored wrapped key
    unwrapped = KeyRing(kms, key_id, "journal").unwrap("user-a", edk)
    # Then it is the same 256-bit key, and the wrapped form is not the key
    assert unwrapped == plain
    assert len(plain) == 32
    assert plain not in edk


def test_new_key_is_kept_so_its_first_unwrap_costs_no_kms_call(kms: CountingKms) -> None:
    # Given a key ring that just made a member's key
    ring = KeyRing(kms, new_kms_key(kms), "journal")
    plain, edk = ring.new_key("user-a")
    kms.calls.clear()
    # When it unwraps that key
    unwrapped = ring.unwrap("user-a", edk)
    # Then it answers from memory
    assert unwrapped == plain
    assert kms.calls == []


def test_unwrap_is_cached_until_the_ttl_passes(kms: CountingKms) -> None:
    # Given a wrapped key and a key ring that has never seen it, caching for 300 s
    key_id = new_kms_key(kms)
    _, edk = KeyRing(kms, key_id, "journal").new_key("user-a")
    ticker = Ticker()
    ring = KeyRing(kms, key_id, "journal", ttl=300, monotonic=ticker)
    kms.calls.clear()
    # When it unwraps the key three times within 300 s, then once after
    for at in (0.0, 10.0, 299.0):
        ticker.now = at
        ring.unwrap("user-a", edk)
    calls_within_ttl = list(kms.calls)
    ticker.now = 300.0
    ring.unwrap("user-a", edk)
    # Then KMS was asked once within the ttl, and again once it had passed
    assert calls_within_ttl == ["decrypt"]
    assert kms.calls == ["decrypt", "decrypt"]


def test_unwrap_for_another_member_is_refused_by_kms(kms: CountingKms) -> None:
    # Given user-a's wrapped key
    key_id = new_kms_key(kms)
    _, edk = KeyRing(kms, key_id, "journal").new_key("user-a")
    # When a key ring unwraps it naming user-b in the context
    # Then KMS refuses: the context binds the key to its member
    with pytest.raises(ClientError) as refused:
        KeyRing(kms, key_id, "journal").unwrap("user-b", edk)
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_unwrap_for_another_purpose_is_refused_by_kms(kms: CountingKms) -> None:
    # Given user-a's journal key
    key_id = new_kms_key(kms)
    _, edk = KeyRing(kms, key_id, "journal").new_key("user-a")
    # When the check-ins feature's key ring unwraps it for the same member
    # Then KMS refuses: the context binds the key to its feature
    with pytest.raises(ClientError) as refused:
        KeyRing(kms, key_id, "checkins").unwrap("user-a", edk)
    assert refused.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_a_refused_unwrap_is_not_cached(kms: CountingKms) -> None:
    # Given a key ring whose unwrap for user-b of user-a's key was refused
    key_id = new_kms_key(kms)
    plain, edk = KeyRing(kms, key_id, "journal").new_key("user-a")
    ring = KeyRing(kms, key_id, "journal")
    with pytest.raises(ClientError):
        ring.unwrap("user-b", edk)
    # When the rightful member's key is unwrapped by the same ring
    # Then it opens (nothing was kept from the refusal)
    assert ring.unwrap("user-a", edk) == plain


def test_rewrap_to_another_kms_key_keeps_the_data_key(kms: CountingKms) -> None:
    # Given a member's data key wrapped under the first sealing key, and a second key
    first_key, second_key = new_kms_key(kms), new_kms_key(kms)
    plain, edk = KeyRing(kms, first_key, "journal").new_key("user-a")
    # When it is rewrapped under the second key
    moved = KeyRing(kms, first_key, "journal").rewrap("user-a", edk, second_key)
    # Then a key ring on the second key unwraps it to the same plain key
    assert moved != edk
    assert KeyRing(kms, second_key, "journal").unwrap("user-a", moved) == plain


def test_rewrapped_key_keeps_the_member_context(kms: CountingKms) -> None:
    # Given user-a's key rewrapped under a second sealing key
    first_key, second_key = new_kms_key(kms), new_kms_key(kms)
    _, edk = KeyRing(kms, first_key, "journal").new_key("user-a")
    moved = KeyRing(kms, first_key, "journal").rewrap("user-a", edk, second_key)
    # When it is unwrapped for another member under the second key
    # Then KMS still refuses
    with pytest.raises(ClientError):
        KeyRing(kms, second_key, "journal").unwrap("user-b", moved)
