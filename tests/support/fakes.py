"""In-memory stand-ins for the unit tier (never used by integration or stack tests)."""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

from functions.accounts.workflows import ExportState, Workflows
from functions.checkins.models import Checkin
from functions.checkins.repository import CheckinsStore
from functions.journal.repository import META, JournalStore
from functions.journal.vault import PURPOSE as JOURNAL
from functions.journal.vault import JournalKeys, JournalVault
from shared.audit import AuditEntry
from shared.crisis.signal_seal import SignalSealer
from shared.envelope import KeyRing
from shared.identity import Identity, Role
from shared.orgs.roster import RosterEntry
from shared.vault import Vault


class Caller:
    """The identity the next request is made as; tests change it between requests."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def __call__(self) -> Identity:
        return self.identity


class RosterLikeTheToken:
    """A roster that agrees with the caller's token (their primary role, active), unless a
    test says otherwise in `overrides` ({(org_id, user_id): RosterEntry or None})."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.overrides: dict[tuple[str, str], RosterEntry | None] = {}

    def entry(self, org_id: str, user_id: str) -> RosterEntry | None:
        if (org_id, user_id) in self.overrides:
            return self.overrides[(org_id, user_id)]
        identity = self.caller.identity
        if identity.user_id != user_id or identity.org_id != org_id:
            return None
        return RosterEntry(org_id, user_id, identity.role, identity.username, active=True)

    def forget(self, org_id: str, user_id: str) -> None:
        self.overrides.pop((org_id, user_id), None)

    @classmethod
    def installed(cls, caller: Caller, monkeypatch: Any) -> RosterLikeTheToken:
        """A roster like the token, in place of the real one for the rest of the test."""
        fake = cls(caller)
        monkeypatch.setattr("shared.orgs.access.roster", lambda: fake)
        return fake


class MovableClock:
    """A clock the test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def member(
    user_id: str = "user-a",
    zoneinfo: str | None = "Asia/Shanghai",
    org_id: str = "org-1",
    *,
    locale: str | None = None,
    roles: tuple[Role, ...] = ("member",),
) -> Identity:
    return Identity(
        user_id=user_id,
        username=user_id,
        roles=frozenset(roles),
        org_id=org_id,
        zoneinfo=zoneinfo,
        locale=locale,
    )


class FakeCheckinsRepository:
    """Same contract as CheckinsRepository, kept in a dict."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def save(self, user_id: str, org_id: str | None, checkin: Checkin) -> tuple[Checkin, bool]:
        key = (user_id, checkin.date.isoformat())
        old = self.items.get(key)
        if old:
            checkin = checkin.model_copy(update={"created_at": old["created_at"]})
        self.items[key] = checkin.model_dump(mode="json") | {"user_id": user_id, "org_id": org_id}
        return checkin, old is None

    def get(self, user_id: str, day: dt.date) -> Checkin | None:
        item = self.items.get((user_id, day.isoformat()))
        return Checkin.model_validate(item) if item else None

    def _mine(self, user_id: str) -> list[dict[str, Any]]:
        return sorted(
            (v for (u, _), v in self.items.items() if u == user_id),
            key=lambda i: i["date"],
            reverse=True,
        )

    def page(
        self,
        user_id: str,
        first: dt.date,
        last: dt.date,
        limit: int,
        start_key: dict[str, Any] | None,
    ) -> tuple[list[Checkin], dict[str, Any] | None]:
        rows = [
            i for i in self._mine(user_id) if first.isoformat() <= i["date"] <= last.isoformat()
        ]
        if start_key:
            rows = [i for i in rows if i["date"] < start_key["date"]]
        page = rows[:limit]
        more = len(rows) > limit
        last_key = {"user_id": user_id, "date": page[-1]["date"]} if more else None
        return [Checkin.model_validate(i) for i in page], last_key

    def newest_first(self, user_id: str, until: dt.date, page_size: int = 100) -> Any:
        return iter([i for i in self._mine(user_id) if i["date"] <= until.isoformat()])


