"""The stats functions' settings (read from the environment on first use)."""

from __future__ import annotations

from shared.settings import RosterSettings


class StatsSettings(RosterSettings):
    """STATS_TABLE (counters), ORGS_TABLE (roster, unit tree, zones; read-only)."""

    stats_table: str
