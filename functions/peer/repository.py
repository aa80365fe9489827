"""The only module of the peer inbox and conversations that talks to DynamoDB (PeerTable).

PeerTable: partition `pk`, sort `sk` (strings); TTL attribute `expires_at`; stream
NEW_AND_OLD_IMAGES (the risk intake reads it: a concern or a member's risky message);
one GSI `ByNeed` (`need_pk`, `need_sk`, projection ALL), sparse: only inbox items and
open reports carry its keys.

    pk                     sk                             what
    member#<member>        #key                           the member's wrapped peer data key
                                                          (keys.PeerKeys)
    member#<member>        concern#<id>                   a supporter's concern (concerns.py)
    member#<member>        shared#<day>                   a shared check-in: `mood`, the
                                                          `supporters` it was projected to,
                                                          `tags_ct`, `note_ct`
    inbox#<supporter>      item#<item id>                 an inbox item: display name, day,
                                                          mood, emotions, `falling`, status,
                                                          `tags_ct`, `note_ct`;
                                                          need_pk inbox#<supporter>#<status>,
                                                          need_sk logic.need_key
    conv#<conversation>    #meta                          member, supporter, org, `blocked_by`,
                                                          read receipts `<role>_read_at`
    conv#<conversation>    msg#<created at>#<message id>  a message: sender, `body_ct`,
                                                          `client_id`, `user_id` (the member);
                                                          a risky member message adds
                                                          `risk_level`, `signal_ct`, `offered_help`
    conv#<conversation>    client#<sender>#<client id>    the first message a client id sent
    conv#<conversation>    report#<report id>             a report to counsellors: reporter,
                                                          message, `reason_ct`; need_pk
                                                          reports#<org>#open, need_sk created at
                                                          (both removed once resolved)
    user#<user>            conv#<conversation>            the user's side of a conversation:
                                                          the other party, `unread`,
                                                          `last_message_at`, `last_read_at`, `muted`
    rate#<sender>          minute#<YYYYmmddHHMM>          messages sent in that UTC minute;
                                                          `expires_at` 2 minutes on

Everything a person wrote (message bodies, report reasons, concern notes) is sealed
under the conversation's *member's* peer key (purpose "peer", shared/vault.py), with the
item's sort key as the item id: erasing the member's key item shreds the whole
conversation, the supporter's words in it too (they are part of the member's record).
The tags and note of a shared check-in (opened by the projector from the check-in's
`share_ct`, shared/peer_share.py) are sealed the same way, with `shared#<day>` as the item
id on the shared day and on every inbox copy of it (one seal per projection): an inbox
item holds the display name, day, mood and emotions in plain and nothing else in plain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions.peer.keys import (
    META,
    SHARED_SEALED,
    client_sk,
    conv_pk,
    conv_sk,
    inbox_pk,
    item_sk,
    member_pk,
    need_pk,
    shared_sk,
    user_pk,
)
from functions.peer.logic import SharedCheckin, falling, inbox_item_id, need_key
from shared.clock import utc_iso
from shared.dynamo import from_item, serialize, to_item
from shared.peer_share import Shared
from shared.vault import Vault

NEED_INDEX = "ByNeed"
OPEN, HANDLED, RESOLVED = "open", "handled", "resolved"
RATE_TTL = timedelta(minutes=2)
TREND_LOOKBACK = 1


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class RateLimited(Exception):
    """The sender has used this minute's messages; `retry_after` seconds to the next."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    org_id: str
    member_id: str
    supporter_id: str
    member_name: str
    supporter_name: str
    created_at: str
    blocked_by: str | None = None
    member_read_at: str | None = None
    supporter_read_at: str | None = None

    def role_of(self, user_id: str) -> str | None:
        if user_id == self.member_id:
            return "member"
        if user_id == self.supporter_id:
            return "supporter"
        return None

    def other(self, user_id: str) -> str:
        return self.supporter_id if user_id == self.member_id else self.member_id

    def name_of(self, user_id: str) -> str:
        return self.member_name if user_id == self.member_id else self.supporter_name


