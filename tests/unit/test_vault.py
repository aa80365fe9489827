"""The vault: one data key per member, made on the first sealed write (race-safe), its
wrapped form cached for a while, and fields turned into `<field>_ct` ciphertext and back."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from shared.envelope import FORMAT_V1
from shared.vault import Vault, strip_sealed
from tests.support.fakes import FakeKms, fake_keyring

PURPOSE = "checkins"


class MemoryKeyStore:
    """KeyStore in a dict, counting reads and conditional writes."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.loads = 0
        self.stores = 0

    def load_key(self, user_id: str) -> bytes | None:
        self.loads += 1
        return self.keys.get(user_id)

    def store_key(self, user_id: str, edk: bytes) -> bool:
        self.stores += 1
        if user_id in self.keys:
            return False
        self.keys[user_id] = edk
        return True


class LosingKeyStore(MemoryKeyStore):
    """Another request stores its key between this one's read and its conditional write."""

    def __init__(self, winner: bytes) -> None:
        super().__init__()
        self._winner = winner

    def load_key(self, user_id: str) -> bytes | None:
        found = super().load_key(user_id)
        self.keys.setdefault(user_id, self._winner)  # the winner writes after our read
        return found


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def kms() -> FakeKms:
    return FakeKms()


@pytest.fixture
def store() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def vault(kms: FakeKms, store: MemoryKeyStore, ticker: Ticker) -> Vault:
    return Vault(fake_keyring(PURPOSE, kms), store, ttl=60, monotonic=ticker)


# --- the member's key ----------------------------------------------------------------------


def test_key_is_made_once_on_the_first_write(
    vault: Vault, kms: FakeKms, store: MemoryKeyStore
) -> None:
    # Given a member with no key yet
    # When they write twice
    first = vault.key_for_writing("user-a")
    second = vault.key_for_writing("user-a")
    # Then one key was made and stored, and both writes use it
    assert first == second
    assert kms.calls.get("generate_data_key") == 1
    assert store.stores == 1
    assert list(store.keys) == ["user-a"]


def test_each_member_gets_their_own_key(vault: Vault) -> None:
    # Given two members / When each writes / Then their keys differ
    assert vault.key_for_writing("user-a") != vault.key_for_writing("user-b")


def test_losing_the_race_to_store_a_key_uses_the_winners_key(kms: FakeKms) -> None:
    # Given another request that made and stored user-a's key after this one looked
    winner_plain, winner_edk = fake_keyring(PURPOSE, kms).new_key("user-a")
    store = LosingKeyStore(winner_edk)
    vault = Vault(fake_keyring(PURPOSE, kms), store)
    # When this request writes (its own conditional store fails)
    key = vault.key_for_writing("user-a")
    # Then it seals with the winner's key, and the store still holds only the winner's
    assert key == winner_plain
    assert store.keys == {"user-a": winner_edk}
    assert store.stores == 1


def test_after_losing_the_race_the_winners_key_is_cached(kms: FakeKms) -> None:
    # Given a request that lost the race to store user-a's key
    _, winner_edk = fake_keyring(PURPOSE, kms).new_key("user-a")
    store = LosingKeyStore(winner_edk)
    vault = Vault(fake_keyring(PURPOSE, kms), store)
    first = vault.key_for_writing("user-a")
    loads = store.loads
    # When it writes again
    again = vault.key_for_writing("user-a")
    # Then it reuses the winner's key without reading the store again
    assert again == first
    assert store.loads == loads


def test_key_for_reading_is_none_for_a_member_without_a_key(
    vault: Vault, kms: FakeKms, store: MemoryKeyStore
) -> None:
    # Given a member who never sealed anything
    # When their key is asked for to read / Then there is none, and none is made
    assert vault.key_for_reading("user-a") is None
    assert store.keys == {}
    assert kms.calls.get("generate_data_key") is None


def test_a_missing_key_is_looked_up_again_on_the_next_read(
    vault: Vault, kms: FakeKms, store: MemoryKeyStore
) -> None:
    # Given a read that found no key for user-a
    assert vault.key_for_reading("user-a") is None
    # When another container makes their key, and this one reads again within the ttl
    _, edk = fake_keyring(PURPOSE, kms).new_key("user-a")
    store.keys["user-a"] = edk
    # Then the new key is found at once (no absence is remembered)
    assert vault.key_for_reading("user-a") is not None