class FakeAccountsRepository:
    """Same contract as AccountsRepository: profiles in a dict, Cognito updates in a list."""

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        # (username, attributes) of every update that would reach Cognito; like the real
        # repository, an empty attribute set sends nothing.
        self.mirrored: list[tuple[str, dict[str, str]]] = []

    def get(self, user_id: str) -> dict[str, Any] | None:
        profile = self.profiles.get(user_id)
        return dict(profile) if profile is not None else None

    def create(self, profile: dict[str, Any]) -> dict[str, Any]:
        existing = self.profiles.get(profile["user_id"])
        if existing is not None:
            return dict(existing)
        self.profiles[profile["user_id"]] = dict(profile)
        return dict(profile)

    def update(
        self, user_id: str, changes: dict[str, Any], defaults: dict[str, Any]
    ) -> dict[str, Any]:
        profile = dict(self.profiles.get(user_id) or {"user_id": user_id})
        for field, value in defaults.items():
            if field not in changes:
                profile.setdefault(field, value)
        for field, value in changes.items():
            if value is None:
                profile.pop(field, None)
            else:
                profile[field] = value
        self.profiles[user_id] = profile
        return dict(profile)

    def mirror_to_token(self, username: str, attributes: dict[str, str]) -> None:
        if attributes:
            self.mirrored.append((username, dict(attributes)))


class FakeWorkflows:
    """Same contract as functions.accounts.workflows.DataRightsWorkflows: runs in lists."""

    def __init__(self) -> None:
        self.erasures: list[tuple[str, str, str]] = []
        self.exports: dict[str, tuple[str, ExportState]] = {}  # id -> (owner, state)

    def start_erasure(self, request_id: str, user_id: str, username: str, at: str) -> None:
        self.erasures.append((request_id, user_id, username))

    def start_export(self, export_id: str, user_id: str) -> None:
        self.exports[export_id] = (user_id, "running")

    def export_state(self, export_id: str, user_id: str) -> tuple[ExportState, str | None] | None:
        found = self.exports.get(export_id)
        if found is None or found[0] != user_id:
            return None
        state = found[1]
        return state, (f"https://exports.example/{export_id}.zip" if state == "ready" else None)


class KmsRefused(Exception):
    """What the fake KMS raises where KMS answers InvalidCiphertextException."""


class FakeKms:
    """The KMS calls a KeyRing and a SignalSealer make, in memory: ciphertexts are opaque
    handles.

    Like KMS, it refuses to unwrap a key under another encryption context or key id;
    `calls` counts the calls by operation, so tests can see what the cache saved.
    """

    def __init__(self) -> None:
        self._wrapped: dict[bytes, tuple[str, dict[str, str], bytes]] = {}
        self.calls: dict[str, int] = {}

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    def generate_data_key(
        self, *, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]
    ) -> dict[str, Any]:
        self._count("generate_data_key")
        assert KeySpec == "AES_256"
        plain = os.urandom(32)
        blob = b"wrapped:" + os.urandom(16)
        self._wrapped[blob] = (KeyId, dict(EncryptionContext), plain)
        return {"Plaintext": plain, "CiphertextBlob": blob, "KeyId": KeyId}

    def encrypt(
        self, *, KeyId: str, Plaintext: bytes, EncryptionContext: dict[str, str]
    ) -> dict[str, Any]:
        """A direct Encrypt (shared/crisis/signal_seal.py): an opaque handle, never the text."""
        self._count("encrypt")
        assert len(Plaintext) <= 4096, "KMS Encrypt takes at most 4096 bytes"
        blob = b"encrypted:" + os.urandom(16)
        self._wrapped[blob] = (KeyId, dict(EncryptionContext), bytes(Plaintext))
        return {"CiphertextBlob": blob, "KeyId": KeyId}

    def decrypt(
        self, *, CiphertextBlob: bytes, KeyId: str, EncryptionContext: dict[str, str]
    ) -> dict[str, Any]:
        self._count("decrypt")
        found = self._wrapped.get(bytes(CiphertextBlob))
        if found is None or found[:2] != (KeyId, EncryptionContext):
            raise KmsRefused("InvalidCiphertextException")
        return {"Plaintext": found[2], "KeyId": KeyId}


def fake_keyring(purpose: str, kms: FakeKms | None = None) -> KeyRing:
    """A real KeyRing over the in-memory KMS: no AWS call, the same caching."""
    return KeyRing(kms or FakeKms(), "alias/fake-sealing-key", purpose)


def fake_signal_sealer(kms: FakeKms | None = None) -> SignalSealer:
    """A real SignalSealer over the in-memory KMS, on the same key as `fake_keyring`."""
    return SignalSealer(kms or FakeKms(), "alias/fake-sealing-key")


