"""The cases table: the only code that knows its keys (crisis feature; no HTTP).

Items, partition `pk`, sort `sk`:

| pk                 | sk                   | what                                             |
|--------------------|----------------------|--------------------------------------------------|
| `member#<user_id>` | `open`               | the member's open case (`case_id`)               |
| `member#<user_id>` | `case#<case_id>`     | every case of the member (their export, erasure) |
| `member#<user_id>` | `seen#<source id>`   | a signal taken in (`case_id`), for 30 days       |
| `member#<user_id>` | `key`                | wrapped data key of the crisis vault (`edk`)     |
| `member#<user_id>` | `safety-plan`        | the member's safety plan: `version`, `plan_ct`   |
| `member#<user_id>` | `plan`               | the care plan's head: its current `version`      |
| `member#<user_id>` | `plan#v<000001>`     | one care-plan version: `review_on`, sealed texts |
| `member#<user_id>` | `guardians`          | guardian contacts and consent: `guardians_ct`    |
| `member#<user_id>` | `mood#<YYYY-MM-DD>`  | a local day's mood, `updated_at`; 30 days (TTL)  |
| `case#<case_id>`   | `#case`              | the case                                         |
| `case#<case_id>`   | `signal#<source id>` | a signal attached to it                          |
| `case#<case_id>`   | `event#<at>#<id>`    | a timeline event (`kind`, `actor_id`, `detail`)  |
| `case#<case_id>`   | `note#<at>#<id>`     | a counsellor's note: `author_id`, `text_ct`      |
| `case#<case_id>`   | `contact#<at>#<id>`  | a contact: who, channel, outcome, `note_ct`      |
| `case#<case_id>`   | `referral#<at>#<id>` | a referral: to, kind, on, `note_ct`              |
| `watch#<org_id>`   | `<user_id>`          | the member's watch entry (level, review_on)      |

- **A member's records** (`safety-plan`, `plan`, `plan#v…`, `guardians`) are written and
  read by functions/crisis/member_records.py, which documents their fields.
- **One open case per member.** A case is opened in one TransactWriteItems with the
  `open` pointer, put only if absent: of ten signals at once, one opens the case and
  the others lose the condition, read the pointer and attach. Closing the case must
  delete the pointer in the same transaction as it sets the status `closed`.
- **A case** (`#case`) holds `status` (open, acknowledged, following_up, closed),
  `severity` (watch < high < imminent: raised, never lowered), `revision` (1 at opening,
  bumped exactly when the severity rises, so the workflow's execution name
  `<case_id>-r<revision>` is new exactly then), `org_id` ("none" for a member of no
  organisation), `created_at`, `signals` (how many are attached: every attach is
  conditional on the count it read, an optimistic lock), the workflow's task tokens
  (`token_ack`, `token_answer`, `token_closure`) and the counsellor list's index keys.
  A raise puts an acknowledged case back to `open`: the new run asks for a fresh
  acknowledgement at the higher severity.
- **A signal** (`signal#<source id>`) keeps its level plain and its reason codes sealed
  by the crisis vault (`reasons_ct`, purpose "crisis", AAD item id `item_id`): the intake
  opens what the source feature sealed for the crisis feature (`signal_ct`) and seals it
  again here (functions/crisis/intake.py). A sustained low mood's signal has the source
  `sustained_low_mood`, source id `low_mood#<local day>` and item id the day.
- **The mood history** (`mood#<local day>`) is written and read by
  functions/crisis/moods.py: each check-in's mood, for the sustained low mood signal.
- **Replays change nothing.** The source id names the write that carried the signal
  (functions/crisis/intake_logic.py). The `seen#` marker, put only if absent in the same
  transaction, is per member rather than per case, so a record replayed after its case
  was closed does not open another. It outlives every replay: a stream keeps records
  24 hours, and the intake's on-failure queue holds only where to read them again.
- **Timeline** (`event#`, functions/crisis/case_records.py): the intake writes `opened`
  and `raised` in the transaction that opens or raises the case, the workflow's steps
  write theirs with one UpdateItem each (their only writes besides the tokens), the
  counsellor routes theirs right after the write they record. `<at>` is `utc_iso`, so
  the sort key orders them; `<id>` is 8 random hex digits. A step retried by the
  workflow may write its event twice: the timeline shows the retry. Never sealed text.
- **Notes, contacts, referrals** (`note#`, `contact#`, `referral#`) carry their text
  sealed by the crisis vault under the member's key, with the item's id as the vault's
  item id. A contact also moves the case's `last_contact` (and, with a guardian or the
  family, `last_family_contact`) forward, and the member's watch entry's.
- **Watch entry** (`watch#<org_id>`, `<user_id>`): `level` 1-3, `case_id`, `review_on`,
  `since`, `last_contact`, `last_family_contact`. `take_closure` puts it in its
  transaction when the outcome is a watch level (carrying the last contacts forward from
  the case and the entry it replaces), and deletes it when the outcome is resolved or
  referred; `give_back_closure` puts back what was there before.
- **Counsellor list**: GSI `ByOrgStatus`, `list_pk` = `org#<org_id>#<status>`, `list_sk`
  = `<9 - severity rank>#<created_at>#<case_id>`, so one ascending Query lists imminent
  cases first, then high, then watch, each oldest first. It projects the case's plain
  fields, never its tokens.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.clock import utc_iso
from shared.dynamo import from_item, to_item
from shared.settings import Settings

SEVERITIES = ("watch", "high", "imminent")
STATUSES = ("open", "acknowledged", "following_up", "closed")
OPEN, CLOSED = "open", "closed"
NO_ORG = "none"  # a member of no organisation: the workflow's fallback (no rota) applies
BY_ORG_STATUS = "ByOrgStatus"
TOKEN_KINDS = frozenset({"ack", "answer", "closure"})

CASE = "#case"
POINTER = "open"
KEY = "key"
SEEN_SECONDS = 30 * 86400

MAX_ATTEMPTS = 16  # ten writers at once need at most ten rounds: each round one succeeds
PAUSE_SECONDS = 0.01


class CasesSettings(Settings):
    cases_table: str


def member_pk(user_id: str) -> str:
    return f"member#{user_id}"


def case_pk(case_id: str) -> str:
    return f"case#{case_id}"


def signal_sk(source_id: str) -> str:
    return f"signal#{source_id}"


def seen_sk(source_id: str) -> str:
    return f"seen#{source_id}"


def event_sk(at: str, event_id: str) -> str:
    return f"event#{at}#{event_id}"


def watch_pk(org_id: str) -> str:
    return f"watch#{org_id}"


def short_id() -> str:
    """8 random hex digits: what keeps two events of one millisecond apart."""
    return uuid.uuid4().hex[:8]


INTAKE_ACTOR = "crisis-intake"


def event_item(
    case_id: str,
    kind: str,
    at: str,
    actor_id: str,
    detail: Mapping[str, str | int] | None = None,
) -> dict[str, Any]:
    """One timeline event under the case (plain fields only: never sealed text)."""
    return {
        "pk": case_pk(case_id),
        "sk": event_sk(at, short_id()),
        "kind": kind,
        "at": at,
        "actor_id": actor_id,
        "detail": dict(detail) if detail else None,
    }


def rank(severity: str) -> int:
    """1 watch, 2 high, 3 imminent; 0 for anything else."""
    return SEVERITIES.index(severity) + 1 if severity in SEVERITIES else 0


def list_pk(org_id: str, status: str) -> str:
    return f"org#{org_id}#{status}"


def list_sk(severity: str, created_at: str, case_id: str) -> str:
    """Imminent (6) sorts before high (7) before watch (8); then the oldest first."""
    return f"{9 - rank(severity)}#{created_at}#{case_id}"


@dataclass(frozen=True)
class Case:
    case_id: str
    user_id: str
    org_id: str
    status: str
    severity: str
    revision: int
    created_at: str
    updated_at: str
    signals: int
    opening_mood: int | None = None

    @property
    def execution_name(self) -> str:
        """The workflow run of this revision: a second start of it is a replay."""
        return f"{self.case_id}-r{self.revision}"

    def as_item(self) -> dict[str, Any]:
        return {
            "pk": case_pk(self.case_id),
            "sk": CASE,
            "case_id": self.case_id,
            "user_id": self.user_id,
            "org_id": self.org_id,
            "status": self.status,
            "severity": self.severity,
            "revision": self.revision,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "signals": self.signals,
            "opening_mood": self.opening_mood,
            "list_pk": list_pk(self.org_id, self.status),
            "list_sk": list_sk(self.severity, self.created_at, self.case_id),
        }


def case_from_item(item: Mapping[str, Any]) -> Case:
    return Case(
        case_id=str(item["case_id"]),
        user_id=str(item["user_id"]),
        org_id=str(item["org_id"]),
        status=str(item["status"]),
        severity=str(item["severity"]),
        revision=int(item["revision"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        signals=int(item["signals"]),
        opening_mood=item.get("opening_mood"),
    )


@dataclass(frozen=True)
class Attached:
    """What a signal did: the case as it now stands, and whether the signal opened it,
    raised its severity, or had been taken in before (a replay: nothing changed).
    Unpacks as (case, started, raised)."""

    case: Case
    started: bool
    raised: bool
    replayed: bool = False

    def __iter__(self) -> Iterator[Any]:
        return iter((self.case, self.started, self.raised))


@dataclass(frozen=True)
class IncomingSignal:
    """A signal to attach: its plain fields, and the reasons as the source sealed them."""

    user_id: str
    org_id: str
    severity: str
    source_id: str
    sealed_reasons: bytes | None
    now: datetime
    source: str | None = None
    item_id: str | None = None
    mood: int | None = None


class CasesBusy(Exception):
    """The case kept changing under every attempt; the stream record is retried whole."""


class _Again(Exception):
    """Another writer got there first: read again and retry."""


class _Replayed(Exception):
    """The signal's `seen#` marker exists: it was taken in before."""