def test_key_for_reading_is_the_key_used_for_writing(vault: Vault) -> None:
    # Given a member who wrote
    written = vault.key_for_writing("user-a")
    # When their key is asked for to read
    read = vault.key_for_reading("user-a")
    # Then it is the same key
    assert read == written


def test_wrapped_key_is_read_from_the_store_once_per_ttl(
    vault: Vault, store: MemoryKeyStore, ticker: Ticker, kms: FakeKms
) -> None:
    # Given a member whose key was stored by another container
    _, edk = fake_keyring(PURPOSE, kms).new_key("user-a")
    store.keys["user-a"] = edk
    # When it is read at 0 s, 30 s and 59 s, then at 60 s (the ttl)
    for at in (0.0, 30.0, 59.0):
        ticker.now = at
        vault.key_for_reading("user-a")
    loads_within_ttl = store.loads
    ticker.now = 60.0
    vault.key_for_reading("user-a")
    # Then the store was read once within the ttl, and again after it
    assert loads_within_ttl == 1
    assert store.loads == 2


def test_purpose_is_the_key_rings(vault: Vault) -> None:
    # Given a vault on the check-ins key ring / Then its purpose is the key ring's
    assert vault.purpose == PURPOSE


# --- fields --------------------------------------------------------------------------------


def test_seal_fields_uses_the_ct_suffix_and_leaves_out_none(vault: Vault) -> None:
    # Given a note, tags and no reasons
    key = vault.key_for_writing("user-a")
    fields = {"note": "slept badly", "tags": ["sleep"], "reasons": None}
    # When sealed
    sealed = vault.seal_fields(key, "user-a", "2026-05-02", fields)
    # Then only the set fields come back, as `<field>_ct` versioned ciphertext
    assert set(sealed) == {"note_ct", "tags_ct"}
    assert all(isinstance(v, bytes) and v[:1] == FORMAT_V1 for v in sealed.values())
    assert b"slept badly" not in sealed["note_ct"]


def test_sealed_fields_open_to_what_was_written(vault: Vault) -> None:
    # Given an item whose note and tags were sealed, plus a plain field
    key = vault.key_for_writing("user-a")
    item = {"mood": 2} | vault.seal_fields(
        key, "user-a", "2026-05-02", {"note": "今天很难过", "tags": ["work", "sleep"]}
    )
    # When its fields are opened
    opened = vault.open_fields(key, "user-a", "2026-05-02", item, ("note", "tags"))
    # Then they read as written
    assert opened == {"note": "今天很难过", "tags": ["work", "sleep"]}


def test_open_fields_gives_none_for_fields_not_stored(vault: Vault) -> None:
    # Given an item with a sealed note only
    key = vault.key_for_writing("user-a")
    item = vault.seal_fields(key, "user-a", "2026-05-02", {"note": "ok"})
    # When note, tags and reasons are opened
    opened = vault.open_fields(key, "user-a", "2026-05-02", item, ("note", "tags", "reasons"))
    # Then the ones never stored are None
    assert opened == {"note": "ok", "tags": None, "reasons": None}


def test_open_fields_needs_no_key_when_nothing_is_sealed(vault: Vault) -> None:
    # Given an item without ciphertext, for a member without a key
    # When its fields are opened with no key / Then all are None
    opened = vault.open_fields(None, "user-a", "2026-05-02", {"mood": 3}, ("note", "tags"))
    assert opened == {"note": None, "tags": None}


def test_fields_sealed_for_one_item_do_not_open_as_another(vault: Vault) -> None:
    # Given a note sealed for 2 May
    key = vault.key_for_writing("user-a")
    item = vault.seal_fields(key, "user-a", "2026-05-02", {"note": "private"})
    # When opened as 3 May's / Then authentication fails
    with pytest.raises(InvalidTag):
        vault.open_fields(key, "user-a", "2026-05-03", item, ("note",))


def test_strip_sealed_drops_only_ciphertext_attributes() -> None:
    # Given an item with plain and sealed attributes
    item = {"user_id": "user-a", "mood": 3, "note_ct": b"\x01...", "tags_ct": b"\x01..."}
    # When stripped / Then the plain attributes remain, unchanged
    assert strip_sealed(item) == {"user_id": "user-a", "mood": 3}
    assert "note_ct" in item