def _conversation(item: dict[str, Any]) -> Conversation:
    return Conversation(
        conversation_id=str(item["conversation_id"]),
        org_id=str(item["org_id"]),
        member_id=str(item["member_id"]),
        supporter_id=str(item["supporter_id"]),
        member_name=str(item.get("member_name", "")),
        supporter_name=str(item.get("supporter_name", "")),
        created_at=str(item["created_at"]),
        blocked_by=item.get("blocked_by"),
        member_read_at=item.get("member_read_at"),
        supporter_read_at=item.get("supporter_read_at"),
    )


class PeerRepository:
    def __init__(self, client: Any, table: str, vault: Vault) -> None:
        self._db = client
        self._table = table
        self._vault = vault

    # ---- the inbox (written by the projector) -------------------------------------------

    def projected_to(self, member_id: str, day: str) -> tuple[str, ...]:
        """The supporters whose inboxes hold the member's shared day."""
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": member_pk(member_id), "sk": shared_sk(day)}),
            ConsistentRead=True,
        ).get("Item")
        return tuple(from_item(found).get("supporters") or ()) if found else ()

    def earlier_moods(self, member_id: str, day: str) -> list[int]:
        """Moods of the member's shared check-ins before `day`, newest first (one Query)."""
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :before",
            ExpressionAttributeValues=to_item(
                {":pk": member_pk(member_id), ":first": "shared#", ":before": shared_sk(day)}
            ),
            ScanIndexForward=False,
            Limit=TREND_LOOKBACK + 1,
        )
        moods = []
        for raw in response.get("Items", []):
            item = from_item(raw)
            if item["sk"] != shared_sk(day):
                moods.append(int(item["mood"]))
        return moods[:TREND_LOOKBACK]

    def project(
        self,
        checkin: SharedCheckin,
        unit_id: str,
        display_name: str,
        supporters: Iterable[str],
        now: datetime,
        extras: Shared | None = None,
    ) -> None:
        """The shared day in each supporter's inbox (opened again), gone from any supporter
        it was in before and is no longer for; one BatchWriteItem (a unit has ≤ 10). The
        tags and note, if any, are sealed once under the member's peer key and the same
        ciphertexts go on every copy."""
        supporters = tuple(sorted(set(supporters)))
        before = self.projected_to(checkin.member_id, checkin.day)
        is_falling = falling(checkin.mood, self.earlier_moods(checkin.member_id, checkin.day))
        item_id = inbox_item_id(checkin.member_id, checkin.day)
        sealed = self._seal_shared(checkin, extras) if supporters else {}
        writes: list[dict[str, Any]] = []
        for supporter_id in supporters:
            item = sealed | {
                "pk": inbox_pk(supporter_id),
                "sk": item_sk(item_id),
                "item_id": item_id,
                "supporter_id": supporter_id,
                "member_id": checkin.member_id,
                "org_id": checkin.org_id,
                "unit_id": unit_id,
                "display_name": display_name,
                "date": checkin.day,
                "mood": checkin.mood,
                "emotions": list(checkin.emotions) or None,
                "falling": is_falling,
                "status": OPEN,
                "waiting_since": checkin.created_at,
                "updated_at": utc_iso(now),
                "need_pk": need_pk(supporter_id, OPEN),
                "need_sk": need_key(checkin.mood, is_falling, False, checkin.created_at, item_id),
            }
            writes.append({"PutRequest": {"Item": to_item(item)}})
        for supporter_id in set(before) - set(supporters):
            key = {"pk": inbox_pk(supporter_id), "sk": item_sk(item_id)}
            writes.append({"DeleteRequest": {"Key": to_item(key)}})
        index: dict[str, Any] = {"pk": member_pk(checkin.member_id), "sk": shared_sk(checkin.day)}
        if supporters:
            index |= sealed | {
                "mood": checkin.mood,
                "supporters": list(supporters),
                "updated_at": utc_iso(now),
            }
            writes.append({"PutRequest": {"Item": to_item(index)}})
        else:
            writes.append({"DeleteRequest": {"Key": to_item(index)}})
        self._batch(writes)

    def _seal_shared(self, checkin: SharedCheckin, extras: Shared | None) -> dict[str, bytes]:
        """`tags_ct` and `note_ct` under the member's peer key; nothing if none was shared."""
        fields = {"tags": list(extras.tags) or None, "note": extras.note} if extras else {}
        if not any(v is not None for v in fields.values()):
            return {}
        key = self._vault.key_for_writing(checkin.member_id)
        return self._vault.seal_fields(key, checkin.member_id, shared_sk(checkin.day), fields)

    def open_shared(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Inbox items (or shared days) with their `tags` and `note` opened under each
        member's peer key (the vault caches the keys: a warm page reads nothing more). A
        member whose key was erased shows none."""
        keys: dict[str, bytes | None] = {}
        opened = []
        for item in items:
            member_id, day = item.get("member_id"), item.get("date")
            if not any(f"{n}_ct" in item for n in SHARED_SEALED) or not member_id or not day:
                opened.append(item | {"tags": [], "note": None})
                continue
            if member_id not in keys:
                keys[member_id] = self._vault.key_for_reading(member_id)
            key = keys[member_id]
            if key is None:
                opened.append(item | {"tags": [], "note": None})
                continue
            fields = self._vault.open_fields(key, member_id, shared_sk(day), item, SHARED_SEALED)
            opened.append(item | {"tags": list(fields["tags"] or []), "note": fields["note"]})
        return opened

    def unshare(self, member_id: str, day: str) -> None:
        """Remove the member's day from every inbox it was projected to."""
        item_id = inbox_item_id(member_id, day)
        writes = [
            {"DeleteRequest": {"Key": to_item({"pk": inbox_pk(s), "sk": item_sk(item_id)})}}
            for s in self.projected_to(member_id, day)
        ]
        writes.append(
            {"DeleteRequest": {"Key": to_item({"pk": member_pk(member_id), "sk": shared_sk(day)})}}
        )
        self._batch(writes)

    def _batch(self, writes: list[dict[str, Any]]) -> None:
        for start in range(0, len(writes), 25):
            pending: dict[str, Any] = {self._table: writes[start : start + 25]}
            while pending:
                response = self._db.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def _need_page(
        self, key: str, forward: bool, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query on ByNeed for one `need_pk`: a page and where the next begins."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": NEED_INDEX,
            "KeyConditionExpression": "need_pk = :p",
            "ExpressionAttributeValues": to_item({":p": key}),
            "ScanIndexForward": forward,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        last = response.get("LastEvaluatedKey")
        return [from_item(i) for i in response.get("Items", [])], (
            from_item(last) if last else None
        )

    # ---- the inbox (read by supporters) -------------------------------------------------

    def inbox_page(
        self, supporter_id: str, status: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query on ByNeed: the supporter's items of `status`, in the order of need."""
        return self._need_page(need_pk(supporter_id, status), True, limit, start_key)

    def inbox_item(self, supporter_id: str, item_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": inbox_pk(supporter_id), "sk": item_sk(item_id)}),
        ).get("Item")
        return from_item(found) if found else None

    def mark_replied(self, item: dict[str, Any], now: datetime) -> None:
        key = need_key(
            int(item["mood"]), bool(item["falling"]), True, item["waiting_since"], item["item_id"]
        )
        self._update_inbox(item, {"replied_at": utc_iso(now), "need_sk": key})

    def mark_handled(self, item: dict[str, Any], now: datetime) -> None:
        self._update_inbox(
            item,
            {
                "status": HANDLED,
                "handled_at": utc_iso(now),
                "need_pk": need_pk(item["supporter_id"], HANDLED),
            },
        )

    def _update_inbox(self, item: dict[str, Any], changes: dict[str, Any]) -> None:
        names = {f"#f{i}": k for i, k in enumerate(changes)}
        values = {f":v{i}": serialize(v) for i, v in enumerate(changes.values())}
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(names))),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise  # else: un-shared meanwhile; nothing left to mark

    # ---- conversations ------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": conv_pk(conversation_id), "sk": META}),
            ConsistentRead=True,
        ).get("Item")
        return _conversation(from_item(found)) if found else None

    def start(self, conversation: Conversation) -> tuple[Conversation, bool]:
        """Create the conversation with both sides' items; the existing one if it exists."""
        meta = {
            "pk": conv_pk(conversation.conversation_id),
            "sk": META,
            "conversation_id": conversation.conversation_id,
            "org_id": conversation.org_id,
            "member_id": conversation.member_id,
            "supporter_id": conversation.supporter_id,
            "member_name": conversation.member_name,
            "supporter_name": conversation.supporter_name,
            "created_at": conversation.created_at,
        }
        sides = [
            {
                "pk": user_pk(user_id),
                "sk": conv_sk(conversation.conversation_id),
                "conversation_id": conversation.conversation_id,
                "role": conversation.role_of(user_id),
                "other_id": conversation.other(user_id),
                "other_name": conversation.name_of(conversation.other(user_id)),
                "unread": 0,
                "last_message_at": conversation.created_at,
                "created_at": conversation.created_at,
            }
            for user_id in (conversation.member_id, conversation.supporter_id)
        ]
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(meta),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    *({"Put": {"TableName": self._table, "Item": to_item(s)}} for s in sides),
                ]
            )
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            existing = self.conversation(conversation.conversation_id)
            if existing is None:
                raise
            return existing, False
        return conversation, True

    def sides(self, user_id: str) -> list[dict[str, Any]]:
        """The user's side of each of their conversations (one Query, paged to the end)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
            "ExpressionAttributeValues": to_item({":pk": user_pk(user_id), ":c": "conv#"}),
        }
        sides: list[dict[str, Any]] = []
        while True:
            response = self._db.query(**args)
            sides.extend(from_item(i) for i in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return sides
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def side(self, user_id: str, conversation_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": user_pk(user_id), "sk": conv_sk(conversation_id)}),
        ).get("Item")
        return from_item(found) if found else None

    def take_slot(
        self, sender_id: str, window: str, limit: int, retry_after: int, now: datetime
    ) -> None:
        """Count one message in the sender's minute; RateLimited once `limit` are used."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": f"rate#{sender_id}", "sk": f"minute#{window}"}),
                UpdateExpression="ADD sent :one SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(sent) OR sent < :limit",
                ExpressionAttributeValues=to_item(
                    {
                        ":one": 1,
                        ":limit": limit,
                        ":exp": int((now + RATE_TTL).timestamp()),
                    }
                ),
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise RateLimited(retry_after) from error
            raise

    def message_by_client_id(
        self, conversation: Conversation, sender_id: str, client_id: str
    ) -> dict[str, Any] | None:
        """The message a client id already sent, opened; None if it sent none."""
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item(
                {"pk": conv_pk(conversation.conversation_id), "sk": client_sk(sender_id, client_id)}
            ),
            ConsistentRead=True,
        ).get("Item")
        if not found:
            return None
        message = self._db.get_item(
            TableName=self._table,
            Key=to_item(
                {"pk": conv_pk(conversation.conversation_id), "sk": from_item(found)["message_sk"]}
            ),
            ConsistentRead=True,
        ).get("Item")
        if not message:
            return None
        return self._opened(conversation, [from_item(message)])[0]

    def add_message(
        self,
        conversation: Conversation,
        sender_id: str,
        text: str,
        client_id: str,
        now: datetime,
        risk_level: str = "none",
        signal: Any = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store a message with its client id mark, count it unread for the recipient and
        move both sides' `last_message_at`, in one transaction. A client id already used
        returns the first message (and False). `signal(item_id) -> bytes` seals the
        reasons for the crisis feature when the level is above none."""
        message_id = uuid.uuid4().hex
        stamp = utc_iso(now)
        sk = f"msg#{stamp}#{message_id}"
        key = self._vault.key_for_writing(conversation.member_id)
        item: dict[str, Any] = {
            "pk": conv_pk(conversation.conversation_id),
            "sk": sk,
            "message_id": message_id,
            "conversation_id": conversation.conversation_id,
            "org_id": conversation.org_id,
            "user_id": conversation.member_id,  # whose record (the intake reads it)
            "sender_id": sender_id,
            "client_id": client_id,
            "created_at": stamp,
        }
        item |= self._vault.seal_fields(key, conversation.member_id, sk, {"body": text})
        if risk_level != "none":
            item |= {
                "risk_level": risk_level,
                "offered_help": True,
                "signal_ct": signal(sk) if signal is not None else None,
            }
        recipient = conversation.other(sender_id)
        pk = conv_pk(conversation.conversation_id)
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": pk,
                                    "sk": client_sk(sender_id, client_id),
                                    "message_sk": sk,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(
                                {"pk": user_pk(recipient), "sk": conv_sk(item["conversation_id"])}
                            ),
                            "UpdateExpression": "ADD unread :one SET last_message_at = :t",
                            "ExpressionAttributeValues": to_item({":one": 1, ":t": stamp}),
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item(
                                {"pk": user_pk(sender_id), "sk": conv_sk(item["conversation_id"])}
                            ),
                            "UpdateExpression": "SET last_message_at = :t",
                            "ExpressionAttributeValues": to_item({":t": stamp}),
                        }
                    },
                ]
            )
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            first = self.message_by_client_id(conversation, sender_id, client_id)
            if first is None:
                raise
            return first, False
        return item | {"text": text}, True

    def messages_page(
        self, conversation: Conversation, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query: the conversation's messages, newest first, opened."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "ExpressionAttributeValues": to_item(
                {":pk": conv_pk(conversation.conversation_id), ":m": "msg#"}
            ),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            args["ExclusiveStartKey"] = to_item(start_key)
        response = self._db.query(**args)
        items = [from_item(i) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return self._opened(conversation, items), (from_item(last) if last else None)

    def message(self, conversation: Conversation, message_id: str) -> dict[str, Any] | None:
        """A message by id (a Query on the conversation's messages: the id is not the key)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
            "FilterExpression": "message_id = :id",
            "ExpressionAttributeValues": to_item(
                {":pk": conv_pk(conversation.conversation_id), ":m": "msg#", ":id": message_id}
            ),
            "ProjectionExpression": "pk, sk, message_id, sender_id, created_at",
        }
        while True:
            response = self._db.query(**args)
            if response.get("Items"):
                return from_item(response["Items"][0])
            if "LastEvaluatedKey" not in response:
                return None
            args["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _opened(
        self, conversation: Conversation, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        key = (
            self._vault.key_for_reading(conversation.member_id)
            if any("body_ct" in i for i in items)
            else None
        )
        opened = []
        for item in items:
            body = (
                self._vault.open_fields(key, conversation.member_id, item["sk"], item, ["body"])[
                    "body"
                ]
                if key is not None
                else None
            )
            opened.append(item | {"text": body})
        return opened

    def mark_read(self, conversation: Conversation, user_id: str, role: str, now: datetime) -> None:
        stamp = utc_iso(now)
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item(
                            {"pk": user_pk(user_id), "sk": conv_sk(conversation.conversation_id)}
                        ),
                        "UpdateExpression": "SET unread = :zero, last_read_at = :t",
                        "ExpressionAttributeValues": to_item({":zero": 0, ":t": stamp}),
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"pk": conv_pk(conversation.conversation_id), "sk": META}),
                        "UpdateExpression": "SET #r = :t",
                        "ExpressionAttributeNames": {"#r": f"{role}_read_at"},
                        "ExpressionAttributeValues": to_item({":t": stamp}),
                    }
                },
            ]
        )

    def set_blocked(self, conversation: Conversation, user_id: str, blocked: bool) -> None:
        key = to_item({"pk": conv_pk(conversation.conversation_id), "sk": META})
        if blocked:
            self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET blocked_by = if_not_exists(blocked_by, :u)",
                ExpressionAttributeValues=to_item({":u": user_id}),
            )
        else:
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="REMOVE blocked_by",
                    ConditionExpression="blocked_by = :u",
                    ExpressionAttributeValues=to_item({":u": user_id}),
                )
            except ClientError as error:
                if _code(error) != "ConditionalCheckFailedException":
                    raise  # else: not blocked, or blocked by the other: theirs to lift

    def set_muted(self, conversation: Conversation, user_id: str, muted: bool) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=to_item({"pk": user_pk(user_id), "sk": conv_sk(conversation.conversation_id)}),
            UpdateExpression="SET muted = :m",
            ExpressionAttributeValues=to_item({":m": muted}),
        )

    def add_report(
        self,
        conversation: Conversation,
        reporter_id: str,
        message_sk: str,
        reason: str | None,
        now: datetime,
    ) -> str:
        """A report for counsellors (listed on ByNeed under `reports#<org>#open`)."""
        report_id = uuid.uuid4().hex
        sk = f"report#{report_id}"
        stamp = utc_iso(now)
        item: dict[str, Any] = {
            "pk": conv_pk(conversation.conversation_id),
            "sk": sk,
            "report_id": report_id,
            "conversation_id": conversation.conversation_id,
            "org_id": conversation.org_id,
            "reporter_id": reporter_id,
            "message_sk": message_sk,
            "status": OPEN,
            "created_at": stamp,
            "need_pk": f"reports#{conversation.org_id}#{OPEN}",
            "need_sk": f"{stamp}#{report_id}",
        }
        if reason:
            key = self._vault.key_for_writing(conversation.member_id)
            item |= self._vault.seal_fields(key, conversation.member_id, sk, {"reason": reason})
        self._db.put_item(TableName=self._table, Item=to_item(item))
        return report_id

    # ---- reports (read and resolved by counsellors) -------------------------------------

    def open_reports_page(
        self, org_id: str, limit: int, start_key: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query on ByNeed: the organisation's open reports, newest first."""
        return self._need_page(f"reports#{org_id}#{OPEN}", False, limit, start_key)

    def report(self, conversation_id: str, report_id: str) -> dict[str, Any] | None:
        found = self._db.get_item(
            TableName=self._table,
            Key=to_item({"pk": conv_pk(conversation_id), "sk": f"report#{report_id}"}),
            ConsistentRead=True,
        ).get("Item")
        return from_item(found) if found else None

    def reported(
        self, reports: list[dict[str, Any]]
    ) -> tuple[dict[str, Conversation], dict[tuple[str, str], dict[str, Any]]]:
        """The reports' conversations (by id) and reported messages (by conversation id and
        message sort key), the messages opened: one BatchGetItem for a page of at most 50."""
        keys: dict[tuple[str, str], dict[str, Any]] = {}
        for report in reports:
            pk = conv_pk(str(report["conversation_id"]))
            keys[(pk, META)] = {"pk": pk, "sk": META}
            keys[(pk, str(report["message_sk"]))] = {"pk": pk, "sk": report["message_sk"]}
        found: list[dict[str, Any]] = []
        pending = [to_item(k) for k in keys.values()]
        for start in range(0, len(pending), 100):
            request: dict[str, Any] = {
                self._table: {"Keys": pending[start : start + 100], "ConsistentRead": True}
            }
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                found += [from_item(i) for i in response.get("Responses", {}).get(self._table, [])]
                request = response.get("UnprocessedKeys") or {}
        conversations = {
            c.conversation_id: c for c in (_conversation(i) for i in found if i["sk"] == META)
        }
        messages: dict[tuple[str, str], dict[str, Any]] = {}
        for item in found:
            if item["sk"] == META:
                continue
            conversation = conversations.get(str(item["conversation_id"]))
            if conversation is not None:
                (opened,) = self._opened(conversation, [item])
                messages[(conversation.conversation_id, str(item["sk"]))] = opened
        return conversations, messages

    def report_reason(self, conversation: Conversation, report: dict[str, Any]) -> str | None:
        """The report's reason in plain form; None when none was given or it was erased."""
        if "reason_ct" not in report:
            return None
        key = self._vault.key_for_reading(conversation.member_id)
        if key is None:
            return None
        opened = self._vault.open_fields(
            key, conversation.member_id, report["sk"], report, ["reason"]
        )
        return opened["reason"]

    def resolve_report(self, report: dict[str, Any], resolver_id: str, now: datetime) -> bool:
        """Mark an open report resolved and take it off the open list; False if it was not
        open (resolved meanwhile)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=to_item({"pk": report["pk"], "sk": report["sk"]}),
                UpdateExpression=(
                    "SET #s = :resolved, resolved_at = :t, resolved_by = :by "
                    "REMOVE need_pk, need_sk"
                ),
                ConditionExpression="#s = :open",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(
                    {":resolved": RESOLVED, ":open": OPEN, ":t": utc_iso(now), ":by": resolver_id}
                ),
            )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
