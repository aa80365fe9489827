"""The peer function's settings (environment variables, read once, lazily)."""

from __future__ import annotations

from shared.settings import RosterSettings


class PeerSettings(RosterSettings):
    peer_table: str
    audit_table: str
    cursor_secret_arn: str = ""
