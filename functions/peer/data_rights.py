"""The peer feature's export and erase, run by the data-rights workflow (no HTTP).

What an erasure does to the other party is decision 31 (docs/decisions.md). Every
conversation is between one member and one supporter, and everything in it is sealed
under the *member's* peer key (repository.py):

- **A member is erased:** every conversation they are the member of goes whole (its
  `#meta`, messages, client id marks and reports) with the supporter's side of it, so
  the supporter keeps nothing of them; and their inbox items at every supporter, their
  shared days, the concerns about them, their peer key, their rate counters and their
  own sides go too.
- **A supporter is erased:** in each of their conversations their messages become
  tombstones (`deleted: true`, `sender_id` `#erased`, no body, no client id), their
  client id marks go, a report they made keeps no reporter and no reason, and the
  conversation closes (`blocked_by` `#erased`, unless the member blocked it): the
  member's own history stays readable, and shows that the other side was erased. Their
  inbox, their sides, their rate counters, the concerns they raised (about the members
  of their inbox or their conversations) and their id on the members' shared days go.

No item of the peer table names the erased user's id afterwards. A risky message's or a
concern's crisis signal is the crisis feature's record (decision 29): what it needs was
taken in by the risk intake and is kept there, so nothing here is kept for it.

The export (`peer.json`) holds the user's conversations with the messages opened: for a
member every message, both ways (their record); for a supporter only the messages they
wrote (the member's words are the member's record), with a count of those received; the
reports they made with their reasons, their blocks and mutes, a member's shared days
(with the tags and note they shared, opened) and how many concerns were raised about
them (a supporter's concern is counted, not quoted, as a counsellor's note is: decision
29), a supporter's concerns with their notes. A supporter's export holds none of their
inbox: the shared days are the members' record. Erasure needs nothing more for the
sealed tags and notes: they live only on the inbox items and shared days it deletes.
Erasing twice changes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from botocore.exceptions import ClientError

from functions.peer.keys import (
    KEY_SK,
    META,
    PURPOSE,
    SHARED_SEALED,
    PeerKeys,
    conv_pk,
    inbox_pk,
    member_pk,
    user_pk,
)
from shared import aws
from shared.data_rights import (
    FeatureData,
    data_rights_handler,
    delete_keys,
    delete_partition,
    pick,
    query_partition,
)
from shared.dynamo import from_item, to_item
from shared.settings import BaseSettings
from shared.vault import Vault

ERASED = "#erased"  # in place of an erased supporter's id (no user id starts with "#")
MESSAGE, CLIENT, REPORT = "msg#", "client#", "report#"
SHARED, CONCERN = "shared#", "concern#"
SHARED_FIELDS = ("mood", "updated_at")
REPORT_FIELDS = ("report_id", "conversation_id", "status", "created_at")


class PeerDataSettings(BaseSettings):
    peer_table: str


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


class PeerData:
    feature = "peer"

    def __init__(self, db: Any, table: str, vault: Vault) -> None:
        self._db = db
        self._table = table
        self._vault = vault

    # --- reading -------------------------------------------------------------------------

    def _partition(self, pk: str, prefix: str = "") -> Iterator[dict[str, Any]]:
        return (
            i
            for i in query_partition(self._db, self._table, "pk", pk)
            if i["sk"].startswith(prefix)
        )

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": pk, "sk": sk}), ConsistentRead=True
        ).get("Item")
        return from_item(found) if found else None

    def _conversations(self, user_id: str) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        """Each of the user's sides with its conversation's `#meta` (None if it is gone)."""
        return [
            (side, self._get(conv_pk(side["conversation_id"]), META))
            for side in self._partition(user_pk(user_id), "conv#")
        ]

    def _opened(self, member_id: str, item: dict[str, Any], name: str) -> str | None:
        if f"{name}_ct" not in item:
            return None
        key = self._vault.key_for_reading(member_id)
        if key is None:  # the member's key was erased: the words are gone
            return None
        opened = self._vault.open_fields(key, member_id, item["sk"], item, [name])[name]
        return None if opened is None else str(opened)

    def _shared_day(self, member_id: str, item: dict[str, Any]) -> dict[str, Any]:
        """A member's shared day as exported: the tags and note opened (their sort key is
        the item id they were sealed with, repository.py); none once the key is erased."""
        key = (
            self._vault.key_for_reading(member_id)
            if any(f"{n}_ct" in item for n in SHARED_SEALED)
            else None
        )
        opened = (
            self._vault.open_fields(key, member_id, item["sk"], item, SHARED_SEALED)
            if key is not None
            else {}
        )
        return {
            "date": item["sk"].removeprefix(SHARED),
            **pick(item, SHARED_FIELDS),
            "supporters": len(item.get("supporters") or ()),
            "tags": list(opened.get("tags") or []),
            "note": opened.get("note"),
        }

    def _concerns_by(self, supporter_id: str, members: set[str]) -> list[dict[str, Any]]:
        """The concerns the supporter raised about these members (their inbox's and their
        conversations'): concerns are kept in the member's partition only."""
        return [
            c
            for m in sorted(members)
            for c in self._partition(member_pk(m), CONCERN)
            if c.get("raised_by") == supporter_id
        ]

    # --- export ----------------------------------------------------------------------------

    def export(self, user_id: str) -> dict[str, Any]:
        conversations: list[dict[str, Any]] = []
        reports: list[dict[str, Any]] = []
        members: set[str] = set()
        for side, meta in self._conversations(user_id):
            if meta is None:
                continue
            member_id = str(meta["member_id"])
            is_member = member_id == user_id
            if not is_member:
                members.add(member_id)
            items = list(self._partition(conv_pk(str(meta["conversation_id"]))))
            messages: list[dict[str, Any]] = []
            received = 0
            for item in (i for i in items if i["sk"].startswith(MESSAGE)):
                mine = item.get("sender_id") == user_id
                if not (mine or is_member):
                    received += 1
                    continue
                messages.append(
                    {
                        "message_id": item["message_id"],
                        "from": "you" if mine else "them",
                        "text": self._opened(member_id, item, "body"),
                        "created_at": item["created_at"],
                    }
                    | ({"deleted": True} if item.get("deleted") else {})
                )
            conversations.append(
                {
                    "conversation_id": meta["conversation_id"],
                    "role": "member" if is_member else "supporter",
                    "with": side.get("other_name") or "",
                    "started_at": meta.get("created_at"),
                    "blocked_by_you": meta.get("blocked_by") == user_id,
                    "blocked": meta.get("blocked_by") is not None,
                    "muted": bool(side.get("muted")),
                    "messages": messages,
                }
                | ({} if is_member else {"messages_received": received})
            )
            reports += [
                pick(r, REPORT_FIELDS) | {"reason": self._opened(member_id, r, "reason")}
                for r in items
                if r["sk"].startswith(REPORT) and r.get("reporter_id") == user_id
            ]
        own = list(self._partition(member_pk(user_id)))
        members |= {str(i["member_id"]) for i in self._partition(inbox_pk(user_id), "item#")}
        return {
            "conversations": conversations,
            "reports": reports,
            "shared_checkins": [
                self._shared_day(user_id, i) for i in own if i["sk"].startswith(SHARED)
            ],
            "concerns_about_you": sum(1 for i in own if i["sk"].startswith(CONCERN)),
            "concerns_raised": [
                {
                    "about": c["pk"].removeprefix("member#"),
                    "urgent": bool(c.get("urgent")),
                    "note": self._opened(c["pk"].removeprefix("member#"), c, "note"),
                    "created_at": c.get("created_at"),
                }
                for c in self._concerns_by(user_id, members)
            ],
        }

    # --- erase -------------------------------------------------------------------------------

    def erase(self, user_id: str) -> int:
        """Everything naming the user, in an order a retry can resume: what is found through
        an item is deleted before that item (sides before conversations' pointers, the
        shared days and inbox items before the member's partition)."""
        changed = 0
        members: set[str] = set()
        supporters: set[str] = set()
        for side, meta in self._conversations(user_id):
            if meta is None:
                pass
            elif meta["member_id"] == user_id:
                supporters.add(str(meta["supporter_id"]))
                changed += self._erase_conversation(meta)
            else:
                members.add(str(meta["member_id"]))
                changed += self._erase_supporter_from(meta, user_id)
            delete_keys(self._db, self._table, [_key(side)])
            changed += 1
        changed += self._erase_as_supporter(user_id, members)
        changed += self._erase_as_member(user_id, supporters)
        changed += delete_partition(self._db, self._table, "pk", "sk", f"rate#{user_id}")
        return changed

    def _erase_conversation(self, meta: dict[str, Any]) -> int:
        """The member's conversation, whole, and the supporter's side of it; `#meta` last."""
        cid = str(meta["conversation_id"])
        keys = [_key(i) for i in self._partition(conv_pk(cid)) if i["sk"] != META]
        keys.append({"pk": user_pk(str(meta["supporter_id"])), "sk": f"conv#{cid}"})
        keys.append({"pk": conv_pk(cid), "sk": META})
        delete_keys(self._db, self._table, keys)
        return len(keys)

    def _erase_supporter_from(self, meta: dict[str, Any], supporter_id: str) -> int:
        """The supporter's words become tombstones; the member keeps the conversation,
        closed, and their side no longer names the supporter."""
        cid = str(meta["conversation_id"])
        pk = conv_pk(cid)
        changed = 0
        marks = []
        for item in self._partition(pk):
            sk = item["sk"]
            if sk.startswith(MESSAGE) and item.get("sender_id") == supporter_id:
                self._update(
                    _key(item),
                    "SET sender_id = :e, deleted = :t REMOVE body_ct, client_id",
                    {":e": ERASED, ":t": True},
                )
                changed += 1
            elif sk.startswith(f"{CLIENT}{supporter_id}#"):
                marks.append(_key(item))
            elif sk.startswith(REPORT) and item.get("reporter_id") == supporter_id:
                self._update(_key(item), "SET reporter_id = :e REMOVE reason_ct", {":e": ERASED})
                changed += 1
        delete_keys(self._db, self._table, marks)
        closed = "blocked_by = :e" if meta.get("blocked_by") in (None, supporter_id) else ""
        self._update(
            {"pk": pk, "sk": META},
            "SET supporter_id = :e"
            + (f", {closed}" if closed else "")
            + " REMOVE supporter_name, supporter_read_at",
            {":e": ERASED},
        )
        self._update(
            {"pk": user_pk(str(meta["member_id"])), "sk": f"conv#{cid}"},
            "SET other_id = :e, other_name = :n",
            {":e": ERASED, ":n": ""},
        )
        return changed + len(marks) + 2

    def _erase_as_supporter(self, supporter_id: str, members: set[str]) -> int:
        """The supporter's inbox, their place on members' shared days, their concerns."""
        inbox = list(self._partition(inbox_pk(supporter_id)))
        for item in inbox:
            if item.get("member_id") and item.get("date"):
                members.add(str(item["member_id"]))
                self._leave_shared_day(str(item["member_id"]), str(item["date"]), supporter_id)
        concerns = [_key(c) for c in self._concerns_by(supporter_id, members)]
        delete_keys(self._db, self._table, concerns)
        delete_keys(self._db, self._table, [_key(i) for i in inbox])
        return len(concerns) + len(inbox)

    def _leave_shared_day(self, member_id: str, day: str, supporter_id: str) -> None:
        shared = self._get(member_pk(member_id), f"{SHARED}{day}")
        if shared is None or supporter_id not in (shared.get("supporters") or ()):
            return
        left = [s for s in shared["supporters"] if s != supporter_id]
        if not left:
            delete_keys(self._db, self._table, [_key(shared)])
            return
        self._update(_key(shared), "SET supporters = :s", {":s": left})

    def _erase_as_member(self, member_id: str, supporters: set[str]) -> int:
        """The member's inbox items at every supporter their shared days went to (and at
        their conversations' supporters), then their own partition, the key item last."""
        own = list(self._partition(member_pk(member_id)))
        for item in own:
            if item["sk"].startswith(SHARED):
                supporters.update(str(s) for s in item.get("supporters") or ())
        inbox = [
            _key(i)
            for s in sorted(supporters)
            for i in self._partition(inbox_pk(s), "item#")
            if i.get("member_id") == member_id
        ]
        delete_keys(self._db, self._table, inbox)
        keys = [_key(i) for i in own if i["sk"] != KEY_SK]
        keys += [_key(i) for i in own if i["sk"] == KEY_SK]
        delete_keys(self._db, self._table, keys)
        return len(inbox) + len(keys)

    def _update(self, key: dict[str, Any], expression: str, values: dict[str, Any]) -> None:
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item(key),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:  # gone meanwhile: nothing left to change
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


@cache
def feature_data() -> FeatureData:
    from shared.settings import settings
    from shared.vault import vault_for

    table = settings(PeerDataSettings).peer_table
    db = aws.client("dynamodb")
    return PeerData(db, table, vault_for(PURPOSE, PeerKeys(db, table)))


handler = data_rights_handler(feature_data)
