"""The appointments functions' settings (environment variables, read once, lazily)."""

from __future__ import annotations

from shared.settings import BaseSettings, RosterSettings


class AppointmentsSettings(RosterSettings):
    """The HTTP function (AppointmentsFunction)."""

    appointments_table: str
    audit_table: str
    # A member may cancel (or move) up to this many hours before the start (template parameter).
    cancel_cutoff_hours: float = 24.0
    max_upcoming_appointments: int = 3


class AppointmentsTableSettings(BaseSettings):
    """The reminder sweep and the data-rights handler: the appointments table only."""

    appointments_table: str
