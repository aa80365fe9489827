"""The crisis feature's export and erase, run by the data-rights workflow (no HTTP).

What survives a member's erasure, and why, is decision 29 (docs/decisions.md):

- **Erased at once:** the member's own words (the safety plan, the free text of
  `POST /help`), the guardians' contact details and the mood history. The intake's
  replay markers stay until their own 30-day expiry, so a replayed stream record does
  not attach to a kept case again.
- **Kept as safety records** for `SAFETY_RECORD_RETENTION_DAYS` (default three years),
  then removed by the table's TTL: each case with its signals (level, source, time,
  reason codes), timeline, contacts, referrals and counsellors' notes; the care plan;
  the watch-list entry; and the member's crisis key, which those records are sealed
  under. It expires with them, so the records become unreadable even in a backup.
  A case still open stays open: the counsellor must still close it.

A member with no case, no care plan and no watch entry keeps nothing: every item goes.
The export says which records are kept and until when (`retained_after_erasure`).
Erasing twice changes nothing more: the expiry is set only where none is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from functions.crisis.cases import CASE, KEY, POINTER, CasesSettings, case_pk, member_pk
from functions.crisis.logic import PURPOSE, SEALED_FIELDS, signal_view
from functions.crisis.member_records import (
    CARE_PLAN,
    CARE_PLAN_VERSION,
    GUARDIANS,
    SAFETY_PLAN,
    care_plan_sk,
    guardians_item_id,
    safety_plan_item_id,
)
from shared import aws
from shared.clock import utc_iso
from shared.data_rights import FeatureData, data_rights_handler, delete_keys, pick, query_partition
from shared.dynamo import from_item, to_item
from shared.vault import Vault

DAY = 86400
DEFAULT_RETENTION_DAYS = 1095
CASE_POINTER = "case#"
WATCH = "watch#"

# Member-partition items that are safety records (or the key that opens them).
KEPT = (KEY, POINTER, CARE_PLAN)
# The replay markers stay too (source ids only, gone within 30 days by their own expiry):
# a stream record replayed after the erasure must not attach to the kept case again.
KEPT_PREFIXES = (CASE_POINTER, CARE_PLAN_VERSION, "seen#")
# The member's own words inside a case kept as a safety record: the free text of a
# signal (`POST /help`). A note's `text_ct` is the counsellor's, and is kept.
SIGNAL = "signal#"
MEMBERS_OWN_WORDS = ("text_ct",)

CASE_FIELDS = (
    "case_id",
    "status",
    "severity",
    "created_at",
    "acknowledged_at",
    "closed_at",
    "outcome",
    "member_erased_at",
)
CONTACT_FIELDS = ("who", "channel", "outcome", "at")
REFERRAL_FIELDS = ("to", "kind", "on")
CARE_FIELDS = ("goals", "supports", "people_involved")
RETAINED_NOTE = (
    "If you erase your account, your safety plan, your own words in help requests, your "
    "guardians' contact details and your mood history are deleted at once. Crisis cases "
    "(with their signals, timeline, contacts, referrals and counsellors' notes), your care "
    "plan and your watch-list entry are safety records your organisation must keep: they "
    "are kept for {days} days and then deleted."
)


class CrisisDataSettings(CasesSettings):
    safety_record_retention_days: int = DEFAULT_RETENTION_DAYS


def members_own_words(item: dict[str, Any]) -> list[str]:
    if not str(item["sk"]).startswith(SIGNAL):
        return []
    return [name for name in MEMBERS_OWN_WORDS if name in item]


def kept(sk: str) -> bool:
    return sk in KEPT or sk.startswith(KEPT_PREFIXES)


class CrisisData:
    feature = "crisis"

    def __init__(
        self,
        db: Any,
        table: str,
        vault: Vault,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._table = table
        self._vault = vault
        self._retention_days = retention_days
        self._clock = clock

    # --- reading -------------------------------------------------------------------------

    def _partition(self, pk: str) -> list[dict[str, Any]]:
        return list(query_partition(self._db, self._table, "pk", pk))

    def _case_ids(self, member_items: list[dict[str, Any]]) -> list[str]:
        return [
            str(i["sk"]).removeprefix(CASE_POINTER)
            for i in member_items
            if str(i["sk"]).startswith(CASE_POINTER)
        ]

    def _watch_keys(self, user_id: str, cases: list[dict[str, Any]]) -> list[dict[str, str]]:
        orgs = {str(c["org_id"]) for c in cases if c.get("org_id")}
        return [{"pk": f"{WATCH}{org}", "sk": user_id} for org in sorted(orgs)]

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        found = self._db.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True)
        return from_item(found["Item"]) if "Item" in found else None

    # --- export ----------------------------------------------------------------------------

    def export(self, user_id: str) -> dict[str, Any]:
        member_items = {str(i["sk"]): i for i in self._partition(member_pk(user_id))}
        key = self._vault.key_for_reading(user_id)

        def opened(item_id: str, item: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
            if key is None:  # the key was erased: the sealed words are gone
                return {}
            return self._vault.open_fields(key, user_id, item_id, dict(item), names)

        case_ids = self._case_ids(list(member_items.values()))
        cases = [self._case_export(user_id, c, opened) for c in case_ids]
        plan = member_items.get(SAFETY_PLAN)
        care = member_items.get(CARE_PLAN)
        guardians = member_items.get(GUARDIANS)
        out: dict[str, Any] = {
            "cases": [c for c in cases if c is not None],
            "safety_plan": None,
            "care_plan": None,
            "guardians": None,
            "retained_after_erasure": {
                "what": RETAINED_NOTE.format(days=self._retention_days),
                "retention_days": self._retention_days,
            },
        }
        if plan is not None:
            version = int(plan["version"])
            sealed = opened(safety_plan_item_id(version), plan, ("plan",)).get("plan")
            out["safety_plan"] = None if sealed is None else sealed | {"version": version}
        if care is not None:
            sk = care_plan_sk(int(care["version"]))
            version_item = member_items.get(sk)
            if version_item is not None:
                out["care_plan"] = pick(version_item, ("version", "updated_at", "review_on")) | {
                    name: value
                    for name, value in opened(sk, version_item, CARE_FIELDS).items()
                    if value is not None
                }
        if guardians is not None:
            item_id = guardians_item_id(int(guardians["version"]))
            out["guardians"] = {
                "member_under_14": bool(guardians.get("member_under_14")),
                "guardians": opened(item_id, guardians, ("guardians",)).get("guardians") or [],
            }
        return out

    def _case_export(
        self,
        user_id: str,
        case_id: str,
        opened: Callable[[str, dict[str, Any], tuple[str, ...]], dict[str, Any]],
    ) -> dict[str, Any] | None:
        items = self._partition(case_pk(case_id))
        head = next((i for i in items if i["sk"] == CASE), None)
        if head is None:
            return None

        def by(prefix: str) -> list[dict[str, Any]]:
            return [i for i in items if str(i["sk"]).startswith(prefix)]

        def open_signal(owner: str, item_id: str, item: Any) -> dict[str, Any]:
            return opened(item_id, dict(item), SEALED_FIELDS)

        return pick(head, CASE_FIELDS) | {
            "signals": [signal_view(s, user_id, open_signal) for s in by("signal#")],
            "timeline": [pick(e, ("at", "kind")) for e in by("event#")],
            "contacts": [pick(c, CONTACT_FIELDS) for c in by("contact#")],
            "referrals": [pick(r, REFERRAL_FIELDS) for r in by("referral#")],
            # Counsellors' working notes are kept with the case; their text is theirs to
            # share through the organisation, and the export says how many there are.
            "counsellor_notes": len(by("note#")),
        }

    # --- erase -------------------------------------------------------------------------------

    def erase(self, user_id: str) -> int:
        member_items = self._partition(member_pk(user_id))
        case_ids = self._case_ids(member_items)
        cases = [c for c in (self._get({"pk": case_pk(i), "sk": CASE}) for i in case_ids) if c]
        watch = [k for k in self._watch_keys(user_id, cases) if self._get(k) is not None]
        records = bool(cases or watch or any(i["sk"] == CARE_PLAN for i in member_items))
        doomed = [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in member_items
            if not (records and kept(str(i["sk"])))
        ]
        delete_keys(self._db, self._table, doomed)
        if not records:
            return len(doomed)
        expires = int(self._clock()) + self._retention_days * DAY
        for item in member_items:
            if kept(str(item["sk"])):
                self._expire({"pk": item["pk"], "sk": item["sk"]}, expires)
        for key in watch:
            self._expire(key, expires)
        for case_id in case_ids:
            for item in self._partition(case_pk(case_id)):
                self._expire(
                    {"pk": item["pk"], "sk": item["sk"]},
                    expires,
                    erased_at=item["sk"] == CASE,
                    drop=members_own_words(item),
                )
        return len(doomed)

    def _expire(
        self,
        key: dict[str, str],
        expires: int,
        *,
        erased_at: bool = False,
        drop: list[str] | None = None,
    ) -> None:
        """Set the item's expiry (only where none is: a second erasure moves nothing),
        remove the member's own words from it, and mark the case as the member's erased."""
        sets = ["expires_at = if_not_exists(expires_at, :e)"]
        values: dict[str, Any] = {":e": expires}
        if erased_at:
            sets.append("member_erased_at = if_not_exists(member_erased_at, :t)")
            values[":t"] = utc_iso(datetime.fromtimestamp(self._clock(), UTC))
        expression = "SET " + ", ".join(sets)
        if drop:
            expression += " REMOVE " + ", ".join(drop)
        self._update(key, expression, values)

    def _update(self, key: dict[str, str], expression: str, values: dict[str, Any]) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item(key),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:  # gone meanwhile (its TTL ran): nothing to keep
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


@cache
def feature_data() -> FeatureData:
    from functions.crisis.cases import CasesRepository
    from shared.settings import settings
    from shared.vault import vault_for

    config = settings(CrisisDataSettings)
    db = aws.client("dynamodb")
    vault = vault_for(PURPOSE, CasesRepository(db, config.cases_table))
    return CrisisData(db, config.cases_table, vault, config.safety_record_retention_days)


handler = data_rights_handler(feature_data)
