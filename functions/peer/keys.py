"""The peer table's keys, and the member's peer data key item (shared/vault.py).

Kept apart from the repository so that the data-rights function loads no more than it
needs (DESIGN.md §8: cold import by instruction count).
"""

from __future__ import annotations

from typing import Any

from shared.vault import KeyItem

PURPOSE = "peer"  # the peer feature's vault (shared/vault.py)
KEY_SK = "#key"  # the member's wrapped peer data key, in their partition
META = "#meta"
SHARED_SEALED = ("tags", "note")  # sealed under the member's peer key, item id shared#<day>


def member_pk(member_id: str) -> str:
    return f"member#{member_id}"


def inbox_pk(supporter_id: str) -> str:
    return f"inbox#{supporter_id}"


def item_sk(item_id: str) -> str:
    return f"item#{item_id}"


def shared_sk(day: str) -> str:
    return f"shared#{day}"


def need_pk(supporter_id: str, status: str) -> str:
    return f"inbox#{supporter_id}#{status}"


def conv_pk(conversation_id: str) -> str:
    return f"conv#{conversation_id}"


def user_pk(user_id: str) -> str:
    return f"user#{user_id}"


def conv_sk(conversation_id: str) -> str:
    return f"conv#{conversation_id}"


def client_sk(sender_id: str, client_id: str) -> str:
    return f"client#{sender_id}#{client_id}"


class PeerKeys(KeyItem):
    """The member's wrapped peer data key (shared/vault.py's KeyStore), on one item of the
    peer table: pk "member#<id>", sk "#key", `user_id`, `edk`."""

    def __init__(self, client: Any, table: str) -> None:
        super().__init__(client, table, key_of=lambda u: {"pk": member_pk(u), "sk": KEY_SK})