def _cancellation_codes(error: ClientError) -> list[str] | None:
    """Each transaction item's reason code, or None if `error` is not a cancelled transaction."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    return [str(r.get("Code") or "None") for r in reasons]


class CasesRepository:
    def __init__(
        self,
        client: Any,
        table: str,
        sleep: Callable[[float], None] = time.sleep,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._db = client
        self._table = table
        self._sleep = sleep
        self._new_id = new_id

    @property
    def client(self) -> Any:
        return self._db

    @property
    def table(self) -> str:
        return self._table

    @classmethod
    def from_environment(cls) -> CasesRepository:  # pragma: no cover - production wiring
        from shared import aws
        from shared.settings import settings

        return cls(aws.client("dynamodb"), settings(CasesSettings).cases_table)

    # --- reads -------------------------------------------------------------------------

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True
        ).get("Item")
        return from_item(item) if item else None

    def case(self, case_id: str) -> Case | None:
        item = self._get(case_pk(case_id), CASE)
        return case_from_item(item) if item else None

    def open_case_of(self, user_id: str) -> Case | None:
        pointer = self._get(member_pk(user_id), POINTER)
        return self.case(str(pointer["case_id"])) if pointer else None

    def signals(self, case_id: str) -> list[dict[str, Any]]:
        """The case's signal items (plain fields and the source's ciphertext), one Query."""
        found: list[dict[str, Any]] = []
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":p": case_pk(case_id), ":s": "signal#"}),
        }
        while True:
            page = self._db.query(**args)
            found += [from_item(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def page(
        self,
        org_id: str,
        status: str,
        limit: int,
        start_key: dict[str, Any] | None = None,
        severity: str | None = None,
    ) -> tuple[list[Case], dict[str, Any] | None]:
        """One Query of the counsellor list: imminent first, then the oldest."""
        condition = "list_pk = :p"
        values: dict[str, Any] = {":p": list_pk(org_id, status)}
        if severity is not None:
            condition += " AND begins_with(list_sk, :s)"
            values[":s"] = f"{9 - rank(severity)}#"
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_ORG_STATUS,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_item(values),
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        last = response.get("LastEvaluatedKey")
        cases = [case_from_item(from_item(i)) for i in response.get("Items", [])]
        return cases, (from_item(last) if last else None)

    # --- the workflow's task tokens -----------------------------------------------------

    def keep_token(self, case_id: str, kind: str, token: str) -> None:
        """Leave a waiting step's task token on the case (ack, answer or closure)."""
        if kind not in TOKEN_KINDS:
            raise ValueError(f"unknown token kind {kind!r}")
        if kind == "ack" and self._reopen_for_ack(case_id, token):
            return
        self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": case_pk(case_id), "sk": CASE}),
            UpdateExpression="SET #t = :t",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#t": f"token_{kind}"},
            ExpressionAttributeValues=to_item({":t": token}),
        )

    def _reopen_for_ack(self, case_id: str, token: str) -> bool:
        """A run that asks for an acknowledgement of a case taken before (a worse follow-up
        answer re-escalated it) puts the case back among the open ones, so the counsellor
        can take it again. False when the case is open already (or closed, or gone)."""
        item = self._get(case_pk(case_id), CASE)
        if item is None or item.get("status") in (OPEN, CLOSED):
            return False
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": case_pk(case_id), "sk": CASE}),
                UpdateExpression="SET token_ack = :t, #status = :open, list_pk = :list",
                ConditionExpression="#status = :was",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":t": token,
                        ":open": OPEN,
                        ":list": list_pk(str(item["org_id"]), OPEN),
                        ":was": item["status"],
                    }
                ),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False  # it moved meanwhile: the plain write below keeps the token
            raise
        return True

    def take_answer_token(self, user_id: str) -> tuple[str, str] | None:
        """The member's answer to a waiting follow-up: (case id, `token_answer`) taken off
        their open case in one conditional write, so that one caller gets it; None if they
        have no open case or its run waits for no answer.

        Cost: one GetItem (the `open` pointer) for a member without a case; with one, a
        second GetItem (the case) and, only when a token is there, one UpdateItem.
        """
        pointer = self._get(member_pk(user_id), POINTER)
        if pointer is None:
            return None
        case_id = str(pointer["case_id"])
        item = self._get(case_pk(case_id), CASE)
        if item is None or item.get("status") == CLOSED or not item.get("token_answer"):
            return None
        token = str(item["token_answer"])
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": case_pk(case_id), "sk": CASE}),
                UpdateExpression="REMOVE token_answer",
                # The token read is the lock: a second taker finds it gone or replaced.
                ConditionExpression="token_answer = :token",
                ExpressionAttributeValues=to_item({":token": token}),
            )
        except ClientError as error:
            if _failed_condition(error):
                return None
            raise
        return case_id, token

    def give_back_answer_token(self, case_id: str, token: str) -> bool:
        """Undo `take_answer_token` when the answer could not be sent (the record is
        retried); never over a newer token the run has left since (then False)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": case_pk(case_id), "sk": CASE}),
                UpdateExpression="SET token_answer = :token",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(token_answer)",
                ExpressionAttributeValues=to_item({":token": token}),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    # --- the crisis vault's key store (shared/vault.py) ---------------------------------

    def load_key(self, user_id: str) -> bytes | None:
        item = self._get(member_pk(user_id), KEY)
        return bytes(item["edk"]) if item else None

    def store_key(self, user_id: str, edk: bytes) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=to_item({"pk": member_pk(user_id), "sk": KEY, "edk": edk}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- signals ----------------------------------------------------------------------

    def attach_signal(
        self,
        user_id: str,
        org_id: str,
        severity: str,
        source_id: str,
        sealed_reasons: bytes | None,
        now: datetime,
        *,
        source: str | None = None,
        item_id: str | None = None,
        mood: int | None = None,
    ) -> Attached:
        """Open the member's case with this signal, or attach it to the open one and raise
        the severity if it is higher (never lower). A signal taken in before changes nothing.
        """
        if rank(severity) == 0:
            raise ValueError(f"not a severity: {severity!r}")
        signal = IncomingSignal(
            user_id, org_id, severity, source_id, sealed_reasons, now, source, item_id, mood
        )
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._attach_once(signal)
            except _Again:
                # Jittered, growing pauses spread the writers of one member apart.
                self._sleep(random.uniform(0, PAUSE_SECONDS * 2 ** min(attempt, 4)))
        raise CasesBusy("the case kept changing; the record will be retried")

    def _attach_once(self, signal: IncomingSignal) -> Attached:
        try:
            pointer = self._get(member_pk(signal.user_id), POINTER)
            if pointer is None:
                return self._open(signal, replacing=None)
            found = self._get(case_pk(str(pointer["case_id"])), CASE)
            if found is None or found["status"] == CLOSED:
                # A pointer left by a close that did not remove it: the next case replaces it.
                return self._open(signal, replacing=str(pointer["case_id"]))
            return self._attach(case_from_item(found), signal)
        except _Replayed:
            return self._replayed(signal)

    def _open(self, signal: IncomingSignal, replacing: str | None) -> Attached:
        stamp = utc_iso(signal.now)
        case = Case(
            case_id=self._new_id(),
            user_id=signal.user_id,
            org_id=signal.org_id,
            status=OPEN,
            severity=signal.severity,
            revision=1,
            created_at=stamp,
            updated_at=stamp,
            signals=1,
            opening_mood=signal.mood,
        )
        pointer: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(
                {"pk": member_pk(signal.user_id), "sk": POINTER, "case_id": case.case_id}
            ),
        }
        if replacing is None:
            pointer["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            pointer["ConditionExpression"] = "case_id = :old"
            pointer["ExpressionAttributeValues"] = to_item({":old": replacing})
        index = {"pk": member_pk(signal.user_id), "sk": f"case#{case.case_id}"}
        items = [
            {"Put": pointer},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(case.as_item()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(index | {"created_at": stamp})}},
            self._intake_event(case, "opened", signal),
            *self._signal_writes(case, signal),
        ]
        self._transact(items, seen_at=len(items) - 2)
        return Attached(case, started=True, raised=False)

    def _attach(self, case: Case, signal: IncomingSignal) -> Attached:
        raised = rank(signal.severity) > rank(case.severity)
        now = utc_iso(signal.now)
        after = replace(case, updated_at=now, signals=case.signals + 1)
        sets = ["updated_at = :now", "signals = :after"]
        values: dict[str, Any] = {
            ":now": now,
            ":after": after.signals,
            ":seen": case.signals,
            ":closed": CLOSED,
        }
        if raised:
            after = replace(
                after, severity=signal.severity, revision=case.revision + 1, status=OPEN
            )
            fresh = after.as_item()
            sets += [
                "severity = :severity",
                "revision = :revision",
                "#status = :open",
                "list_pk = :list_pk",
                "list_sk = :list_sk",
            ]
            values |= {
                ":severity": after.severity,
                ":revision": after.revision,
                ":open": OPEN,
                ":list_pk": fresh["list_pk"],
                ":list_sk": fresh["list_sk"],
            }
        items = [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": to_item({"pk": member_pk(case.user_id), "sk": POINTER}),
                    "ConditionExpression": "case_id = :id",
                    "ExpressionAttributeValues": to_item({":id": case.case_id}),
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"pk": case_pk(case.case_id), "sk": CASE}),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    # The count read is the lock: any write since then makes this one retry.
                    "ConditionExpression": "signals = :seen AND #status <> :closed",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item(values),
                }
            },
            *([self._intake_event(after, "raised", signal)] if raised else []),
            *self._signal_writes(case, signal),
        ]
        self._transact(items, seen_at=len(items) - 2)
        return Attached(after, started=False, raised=raised)

    def _intake_event(self, case: Case, kind: str, signal: IncomingSignal) -> dict[str, Any]:
        detail: dict[str, str | int] = {"severity": case.severity}
        if signal.source:
            detail["source"] = signal.source
        item = event_item(case.case_id, kind, utc_iso(signal.now), INTAKE_ACTOR, detail)
        return {"Put": {"TableName": self._table, "Item": to_item(item)}}

    def _signal_writes(self, case: Case, signal: IncomingSignal) -> list[dict[str, Any]]:
        """The `seen#` marker (put only if absent) and the signal item: always the last two."""
        expires = int(signal.now.timestamp()) + SEEN_SECONDS
        seen = {
            "pk": member_pk(signal.user_id),
            "sk": seen_sk(signal.source_id),
            "case_id": case.case_id,
            "expires_at": expires,
        }
        item = {
            "pk": case_pk(case.case_id),
            "sk": signal_sk(signal.source_id),
            "case_id": case.case_id,
            "source_id": signal.source_id,
            "source": signal.source,
            "item_id": signal.item_id,
            "severity": signal.severity,
            "received_at": utc_iso(signal.now),
            "mood": signal.mood,
            "reasons_ct": signal.sealed_reasons,
        }
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(seen),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": to_item(item)}},
        ]

    def _transact(self, items: list[dict[str, Any]], seen_at: int) -> None:
        """Write all or nothing; _Replayed if the signal was seen, _Again if another won."""
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes is None:
                raise
            if seen_at < len(codes) and codes[seen_at] == "ConditionalCheckFailed":
                raise _Replayed from error
            raise _Again from error

    def _replayed(self, signal: IncomingSignal) -> Attached:
        seen = self._get(member_pk(signal.user_id), seen_sk(signal.source_id))
        case = self.case(str(seen["case_id"])) if seen else None
        if case is None:
            raise _Again  # the marker expired or its case is gone: take the signal in anew
        return Attached(case, started=False, raised=False, replayed=True)


# --- the counsellor API's writes (functions/crisis/routes.py) --------------------------

ACKNOWLEDGED = "acknowledged"
TOKEN_PREFIX = "token_"  # noqa: S105 - attribute names of the task tokens


@dataclass(frozen=True)
class Taken:
    """A task token taken off the case by one caller, and the case as it was before."""

    case: Case
    token: str
    by: str
    at: str
    watch_before: dict[str, Any] | None = None  # the watch entry a closure replaced


def _failed_condition(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    codes = _cancellation_codes(error)
    return codes is not None and "ConditionalCheckFailed" in codes


class CaseWrites(CasesRepository):
    """The counsellor's writes: take a task token (ack, closure) exactly once, put it back."""

    def details(self, case_id: str) -> dict[str, Any] | None:
        """The case's item in plain form, without the workflow's task tokens."""
        item = self._get(case_pk(case_id), CASE)
        if item is None:
            return None
        return {k: v for k, v in item.items() if not k.startswith(TOKEN_PREFIX)}

    def _key(self, case_id: str) -> dict[str, Any]:
        return to_item({"pk": case_pk(case_id), "sk": CASE})

    def take_ack(self, case_id: str, by: str, now: datetime) -> Taken | None:
        """Acknowledge an open case whose run waits for it: the stored `token_ack`, taken
        in one conditional write (status open → acknowledged); None if there is none."""
        item = self._get(case_pk(case_id), CASE)
        if item is None or item.get("status") != OPEN or not item.get("token_ack"):
            return None
        case, token, stamp = case_from_item(item), str(item["token_ack"]), utc_iso(now)
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(case_id),
                UpdateExpression=(
                    "SET #status = :ack, acknowledged_by = :by, acknowledged_at = :at, "
                    "updated_at = :at, list_pk = :list REMOVE token_ack"
                ),
                # The token read is the lock: one caller takes it, the next finds it gone.
                ConditionExpression="#status = :open AND token_ack = :token",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":ack": ACKNOWLEDGED,
                        ":by": by,
                        ":at": stamp,
                        ":list": list_pk(case.org_id, ACKNOWLEDGED),
                        ":open": OPEN,
                        ":token": token,
                    }
                ),
            )
        except ClientError as error:
            if _failed_condition(error):
                return None
            raise
        return Taken(case, token, by, stamp)

    def give_back_ack(self, taken: Taken, *, token_alive: bool) -> bool:
        """Undo `take_ack` (the run did not take the acknowledgement): the case is open
        again, with the token back only if the run still waits on it."""
        sets = "#status = :open, list_pk = :list"
        values: dict[str, Any] = {
            ":open": OPEN,
            ":list": list_pk(taken.case.org_id, OPEN),
            ":ack": ACKNOWLEDGED,
            ":by": taken.by,
            ":at": taken.at,
        }
        if token_alive:
            sets += ", token_ack = :token"
            values[":token"] = taken.token
        try:
            self._db.update_item(
                TableName=self._table,
                Key=self._key(taken.case.case_id),
                UpdateExpression=f"SET {sets} REMOVE acknowledged_by, acknowledged_at",
                ConditionExpression=(
                    "#status = :ack AND acknowledged_by = :by AND acknowledged_at = :at"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def take_closure(
        self, case_id: str, by: str, outcome: Mapping[str, Any], now: datetime
    ) -> Taken | None:
        """Close a case whose run waits for closure: take `token_closure`, set the status
        closed and delete the member's `open` pointer in one transaction (a later signal
        opens a new case); None if the run is not waiting for closure."""
        item = self._get(case_pk(case_id), CASE)
        if item is None or item.get("status") == CLOSED or not item.get("token_closure"):
            return None
        case, token, stamp = case_from_item(item), str(item["token_closure"]), utc_iso(now)
        before = self._get(watch_pk(case.org_id), case.user_id)
        update = {
            "TableName": self._table,
            "Key": self._key(case_id),
            "UpdateExpression": (
                "SET #status = :closed, closed_by = :by, closed_at = :at, updated_at = :at, "
                "#outcome = :outcome, list_pk = :list REMOVE token_closure"
            ),
            "ConditionExpression": "#status = :was AND token_closure = :token",
            "ExpressionAttributeNames": {"#status": "status", "#outcome": "outcome"},
            "ExpressionAttributeValues": to_item(
                {
                    ":closed": CLOSED,
                    ":by": by,
                    ":at": stamp,
                    ":outcome": dict(outcome),
                    ":list": list_pk(case.org_id, CLOSED),
                    ":was": case.status,
                    ":token": token,
                }
            ),
        }
        pointer = {
            "TableName": self._table,
            "Key": to_item({"pk": member_pk(case.user_id), "sk": POINTER}),
            "ConditionExpression": "attribute_not_exists(pk) OR case_id = :id",
            "ExpressionAttributeValues": to_item({":id": case_id}),
        }
        watch = self._watch_write(case, item, outcome, stamp, before)
        try:
            self._db.transact_write_items(
                TransactItems=[{"Update": update}, {"Delete": pointer}, *watch]
            )
        except ClientError as error:
            if _failed_condition(error):
                return None
            raise
        return Taken(case, token, by, stamp, before)

    def _watch_write(
        self,
        case: Case,
        item: Mapping[str, Any],
        outcome: Mapping[str, Any],
        stamp: str,
        before: Mapping[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """The member's watch entry as this closure leaves it: put for a watch outcome,
        deleted for resolved or referred (nothing to write if there was none)."""
        key = {"pk": watch_pk(case.org_id), "sk": case.user_id}
        if "watch_level" not in outcome:
            return [{"Delete": {"TableName": self._table, "Key": to_item(key)}}] if before else []

        def latest(name: str) -> str | None:
            found = [str(v) for v in (item.get(name), (before or {}).get(name)) if v]
            return max(found) if found else None

        entry = key | {
            "user_id": case.user_id,
            "case_id": case.case_id,
            "level": int(outcome["watch_level"]),
            "review_on": str(outcome["review_on"]),
            "since": stamp,
            "last_contact": latest("last_contact"),
            "last_family_contact": latest("last_family_contact"),
        }
        return [{"Put": {"TableName": self._table, "Item": to_item(entry)}}]

    def give_back_closure(self, taken: Taken, *, token_alive: bool) -> bool:
        """Undo `take_closure`: the case as it was and its pointer back, unless the member
        has opened another case since (then the case stays closed: False)."""
        case = taken.case
        sets = "#status = :was, list_pk = :list"
        values: dict[str, Any] = {
            ":was": case.status,
            ":list": list_pk(case.org_id, case.status),
            ":closed": CLOSED,
            ":by": taken.by,
            ":at": taken.at,
        }
        if token_alive:
            sets += ", token_closure = :token"
            values[":token"] = taken.token
        update = {
            "TableName": self._table,
            "Key": self._key(case.case_id),
            "UpdateExpression": f"SET {sets} REMOVE closed_by, closed_at, #outcome",
            "ConditionExpression": "#status = :closed AND closed_by = :by AND closed_at = :at",
            "ExpressionAttributeNames": {"#status": "status", "#outcome": "outcome"},
            "ExpressionAttributeValues": to_item(values),
        }
        pointer = {
            "TableName": self._table,
            "Item": to_item(
                {"pk": member_pk(case.user_id), "sk": POINTER, "case_id": case.case_id}
            ),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        key = {"pk": watch_pk(case.org_id), "sk": case.user_id}
        watch: dict[str, Any] = (
            {"Put": {"TableName": self._table, "Item": to_item(taken.watch_before)}}
            if taken.watch_before
            else {"Delete": {"TableName": self._table, "Key": to_item(key)}}
        )
        try:
            self._db.transact_write_items(
                TransactItems=[{"Update": update}, {"Put": pointer}, watch]
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def add_signal_text(self, case_id: str, source_id: str, sealed_text: bytes) -> None:
        """The member's own words beside a signal (`POST /help`), sealed by the crisis vault."""
        self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": case_pk(case_id), "sk": signal_sk(source_id)}),
            UpdateExpression="SET text_ct = :t",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":t": sealed_text}),
        )