class FakeJournalRepository:
    """Same contract as JournalRepository (`JournalStore`, plus the "#meta" item), in a dict.

    Items are kept as DynamoDB would keep them: copied, without None attributes. `page`
    walks the `by_written` index (entries only: tombstones and "#meta" have no
    `written_at`), newest first, and like DynamoDB applies `limit` before the filters.
    """

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def _put(self, item: dict[str, Any]) -> None:
        stored = {k: copy.deepcopy(v) for k, v in item.items() if v is not None}
        self.items[(item["user_id"], item["entry_id"])] = stored

    def _mine(self, user_id: str) -> list[dict[str, Any]]:
        return [v for (u, _), v in self.items.items() if u == user_id]

    def meta(self, user_id: str) -> dict[str, Any] | None:
        return self.get(user_id, META)

    def create_meta(self, user_id: str, edk: bytes) -> bool:
        meta = self.items.get((user_id, META)) or {"user_id": user_id, "entry_id": META}
        if "edk" in meta:
            return False
        self._put(meta | {"edk": edk})
        return True

    def set_retention(self, user_id: str, days: int | None) -> None:
        meta = self.items.get((user_id, META)) or {"user_id": user_id, "entry_id": META}
        self._put(meta | {"retention_days": days})

    def get(self, user_id: str, entry_id: str) -> dict[str, Any] | None:
        item = self.items.get((user_id, entry_id))
        return copy.deepcopy(item) if item is not None else None

    def create(self, item: dict[str, Any]) -> bool:
        if (item["user_id"], item["entry_id"]) in self.items:
            return False
        self._put(item)
        return True

    def replace(self, item: dict[str, Any], expected_version: int) -> bool:
        current = self.items.get((item["user_id"], item["entry_id"]))
        if current is None or current.get("version") != expected_version or "deleted" in current:
            return False
        self._put(item)
        return True

    def page(
        self,
        user_id: str,
        first: str,
        last: str,
        limit: int,
        start_key: dict[str, Any] | None,
        mood: int | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        def position(item: dict[str, Any]) -> tuple[str, str]:
            return item["written_at"], item["entry_id"]

        indexed = sorted(
            (i for i in self._mine(user_id) if "written_at" in i), key=position, reverse=True
        )
        rows = [i for i in indexed if first <= i["written_at"] <= last]
        if start_key:
            rows = [i for i in rows if position(i) < position(start_key)]
        evaluated = rows[:limit]
        kept = [
            copy.deepcopy(i)
            for i in evaluated
            if "deleted" not in i and (mood is None or i.get("mood") == mood)
        ]
        last_key = None
        if len(rows) > limit:
            end = evaluated[-1]
            last_key = {k: end[k] for k in ("user_id", "entry_id", "written_at")}
        return kept, last_key

    def changes(self, user_id: str, after: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
        rows = sorted(
            (i for i in self._mine(user_id) if i.get("change_seq", "") > after),
            key=lambda i: str(i["change_seq"]),
        )
        return [copy.deepcopy(i) for i in rows[:limit]], len(rows) > limit


def fake_journal_vault(repo: FakeJournalRepository, kms: FakeKms | None = None) -> JournalVault:
    """The real JournalVault over the fake repository's "#meta" and the in-memory KMS."""
    kms = kms or FakeKms()
    vault = Vault(fake_keyring(JOURNAL, kms), JournalKeys(repo))
    return JournalVault(vault, repo, fake_signal_sealer(kms))


# mypy fails here if a fake drifts from the contract the routes are typed against.
_checkins: CheckinsStore = FakeCheckinsRepository()
_journal: JournalStore = FakeJournalRepository()
_workflows: Workflows = FakeWorkflows()


class FakeAudit:
    """An AuditLog that keeps what was appended (the crisis and peer routes' unit tests)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def append(self, org_id: str, **fields: Any) -> dict[str, Any]:
        self.records.append({"org_id": org_id, **fields})
        return self.records[-1]

    def append_all(
        self, org_id: str, entries: Sequence[AuditEntry], *, at: Any = None
    ) -> list[dict[str, Any]]:
        return [self.append(org_id, **vars(entry), at=at) for entry in entries]

    def actions(self) -> list[str]:
        return [r["action"] for r in self.records]
